#!/usr/bin/env bash
# Finds (or, on Debian as root, installs) the Chromium the browser test drives through
# puppeteer-core. Nothing is downloaded from a browser vendor: Debian's `chromium` package only.
# Prints the browser's path; exits 1 with the reason when there is none (the browser test then
# fails with that reason rather than passing without a browser).
set -uo pipefail

find_browser() {
  local b
  for b in "${MARINE_CHROMIUM:-}" chromium chromium-browser google-chrome; do
    [ -n "$b" ] && command -v "$b" >/dev/null 2>&1 && { command -v "$b"; return 0; }
  done
  return 1
}

if find_browser; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: installing Debian's chromium (apt-get)" >&2
  # Another apt or dpkg may hold the lock for a while on a fresh machine: wait for it.
  for _ in $(seq 1 60); do
    if apt-get install -y -o DPkg::Lock::Timeout=120 chromium >/dev/null 2>&1; then break; fi
    apt-get update >/dev/null 2>&1 || true
    sleep 2
  done
  find_browser && exit 0
fi
echo "setup-browser: no chromium found; install Debian's 'chromium' package or set MARINE_CHROMIUM" >&2
exit 1
