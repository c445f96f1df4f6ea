#!/usr/bin/env bash
# Install everything a fresh Debian 12 machine (root, Node 20, rustup stable) needs to build
# and test evloop, then build the addon and the wasm. Idempotent: a second run takes seconds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

PNPM_VERSION=10.34.9
# Outside the clone, so fresh clones reuse it (see README, "Caching").
TOOLS_CACHE=${EVLOOP_TOOLS_CACHE:-$HOME/.cache/evloop-tools}
# The clone's own target/ unless the caller shares one (.ci/run does): a shared
# directory once handed one checkout another's stale rlib.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export PATH="$root/.tools/bin:$PATH"

t0=$SECONDS
step() { echo "==> $* (+$((SECONDS - t0))s)"; }

for tool in node npm cargo rustup; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' not found; install Node >= 20.19 and rustup stable first" >&2; exit 1; }
done

step "system packages"
need=()
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null; then need+=(chromium); fi
command -v cc >/dev/null || need+=(gcc libc6-dev)
# ring (TLS) compiles its C for wasm32 with clang; gcc cannot target wasm32.
command -v clang >/dev/null || need+=(clang)
# The TLS tests make certificates and talk to openssl s_server/s_client and curl.
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl ca-certificates)
if [ ${#need[@]} -gt 0 ]; then
  echo "    installing: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "    all present"
fi

step "rust target wasm32-unknown-unknown"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

# Only for `pnpm stress` (EVLOOP_STRESS=1): a nightly toolchain with Miri and the standard
# library's source, for Miri on the core's pure parts and AddressSanitizer on the Rust suites.
# The suites and the README's commands stay on stable.
if [ -n "${EVLOOP_STRESS:-}" ]; then
  step "nightly toolchain with miri and rust-src (EVLOOP_STRESS)"
  if rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^miri' \
    && rustup component list --toolchain nightly --installed 2>/dev/null | grep -q '^rust-src'; then
    echo "    present: $(rustup run nightly rustc --version)"
  else
    rustup toolchain install nightly --profile minimal --component miri,rust-src
  fi
fi

step "wasm-bindgen CLI"
[ -f Cargo.lock ] || cargo generate-lockfile
# The CLI must equal the wasm-bindgen crate in Cargo.lock.
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
[ -n "$WB_VERSION" ] || { echo "setup: no wasm-bindgen in Cargo.lock" >&2; exit 1; }
wb_root="$TOOLS_CACHE/wasm-bindgen-$WB_VERSION"
wb="$wb_root/bin/wasm-bindgen"
if [ -x "$wb" ] && [ "$("$wb" --version 2>/dev/null)" = "wasm-bindgen $WB_VERSION" ]; then
  echo "    cached: $("$wb" --version)"
else
  echo "    cargo install wasm-bindgen-cli $WB_VERSION (a few minutes, once per machine)"
  # No --locked: the CLI's own lockfile pins a webpki-roots release the registry index lacks.
  # Its own target dir, not the shared one: it is built once and only the binary is kept.
  env -u CARGO_TARGET_DIR cargo install --quiet wasm-bindgen-cli --version "=$WB_VERSION" --root "$wb_root"
fi
mkdir -p .tools/bin
ln -sfn "$wb" .tools/bin/wasm-bindgen

step "pnpm $PNPM_VERSION"
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  npm install -g --silent "pnpm@$PNPM_VERSION"
  hash -r
fi
echo "    pnpm $(pnpm --version)"

step "pnpm install"
pnpm install --frozen-lockfile

step "cargo fetch"
cargo fetch --quiet

step "build the Node addon"
pnpm run --silent build:native

step "build the wasm simulation"
pnpm run --silent build:wasm

step "build the TypeScript package"
pnpm run --silent build:ts
# The package's bin (evloop-sim) is a file of the build: link it now that it exists.
pnpm install --frozen-lockfile --offline >/dev/null

step "setup done in $((SECONDS - t0))s"
