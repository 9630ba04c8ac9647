#!/usr/bin/env python3
"""Import of repetitive content (issue 18): units that differ only in a number, as
software strings, numbered items, legal boilerplate and product catalogues do.

    python3 bench/import_repetitive.py [--units 100000] [--rounds 3] [BITEXT...]

Generates (seed 18, in --work) `Sentence number N about the weather and the plan.` <TAB>
`Предложение номер N о погоде и плане.` for N = 1..--units in shuffled order, and N =
units+1..2*units for the second file, then times with each binary, interleaved round by
round (the machine is shared):
  - new:      the first file into a new memory;
  - more:     the second file (new numbers, same words) into that memory;
  - again:    the first file once more into that memory (every unit merged);
  - lookup:   one `bitext lookup` process against the memory of new + more (start to answer).
Prints the median user+system CPU seconds and units per CPU-second of each, and checks
that every unit was stored and that an exact query finds its unit at 100 %.
BITEXT: binaries to compare (default: target/release/bitext).
"""
import argparse, os, random, re, shutil, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

EN = 'Sentence number {} about the weather and the plan.'
RU = 'Предложение номер {} о погоде и плане.'


def make(path, numbers):
    with open(path, 'w', encoding='utf-8') as f:
        for n in numbers:
            f.write(EN.format(n) + '\t' + RU.format(n) + '\n')


def cpu(cmd, **kw):
    """Runs `cmd`; returns (its user + system CPU seconds, its stdout)."""
    before = os.times()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system), out


def remove(db):
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)


def measure(bins, work, units=100_000, rounds=3):
    """{bin: {case: [cpu seconds per round]}}, after checking each binary's memory."""
    os.makedirs(work, exist_ok=True)
    rng = random.Random(18)
    first, second = list(range(1, units + 1)), list(range(units + 1, 2 * units + 1))
    rng.shuffle(first)
    rng.shuffle(second)
    a, b = os.path.join(work, 'rep_a.tsv'), os.path.join(work, 'rep_b.tsv')
    make(a, first)
    make(b, second)
    env = dict(os.environ, BITEXT_TM='')
    times = {bin_: {case: [] for case in ('new', 'more', 'again', 'lookup')} for bin_ in bins}
    query = EN.format(second[0])
    for _ in range(rounds):
        for k, bin_ in enumerate(bins):
            db = os.path.join(work, f'rep{k}.sqlite')
            remove(db)
            imp = [bin_, 'import', '-s', 'en', '-t', 'ru', '--quiet', '--tm', db]
            times[bin_]['new'].append(cpu(imp + [a], env=env)[0])
            times[bin_]['more'].append(cpu(imp + [b], env=env)[0])
            keep = db + '.keep'
            shutil.copy(db, keep)
            times[bin_]['again'].append(cpu(imp + [a], env=env)[0])
            t, out = cpu([bin_, 'lookup', '--tm', keep, '-s', 'en', '-t', 'ru', '--max', '5', query], env=env)
            times[bin_]['lookup'].append(t)
            assert '100%  unit' in out and query in out, f'{bin_}: {query!r} not found:\n{out}'
            _, stats = cpu([bin_, 'stats', '--tm', keep], env=env)
            assert re.search(rf'^units\s+{2 * units}$', stats, re.M), f'{bin_}: not {2 * units} units:\n{stats}'
            remove(keep)
            remove(db)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('bins', nargs='*', default=[os.path.join(REPO, 'target', 'release', 'bitext')])
    ap.add_argument('--units', type=int, default=100_000)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--work', default=None)
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix='bitext-repetitive-')
    try:
        times = measure(a.bins, work, a.units, a.rounds)
    finally:
        if a.work is None:
            shutil.rmtree(work, ignore_errors=True)
    n = a.units
    labels = {
        'new': f'import {n:,} numbered units into a new memory',
        'more': f'import {n:,} more (new numbers) into it',
        'again': f'import the first {n:,} again (all merged)',
        'lookup': f'one lookup process at {2 * n:,} units',
    }
    for bin_, cases in times.items():
        print(bin_)
        for case, ts in cases.items():
            med = statistics.median(ts)
            rate = '' if case == 'lookup' else f'  {n / med:>9,.0f} units/CPU-s'
            print(f'  {labels[case]:<48} median {med:6.2f} CPU-s{rate}  runs {[round(t, 2) for t in ts]}')


if __name__ == '__main__':
    main()
