#!/usr/bin/env python3
"""Translation-memory benchmark: bitext against translate-toolkit's tmdb and brute-force
rapidfuzz, on the en-ru corpus grown to 350k and 1M units (bench/grow_corpus.py).

    python3 bench/memory_bench.py [--work /tmp/bitext-bench] [--peers-python /tmp/peers/bin/python]

Stages (each skipped when its output exists in --work, so a run can be resumed; --fresh
redoes everything):
  1. grow the corpus to 1.1M pairs (the first 350k / 1M rows are the memories; rows
     1M..1.1M are imported into the 1M memory to time an import into a full one) and
     make 1,000 queries with ../shared/bench/make_queries.py;
  2. bitext: import 350k into a new memory, 1M into a new memory, 100k more into the
     1M one, and 350k into a memory holding one unit (units/s, index included, the
     fastest of --import-runs runs; file size against the raw text);
  3. bitext lookup --queries (min 70, best 5) at 350k and 1M, per-query times from
     --timings; the same with --exhaustive gives the truth for recall@1;
  4. one-off `bitext lookup TEXT` processes against the 1M memory (start to answer);
  5. concordance at 1M: the index catch-up after the import, then rare words;
  6. repetitive content (stage `repetitive`): 100k units that differ only in a number
     into a new memory, 100k more into it, the first 100k again, and a lookup process
     (bench/import_repetitive.py, median CPU of --import-runs interleaved rounds);
  7. peers at 350k: translate-toolkit 3.18.1 tmdb (--plan fixed) and rapidfuzz brute
     force (../shared/bench/peer_*.py, run with --peers-python, e.g. a virtualenv with
     translate-toolkit==3.18.1 rapidfuzz python-Levenshtein).
Prints the table (and writes results.json in --work).
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(REPO, '..', 'shared')
CORPUS = os.path.join(SHARED, 'data', 'corpus', 'en_ru.tsv')


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def run(cmd, **kw):
    print('+', ' '.join(str(c) for c in cmd), file=sys.stderr, flush=True)
    return subprocess.run(cmd, check=True, **kw)


def head(src, dst, n, skip=0):
    with open(src, encoding='utf-8') as f, open(dst, 'w', encoding='utf-8') as out:
        for i, line in enumerate(f):
            if i < skip:
                continue
            if i >= skip + n:
                break
            out.write(line)


def file_bytes(path):
    return sum(os.path.getsize(p) for p in (path, path + '-wal') if os.path.exists(p))


def text_bytes(tsv):
    total = 0
    with open(tsv, encoding='utf-8') as f:
        for line in f:
            s, _, t = line.rstrip('\n').partition('\t')
            total += len(s.encode()) + len(t.split('\t')[0].encode())
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', default='/tmp/bitext-bench')
    ap.add_argument('--bitext', default=os.path.join(REPO, 'target', 'release', 'bitext'))
    ap.add_argument('--peers-python', default='/tmp/peers/bin/python')
    ap.add_argument('--no-peers', action='store_true')
    ap.add_argument('--fresh', action='store_true')
    ap.add_argument('--import-runs', type=int, default=3,
                    help='time each import this many times and keep the fastest (default 3)')
    ap.add_argument('--stages', default='import,lookup,oneoff,concordance,repetitive,peers',
                    help='comma-separated stages to run besides the data (default: all)')
    a = ap.parse_args()
    w = a.work
    if a.fresh and os.path.isdir(w):
        shutil.rmtree(w)
    os.makedirs(w, exist_ok=True)
    P = lambda *p: os.path.join(w, *p)
    res = json.load(open(P('results.json'))) if os.path.exists(P('results.json')) else {}

    def save():
        json.dump(res, open(P('results.json'), 'w'), indent=1)

    # 1. data
    if not os.path.exists(P('grown.tsv')):
        run([sys.executable, os.path.join(HERE, 'grow_corpus.py'), CORPUS, P('grown.tsv'), '-n', '1100000'])
    for n, name in [(350_000, 'm350k.tsv'), (1_000_000, 'm1m.tsv')]:
        if not os.path.exists(P(name)):
            head(P('grown.tsv'), P(name), n)
    if not os.path.exists(P('extra100k.tsv')):
        head(P('grown.tsv'), P('extra100k.tsv'), 100_000, skip=1_000_000)
    if not os.path.exists(P('queries.txt')):
        # Unrelated queries come from the held-back tail of the grown file.
        run([sys.executable, os.path.join(SHARED, 'bench', 'make_queries.py'), P('grown.tsv'), P('queries.txt'),
             '--meta', P('queries_meta.jsonl')])
    queries = [l.rstrip('\n') for l in open(P('queries.txt'), encoding='utf-8')]
    stages = set(a.stages.split(','))
    if 'peers' in stages and not a.no_peers:
        run_peers(a, res, P, save)
    if 'repetitive' in stages and 'repetitive' not in res:
        sys.path.insert(0, HERE)
        import import_repetitive
        times = import_repetitive.measure([a.bitext], P('repetitive'), 100_000, max(1, a.import_runs))
        res['repetitive'] = {case: {'cpu_s': [round(t, 2) for t in ts],
                                    'units_per_cpu_s': round(100_000 / statistics.median(ts))}
                             for case, ts in times[a.bitext].items()}
        res['repetitive']['lookup']['median_ms'] = round(1000 * statistics.median(times[a.bitext]['lookup']))
        shutil.rmtree(P('repetitive'), ignore_errors=True)
        save()
    if 'import' not in stages:
        print_table(res)
        return

    B = a.bitext
    env = dict(os.environ, BITEXT_TM='')

    def tm(name):
        return ['--tm', P(name)]

    # 2. imports
    def timed_import(key, tsv, db, base=None):
        """Imports `tsv` into `db` (a copy of `base`, or a new file) `--import-runs` times
        and keeps the fastest run: the machine is shared, and the slower runs measure it."""
        if key in res:
            return
        runs = []
        for _ in range(max(1, a.import_runs)):
            for suffix in ('', '-wal', '-shm'):
                if os.path.exists(P(db) + suffix):
                    os.remove(P(db) + suffix)
            if base:
                shutil.copy(P(base), P(db))
            t = time.perf_counter()
            out = run([B, 'import', P(tsv), '-s', 'en', '-t', 'ru', '--report', 'jsonl', '--quiet'] + tm(db),
                      capture_output=True, text=True, env=env).stdout
            runs.append(time.perf_counter() - t)
        secs = min(runs)
        rep = json.loads(out.splitlines()[0])
        res[key] = {'units': rep['read'], 'seconds': round(secs, 2), 'units_per_s': round(rep['read'] / secs),
                    'runs_s': [round(r, 2) for r in runs],
                    'file_bytes': file_bytes(P(db)), 'text_bytes': text_bytes(P(tsv))}
        save()

    timed_import('import_350k', 'm350k.tsv', 'm350k.sqlite')
    timed_import('import_1m', 'm1m.tsv', 'm1m.sqlite')
    if 'import_350k_existing' not in res:
        # The same 350k into a memory that exists already (one unit): through SQLite's
        # write-ahead log, as every import after a memory's first.
        with open(P('m350k.tsv'), encoding='utf-8') as f, open(P('one.tsv'), 'w', encoding='utf-8') as o:
            o.write(f.readline())
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(P('one.sqlite') + suffix):
                os.remove(P('one.sqlite') + suffix)
        run([B, 'import', P('one.tsv'), '-s', 'en', '-t', 'ru', '--quiet'] + tm('one.sqlite'), env=env)
        timed_import('import_350k_existing', 'm350k.tsv', 'm350k_existing.sqlite', base='one.sqlite')
        for suffix in ('', '-wal', '-shm'):
            for name in ('m350k_existing.sqlite', 'one.sqlite'):
                if os.path.exists(P(name) + suffix):
                    os.remove(P(name) + suffix)
    if 'import_1m_plus_100k' not in res:
        timed_import('import_1m_plus_100k', 'extra100k.tsv', 'm1m_plus.sqlite', base='m1m.sqlite')
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(P('m1m_plus.sqlite') + suffix):
                os.remove(P('m1m_plus.sqlite') + suffix)
    for key, db, tsv in [('import_350k', 'm350k.sqlite', 'm350k.tsv'), ('import_1m', 'm1m.sqlite', 'm1m.tsv')]:
        res[key]['size_ratio'] = round(res[key]['file_bytes'] / res[key]['text_bytes'], 2)

    # 3. lookups
    def lookups(key, db, exhaustive=False, qfile='queries.txt'):
        out_path = P(f'{key}.jsonl')
        if key not in res:
            cmd = [B, 'lookup', '--queries', P(qfile), '-s', 'en', '-t', 'ru', '--min', '70', '--max', '5',
                   '-f', 'jsonl', '--timings', '--quiet', '-o', out_path] + tm(db)
            if exhaustive:
                cmd.append('--exhaustive')
            t = time.perf_counter()
            run(cmd, env=env)
            wall = time.perf_counter() - t
            recs = [json.loads(l) for l in open(out_path, encoding='utf-8')]
            ms = [r['ms'] for r in recs]
            res[key] = {'queries': len(ms), 'p50_ms': round(pct(ms, 50), 3), 'p95_ms': round(pct(ms, 95), 3),
                        'p99_ms': round(pct(ms, 99), 3), 'mean_ms': round(statistics.fmean(ms), 3),
                        'max_ms': round(max(ms), 3), 'wall_s': round(wall, 2),
                        'with_match': sum(1 for r in recs if r['matches'])}
            save()
        return out_path

    def top_file(jsonl, limit=None, none=None):
        """recall_at1.py's input: {"query", "top_score"} per line (`none` when nothing
        reached --min: None for the system, 0 for the truth)."""
        conv = jsonl[:-len('.jsonl')] + (f'.top{limit}' if limit else '.top') + '.jsonl'
        with open(jsonl, encoding='utf-8') as f, open(conv, 'w', encoding='utf-8') as o:
            for i, l in enumerate(f):
                if limit is not None and i >= limit:
                    break
                r = json.loads(l)
                top = r['matches'][0]['score']['percent'] if r['matches'] else none
                o.write(json.dumps({'query': r['query'], 'top_score': top}, ensure_ascii=False) + '\n')
        return conv

    # The exhaustive lookup reads every stored text for every query: at 1M units it
    # runs on the first 250 queries only.
    with open(P('queries.txt'), encoding='utf-8') as f, open(P('queries_250.txt'), 'w', encoding='utf-8') as o:
        o.writelines(f.readlines()[:250])
    for size, limit in [('350k', None), ('1m', 250)]:
        if 'lookup' not in stages:
            break
        indexed = lookups(f'lookup_{size}', f'm{size}.sqlite')
        truth = lookups(f'exhaustive_{size}', f'm{size}.sqlite', exhaustive=True,
                        qfile='queries_250.txt' if limit else 'queries.txt')
        out = run([sys.executable, os.path.join(SHARED, 'bench', 'recall_at1.py'), top_file(indexed, limit),
                   top_file(truth, none=0), '70,75,95'], capture_output=True, text=True).stdout
        res[f'recall_{size}'] = json.loads(out)
        res[f'recall_{size}']['queries'] = limit or len(queries)
        # Stronger than recall@1: the whole best-5 lists (unit and percent) agree.
        a = [json.loads(l) for l in open(indexed, encoding='utf-8')][:limit or len(queries)]
        b = [json.loads(l) for l in open(truth, encoding='utf-8')]
        key = lambda r: [(m['unit'], m['score']['percent']) for m in r['matches']]
        res[f'recall_{size}']['identical_best5'] = sum(1 for x, y in zip(a, b) if key(x) == key(y))
        save()

    # 4. one-off lookups (process start to answer) at 1M
    if 'oneoff_1m' not in res and 'oneoff' in stages:
        rng = random.Random(5)
        sample = rng.sample(queries, 30)
        times = []
        for q in sample:
            t = time.perf_counter()
            run([B, 'lookup', q, '-s', 'en', '-t', 'ru', '-f', 'jsonl', '--quiet'] + tm('m1m.sqlite'),
                env=env, stdout=subprocess.DEVNULL)
            times.append((time.perf_counter() - t) * 1000)
        res['oneoff_1m'] = {'runs': len(times), 'p50_ms': round(pct(times, 50), 1), 'max_ms': round(max(times), 1)}
        save()

    # 5. concordance at 1M
    if 'concordance_1m' not in res and 'concordance' in stages:
        t = time.perf_counter()
        run([B, 'concordance', 'zzzzqqq', '--quiet'] + tm('m1m.sqlite'), env=env, stdout=subprocess.DEVNULL)
        catch_up = time.perf_counter() - t
        # Rare words: seen in 1..20 of the loaded corpus lines.
        counts = {}
        with open(P('m1m.tsv'), encoding='utf-8') as f:
            for i, line in enumerate(f):
                if i >= 38_000:
                    break
                for word in set(line.split('\t')[0].split()):
                    if word.isalpha() and len(word) >= 6:
                        counts[word] = counts.get(word, 0) + 1
        rare = sorted(w for w, c in counts.items() if c == 1)
        words = random.Random(7).sample(rare, 20)
        times, hits = [], []
        for word in words:
            t = time.perf_counter()
            out = run([B, 'concordance', word, '-f', 'jsonl', '--max', '20', '--quiet'] + tm('m1m.sqlite'),
                      env=env, capture_output=True, text=True).stdout
            times.append((time.perf_counter() - t) * 1000)
            hits.append(len(out.splitlines()))
        res['concordance_1m'] = {'index_catch_up_s': round(catch_up, 1), 'words': len(words),
                                 'p50_ms': round(pct(times, 50), 1), 'max_ms': round(max(times), 1),
                                 'mean_hits': round(statistics.fmean(hits), 1),
                                 'file_bytes_after': file_bytes(P('m1m.sqlite'))}
        res['concordance_1m']['size_ratio_after'] = round(
            res['concordance_1m']['file_bytes_after'] / res['import_1m']['text_bytes'], 2)
        save()

    print_table(res)


def run_peers(a, res, P, save):
    """Stage 6: the peers at 350k."""
    if os.path.exists(a.peers_python):
        if 'ttk_350k' not in res:
            out = run([a.peers_python, os.path.join(SHARED, 'bench', 'peer_ttk_tm.py'), P('m350k.tsv'),
                       P('queries.txt'), P('ttk_350k.jsonl'), '-n', '350000', '--plan', 'fixed', '--max-candidates', '5'],
                      capture_output=True, text=True).stdout
            res['ttk_350k'] = json.loads(out.strip().splitlines()[-1])
            save()
        if 'rapidfuzz_350k' not in res:
            out = run([a.peers_python, os.path.join(SHARED, 'bench', 'peer_rapidfuzz_tm.py'), P('m350k.tsv'),
                       P('queries.txt'), P('rapidfuzz_350k.jsonl'), '-n', '350000'],
                      capture_output=True, text=True).stdout
            res['rapidfuzz_350k'] = json.loads(out.strip().splitlines()[-1])
            save()


def print_table(res):
    def g(key, field, fmt='{}'):
        v = res.get(key, {}).get(field)
        return '—' if v is None else fmt.format(v)

    rep = res.get('repetitive')
    rows = [
        ('lookup p50 ms (350k, min 70, best 5)', g('lookup_350k', 'p50_ms'), g('ttk_350k', 'p50_ms'), g('rapidfuzz_350k', 'p50_ms')),
        ('lookup p99 ms (350k)', g('lookup_350k', 'p99_ms'), g('ttk_350k', 'p99_ms'), g('rapidfuzz_350k', 'p99_ms')),
        ('lookup mean ms (350k)', g('lookup_350k', 'mean_ms'), g('ttk_350k', 'mean_ms'), g('rapidfuzz_350k', 'mean_ms')),
        ('import units/s (350k, empty memory)', g('import_350k', 'units_per_s'),
         str(round(res['ttk_350k']['n_loaded'] / res['ttk_350k']['import_s'])) if 'ttk_350k' in res else '—', '—'),
        ('file size / raw text (350k)', g('import_350k', 'size_ratio'),
         str(round(res['ttk_350k']['db_bytes'] / res['import_350k']['text_bytes'], 2)) if 'ttk_350k' in res and 'import_350k' in res else '—', '—'),
        ('lookup p50 ms (1M)', g('lookup_1m', 'p50_ms'), '', ''),
        ('lookup p99 ms (1M)', g('lookup_1m', 'p99_ms'), '', ''),
        ('import units/s (1M, empty memory)', g('import_1m', 'units_per_s'), '', ''),
        ('import units/s (+100k into the 1M memory)', g('import_1m_plus_100k', 'units_per_s'), '', ''),
        ('import units/s (350k into a memory holding one unit)', g('import_350k_existing', 'units_per_s'), '', ''),
        ('repetitive: import units/CPU-s, 100k numbered units / 100k more / same again',
         ' / '.join(f"{rep[c]['units_per_cpu_s']:,}" for c in ('new', 'more', 'again')) if rep else '—', '', ''),
        ('repetitive: one lookup process at 200k, CPU ms (median)',
         str(rep['lookup']['median_ms']) if rep else '—', '', ''),
        ('file size / raw text (1M, fuzzy index)', g('import_1m', 'size_ratio'), '', ''),
        ('file size / raw text (1M, + concordance index)', g('concordance_1m', 'size_ratio_after'), '', ''),
        ('one-off lookup, process start to answer, p50 / max ms (1M)',
         g('oneoff_1m', 'p50_ms') + ' / ' + g('oneoff_1m', 'max_ms'), '', ''),
        ('concordance, rare word, p50 / max ms (1M)', g('concordance_1m', 'p50_ms') + ' / ' + g('concordance_1m', 'max_ms'), '', ''),
        ('concordance index catch-up after importing 1M, s', g('concordance_1m', 'index_catch_up_s'), '', ''),
    ]
    for size in ['350k', '1m']:
        r = res.get(f'recall_{size}', {}).get('70', {})
        n = res.get(f'recall_{size}', {}).get('queries', '')
        rows.append((f'recall@1 vs --exhaustive at 70 % ({size}, {n} queries)',
                     '—' if not r else f"{r['recall_at1']} ({r['hits']}/{r['eligible']})", '', ''))
        same = res.get(f'recall_{size}', {}).get('identical_best5')
        rows.append((f'best-5 lists identical to --exhaustive ({size})',
                     '—' if same is None else f'{same}/{n}', '', ''))
    if 'ttk_350k' in res and 'lookup_350k' in res:
        rows.append(('speed-up over translate-toolkit (mean)',
                     f"{res['ttk_350k']['mean_ms'] / res['lookup_350k']['mean_ms']:.0f}×", '', ''))
    w = max(len(r[0]) for r in rows)
    print(f"{'':<{w}}  {'bitext':>14}  {'ttk tmdb':>10}  {'rapidfuzz':>10}")
    for r in rows:
        print(f'{r[0]:<{w}}  {r[1]:>14}  {r[2]:>10}  {r[3]:>10}')


if __name__ == '__main__':
    main()
