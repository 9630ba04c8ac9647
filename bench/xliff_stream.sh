#!/usr/bin/env bash
# Streaming benchmark of `bitext pretranslate file.xlf`: builds XLIFF 1.2 files from the
# shared en-ru corpus (one <trans-unit> per pair, empty targets) and prints the time and
# peak resident memory of pre-translating them:
#  - "big": the corpus repeated COPIES times (default 37, about 300 MB) against an empty
#    memory: every unit read, analysed and written back (the output is compared with
#    the input: byte for byte) -- peak RSS stays flat whatever the file size;
#  - "big windows-1252": the same file in windows-1252 (characters it lacks become
#    character references): streamed too, decoded as it is copied;
#  - "lookups": the first LOOKUPS pairs (default 5000) against a memory of the whole
#    corpus: every segment looked up and filled (100 % matches), candidates written.
# Usage: bench/xliff_stream.sh [COPIES] [LOOKUPS]   (needs /usr/bin/time; uses $TMPDIR)
set -euo pipefail
cd "$(dirname "$0")/.."
copies="${1:-37}"
lookups="${2:-5000}"
cargo build --release --quiet
bin="$PWD/target/release/bitext"
corpus="../shared/data/corpus/en_ru.tsv"
work="$(mktemp -d "${TMPDIR:-/tmp}/bitext-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# units.xml: the corpus's English side as trans-units (ids made unique per copy below).
awk -F'\t' '{
  s = $1; gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s)
  printf "      <trans-unit id=\"u%d\">\n        <source>%s</source>\n        <target/>\n      </trans-unit>\n", NR, s
}' "$corpus" > "$work/units.xml"
head_xml='<?xml version="1.0" encoding="UTF-8"?>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
  <file source-language="en" target-language="ru" datatype="plaintext" original="corpus.txt">
    <body>'
tail_xml='    </body>
  </file>
</xliff>'
{
  printf '%s\n' "$head_xml"
  for c in $(seq "$copies"); do sed "s/id=\"u/id=\"c$c-u/" "$work/units.xml"; done
  printf '%s\n' "$tail_xml"
} > "$work/big.xlf"
{
  printf '%s\n' "$head_xml"
  head -n $((lookups * 4)) "$work/units.xml"
  printf '%s\n' "$tail_xml"
} > "$work/small.xlf"

printf '<?xml version="1.0"?>\n<tmx version="1.4"><header creationtool="b" creationtoolversion="1" segtype="sentence" o-tmf="b" adminlang="en" srclang="en" datatype="plaintext"/><body/></tmx>\n' > "$work/empty.tmx"
BITEXT_TM="$work/empty.sqlite" "$bin" --quiet import "$work/empty.tmx"
BITEXT_TM="$work/full.sqlite" "$bin" --quiet import "$corpus" --src-lang en --tgt-lang ru

run() {
  local name="$1" tm="$2" file="$3" segments="$4"
  local size_in; size_in=$(stat -c %s "$file")
  BITEXT_TM="$tm" /usr/bin/time -f '%e %M' -o "$work/time" \
    "$bin" --quiet pretranslate "$file" -o "$work/out.xlf"
  read -r secs kb < "$work/time"
  awk -v n="$name" -v u="$segments" -v s="$secs" -v b="$size_in" -v k="$kb" 'BEGIN {
    printf "%-18s %9d segments %8.1f MB in %7.2f s: %9.0f segments/s %6.1f MB/s, peak RSS %6.1f MB\n",
      n, u, b / 1e6, s, u / s, b / 1e6 / s, k / 1024 }'
}

run "xliff big (no tm)" "$work/empty.sqlite" "$work/big.xlf" $((43793 * copies))
cmp -s "$work/big.xlf" "$work/out.xlf" && echo "  output identical to the input" \
  || { echo "  output DIFFERS from the input"; exit 1; }
# The same file in windows-1252 (references for what the encoding lacks).
python3 - "$work/big.xlf" "$work/big-1252.xlf" <<'PY'
import sys
text = open(sys.argv[1], encoding="utf-8").read().replace('encoding="UTF-8"', 'encoding="windows-1252"', 1)
open(sys.argv[2], "wb").write(text.encode("cp1252", errors="xmlcharrefreplace"))
PY
run "xliff big 1252" "$work/empty.sqlite" "$work/big-1252.xlf" $((43793 * copies))
cmp -s "$work/big-1252.xlf" "$work/out.xlf" && echo "  output identical to the input" \
  || { echo "  output DIFFERS from the input"; exit 1; }
run "xliff lookups" "$work/full.sqlite" "$work/small.xlf" "$lookups"
echo "  $(grep -c 'state="translated"' "$work/out.xlf") targets filled"
