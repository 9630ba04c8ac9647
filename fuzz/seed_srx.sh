#!/usr/bin/env bash
# Seeds fuzz/corpus/srx from the rule files in ../shared/data/srx (GPL/LGPL: they stay
# out of the repository, so the seeds are made at run time) and tests/data/srx: each
# whole file, and each of their patterns as a `P` input.
set -euo pipefail
cd "$(dirname "$0")"
out=corpus/srx
mkdir -p "$out"
for f in ../../shared/data/srx/*.srx ../tests/data/srx/*.srx ../tests/bad_inputs/srx-*.srx; do
    cp "$f" "$out/file-$(basename "$f")"
done
python3 - "$out" ../../shared/data/srx/*.srx ../tests/data/srx/*.srx <<'PY'
import hashlib, html, re, sys
out = sys.argv[1]
seen = set()
for path in sys.argv[2:]:
    text = open(path, encoding="utf-8").read()
    for m in re.finditer(r"<(beforebreak|afterbreak)>(.*?)</\1>|languagepattern=\"([^\"]*)\"", text, re.S):
        p = html.unescape(m.group(2) if m.group(2) is not None else m.group(3))
        if p and p not in seen:
            seen.add(p)
            name = hashlib.sha1(p.encode()).hexdigest()[:16]
            open(f"{out}/pattern-{name}", "wb").write(b"P" + p.encode())
print(f"{len(seen)} patterns")
PY
