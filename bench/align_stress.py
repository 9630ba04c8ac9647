#!/usr/bin/env python3
"""Stress sets for the aligner: long unevenly split pairs, partial translations, gaps.

Aligners that do well on chapter-sized dev documents lose their way on long books
whose two sides are split very differently, on translations that cover only part of
their source, and on documents with a missing or moved block. These sets are built
from the shared gold data and corpora (nothing is copied into the repository), with
fixed seeds, so `bitext eval align --sets bench/align_sets.tsv` measures them:

  long-en-ru-split   30,000+ en-ru pairs of the shared corpus (unrelated neighbours,
                     news and everyday sentences) with 30 % of the Russian sentences
                     split into 2-4 lines at clause punctuation, and five long lists
                     (genealogies, tables of years: names and numbers repeated over and
                     over: dense but ambiguous evidence)
  long-en-zh-split   the mac-dev novels (zh-en), English as source, repeated in
                     shuffled chapter order to 30,000+ English sentences, 30 % of the
                     Chinese sentences split at `，；：` and at `。` inside quotes, and
                     lists of transliterated names
  partial-*          transread Candide en-fr and mac-dev: the target is the first 3 %,
                     30 % or 70 % of the translation (`partial-…-tgtK`), or the source is
                     the first K % of the original (`…-srcK`)
  gap-*              200 sentences of one side dropped in the middle of Candide +
                     Emma (en-fr, 3,200 lines)
  swap-*             adjacent paragraphs (5-15 beads) of the target swapped at six
                     places; the gold keeps the longer of the two aligned and leaves
                     the other unpaired (an alignment is monotone)

Gold beads follow the shared format (`[src ids]:[tgt ids]`); sentences without a
counterpart are 1-0 / 0-1 beads of one sentence each.

Usage: align_stress.py [OUT_DIR]   (default: bench/stress, git-ignored)
Writes OUT_DIR/NAME.{src,tgt,gold} and OUT_DIR/stress_sets.tsv.
"""

import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ALIGN = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "align"))
CORPUS = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "corpus", "en_ru.tsv"))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench")))
import align_score  # noqa: E402

# Share of target beads whose sentences are split at clause punctuation.
SPLIT_SHARE = 0.30


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [l.rstrip("\n") for l in f]


class Doc:
    """Sentences of both sides and the gold beads (lists of sentence indices)."""

    def __init__(self, src=None, tgt=None, gold=None):
        self.src, self.tgt, self.gold = src or [], tgt or [], gold or []

    @staticmethod
    def read(base, src_ext, tgt_ext, gold_ext):
        return Doc(lines(base + src_ext), lines(base + tgt_ext), align_score.read_beads(base + gold_ext))

    def beads(self):
        """The gold as (source sentences, target sentences) per bead."""
        return [([self.src[i] for i in a], [self.tgt[j] for j in b]) for a, b in self.gold]

    def add(self, src_sents, tgt_sents):
        a = list(range(len(self.src), len(self.src) + len(src_sents)))
        b = list(range(len(self.tgt), len(self.tgt) + len(tgt_sents)))
        self.src += src_sents
        self.tgt += tgt_sents
        if a or b:
            self.gold.append((a, b))

    def add_unpaired(self, src_sents, tgt_sents):
        """Sentences without counterpart: one 1-0 / 0-1 bead each."""
        for s in src_sents:
            self.add([s], [])
        for t in tgt_sents:
            self.add([], [t])

    def swapped(self):
        d = Doc()
        for a, b in self.beads():
            d.add(b, a)
        return d

    def write(self, base):
        for ext, sents in (("src", self.src), ("tgt", self.tgt)):
            with open(base + "." + ext, "w", encoding="utf-8") as f:
                f.write("".join(" ".join(s.split()) + "\n" for s in sents))
        with open(base + ".gold", "w", encoding="utf-8") as f:
            for a, b in self.gold:
                f.write("[%s]:[%s]\n" % (", ".join(map(str, a)), ", ".join(map(str, b))))
        multi = sum(1 for a, b in self.gold if len(a) > 1 or len(b) > 1)
        print("%s: %d x %d sentences, %d beads (%.0f %% n-m)" % (
            os.path.basename(base), len(self.src), len(self.tgt), len(self.gold),
            100.0 * multi / max(1, len(self.gold))), file=sys.stderr)


LATIN_CLAUSE = re.compile(r"(?<=[;:,])\s+(?=\S)")
CJK_CLAUSE = re.compile(r"(?<=[，；：])")
CJK_QUOTED_STOP = re.compile(r"(?<=[。！？])(?=[^“”「」]*[”」])")


