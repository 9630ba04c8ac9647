#!/usr/bin/env bash
# Segmentation throughput (MB per CPU-second) of bitext, the plain UAX #29 iterator and
# sentencex on all UD dev text and on English, >= 20 MB each; then the peak memory of
# `bitext segment` on a 1 GB file (streaming). Usage: bench/segment_speed.sh [MIN_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
cargo run --release --quiet --manifest-path bench/segment-speed/Cargo.toml -- ../shared/data/segment/ud "${1:-20}"
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
