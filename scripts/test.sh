#!/usr/bin/env bash
# The one command that takes a fresh clone to a full test run: installs npm packages and the Rust
# toolchain, builds the example services, type-checks, lints, runs every tap test, and ends with
# a single `N passed, M failed, K skipped` line (typecheck, lint and format count as one check
# each; skipped and todo tests are not passes). It fails when tap fails or when no test ran.
set -uo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock records every optional platform package (jco, rolldown, msgpackr-extract), so
  # `npm ci` installs exactly what it pins on any platform; no fallback that rewrites the lock.
  npm ci --no-audit --no-fund || { echo "0 passed, 1 failed"; exit 1; }
fi

step "Rust toolchain for wasm32-wasi"
bash scripts/setup-toolchain.sh || { echo "0 passed, 1 failed"; exit 1; }

step "Chromium for the browser test"
# The browser test reads MARINE_CHROMIUM; without a browser it fails with the reason.
MARINE_CHROMIUM=$(bash scripts/setup-browser.sh) && export MARINE_CHROMIUM

passed=0
failed=0
check() {
  local name=$1
  shift
  step "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

# Every CLI start in the tests runs dist/, transpiled from these sources just now: from sources
# each start would spend about a second in tsx's loader, and the tests start the CLI hundreds of
# times. (Run alone, a test file starts the sources as usual.)
check "transpile dist/ for the CLI" node scripts/build-dist.mjs --transpile-only
[ -f dist/harness/cli/main.js ] && export MARINE_TS_FROM_DIST=1
check "build example services" node bin/marine.js build services-rs/examples
check "typecheck" npx tsc -p tsconfig.json --noEmit
check "lint" npx eslint .
check "format" npx prettier --check .

step "tap tests"
log=$(mktemp)
skipped=0
tests=$(find marine-host harness -path '*/test/*' -name '*.test.ts' | sort)
if [ -z "$tests" ]; then
  echo "FAILED: no test files found"
  failed=$((failed + 1))
else
  # shellcheck disable=SC2086
  npx tap --reporter=tap $tests 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # tap's exit status counts too: see scripts/tap-summary.sh.
  read -r tp tf ts < <(bash scripts/tap-summary.sh "$log" "$status")
  passed=$((passed + tp))
  failed=$((failed + tf))
  skipped=$ts
fi
rm -f "$log"

echo
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
