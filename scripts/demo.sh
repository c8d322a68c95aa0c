#!/usr/bin/env bash
# `npm run demo`: from a fresh clone to a running workflow. Installs what is missing, builds the
# example Rust services into Wasm components, calls one through the Marine host, and runs an
# Aqua workflow on an in-process network whose peers run the greeting module as a Marine service
# under our AIR VM.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
marine() { node bin/marine.js "$@"; }

step "npm packages"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # The lock records every optional platform package, so npm ci installs exactly what it pins.
  npm ci --no-audit --no-fund
fi

step "Rust toolchain for wasm32-wasi"
bash scripts/setup-toolchain.sh

step "marine build services-rs/examples"
marine build services-rs/examples

step "marine it fixtures/configs/examples/greeting/Config.toml"
marine it fixtures/configs/examples/greeting/Config.toml

step "marine call fixtures/configs/examples/greeting/Config.toml greeting '[\"Marine\"]'"
marine call fixtures/configs/examples/greeting/Config.toml greeting '["Marine"]'

step "marine air run fixtures/demo/hello.aqua (greeting on p1 and p2, gathered on the client)"
marine air run fixtures/demo/hello.aqua --peers 2 \
  --args '{"name": "Marine", "peers": ["$p1", "$p2"]}' \
  --services fixtures/demo/services.json
