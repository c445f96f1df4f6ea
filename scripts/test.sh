#!/usr/bin/env bash
# Build the addon and the wasm (quick when cached), run every suite, and close with one line
# "N passed, M failed". Every suite runs even after a failure, so the summary is complete.
# A failed build or typecheck, or a suite that crashes, counts as one failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

# The clone's own target/ unless the caller shares one (README, "Caching").
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export PATH="$root/.tools/bin:$PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
summary=()
t0=$SECONDS

# record NAME PASSED FAILED SECONDS
record() {
  passed=$((passed + $2))
  failed=$((failed + $3))
  summary+=("$(printf '  %-14s %4d passed, %d failed  (%ss)' "$1" "$2" "$3" "$4")")
}

# run_step NAME CMD...: a step with no test count; its failure counts as one.
run_step() {
  local name=$1 start=$SECONDS; shift
  echo "==> $name"
  if "$@"; then record "$name" 0 0 $((SECONDS - start))
  else echo "!!! $name failed" >&2; record "$name" 0 1 $((SECONDS - start)); fi
}

run_step build:native pnpm run --silent build:native
run_step build:wasm pnpm run --silent build:wasm
run_step build:ts pnpm run --silent build:ts

echo "==> cargo test --workspace"
start=$SECONDS
set +e
cargo test --workspace --no-fail-fast --color never 2>&1 | tee "$tmp/cargo.txt"
rc=${PIPESTATUS[0]}
set -e
read -r cp cf < <(awk '/^test result:/ {
    for (i = 1; i < NF; i++) {
      if ($(i + 1) ~ /^passed/) p += $i
      if ($(i + 1) ~ /^failed/) f += $i
    }
  } END { print p + 0, f + 0 }' "$tmp/cargo.txt")
# A build error prints no result line: count it.
if [ "$rc" -ne 0 ] && [ "$cf" -eq 0 ]; then cf=1; echo "!!! cargo test exited $rc" >&2; fi
record "cargo test" "$cp" "$cf" $((SECONDS - start))

run_step typecheck pnpm run --silent typecheck

# vitest: one run per project, so a crash in one does not hide the other's results.
for project in node browser; do
  echo "==> vitest --project $project"
  start=$SECONDS
  json="$tmp/vitest-$project.json"
  set +e
  pnpm exec vitest run --project "$project" --reporter=default --reporter=json --outputFile="$json"
  rc=$?
  set -e
  read -r vp vf < <(node -e '
    const fs = require("node:fs");
    const [file, rc] = [process.argv[1], Number(process.argv[2])];
    let p = 0, f = 0;
    try {
      const r = JSON.parse(fs.readFileSync(file, "utf8"));
      p = r.numPassedTests;
      // a test file that fails to load has no failed test, only a failed suite
      f = r.numFailedTests + (r.numFailedTests === 0 ? r.numFailedTestSuites : 0);
    } catch { /* no report: vitest crashed */ }
    if (rc !== 0 && f === 0) f = 1;
    console.log(p, f);
  ' "$json" "$rc")
  record "vitest $project" "$vp" "$vf" $((SECONDS - start))
done

echo
echo "==> summary ($((SECONDS - t0))s, CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
