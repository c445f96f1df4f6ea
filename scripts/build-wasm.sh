#!/usr/bin/env bash
# Build the wasm simulation into packages/evloop/wasm:
# cargo (wasm32) -> wasm-bindgen --target web -> wasm-opt (npm binaryen).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
export PATH="$root/.tools/bin:$PATH"

target_dir=${CARGO_TARGET_DIR:-target}
# A cdylib's file name has no hash, so clones sharing CARGO_TARGET_DIR (README, "Caching")
# would overwrite each other's evloop_wasm.wasm between their build and their wasm-bindgen:
# build it in a subdirectory of this clone's own (only the small dependencies are rebuilt).
clone_id=$(printf '%s' "$root" | cksum | cut -d' ' -f1)
wasm_target_dir="$target_dir/wasm-$clone_id"
out=packages/evloop/wasm
wasm="$wasm_target_dir/wasm32-unknown-unknown/release/evloop_wasm.wasm"

if ! command -v wasm-bindgen >/dev/null; then
  echo "build-wasm: wasm-bindgen not found; run: bash scripts/setup.sh" >&2
  exit 1
fi

cargo build -p evloop-wasm --target wasm32-unknown-unknown --release --target-dir "$wasm_target_dir"
# Cargo leaves the .wasm untouched when nothing changed: then so is the package's copy.
if [ -f "$out/evloop_wasm.js" ] && [ "$out/evloop_wasm_bg.wasm" -nt "$wasm" ]; then
  echo "build-wasm: $out is up to date"
  exit 0
fi
wasm-bindgen --target web --out-dir "$out" --out-name evloop_wasm "$wasm"

# rustc's default wasm32 features; wasm-opt rejects the module unless they are enabled.
"$root/node_modules/.bin/wasm-opt" -O3 \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$out/evloop_wasm_bg.wasm" -o "$out/evloop_wasm_bg.wasm"
echo "build-wasm: $out/evloop_wasm_bg.wasm ($(wc -c < "$out/evloop_wasm_bg.wasm") bytes)"
