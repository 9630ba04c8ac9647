#!/usr/bin/env bash
# Speed and memory of `bitext align` on long document pairs (one thread).
#
# Builds long pairs from the transread-dev documents (bench/align_long.py: English
# -> French/Spanish/Greek literary text, concatenated until both sides have at
# least N sentences) and aligns them with --threads 1, reporting for each size the
# best of RUNS runs: wall and user time, peak memory (/usr/bin/time -v), how the
# time splits between reading, lexicon (tokens + surface links), first pass,
# Model 1 and second pass, and the strict F1 against the concatenated gold. The
# last lines align the largest pair from running text (paragraphs of 8 beads)
# to add sentence splitting (no F1: the sentences are split anew), and the long
# unevenly split pairs of the stress sets (bench/align_stress.py: 31k x 42k en-ru,
# 32k x 33k en-zh) and, when Debian's SWORD Bibles are installed, the Bible
# English verses x Spanish clauses (31k x 42k, bench/align_bible.py).
#
# With BASE=another/bitext, each run of BIN is followed by one of BASE (interleaved,
# so that both see the same load on a shared machine), the table gets BASE's wall
# time and memory as "before" columns, and a row whose beads differ between the two
# builds is marked.
#
# Usage: bench/align_speed.sh [SIZES...]   (default: 5000 10000 20000 50000)
#        RUNS=3 WORK=/tmp/bitext-align-speed bench/align_speed.sh
#        BASE=/tmp/bitext-before bench/align_speed.sh 50000
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-5000 10000 20000 50000}")
SIZES=(${SIZES[*]})
RUNS=${RUNS:-3}
WORK=${WORK:-${TMPDIR:-/tmp}/bitext-align-speed}
BIN=${BIN:-target/release/bitext}
BASE=${BASE:-}
SCORER=../shared/bench/align_score.py

[ -n "${BIN_GIVEN:-}" ] || cargo build --release --quiet
mkdir -p "$WORK"
python3 bench/align_long.py "$WORK" "${SIZES[@]}" --raw 2>/dev/null

# once BIN OUT ARGS... : one timed run; sets wall, user, rss (MB) and err (stderr file)
once() {
    local bin=$1 out=$2
    shift 2
    err="$out.err"
    /usr/bin/time -v "$bin" align "$@" --threads 1 -v -f beads -o "$out" 2>"$err" >/dev/null
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); if (length(t) == 3) print t[1]*3600 + t[2]*60 + t[3]; else print t[1]*60 + t[2]}' "$err")
    user=$(awk -F': ' '/User time/ {print $2}' "$err")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$err")
}

# run LABEL GOLD ARGS... : best of $RUNS (of BIN, and of BASE interleaved), one table row
run() {
    local label=$1 gold=$2
    shift 2
    local best="" best_wall=999999 base_wall=999999 base_rss="" same=""
    for _ in $(seq "$RUNS"); do
        once "$BIN" "$WORK/hyp.beads" "$@"
        if awk "BEGIN {exit !($wall < $best_wall)}"; then
            best_wall=$wall
            split=$(grep '^bitext:' "$err" | head -1 | sed 's/.*DP cells; //')
            if [ "$gold" = - ]; then
                f1="–"
            else
                f1=$(python3 "$SCORER" -g "$gold" -t "$WORK/hyp.beads" --json |
                    python3 -c 'import json,sys; print("%.4f" % json.load(sys.stdin)["f1_strict"])')
            fi
            best="$wall|$user|$rss|$f1|$split"
        fi
        if [ -n "$BASE" ]; then
            once "$BASE" "$WORK/base.beads" "$@"
            if awk "BEGIN {exit !($wall < $base_wall)}"; then
                base_wall=$wall
                base_rss=$rss
            fi
            cmp -s "$WORK/hyp.beads" "$WORK/base.beads" && same=${same:-same} || same="beads differ"
        fi
    done
    IFS='|' read -r wall user rss f1 split <<<"$best"
    if [ -n "$BASE" ]; then
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$label" "$base_wall" "$base_rss" \
            "$wall" "$user" "$rss" "$f1" "$same" "$split"
    else
        printf "| %s | %s | %s | %s | %s | %s |\n" "$label" "$wall" "$user" "$rss" "$f1" "$split"
    fi
}

if [ -n "$BASE" ]; then
    echo "| pair (sentences) | before: wall s | peak MB | now: wall s | user s | peak MB | strict F1 | beads | time split now |"
    echo "|---|---|---|---|---|---|---|---|---|"
else
    echo "| pair (sentences) | wall s | user s | peak MB | strict F1 | time split |"
    echo "|---|---|---|---|---|---|"
fi
for n in "${SIZES[@]}"; do
    base="$WORK/long-$n"
    ns=$(wc -l <"$base.src")
    nt=$(wc -l <"$base.tgt")
    run "$ns × $nt" "$base.gold" "$base.src" "$base.tgt" --segmented
done
n=${SIZES[-1]}
base="$WORK/long-$n"
run "running text, $n+ (en → fr/es/el)" - "$base.raw.src" "$base.raw.tgt" \
    --src-lang en --tgt-lang fr
python3 bench/align_stress.py "$WORK/stress" 2>/dev/null
for set in long-en-ru-split long-en-zh-split; do
    base="$WORK/stress/$set"
    run "$set, $(wc -l <"$base.src") × $(wc -l <"$base.tgt")" "$base.gold" "$base.src" "$base.tgt" --segmented
done
if python3 bench/align_bible.py "$WORK/bible" --sizes all 2>/dev/null; then
    base="$WORK/bible/bible-en-es-all-clauses"
    run "Bible en verses × es clauses, $(wc -l <"$base.src") × $(wc -l <"$base.tgt")" "$base.gold" \
        "$base.src" "$base.tgt" --segmented
fi
