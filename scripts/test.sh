#!/usr/bin/env bash
# The one command that takes a fresh clone to a full test run: installs npm packages and the Rust
# toolchain, builds the example services, type-checks, lints, runs every tap test, and ends with
# a single `N passed, M failed` line (typecheck, lint and format count as one check each).
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

passed=0
failed=0
check() {
  local name=$1
  shift
  step "$name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $name"; fi
}

check "build example services" node bin/marine.js build services-rs/examples
check "typecheck" npx tsc -p tsconfig.json --noEmit
check "lint" npx eslint .
check "format" npx prettier --check .

step "tap tests"
log=$(mktemp)
tests=$(find marine-host harness -path '*/test/*' -name '*.test.ts' | sort)
if [ -n "$tests" ]; then
  # shellcheck disable=SC2086
  npx tap --reporter=tap $tests 2>&1 | tee "$log"
  # Count the test cases (first-level subtests of each file); a file that crashed before any
  # subtest ran counts as one failure.
  tp=$(grep -cE '^    ok [0-9]+' "$log" || true)
  tf=$(grep -cE '^    not ok [0-9]+' "$log" || true)
  files_failed=$(grep -cE '^not ok [0-9]+' "$log" || true)
  if [ "$tf" -eq 0 ] && [ "$files_failed" -gt 0 ]; then tf=$files_failed; fi
  passed=$((passed + tp))
  failed=$((failed + tf))
fi
rm -f "$log"

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
