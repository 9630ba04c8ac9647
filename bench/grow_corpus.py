#!/usr/bin/env python3
"""Grow the 43,793-pair en-ru corpus into a benchmark memory of N units.

Real translation memories are dense with revision families: the same sentence again
with a number or date changed, a word substituted or inserted, a tag added. This
script keeps every original pair and adds such near-duplicates, generated from the
originals (and from each other: revisions of revisions), until the file has N pairs,
dropping exact duplicate sources.

Layout of the output (source<TAB>target, UTF-8):
  1. the first len(corpus) - HOLD original pairs, in corpus order (so the first 10,000
     rows, which make_queries.py perturbs, are in every memory of any size);
  2. generated near-duplicates, up to N pairs in total;
  3. the last HOLD original pairs, which are never loaded when the benchmark loads the
     first N rows: make_queries.py takes its "unrelated" queries from there, so they have
     no family in the memory.

Deterministic for a given --seed.
"""
import argparse, random, re

MONTHS_EN = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
             'September', 'October', 'November', 'December']
NUMBER = re.compile(r'\d+')
YEAR = re.compile(r'\b(19[5-9]\d|20[0-3]\d)\b')
WORD = re.compile(r"^[A-Za-z][a-z'-]{2,}$")
RU_WORD = re.compile(r'^[а-яё]{3,}$')
TAGS = [('<b>', '</b>'), ('<i>', '</i>'), ('<span class="hl">', '</span>'), ('<a href="#">', '</a>')]


def change_number(rng, src, tgt):
    nums = list(NUMBER.finditer(src))
    if not nums:
        return None
    m = rng.choice(nums)
    old = m.group(0)
    new = str(max(0, int(old) + rng.choice([-1, 1]) * rng.randint(1, 50)))
    if new == old:
        new = str(int(old) + 1)
    src2 = src[:m.start()] + new + src[m.end():]
    tgt2 = tgt.replace(old, new, 1) if old in tgt else tgt
    return src2, tgt2


def change_date(rng, src, tgt):
    years = list(YEAR.finditer(src))
    if years:
        m = rng.choice(years)
        new = str(int(m.group(0)) + rng.choice([-3, -2, -1, 1, 2, 3]))
        return src[:m.start()] + new + src[m.end():], tgt.replace(m.group(0), new, 1)
    months = [mo for mo in MONTHS_EN if mo in src]
    if months:
        old = rng.choice(months)
        return src.replace(old, rng.choice([mo for mo in MONTHS_EN if mo != old]), 1), tgt
    return None


def substitute(rng, src, tgt, vocab_en, vocab_ru):
    w = src.split(' ')
    idx = [i for i, x in enumerate(w) if WORD.match(x)]
    if not idx:
        return None
    i = rng.choice(idx)
    w[i] = rng.choice(vocab_en)
    t = tgt.split(' ')
    jdx = [j for j, x in enumerate(t) if RU_WORD.match(x)]
    if jdx:
        t[rng.choice(jdx)] = rng.choice(vocab_ru)
    return ' '.join(w), ' '.join(t)


def insert(rng, src, tgt, vocab_en, vocab_ru):
    w = src.split(' ')
    w.insert(rng.randrange(len(w) + 1), rng.choice(vocab_en))
    t = tgt.split(' ')
    t.insert(rng.randrange(len(t) + 1), rng.choice(vocab_ru))
    return ' '.join(w), ' '.join(t)


def add_tag(rng, src, tgt):
    w = src.split(' ')
    t = tgt.split(' ')
    if len(w) < 2 or len(t) < 2:
        return None
    open_, close = rng.choice(TAGS)
    i = rng.randrange(len(w))
    w[i] = open_ + w[i] + close
    j = rng.randrange(len(t))
    t[j] = open_ + t[j] + close
    return ' '.join(w), ' '.join(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('tsv')
    ap.add_argument('out')
    ap.add_argument('-n', type=int, required=True, help='pairs before the held-back tail')
    ap.add_argument('--hold', type=int, default=5000)
    ap.add_argument('--seed', type=int, default=2024)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    rows = []
    for line in open(a.tsv, encoding='utf-8'):
        parts = line.rstrip('\n').split('\t')
        if len(parts) >= 2 and parts[0] and parts[1]:
            rows.append((parts[0], parts[1]))
    base, held = rows[:-a.hold], rows[-a.hold:]
    vocab_en = sorted({x for s, _ in base for x in s.split(' ') if WORD.match(x)})
    vocab_ru = sorted({x for _, t in base for x in t.split(' ') if RU_WORD.match(x)})
    seen = {s for s, _ in rows}
    families = [[r] for r in base]
    out = list(base)
    ops = ['number', 'number', 'date', 'substitute', 'substitute', 'substitute', 'insert', 'insert', 'tag']
    attempts = 0
    while len(out) < a.n:
        attempts += 1
        fam = families[rng.randrange(len(families))]
        # Revise the original or, a third of the time, an earlier revision.
        src, tgt = fam[0] if rng.random() < 0.67 else rng.choice(fam)
        for _ in range(1 if rng.random() < 0.7 else 2):
            op = rng.choice(ops)
            if op == 'number':
                r = change_number(rng, src, tgt) or substitute(rng, src, tgt, vocab_en, vocab_ru)
            elif op == 'date':
                r = change_date(rng, src, tgt) or change_number(rng, src, tgt) or insert(rng, src, tgt, vocab_en, vocab_ru)
            elif op == 'substitute':
                r = substitute(rng, src, tgt, vocab_en, vocab_ru)
            elif op == 'insert':
                r = insert(rng, src, tgt, vocab_en, vocab_ru)
            else:
                r = add_tag(rng, src, tgt)
            if r:
                src, tgt = r
        if src in seen:  # exact-duplicate removal
            continue
        seen.add(src)
        fam.append((src, tgt))
        out.append((src, tgt))
    with open(a.out, 'w', encoding='utf-8') as f:
        for s, t in out + held:
            f.write(f'{s}\t{t}\n')
    print(f'wrote {len(out)} pairs (+{len(held)} held back at the end) to {a.out}; '
          f'{attempts - (len(out) - len(base))} duplicate revisions dropped')


if __name__ == '__main__':
    main()
