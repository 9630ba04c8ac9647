#!/usr/bin/env python3
"""Concurrent use of one memory: a 1M-unit import while 4 processes look up in a loop.

    python3 bench/concurrency.py [--work /tmp/bitext-conc] [--corpus FILE] [--base 50000]
                                 [--probes 200] [--readers 4] [--idle-seconds 30] [--no-solo]

What it does (Python 3 standard library only):
  1. data: the corpus to import is --corpus (default /tmp/bench2/m1m.tsv if present, else
     ../shared/data/corpus/en_ru.tsv grown to 1M pairs with bench/grow_corpus.py into
     --work); the base memory holds its first --base pairs plus --probes "probe" units:
     copies of base pairs with a unique marker word (zqprobe0007) appended to source and
     target. No pair of the corpus has the marker, so the best match of each probe source
     is fixed: 100 %, its own target, whatever the import adds.
  2. idle: --readers processes run `bitext lookup --queries probes.txt --timings -f jsonl`
     in a loop for --idle-seconds, nothing else touching the memory;
  3. import: `bitext import CORPUS -s en -t ru` into the base memory while the same
     readers loop until it has finished. Every reader result is checked: exit 0 (any
     failure, "database is locked" included, is an error) and, for every probe, the
     first match is 100 % with the probe's target (else a wrong result);
  4. after the import: PRAGMA integrity_check (python sqlite3) is ok, and the units
     counted (SELECT count(*) and `bitext stats`) are the base units plus the corpus's
     distinct pairs not in the base;
  5. solo (unless --no-solo): the same import into a copy of the base memory with no
     readers, for the import speed without them.
Latency: the per-query time lookup reports (--timings "ms") and the wall time of each
reader process (start, open, 200 lookups, exit), idle vs during the import.
Writes --work/results.json and prints a table. The machine's other load is not
controlled: run it on a quiet machine (it uses 1 + --readers processes).
"""
import argparse, hashlib, json, os, shutil, sqlite3, subprocess, sys, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CORPUS = os.path.join(REPO, '..', 'shared', 'data', 'corpus', 'en_ru.tsv')
DEFAULT_IMPORT = '/tmp/bench2/m1m.tsv'


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(xs):
    if not xs:
        return {'n': 0}
    return {'n': len(xs), 'p50': round(pct(xs, 50), 3), 'p95': round(pct(xs, 95), 3),
            'p99': round(pct(xs, 99), 3), 'max': round(max(xs), 3)}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def pair_key(line):
    """A pair as the memory compares it (near enough): source and target, trimmed."""
    src, _, rest = line.rstrip('\n').partition('\t')
    tgt = rest.split('\t')[0]
    return hashlib.blake2b((src.strip() + '\t' + tgt.strip()).encode(), digest_size=8).digest()


def remove_db(path):
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


class Readers:
    """`n` threads, each running lookup processes in a loop until stopped."""

    def __init__(self, a, db, probes_file, expected, phase):
        self.a, self.db, self.probes_file, self.expected, self.phase = a, db, probes_file, expected, phase
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.query_ms, self.process_ms = [], []
        self.runs = self.lookups = self.errors = self.wrong = 0
        self.messages = []
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(a.readers)]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join()

    def loop(self):
        cmd = [self.a.bitext, 'lookup', '--queries', self.probes_file, '--from', 'lines',
               '-s', 'en', '-t', 'ru', '--max', '5', '--timings', '-f', 'jsonl', '--quiet',
               '--tm', self.db]
        env = dict(os.environ, BITEXT_TM='')
        while not self.stop.is_set():
            t = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True, env=env)
            wall = (time.perf_counter() - t) * 1000
            errors, wrong, ms, n, msgs = 0, 0, [], 0, []
            if p.returncode != 0:
                errors += 1
                msgs.append(f'exit {p.returncode}: {p.stderr.strip()[:300]}')
            else:
                recs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
                if len(recs) != len(self.expected):
                    wrong += 1
                    msgs.append(f'{len(recs)} results for {len(self.expected)} queries')
                for rec, (query, target) in zip(recs, self.expected):
                    n += 1
                    ms.append(rec['ms'])
                    m = rec['matches'][0] if rec['matches'] else None
                    if (rec['query'] != query or m is None or m['score']['percent'] != 100
                            or m['target']['text'] != target or m['source']['text'] != query):
                        wrong += 1
                        msgs.append(f'wrong result for {query!r}: {json.dumps(m, ensure_ascii=False)[:300]}')
            with self.lock:
                self.runs += 1
                self.lookups += n
                self.errors += errors
                self.wrong += wrong
                self.query_ms += ms
                self.process_ms.append(wall)
                self.messages += msgs[:5]

    def report(self, seconds):
        return {'phase': self.phase, 'readers': self.a.readers, 'seconds': round(seconds, 1),
                'reader_runs': self.runs, 'lookups': self.lookups, 'errors': self.errors,
                'wrong': self.wrong, 'query_ms': summary(self.query_ms),
                'process_ms': summary(self.process_ms), 'messages': self.messages[:20]}


