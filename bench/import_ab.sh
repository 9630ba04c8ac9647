#!/usr/bin/env bash
# Interleaved import timing of two or more bitext binaries (for example the build of
# an older commit against the current one): each round imports TSV into a new memory
# once with each binary, so the shared machine's drift falls on all of them alike.
# Prints each binary's wall seconds and the medians of wall and CPU (user + system).
#
# Usage: bench/import_ab.sh ROUNDS TSV BIN...
#   e.g. git worktree add /tmp/old OLDCOMMIT && (cd /tmp/old && cargo build --release)
#        bench/import_ab.sh 5 /tmp/bitext-bench/m350k.tsv /tmp/old/target/release/bitext target/release/bitext
# TSV: an en<TAB>ru file such as memory_bench.py's m350k.tsv.
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,10p' "$0"; exit 2; }
rounds=$1; tsv=$2; shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$rounds"); do
  for bin in "$@"; do
    rm -f "$work"/tm.sqlite*
    /usr/bin/time -o "$work/time" -f "%e %U %S" \
      "$bin" import "$tsv" -s en -t ru --report jsonl --quiet --tm "$work/tm.sqlite" >/dev/null
    echo "$bin $(cat "$work/time")"
  done
done | python3 -c '
import sys, collections, statistics
runs = collections.defaultdict(list)
for line in sys.stdin:
    name, wall, user, system = line.split()
    runs[name].append((float(wall), float(user) + float(system)))
for name, r in runs.items():
    print(f"{name}: wall {[w for w, _ in r]} s, median wall {statistics.median(w for w, _ in r):.2f} s, "
          f"median cpu {statistics.median(c for _, c in r):.2f} s")
'
