#!/usr/bin/env python3
"""Where an alignment's strict errors are: the gold beads it missed and the beads it
produced that are not gold, grouped by bead type, with the sentences.

    python3 bench/align_errors.py SRC TGT GOLD HYP [--brief] [--diff HYP2]

SRC and TGT are the texts (one sentence a line, as `bitext eval align` reads them),
GOLD and HYP bead files (`[0, 1]:[2]` lines; a third `:score` field is ignored).
For each gold bead missed it shows what was produced over the same sentences, so a
granularity error (a gold 1-2 produced as 1-1 + 0-1) reads as one block. --diff
lists the beads that differ between two hypotheses instead.
"""

import argparse
import collections
import sys


def read_beads(path):
    beads = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            parts = line.split(":")
            if len(parts) < 2:
                sys.exit(f"{path}:{n}: not a bead: {line!r}")

            def ids(s):
                s = s.strip().strip("[]").strip()
                return tuple(int(x) for x in s.split(",") if x.strip())

            score = float(parts[2]) if len(parts) > 2 and parts[2].strip() else None
            beads.append((ids(parts[0]), ids(parts[1]), score))
    return beads


def kind(b):
    return f"{len(b[0])}-{len(b[1])}"


def key(b):
    return (b[0], b[1])


def show(b, src, tgt, mark):
    s = " | ".join(src[i] for i in b[0])
    t = " | ".join(tgt[j] for j in b[1])
    score = f" {b[2]:.3f}" if b[2] is not None else ""
    return f"  {mark} {kind(b)} {list(b[0])}:{list(b[1])}{score}\n      S: {s}\n      T: {t}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("tgt")
    ap.add_argument("gold")
    ap.add_argument("hyp")
    ap.add_argument("--brief", action="store_true", help="only the counts")
    ap.add_argument("--diff", metavar="HYP2", help="beads that differ between HYP and HYP2")
    a = ap.parse_args()
    src = open(a.src, encoding="utf-8").read().split("\n")
    tgt = open(a.tgt, encoding="utf-8").read().split("\n")
    gold = read_beads(a.gold)
    hyp = read_beads(a.hyp)
    if a.diff:
        other = read_beads(a.diff)
        gold_keys = {key(b) for b in gold}
        hk, ok = {key(b) for b in hyp}, {key(b) for b in other}
        for b in hyp:
            if key(b) not in ok:
                print(show(b, src, tgt, "-" + ("G" if key(b) in gold_keys else " ")))
        for b in other:
            if key(b) not in hk:
                print(show(b, src, tgt, "+" + ("G" if key(b) in gold_keys else " ")))
        return
    gold_keys = {key(b) for b in gold}
    hyp_keys = {key(b) for b in hyp}
    missed = [b for b in gold if key(b) not in hyp_keys]
    wrong = [b for b in hyp if key(b) not in gold_keys]
    print(f"gold {len(gold)}, hyp {len(hyp)}, right {len(gold) - len(missed)}, "
          f"missed {len(missed)}, wrong {len(wrong)}")
    print("missed by gold type:", dict(collections.Counter(kind(b) for b in missed).most_common()))
    print("wrong by type:      ", dict(collections.Counter(kind(b) for b in wrong).most_common()))
    if a.brief:
        return
    # Group each missed gold bead with the produced beads that overlap it.
    src_owner = {i: n for n, b in enumerate(hyp) for i in b[0]}
    tgt_owner = {j: n for n, b in enumerate(hyp) for j in b[1]}
    seen = set()
    for g in missed:
        owners = sorted({src_owner[i] for i in g[0] if i in src_owner}
                        | {tgt_owner[j] for j in g[1] if j in tgt_owner})
        print(f"\ngold {kind(g)} missed -> produced {' + '.join(kind(hyp[n]) for n in owners)}")
        print(show(g, src, tgt, "G"))
        for n in owners:
            print(show(hyp[n], src, tgt, "H" if n not in seen else "h"))
            seen.add(n)


if __name__ == "__main__":
    main()
