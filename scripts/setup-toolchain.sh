#!/usr/bin/env bash
# Finds (or, on Debian as root, installs) a Rust toolchain that builds wasm32-wasi(p1) service
# modules, decides where crates come from, and records the decision in
# services-rs/target/.marine-toolchain.env for `marine build`. Idempotent; silent when nothing
# changes unless MARINE_SETUP_VERBOSE=1. Never touches the user's ~/.cargo/config.
#
# Order of preference:
#   1. a rustc on PATH or a rustup toolchain whose sysroot holds wasm32-wasip1 (or wasm32-wasi);
#   2. Debian's /usr/bin/rustc with libstd-rust-dev-wasm32 (/usr/lib/rustlib/wasm32-wasi), lld
#      and wasi-libc;
#   3. on Debian with root: apt-get install the Debian packages, then 2.
# Knobs: MARINE_RUSTC=<path> considers only that rustc; MARINE_SETUP_NO_INSTALL=1 never installs
# packages; MARINE_OFFLINE=1 uses Debian's registry even when crates.io is reachable;
# MARINE_TOOLCHAIN_DIR moves the record (default services-rs/target).
# Crates: crates.io when reachable from a rustup toolchain; otherwise (and always with Debian's
# rustc 1.63, which cannot build today's crates.io releases) Debian's /usr/share/cargo/registry
# as a cargo directory source, offline.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out_dir="${MARINE_TOOLCHAIN_DIR:-$root/services-rs/target}"
env_file="$out_dir/.marine-toolchain.env"
cargo_config="$out_dir/.marine-cargo-config.toml"
debian_registry=/usr/share/cargo/registry
# Crates the SDK needs (the macro: syn, quote, proc-macro2; the logger: log) as Debian packages.
debian_crate_packages="librust-syn-dev librust-quote-dev librust-proc-macro2-dev librust-log-dev"
debian_packages="rustc cargo libstd-rust-dev-wasm32 lld wasi-libc $debian_crate_packages"

say() { if [ "${MARINE_SETUP_VERBOSE:-0}" = 1 ]; then echo "setup-toolchain: $*" >&2; fi; }

# Prints the wasm target a rustc can build for (its sysroot holds the target's std), or nothing.
wasm_target_of() {
  local rustc=$1 sysroot targets t
  sysroot=$("$rustc" --print sysroot 2>/dev/null) || return 0
  targets=$("$rustc" --print target-list 2>/dev/null) || return 0
  for t in wasm32-wasip1 wasm32-wasi; do
    if grep -qx "$t" <<<"$targets" && [ -d "$sysroot/lib/rustlib/$t/lib" ]; then
      echo "$t"
      return 0
    fi
  done
}

# A rustup toolchain ships rust-lld in its sysroot; Debian's rustc needs lld's wasm-ld or rust-lld.
has_linker() {
  local rustc=$1 sysroot
  sysroot=$("$rustc" --print sysroot 2>/dev/null) || return 1
  compgen -G "$sysroot/lib/rustlib/*/bin/rust-lld" >/dev/null && return 0
  command -v wasm-ld >/dev/null || command -v rust-lld >/dev/null || [ -x /usr/bin/rust-lld ]
}