def run_import(a, db, corpus):
    cmd = [a.bitext, 'import', corpus, '-s', 'en', '-t', 'ru', '--report', 'jsonl', '--quiet', '--tm', db]
    log('+', ' '.join(cmd))
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, BITEXT_TM=''))


def finish_import(p, started):
    out, err = p.communicate()
    secs = time.perf_counter() - started
    if p.returncode != 0:
        return {'exit': p.returncode, 'error': err.strip()[:500], 'seconds': round(secs, 2)}
    rep = json.loads(out.splitlines()[0])
    return {'exit': 0, 'read': rep['read'], 'imported': rep['imported'], 'merged': rep['merged'],
            'skipped': rep['skipped'], 'seconds': round(secs, 2), 'units_per_s': round(rep['read'] / secs)}


def check_db(a, db, expected_units):
    t = time.perf_counter()
    conn = sqlite3.connect(f'file:{db}?mode=ro', uri=True)
    integrity = [r[0] for r in conn.execute('PRAGMA integrity_check')]
    units = conn.execute('SELECT count(*) FROM units').fetchone()[0]
    conn.close()
    stats = json.loads(subprocess.run([a.bitext, 'stats', '-f', 'jsonl', '--tm', db], check=True,
                                      capture_output=True, text=True).stdout)
    return {'integrity_check': integrity[0] if integrity == ['ok'] else integrity[:10],
            'units_sql': units, 'units_stats': stats['units'], 'units_expected': expected_units,
            'units_ok': units == stats['units'] == expected_units,
            'check_seconds': round(time.perf_counter() - t, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='/tmp/bitext-conc')
    ap.add_argument('--bitext', default=os.path.join(REPO, 'target', 'release', 'bitext'))
    ap.add_argument('--corpus', help=f'pairs to import (default {DEFAULT_IMPORT} if present, else grown)')
    ap.add_argument('--units', type=int, default=1_000_000, help='size of the grown corpus')
    ap.add_argument('--base', type=int, default=50_000)
    ap.add_argument('--probes', type=int, default=200)
    ap.add_argument('--readers', type=int, default=4)
    ap.add_argument('--idle-seconds', type=float, default=30)
    ap.add_argument('--no-solo', action='store_true', help='skip the import without readers')
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    P = lambda *p: os.path.join(a.work, *p)
    corpus = a.corpus or (DEFAULT_IMPORT if os.path.exists(DEFAULT_IMPORT) else P('grown.tsv'))
    if not os.path.exists(corpus):
        log('+ growing the corpus to', a.units, 'pairs')
        subprocess.run([sys.executable, os.path.join(HERE, 'grow_corpus.py'), CORPUS, corpus,
                        '-n', str(a.units)], check=True)
    res = {'corpus': corpus, 'base_pairs': a.base, 'probes': a.probes}

    # 1. the base memory: the corpus's first pairs, and the probes.
    base_keys = set()
    probes = []
    step = max(1, a.base // a.probes)
    with open(corpus, encoding='utf-8') as f, open(P('base.tsv'), 'w', encoding='utf-8') as out:
        for i, line in enumerate(f):
            if i >= a.base:
                break
            out.write(line)
            base_keys.add(pair_key(line))
            src, _, rest = line.rstrip('\n').partition('\t')
            tgt = rest.split('\t')[0]
            if i % step == 0 and len(probes) < a.probes and src.strip() and tgt.strip():
                marker = f'zqprobe{len(probes):04d}'
                probes.append((f'{src.strip()} {marker}', f'{tgt.strip()} {marker}'))
    with open(P('probes.tsv'), 'w', encoding='utf-8') as out:
        out.writelines(f'{s}\t{t}\n' for s, t in probes)
    with open(P('probes.txt'), 'w', encoding='utf-8') as out:
        out.writelines(f'{s}\n' for s, _ in probes)
    # The import's new units: its distinct pairs that the base does not hold.
    seen, new_pairs, lines = set(base_keys), 0, 0
    with open(corpus, encoding='utf-8') as f:
        for line in f:
            lines += 1
            k = pair_key(line)
            if k not in seen:
                seen.add(k)
                new_pairs += 1
    del seen, base_keys
    db = P('memory.sqlite')
    remove_db(db)
    env = dict(os.environ, BITEXT_TM='')
    for tsv in ('base.tsv', 'probes.tsv'):
        subprocess.run([a.bitext, 'import', P(tsv), '-s', 'en', '-t', 'ru', '--quiet', '--tm', db],
                       check=True, env=env)
    base_units = json.loads(subprocess.run([a.bitext, 'stats', '-f', 'jsonl', '--tm', db], check=True,
                                           capture_output=True, text=True, env=env).stdout)['units']
    expected = base_units + new_pairs
    res.update({'base_units': base_units, 'corpus_lines': lines, 'corpus_new_pairs': new_pairs})
    solo_db = P('solo.sqlite')
    remove_db(solo_db)
    if not a.no_solo:
        src, dst = sqlite3.connect(db), sqlite3.connect(solo_db)
        src.backup(dst)
        src.close()
        dst.close()

    # 2. idle readers
    log(f'idle: {a.readers} readers for {a.idle_seconds} s')
    r = Readers(a, db, P('probes.txt'), probes, 'idle')
    t = time.perf_counter()
    r.start()
    time.sleep(a.idle_seconds)
    r.finish()
    res['idle'] = r.report(time.perf_counter() - t)

    # 3. the import with readers
    log(f'import with {a.readers} readers')
    t = time.perf_counter()
    p = run_import(a, db, corpus)
    r = Readers(a, db, P('probes.txt'), probes, 'during import')
    r.start()
    res['import_with_readers'] = finish_import(p, t)
    r.finish()
    res['during_import'] = r.report(time.perf_counter() - t)
    log('checking the memory')
    res['after_import'] = check_db(a, db, expected)

    # 5. the import alone
    if not a.no_solo:
        log('import without readers')
        t = time.perf_counter()
        res['import_alone'] = finish_import(run_import(a, solo_db, corpus), t)
        res['after_import_alone'] = check_db(a, solo_db, expected)
        remove_db(solo_db)
    json.dump(res, open(P('results.json'), 'w'), indent=1, ensure_ascii=False)
    print_table(res)
    log('results:', P('results.json'))
    ok = (res['during_import']['errors'] == res['idle']['errors'] == 0
          and res['during_import']['wrong'] == res['idle']['wrong'] == 0
          and res['import_with_readers'].get('exit') == 0
          and res['after_import']['integrity_check'] == 'ok' and res['after_import']['units_ok'])
    sys.exit(0 if ok else 1)


def print_table(res):
    idle, busy = res['idle'], res['during_import']
    imp, alone = res['import_with_readers'], res.get('import_alone', {})
    after = res['after_import']

    def lat(r, kind):
        s = r[kind]
        return '—' if not s.get('n') else f"{s['p50']:.2f} / {s['p95']:.2f} / {s['p99']:.2f} / {s['max']:.2f}"

    rows = [
        ('reader processes run (4 readers)', str(idle['reader_runs']), str(busy['reader_runs'])),
        ('lookups done', str(idle['lookups']), str(busy['lookups'])),
        ('reader errors (locked/busy/other)', str(idle['errors']), str(busy['errors'])),
        ('wrong results', str(idle['wrong']), str(busy['wrong'])),
        ('lookup ms p50 / p95 / p99 / max', lat(idle, 'query_ms'), lat(busy, 'query_ms')),
        ('reader process ms p50 / p95 / p99 / max', lat(idle, 'process_ms'), lat(busy, 'process_ms')),
    ]
    w = max(len(r[0]) for r in rows)
    print(f"{'':<{w}}  {'idle':>32}  {'during the import':>32}")
    for r in rows:
        print(f'{r[0]:<{w}}  {r[1]:>32}  {r[2]:>32}')
    print()
    fmt = lambda i: '—' if not i else (f"{i['read']} units in {i['seconds']} s = {i['units_per_s']} units/s"
                                       if i.get('exit') == 0 else f"FAILED: {i.get('error')}")
    print(f'import with {idle["readers"]} readers: {fmt(imp)}')
    print(f'import alone:          {fmt(alone)}')
    print(f"after the import: integrity_check {after['integrity_check']}; units {after['units_sql']} "
          f"(stats {after['units_stats']}, expected {after['units_expected']}: "
          f"{'ok' if after['units_ok'] else 'WRONG'})")
    for m in (idle['messages'] + busy['messages'])[:10]:
        print('  reader:', m)


if __name__ == '__main__':
    main()
