#!/usr/bin/env bash
# Segmentation quality of bitext on all gold data in ../shared/data/segment, next to the
# peers measured on the same files (shared/data/segment/peer_scores_dev.tsv).
# Usage: bench/segment_eval.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
data=../shared/data/segment
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
./target/release/bitext eval segment -f json --by lang "$data/golden_rules.jsonl" > "$tmp/golden.json"
./target/release/bitext eval segment -f json --by lang "$data/golden_rules_extra.jsonl" > "$tmp/extra.json"
./target/release/bitext eval segment -f json --by file "$data"/ud/*.jsonl > "$tmp/ud.json"
./target/release/bitext eval segment -f json --by lang samples/segment_gold.jsonl > "$tmp/samples.json"
python3 - "$tmp" "$data/peer_scores_dev.tsv" <<'PY'
import csv, json, sys
tmp, peers_tsv = sys.argv[1], sys.argv[2]
load = lambda n: json.load(open(f"{tmp}/{n}.json"))
peers = {}
for row in csv.DictReader(open(peers_tsv, encoding="utf-8"), delimiter="\t"):
    peers.setdefault((row["gold_file"], row["group"]), []).append(row)
def best(gold, group, col):
    rows = [r for r in peers.get((gold, group), []) if r[col]]
    if not rows:
        return None
    r = max(rows, key=lambda r: float(r[col]))
    return float(r[col]), r["peer"]
def peer(gold, group, name, col):
    for r in peers.get((gold, group), []):
        if r["peer"] == name:
            return float(r[col])
print("| set | bitext exact % | bitext F1 | best peer exact % | pySBD exact % |")
print("|---|---|---|---|---|")
for name, gold in [("golden", "golden_rules"), ("extra", "golden_rules_extra")]:
    o = load(name)["overall"]
    b = best(gold, "ALL (micro)", "exact_pct")
    print(f"| {gold} | {o['exact']*100:.1f} | {o['f1']*100:.1f} | {b[0]:.1f} ({b[1]}) | {peer(gold, 'ALL (micro)', 'pysbd', 'exact_pct'):.1f} |")
g = load("golden")
en = [x for x in g["groups"] if x["group"] == "en"][0]
print(f"| golden_rules, English only | {en['exact']*100:.1f} | {en['f1']*100:.1f} | | |")
s = load("samples")["overall"]
print(f"| samples/ (seed article en, ru, zh) | {s['exact']*100:.1f} | {s['f1']*100:.1f} | | |")
print()
print("| UD dev treebank | bitext F1 | best peer F1 | pySBD F1 | bitext P / R |")
print("|---|---|---|---|---|")
ud = load("ud")
for grp in ud["groups"]:
    b = best("ud_dev", grp["group"], "boundary_F1")
    p = peer("ud_dev", grp["group"], "pysbd", "boundary_F1")
    mark = "" if grp["f1"] * 100 >= b[0] - 0.05 else " (below)"
    print(f"| {grp['group']} | {grp['f1']*100:.1f}{mark} | {b[0]:.1f} ({b[1]}) | {p:.1f} | {grp['precision']*100:.1f} / {grp['recall']*100:.1f} |")
o = ud["overall"]
b = best("ud_dev", "ALL (micro)", "boundary_F1")
print(f"| **all (micro)** | **{o['f1']*100:.1f}** | {b[0]:.1f} ({b[1]}) | {peer('ud_dev', 'ALL (micro)', 'pysbd', 'boundary_F1'):.1f} | {o['precision']*100:.1f} / {o['recall']*100:.1f} |")
PY
