#!/usr/bin/env python3
"""Synthetic alignment test documents from real translation pairs.

Language pairs we have no gold-aligned documents for (en-ru, en-zh) are checked on
documents built from real sentence pairs: consecutive pairs become a document, some
neighbours are merged on one side (2-1 and 1-2 beads: the translations are joined,
so the merge is clean), some sentences lose their translation (1-0 and 0-1 beads).
The gold alignment is known by construction. These documents are easier than real
ones at merge points and harder elsewhere (the en-ru corpus is shuffled, so
neighbouring sentences are unrelated); they test that nothing is tuned to the
European dev sets, they are not a replacement for real gold.

Sources (read from ../shared, nothing is copied into the repository):
  en-ru: shared/data/corpus/en_ru.tsv (source<TAB>target)
  en-zh: shared/data/tmx/omegat36_gms1_en-US_zh-CN_v11.tmx (inline tags removed)

Usage: align_synth.py OUT_DIR [--docs N] [--sents N] [--seed S]
Writes OUT_DIR/{en-ru,en-zh}-K.{src,tgt,gold} and OUT_DIR/synth_sets.tsv, a listing
for `bitext eval align --sets`.
"""

import argparse
import html
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data"))


def en_ru_pairs():
    pairs = []
    with open(os.path.join(SHARED, "corpus", "en_ru.tsv"), encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[0].strip() and parts[1].strip():
                pairs.append((parts[0].strip(), parts[1].strip()))
    return pairs


def en_zh_pairs():
    path = os.path.join(SHARED, "tmx", "omegat36_gms1_en-US_zh-CN_v11.tmx")
    text = open(path, encoding="utf-8").read()
    pairs = []
    for tu in re.findall(r"<tu[ >].*?</tu>", text, re.S):
        segs = re.findall(r'<tuv lang="([^"]+)"[^>]*>\s*<seg>(.*?)</seg>', tu, re.S)
        d = {}
        for lang, seg in segs:
            seg = html.unescape(re.sub(r"<[^>]+>", "", seg))
            seg = re.sub(r"<[^>]+>", "", seg)  # escaped inline tags such as &lt;t0&gt;
            seg = " ".join(seg.split())
            d[lang.lower()[:2]] = seg
        if d.get("en") and d.get("zh"):
            pairs.append((d["en"], d["zh"]))
    return pairs


def make_doc(pairs, rng, n, tgt_joiner):
    """Returns (src lines, tgt lines, gold beads)."""
    start = rng.randrange(0, max(1, len(pairs) - n * 2))
    window = pairs[start:start + n * 2]
    src, tgt, gold = [], [], []
    k = 0
    while len(src) < n and k < len(window):
        r = rng.random()
        s, t = window[k]
        i, j = len(src), len(tgt)
        if r < 0.02:  # 1-0: translation missing
            src.append(s)
            gold.append(([i], []))
            k += 1
        elif r < 0.04:  # 0-1: inserted target sentence
            tgt.append(t)
            gold.append(([], [j]))
            k += 1
        elif r < 0.10 and k + 1 < len(window):  # 2-1: target sentences joined
            s2, t2 = window[k + 1]
            src += [s, s2]
            tgt.append(t + tgt_joiner + t2)
            gold.append(([i, i + 1], [j]))
            k += 2
        elif r < 0.16 and k + 1 < len(window):  # 1-2: source sentences joined
            s2, t2 = window[k + 1]
            src.append(s + " " + s2)
            tgt += [t, t2]
            gold.append(([i], [j, j + 1]))
            k += 2
        else:
            src.append(s)
            tgt.append(t)
            gold.append(([i], [j]))
            k += 1
    return src, tgt, gold


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--docs", type=int, default=4)
    ap.add_argument("--sents", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = random.Random(args.seed)
    listing = []
    for name, pairs, joiner in [("en-ru", en_ru_pairs(), " "), ("en-zh", en_zh_pairs(), "")]:
        for d in range(args.docs):
            src, tgt, gold = make_doc(pairs, rng, args.sents, joiner)
            base = os.path.join(args.out_dir, "%s-%d" % (name, d))
            for ext, lines in (("src", src), ("tgt", tgt)):
                with open(base + "." + ext, "w", encoding="utf-8") as f:
                    f.write("\n".join(x.replace("\n", " ") for x in lines) + "\n")
            with open(base + ".gold", "w", encoding="utf-8") as f:
                for a, b in gold:
                    f.write("[%s]:[%s]\n" % (", ".join(map(str, a)), ", ".join(map(str, b))))
            rel = os.path.basename(base)
            listing.append("synth-%s\t%s.src\t%s.tgt\t%s.gold" % (name, rel, rel, rel))
    with open(os.path.join(args.out_dir, "synth_sets.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(listing) + "\n")
    print("wrote %d documents to %s" % (len(listing), args.out_dir), file=sys.stderr)


if __name__ == "__main__":
    main()
