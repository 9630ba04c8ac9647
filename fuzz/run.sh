#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 300) each, seeded from ../shared/data/tmx,
# the CSV/TSV corpus and tests/bad_inputs (seeds are copied at run time, never
# committed: some shared data is non-commercial). Prints executions and crashes per
# target; crashes land in fuzz/artifacts/TARGET/.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); a stable toolchain works with
# RUSTC_BOOTSTRAP=1. Usage: fuzz/run.sh [SECONDS] [TARGET…]; SECONDS=0 only replays the
# seeds and the saved corpus once (what CI can afford).
set -uo pipefail
cd "$(dirname "$0")"
seconds="${1:-300}"
shift || true
targets=("$@")
. ./targets.sh
[ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(all_targets)
export RUSTC_BOOTSTRAP=1
shared=../../shared/data

seed() {
  local target="$1" dir="corpus/$1"
  mkdir -p "$dir"
  case "$target" in
    tmx_reader)
      # The small real files (the big ones only slow each run down).
      find "$shared"/tmx -name '*.tmx' -size -64k -exec cp {} "$dir"/ \;
      cp ../tests/bad_inputs/*.tmx ../tests/bad_inputs/*.xlf "$dir"/ ;;
    tmx_inline)
      # Segment contents of the real files, one file each.
      python3 - "$shared/tmx" "$dir" <<'PY'
import sys, glob, re, hashlib, os
src, out = sys.argv[1], sys.argv[2]
for f in glob.glob(src + '/*.tmx'):
    data = open(f, 'rb').read()
    text = data.decode('utf-16') if data[:2] in (b'\xff\xfe', b'\xfe\xff') else data.decode('utf-8-sig')
    for seg in re.findall(r'<seg>(.*?)</seg>', text, re.S)[:40]:
        if '<' in seg:
            name = hashlib.sha1(seg.encode()).hexdigest()
            open(os.path.join(out, name), 'w').write(seg)
PY
      ;;
    csv_reader)
      head -c 4000 "$shared"/corpus/en_ru.tsv | sed 's/^/\x01/;1!s/^\x01//' > "$dir/aligner.tsv"
      for f in ../tests/bad_inputs/*.csv; do { printf '\0'; cat "$f"; } > "$dir/$(basename "$f")"; done
      printf '\0en-US,ru-RU,note,created,score\n"a, ""b""",c,n,20200101T000000Z,0.5\n' > "$dir/header.csv" ;;
    segment)
      # Gold texts of every script, one file each, a language selector byte first.
      python3 - "$shared/segment" "$dir" <<'PY'
import sys, json, glob, hashlib, os
src, out = sys.argv[1], sys.argv[2]
for k, f in enumerate(sorted(glob.glob(src + '/golden_rules*.jsonl'))):
    for n, line in enumerate(open(f, encoding='utf-8')):
        data = bytes([n % 27]) + json.loads(line)['text'].encode()
        open(os.path.join(out, hashlib.sha1(data).hexdigest()), 'wb').write(data)
PY
      ;;
    srx)
      [ -d corpus/srx ] && [ "$(ls corpus/srx | wc -l)" -gt 0 ] || ./seed_srx.sh ;;
    scorer)
      # Pairs of related sentences (a query and a stored source) from the en-ru corpus
      # and the segmenter's gold texts: 0xFF between them.
      python3 - "$shared" "$dir" <<'PY'
import sys, hashlib, os, random, glob, json
src, out = sys.argv[1], sys.argv[2]
random.seed(6)
lines = open(src + '/corpus/en_ru.tsv', encoding='utf-8').read().splitlines()[:400]
texts = [l.split('\t')[0] for l in lines] + [l.split('\t')[1] for l in lines if '\t' in l]
for f in sorted(glob.glob(src + '/segment/golden_rules*.jsonl'))[:8]:
    texts += [json.loads(l)['text'][:300] for l in open(f, encoding='utf-8')][:20]
for k, a in enumerate(texts):
    words = a.split()
    if len(words) > 2:
        words[random.randrange(len(words))] = random.choice(['the', 'Page 3', '“x”', '42', 'İ'])
    b = ' '.join(words)
    data = a.encode() + b'\xff' + b.encode()
    if k % 5 == 0:
        data += b'\xff<bpt i="1">&lt;b&gt;</bpt>x<ept i="1"/>\xff<ph/>'
    open(os.path.join(out, hashlib.sha1(data).hexdigest()), 'wb').write(data)
PY
      ;;
    memory_ops)
      # Small memories of related pairs and queries: threshold byte, flags byte, lines.
      python3 - "$shared" "$dir" <<'PY'
import sys, hashlib, os, random
src, out = sys.argv[1], sys.argv[2]
random.seed(6)
lines = [l for l in open(src + '/corpus/en_ru.tsv', encoding='utf-8').read().splitlines() if l.count('\t') >= 1][:600]
for k in range(120):
    pick = random.sample(lines, 6)
    units = ['\t'.join(l.split('\t')[:2]) for l in pick]
    queries = []
    for l in pick[:3]:
        w = l.split('\t')[0].split()
        if w:
            w[random.randrange(len(w))] = random.choice(['a', 'The', '1', 'İstanbul', 'STRAẞE'])
        queries.append(' '.join(w))
    queries.append(random.choice(w) if w else 'x')
    body = '\n'.join(units + queries).encode()
    data = bytes([random.choice([49, 69, 94, 99, 100]), k % 8]) + body
    open(os.path.join(out, hashlib.sha1(data).hexdigest()), 'wb').write(data)
PY
      ;;
    align)
      # Stretches of the sample article and its translations (one sentence a line,
      # blank lines as paragraph marks), a control byte first, 0xFF between the sides.
      python3 - ../samples "$dir" <<'PY'
import sys, hashlib, os, random
src, out = sys.argv[1], sys.argv[2]
random.seed(6)
def sents(name):
    text = open(os.path.join(src, name), encoding='utf-8').read()
    return [l if l.strip() else '\x01' for l in text.split('\n')]
en = sents('en.sent')
for other in ('ru.sent', 'zh.sent'):
    tgt = sents(other)
    for k in range(40):
        a = random.randrange(len(en)); n = random.randint(0, 30)
        b = max(0, min(len(tgt) - 1, a + random.randint(-3, 3))); m = random.randint(0, 30)
        data = bytes([random.randrange(64)]) + '\n'.join(en[a:a + n]).encode() + b'\xff' \
            + '\n'.join(tgt[b:b + m]).encode()
        open(os.path.join(out, hashlib.sha1(data).hexdigest()), 'wb').write(data)
PY
      ;;
    jsonl_reader)
      cp ../tests/bad_inputs/*.jsonl "$dir"/
      cp ../tests/data/formats/metadata.jsonl "$dir"/ ;;
  esac
}

for target in "${targets[@]}"; do
  seed "$target"
  log="$(mktemp)"
  case "$target" in tmx_reader) max_len=16384 ;; *) max_len=4096 ;; esac
  if [ "$seconds" = 0 ]; then limit=(-runs=0); else limit=(-max_total_time="$seconds"); fi
  cargo fuzz run "$target" "corpus/$target" -- "${limit[@]}" -rss_limit_mb=2048 \
    -max_len="$max_len" -timeout=10 -print_final_stats=1 >"$log" 2>&1
  status=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  elapsed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  [ -z "$execs" ] && execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
  crashes=$(ls "artifacts/$target" 2>/dev/null | wc -l)
  echo "$target: ${seconds}s, ${execs:-?} executions (${elapsed:-?}/s), exit $status, ${crashes} artifacts"
  [ "$status" -ne 0 ] && tail -40 "$log"
  rm -f "$log"
done
