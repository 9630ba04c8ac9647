#!/usr/bin/env python3
"""Long document pairs for the alignment speed benchmark.

Cycles through the transread-dev documents (English -> French, Spanish, Greek
literary text, shared/data/align/transread-dev) and concatenates them, with their
gold alignments shifted, until both sides have at least N sentences (cut at a bead
boundary). Writes OUT/long-N.{src,tgt,gold} for each N, and with --raw also
OUT/long-N.raw.{src,tgt}: the same sentences as running text (paragraphs of 8
beads, so both sides break at the same places) for timing segmentation.

Usage: align_long.py OUT_DIR N [N ...] [--raw]
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "align", "transread-dev"))
DOCS = [("Candide.en-fr", "fr"), ("Candide.en-es", "es"), ("Candide.en-el", "el"), ("Emma.en-fr", "fr")]
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench")))
import align_score  # noqa: E402


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    raw = "--raw" in sys.argv
    out, sizes = args[0], [int(x) for x in args[1:]]
    os.makedirs(out, exist_ok=True)
    docs = []
    for name, lang in DOCS:
        base = os.path.join(DATA, name)
        docs.append((lines(base + ".en"), lines(base + "." + lang), align_score.read_beads(base + ".gold")))
    for n in sizes:
        src, tgt, gold = [], [], []
        k = 0
        while len(src) < 2 * n or len(tgt) < 2 * n:
            s, t, g = docs[k % len(docs)]
            k += 1
            so, to = len(src), len(tgt)
            gold += [([x + so for x in a], [y + to for y in b]) for a, b in g]
            src += s
            tgt += t
        # cut at the first bead boundary where both sides have at least n sentences
        kept, ns, nt = [], 0, 0
        for a, b in gold:
            kept.append((a, b))
            ns = max([ns] + [x + 1 for x in a])
            nt = max([nt] + [y + 1 for y in b])
            if ns >= n and nt >= n:
                break
        src, tgt = src[:ns], tgt[:nt]
        base = os.path.join(out, "long-%d" % n)
        with open(base + ".src", "w", encoding="utf-8") as f:
            f.write("\n".join(src) + "\n")
        with open(base + ".tgt", "w", encoding="utf-8") as f:
            f.write("\n".join(tgt) + "\n")
        with open(base + ".gold", "w", encoding="utf-8") as f:
            for a, b in kept:
                f.write("[%s]:[%s]\n" % (", ".join(map(str, a)), ", ".join(map(str, b))))
        if raw:
            # Paragraphs of 8 beads, so that both sides break at the same places.
            for ext, side, sents in (("src", 0, src), ("tgt", 1, tgt)):
                with open(base + ".raw." + ext, "w", encoding="utf-8") as f:
                    para = []
                    for k, bead in enumerate(kept):
                        para += [sents[x] for x in bead[side]]
                        if (k + 1) % 8 == 0 and para:
                            f.write(" ".join(para) + "\n\n")
                            para = []
                    if para:
                        f.write(" ".join(para) + "\n")
        print("long-%d: %d x %d sentences, %d gold beads" % (n, len(src), len(tgt), len(kept)), file=sys.stderr)


if __name__ == "__main__":
    main()
