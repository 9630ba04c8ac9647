#!/usr/bin/env bash
# Segmentation throughput (MB per CPU-second) of bitext, the plain UAX #29 iterator and
# sentencex on all UD dev text, on English, on each UD language and on the news
# sentences of the shared en-ru corpus (each side joined into paragraphs of 8), >= MIN_MB
# each (default 20); then the peak memory of `bitext segment` on a 1 GB file
# (streaming). Usage: bench/segment_speed.sh [MIN_MB]   (PER_LANGUAGE= leaves out the
# per-language rows)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
news=$(mktemp -d)
for side in 1:en 2:ru; do
  cut -f"${side%%:*}" ../shared/data/corpus/en_ru.tsv |
    awk '{printf "%s ", $0; if (NR % 8 == 0) print ""}' >"$news/news.${side##*:}.txt"
done
PER_LANGUAGE=${PER_LANGUAGE-1} TEXT="en:$news/news.en.txt,ru:$news/news.ru.txt" \
  cargo run --release --quiet --manifest-path bench/segment-speed/Cargo.toml -- ../shared/data/segment/ud "${1:-20}"
rm -rf "$news"
if [ "${SKIP_1GB:-}" = "" ]; then
  big=$(mktemp --suffix=.txt)
  trap 'rm -f "$big"' EXIT
  python3 - "$big" <<'PY'
import json, glob, sys
text = "\n\n".join(json.loads(l)["text"] for f in sorted(glob.glob("../shared/data/segment/ud/UD_English-*.jsonl")) for l in open(f))
with open(sys.argv[1], "w") as out:
    written = 0
    while written < 1_000_000_000:
        out.write(text); out.write("\n\n"); written += len(text.encode()) + 2
PY
  echo "1 GB file: $(du -h "$big" | cut -f1)"
  /usr/bin/time -f "bitext segment 1 GB: %e s wall, %M KB peak RSS" ./target/release/bitext segment --lang en "$big" > /dev/null
fi
