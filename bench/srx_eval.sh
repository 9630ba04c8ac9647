#!/usr/bin/env bash
# Boundary F1 on the UD dev treebanks: the built-in rules next to the three real SRX
# files in ../shared/data/srx (LanguageTool, OmegaT, Okapi). Prints a Markdown table.
# Each column is one command, e.g. for LanguageTool:
#   bitext eval segment --by file --srx ../shared/data/srx/languagetool_segment.srx ../shared/data/segment/ud/*.jsonl
# Usage: bench/srx_eval.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
ud=(../shared/data/segment/ud/*.jsonl)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
./target/release/bitext eval segment -f json --by file "${ud[@]}" > "$tmp/builtin.json"
for rules in languagetool_segment omegat_defaultRules okapi_defaultSegmentation; do
  ./target/release/bitext --quiet eval segment -f json --by file \
    --srx "../shared/data/srx/$rules.srx" "${ud[@]}" > "$tmp/$rules.json"
done
python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
cols = [("built-in", "builtin"), ("LanguageTool", "languagetool_segment"),
        ("OmegaT", "omegat_defaultRules"), ("Okapi", "okapi_defaultSegmentation")]
reports = {key: json.load(open(f"{tmp}/{key}.json")) for _, key in cols}
print("| treebank | " + " | ".join(name for name, _ in cols) + " |")
print("|---|" + "---:|" * len(cols))
for g in reports["builtin"]["groups"]:
    row = []
    for _, key in cols:
        other = next(x for x in reports[key]["groups"] if x["group"] == g["group"])
        row.append(f"{other['f1'] * 100:.1f}")
    print(f"| {g['group']} | " + " | ".join(row) + " |")
print("| **all (micro)** | " + " | ".join(f"**{reports[k]['overall']['f1'] * 100:.1f}**" for _, k in cols) + " |")
print("| **macro** | " + " | ".join(f"**{reports[k]['macro_f1'] * 100:.1f}**" for _, k in cols) + " |")
PY
