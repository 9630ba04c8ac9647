#!/usr/bin/env bash
# Throughput of `bitext segment` with SRX rules next to the built-in rules: MB of input
# per CPU-second (user+sys), on UD dev text repeated to >= MIN_MB (default 20) for
# English and Polish (LanguageTool's Polish rules have ~1,000 exceptions), and the time
# to load each rule file (segmenting empty input). Usage: bench/srx_speed.sh [MIN_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
min_mb=${1:-20}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for lang in en pl; do
  python3 - "$tmp/$lang.txt" "$lang" "$min_mb" <<'PY'
import json, glob, sys
out, lang, min_mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
text = "\n\n".join(json.loads(l)["text"] for f in sorted(glob.glob("../shared/data/segment/ud/*.jsonl"))
                   for l in open(f, encoding="utf-8") if json.loads(l)["lang"] == lang)
with open(out, "w", encoding="utf-8") as f:
    written = 0
    while written < min_mb * 1_000_000:
        f.write(text); f.write("\n\n"); written += len(text.encode()) + 2
PY
done
cpu() { /usr/bin/time -f "%U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'; }
printf "%-34s %10s %10s %10s\n" "rules" "load s" "en MB/s" "pl MB/s"
for rules in builtin languagetool_segment omegat_defaultRules okapi_defaultSegmentation; do
  if [ "$rules" = builtin ]; then args=(); else args=(--srx "../shared/data/srx/$rules.srx"); fi
  load=$(cpu ./target/release/bitext segment --lang en "${args[@]}" /dev/null)
  row="$(printf "%-34s %10.2f" "$rules" "$load")"
  for lang in en pl; do
    secs=$(cpu ./target/release/bitext segment --lang "$lang" "${args[@]}" "$tmp/$lang.txt")
    mb=$(python3 -c "import os; print(os.path.getsize('$tmp/$lang.txt') / 1e6)")
    row="$row $(python3 -c "print('%10.1f' % ($mb / max($secs - $load, 1e-3)))")"
  done
  echo "$row"
done
