#!/usr/bin/env bash
# Streaming benchmark of the exchange formats: builds a large TMX from the shared en-ru
# corpus (43,793 pairs repeated COPIES times, default 20 = 875,860 units), then times
# `bitext convert` TMX -> JSON Lines, JSON Lines -> TMX, and TMX -> TSV, printing units/s,
# MB/s and the peak resident memory of each run (constant memory = streaming).
# Usage: bench/formats_stream.sh [COPIES]   (needs /usr/bin/time; writes under $TMPDIR)
# BITEXT_BIN=path: time that binary (another build, for an A/B) instead of this tree's.
set -euo pipefail
cd "$(dirname "$0")/.."
copies="${1:-20}"
if [ -n "${BITEXT_BIN:-}" ]; then
  bin="$BITEXT_BIN"
else
  cargo build --release --quiet
  bin="$PWD/target/release/bitext"
fi
corpus="../shared/data/corpus/en_ru.tsv"
work="$(mktemp -d "${TMPDIR:-/tmp}/bitext-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

"$bin" --quiet convert "$corpus" "$work/one.tmx" --src-lang en --tgt-lang ru
# Repeat the body: header, COPIES x units, footer.
{
  sed -n '1,/<body>/p' "$work/one.tmx"
  body="$(sed -n '/<body>/,/<\/body>/{/<body>/d;/<\/body>/d;p}' "$work/one.tmx")"
  for _ in $(seq "$copies"); do printf '%s\n' "$body"; done
  printf '  </body>\n</tmx>\n'
} > "$work/big.tmx"
units=$((43793 * copies))

run() {
  local name="$1"; shift
  local size_in; size_in=$(stat -c %s "$1")
  /usr/bin/time -f '%e %M' -o "$work/time" "$bin" --quiet convert "$@"
  read -r secs kb < "$work/time"
  awk -v n="$name" -v u="$units" -v s="$secs" -v b="$size_in" -v k="$kb" 'BEGIN {
    printf "%-14s %9d units %8.1f MB in %6.2f s: %9.0f units/s %6.1f MB/s, peak RSS %6.1f MB\n",
      n, u, b / 1e6, s, u / s, b / 1e6 / s, k / 1024 }'
}

run "tmx -> jsonl" "$work/big.tmx" "$work/big.jsonl"
run "jsonl -> tmx" "$work/big.jsonl" "$work/again.tmx"
run "tmx -> tsv" "$work/big.tmx" "$work/big.tsv"
run "tsv -> tmx" "$work/big.tsv" "$work/from-tsv.tmx"
cmp -s "$work/big.tmx" "$work/again.tmx" && echo "jsonl -> tmx reproduces the TMX byte for byte" \
  || echo "jsonl -> tmx differs from the TMX (expected only if the header differs)"