candidates() {
  local c
  if [ -n "${MARINE_RUSTC:-}" ]; then
    echo "$MARINE_RUSTC"
    return 0
  fi
  c=$(command -v rustc 2>/dev/null || true)
  [ -n "$c" ] && echo "$c"
  for c in "${RUSTUP_HOME:-$HOME/.rustup}"/toolchains/*/bin/rustc; do
    [ -x "$c" ] && echo "$c"
  done
  [ -x /usr/bin/rustc ] && echo /usr/bin/rustc
  return 0
}

find_toolchain() {
  local rustc target cargo
  while read -r rustc; do
    [ -n "$rustc" ] && [ -x "$rustc" ] || continue
    # A rustup proxy on PATH resolves to the default toolchain; use the real binary beside cargo.
    target=$(wasm_target_of "$rustc")
    [ -n "$target" ] || continue
    has_linker "$rustc" || continue
    cargo="$(dirname "$rustc")/cargo"
    [ -x "$cargo" ] || continue
    if [ "$rustc" = /usr/bin/rustc ] && [ ! -f /usr/lib/wasm32-wasi/libc.a ] && [ ! -d /usr/lib/wasm32-wasi ]; then
      continue
    fi
    echo "$rustc|$cargo|$target"
    return 0
  done < <(candidates | awk '!seen[$0]++')
  return 1
}

# apt-get, waiting for the dpkg/apt lock when another package manager holds it (an unattended
# upgrade, another install): it retries for up to MARINE_APT_LOCK_WAIT seconds (default 300),
# saying so, and on failure says exactly what to run again.
apt_get() {
  local wait_max="${MARINE_APT_LOCK_WAIT:-300}" waited=0 out rc
  while :; do
    out=$(apt-get "$@" 2>&1) && rc=0 || rc=$?
    [ -n "$out" ] && printf '%s\n' "$out" >&2
    if [ "$rc" = 0 ]; then return 0; fi
    if printf '%s' "$out" | grep -qiE 'could not get lock|unable to acquire the dpkg|is another process using it|lock-frontend'; then
      if [ "$waited" -lt "$wait_max" ]; then
        [ "$waited" = 0 ] && echo "setup-toolchain: another process holds the dpkg/apt lock; waiting for it (up to ${wait_max} s, MARINE_APT_LOCK_WAIT changes that)…" >&2
        sleep 5
        waited=$((waited + 5))
        continue
      fi
      echo "setup-toolchain: the dpkg/apt lock was still held after ${wait_max} s. When the other package manager has finished, run again: bash scripts/setup-toolchain.sh" >&2
      exit "$rc"
    fi
    echo "setup-toolchain: apt-get $* failed (exit $rc). Fix what it says above, then run again: bash scripts/setup-toolchain.sh" >&2
    exit "$rc"
  done
}

is_debian_root() { [ "${MARINE_SETUP_NO_INSTALL:-0}" != 1 ] && [ -f /etc/debian_version ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }

found=$(find_toolchain || true)
if [ -z "$found" ]; then
  if is_debian_root; then
    echo "setup-toolchain: no Rust toolchain with a wasm32-wasi target; installing Debian packages: $debian_packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt_get update -qq
    # shellcheck disable=SC2086
    apt_get install -y -qq $debian_packages
    found=$(find_toolchain || true)
  fi
fi
if [ -z "$found" ]; then
  cat >&2 <<EOF
setup-toolchain: no Rust toolchain that can build wasm32-wasi was found.
Install one of:
  - rustup (https://rustup.rs) and then: rustup target add wasm32-wasip1
  - on Debian/Ubuntu (as root): apt-get install $debian_packages
then run: bash scripts/setup-toolchain.sh
EOF
  exit 1
fi

IFS='|' read -r rustc cargo target <<<"$found"

# Decide where crates come from.
crates=crates-io
if [ "$rustc" = /usr/bin/rustc ]; then
  crates=debian
elif [ "${MARINE_OFFLINE:-0}" = 1 ]; then
  crates=debian
elif command -v curl >/dev/null; then
  curl -sS -m 4 -o /dev/null https://index.crates.io/config.json 2>/dev/null || crates=debian
else
  crates=debian
fi
if [ "$crates" = debian ]; then
  for c in syn quote proc-macro2 log; do
    if ! compgen -G "$debian_registry/$c-[0-9]*" >/dev/null; then
      if is_debian_root; then
        export DEBIAN_FRONTEND=noninteractive
        apt_get update -qq
        # shellcheck disable=SC2086
        apt_get install -y -qq $debian_crate_packages
      else
        echo "setup-toolchain: crates.io is unreachable and $debian_registry lacks '$c'; install: $debian_crate_packages" >&2
        exit 1
      fi
    fi
  done
fi

mkdir -p "$out_dir"
cargo_args=""
if [ "$crates" = debian ]; then
  new_config=$(printf '%s\n' \
    '# Generated by scripts/setup-toolchain.sh: crates come from Debian packages, offline.' \
    '[source.crates-io]' \
    'replace-with = "debian-registry"' \
    '' \
    '[source.debian-registry]' \
    "directory = \"$debian_registry\"" \
    '' \
    '[net]' \
    'offline = true')
  if [ ! -f "$cargo_config" ] || [ "$(cat "$cargo_config")" != "$new_config" ]; then
    printf '%s\n' "$new_config" >"$cargo_config"
  fi
  cargo_args="--config $cargo_config --offline"
fi

new_env=$(printf '%s\n' \
  '# Generated by scripts/setup-toolchain.sh; delete it to make `marine build` decide again.' \
  "RUSTC=$rustc" \
  "CARGO=$cargo" \
  "TARGET=$target" \
  "CRATES=$crates" \
  "CARGO_CONFIG=$([ "$crates" = debian ] && echo "$cargo_config")" \
  "CARGO_ARGS=$cargo_args")
if [ ! -f "$env_file" ] || [ "$(cat "$env_file")" != "$new_env" ]; then
  printf '%s\n' "$new_env" >"$env_file"
  echo "setup-toolchain: using $rustc ($("$rustc" --version)) for $target, crates from $crates; wrote $env_file" >&2
else
  say "unchanged: $env_file"
fi
