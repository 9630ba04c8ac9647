#!/usr/bin/env bash
# Refreshes the saved corpus (fuzz/saved/TARGET/) that tests/fuzz_replay.rs replays in CI:
# a coverage-minimised sample (libFuzzer -merge=1) of the campaign corpus in
# fuzz/corpus/TARGET/, at most 200 inputs of at most 4 KB per target, plus the inputs in
# fuzz/saved/TARGET/ already (earlier failures stay). Run after fuzz/run.sh.
# Usage: fuzz/save.sh [TARGET…]
set -euo pipefail
cd "$(dirname "$0")"
export RUSTC_BOOTSTRAP=1
targets=("$@")
. ./targets.sh
[ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(all_targets)
for target in "${targets[@]}"; do
  [ -d "corpus/$target" ] || { echo "$target: no corpus/$target (run fuzz/run.sh first)"; continue; }
  cargo fuzz build "$target" >/dev/null 2>&1
  bin=$(ls target/*/release/"$target" | head -1)
  merged=$(mktemp -d)
  "$bin" -merge=1 -max_len=4096 -timeout=10 -rss_limit_mb=2048 "$merged" "corpus/$target" >/dev/null 2>&1
  mkdir -p "saved/$target"
  find "$merged" -type f -size -4k | sort | awk -v n="$(find "$merged" -type f -size -4k | wc -l)" \
    'BEGIN { step = n > 200 ? n / 200 : 1 } NR % step < 1 || step == 1 { print }' \
    | head -200 | while read -r f; do cp "$f" "saved/$target/"; done
  rm -rf "$merged"
  echo "$target: $(ls "saved/$target" | wc -l) saved inputs, $(du -sh "saved/$target" | cut -f1)"
done