def split_clauses(sentence, cjk, rng):
    """The sentence split at clause punctuation into 2-4 pieces (itself if it cannot be)."""
    pieces = CJK_CLAUSE.split(sentence) if cjk else LATIN_CLAUSE.split(sentence)
    if cjk:
        pieces = [q for p in pieces for q in CJK_QUOTED_STOP.split(p)]
    pieces = [p for p in pieces if p.strip()]
    least = 4 if cjk else 12
    if len(pieces) < 2:
        return [sentence]
    want = min(len(pieces), rng.choice([2, 2, 2, 3, 3, 4]))
    # Cut points between pieces, chosen at random, none leaving a tiny piece.
    cuts = sorted(rng.sample(range(1, len(pieces)), want - 1))
    out, last = [], 0
    for c in cuts + [len(pieces)]:
        out.append(("" if cjk else " ").join(pieces[last:c]))
        last = c
    merged = []
    for p in out:
        if merged and len(p) < least:
            merged[-1] += ("" if cjk else " ") + p
        else:
            merged.append(p)
    if len(merged) > 1 and len(merged[0]) < least:
        merged[1] = merged[0] + ("" if cjk else " ") + merged[1]
        merged.pop(0)
    return merged


def split_target(doc, cjk, rng):
    """SPLIT_SHARE of the beads get their target sentences split at clause punctuation
    (at most 4 target sentences a bead); beads that have no clause punctuation are
    left alone, the others are split more often to make up for them."""
    beads = doc.beads()
    pattern = CJK_CLAUSE if cjk else LATIN_CLAUSE
    splittable = sum(1 for _, b in beads if any(len(pattern.split(t)) > 1 for t in b))
    chance = min(1.0, SPLIT_SHARE * len(beads) / max(1, splittable))
    out = Doc()
    for a, b in beads:
        if b and rng.random() < chance:
            pieces = [p for t in b for p in split_clauses(t, cjk, rng)]
            if len(pieces) <= 4:
                b = pieces
        out.add(a, b)
    return out


# Names for the lists: Latin spelling, Cyrillic spelling, Chinese transliteration.
NAMES = [
    ("Adam", "Адам", "亚当"), ("Seth", "Сиф", "塞特"), ("Enosh", "Енос", "以挪士"),
    ("Kenan", "Каинан", "该南"), ("Mahalalel", "Малелеил", "玛勒列"), ("Jared", "Иаред", "雅列"),
    ("Enoch", "Енох", "以诺"), ("Methuselah", "Мафусал", "玛土撒拉"), ("Lamech", "Ламех", "拉麦"),
    ("Noah", "Ной", "挪亚"), ("Shem", "Сим", "闪"), ("Arphaxad", "Арфаксад", "亚法撒"),
    ("Shelah", "Сала", "沙拉"), ("Eber", "Евер", "希伯"), ("Peleg", "Фалек", "法勒"),
    ("Reu", "Рагав", "拉吴"), ("Serug", "Серух", "西鹿"), ("Nahor", "Нахор", "拿鹤"),
    ("Terah", "Фарра", "他拉"), ("Abram", "Аврам", "亚伯兰"), ("Haran", "Аран", "哈兰"),
    ("Milcah", "Милка", "密迦"), ("Iscah", "Иска", "亦迦"), ("Ishmael", "Измаил", "以实玛利"),
]


def name_list(rng, count, lang):
    """A genealogy: `count` sentence pairs that reuse a few names and numbers."""
    col = {"ru": 1, "zh": 2}[lang]
    pairs = []
    for _ in range(count):
        f, s = rng.sample(NAMES, 2)
        years = rng.choice([65, 70, 90, 105, 130, 162, 187, 800, 807, 815, 830, 840, 895, 912])
        kind = rng.randrange(3)
        if kind == 0:
            en = "When %s had lived %d years, he became the father of %s." % (f[0], years, s[0])
            tr = {"ru": "%s жил %d лет и родил %s." % (f[1], years, s[1]),
                  "zh": "%s活到%d岁，生了%s。" % (f[2], years, s[2])}[lang]
        elif kind == 1:
            en = "%s lived after he became the father of %s %d years, and had other sons and daughters." % (
                f[0], s[0], years)
            tr = {"ru": "По рождении %s %s жил %d лет и родил сынов и дочерей." % (s[1], f[1], years),
                  "zh": "%s生%s之后，又活了%d年，并且生儿养女。" % (f[2], s[2], years)}[lang]
        else:
            en = "The sons of %s: %s and %s." % (f[0], s[0], rng.choice(NAMES)[0])
            other = rng.choice(NAMES)
            tr = {"ru": "Сыновья %s: %s и %s." % (f[1], s[1], other[1]),
                  "zh": "%s的儿子是%s和%s。" % (f[2], s[2], other[2])}[lang]
        pairs.append(([en], [tr]))
    return pairs


def with_lists(doc, lang, rng, count=5, size=(150, 300)):
    """`count` lists of names spliced in at random bead boundaries."""
    beads = doc.beads()
    where = sorted(rng.sample(range(len(beads) // 10, len(beads) - len(beads) // 10), count))
    out = Doc()
    for k, (a, b) in enumerate(beads):
        if where and k == where[0]:
            where.pop(0)
            for la, lb in name_list(rng, rng.randint(*size), lang):
                out.add(la, lb)
        out.add(a, b)
    return out


def long_en_ru(rng, least=30000):
    doc = Doc()
    with open(CORPUS, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and parts[0].strip() and parts[1].strip():
                doc.add([parts[0]], [parts[1]])
                if len(doc.src) >= least:
                    break
    return split_target(with_lists(doc, "ru", rng), False, rng)


def mac_dev():
    """The six mac-dev chapters, English as source, Chinese as target."""
    docs = []
    for k in range(1, 7):
        base = os.path.join(ALIGN, "mac-dev", "%03d" % k)
        docs.append(Doc.read(base, ".zh", ".en", ".align").swapped())
    return docs


def long_en_zh(rng, least=30000):
    chapters = mac_dev()
    doc = Doc()
    while len(doc.src) < least:
        for ch in rng.sample(chapters, len(chapters)):
            for a, b in ch.beads():
                doc.add(a, b)
    return split_target(with_lists(doc, "zh", rng), True, rng)


def concat(docs):
    out = Doc()
    for d in docs:
        for a, b in d.beads():
            out.add(a, b)
    return out


def partial(doc, share, cut_target):
    """The first `share` of one side, the other side whole: beads past the cut keep
    only the whole side's sentences, unpaired."""
    beads = doc.beads()
    keep = max(1, round(share * len(beads)))
    out = Doc()
    for k, (a, b) in enumerate(beads):
        if k < keep:
            out.add(a, b)
        elif cut_target:
            out.add_unpaired(a, [])
        else:
            out.add_unpaired([], b)
    return out


def gap(doc, side, count, rng):
    """`count` consecutive sentences of one side (0 source, 1 target) dropped in the
    middle (whole beads; their other side stays, unpaired)."""
    beads = doc.beads()
    start = rng.randrange(len(beads) // 3, len(beads) // 2)
    out = Doc()
    dropped = 0
    for k, (a, b) in enumerate(beads):
        if k >= start and dropped < count:
            dropped += len(a if side == 0 else b)
            if side == 0:
                out.add_unpaired([], b)
            else:
                out.add_unpaired(a, [])
        else:
            out.add(a, b)
    return out


def swap_paragraphs(doc, rng, places=6):
    """Adjacent target paragraphs (5-15 beads) swapped at `places` places."""
    beads = doc.beads()
    paras, k = [], 0
    while k < len(beads):
        size = rng.randint(5, 15)
        paras.append(beads[k:k + size])
        k += size
    chosen = set()
    while len(chosen) < places:
        p = rng.randrange(1, len(paras) - 2)
        if not ({p - 1, p, p + 1} & chosen):
            chosen.add(p)
    out = Doc()
    p = 0
    while p < len(paras):
        if p in chosen:
            first, second = paras[p], paras[p + 1]
            n_first = sum(len(a) + len(b) for a, b in first)
            n_second = sum(len(a) + len(b) for a, b in second)
            # Source order: first, second; target order: second, first.
            if n_first >= n_second:
                # Keep `first` aligned: the second paragraph's target comes before it
                # (inserted), its source after the first's (deleted).
                out.add_unpaired([], [t for _, b in second for t in b])
                for a, b in first:
                    out.add(a, b)
                out.add_unpaired([s for a, _ in second for s in a], [])
            else:
                # Keep `second` aligned: the first paragraph's source comes before it
                # (deleted), its target after the second's (inserted).
                out.add_unpaired([s for a, _ in first for s in a], [])
                for a, b in second:
                    out.add(a, b)
                out.add_unpaired([], [t for _, b in first for t in b])
            p += 2
        else:
            for a, b in paras[p]:
                out.add(a, b)
            p += 1
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "stress")
    os.makedirs(out_dir, exist_ok=True)
    tr = os.path.join(ALIGN, "transread-dev")
    candide = Doc.read(os.path.join(tr, "Candide.en-fr"), ".en", ".fr", ".gold")
    emma = Doc.read(os.path.join(tr, "Emma.en-fr"), ".en", ".fr", ".gold")
    mac = concat(mac_dev())
    sets = {}
    # Each set has its own generator, so adding a set does not change the others.
    sets["long-en-ru-split"] = long_en_ru(random.Random(1))
    sets["long-en-zh-split"] = long_en_zh(random.Random(2))
    for name, doc in (("candide-en-fr", candide), ("mac-en-zh", mac)):
        for k in (3, 30, 70):
            sets["partial-%s-tgt%d" % (name, k)] = partial(doc, k / 100, True)
            sets["partial-%s-src%d" % (name, k)] = partial(doc, k / 100, False)
    both = concat([candide, emma])
    sets["gap-en-fr-src200"] = gap(both, 0, 200, random.Random(3))
    sets["gap-en-fr-tgt200"] = gap(both, 1, 200, random.Random(4))
    sets["swap-en-fr"] = swap_paragraphs(both, random.Random(5))
    sets["swap-en-zh"] = swap_paragraphs(mac, random.Random(6))
    listing = []
    for name, doc in sets.items():
        doc.write(os.path.join(out_dir, name))

        listing.append("%s\t%s.src\t%s.tgt\t%s.gold" % (name, name, name, name))
    with open(os.path.join(out_dir, "stress_sets.tsv"), "w", encoding="utf-8") as f:
        f.write("# set<TAB>source<TAB>target<TAB>gold (made by bench/align_stress.py)\n")
        f.write("".join(l + "\n" for l in listing))


if __name__ == "__main__":
    main()
