#!/usr/bin/env python3
"""`bitext serve` under load: lookups/s and latency with 64 clients, then the same
while a 100k-unit import streams in through the API.

    python3 bench/serve_load.py [--work /tmp/bitext-serve-load] [--units 350000]
                                [--import-units 100000] [--connections 64]
                                [--seconds 20] [--rate 5000] [--bitext target/release/bitext]

Two measurements, as they answer two questions:
  * closed loop (wrk): each connection sends its next lookup when the last is
    answered: the most lookups/s the server answers. Its latency is the queue the
    64 connections make themselves (mean = 64 / throughput), not the server's.
  * open loop (bench/serve_load_gen.rs, built here with cargo): lookups sent at a
    fixed --rate over the same connections, latency from each request's scheduled
    send time (corrected for coordinated omission): what clients sending at that
    rate see, p50/p99/max.

What it does (Python standard library, wrk — installed with apt-get when missing —
and the load generator, built with `cargo build --release --example serve_load_gen`):
  1. data: ../shared/data/corpus/en_ru.tsv grown (bench/grow_corpus.py) to
     --units + --import-units pairs; the first --units are the memory (imported with
     the CLI once, kept in --work), the next --import-units are the import body; 1,000
     queries from ../shared/bench/make_queries.py (perturbed memory sentences and
     unrelated ones), the memory benchmark's query set;
  2. starts `bitext serve` on a copy of the memory, on a free localhost port, with a
     token file;
  3. idle: wrk, 2 threads, --connections connections, --seconds seconds of
     `GET /api/v1/lookup?src=en&tgt=ru&min=70&limit=5&q=...` over the queries in
     turn (bench/serve_load.lua), after a 5 s warm-up: requests/s, p50, p99, max,
     errors; then the open loop: --rate lookups/s of the same queries for --seconds
     (after 2 s not counted): p50, p99, max, errors;
  4. import, twice, each into a fresh copy of the memory on a fresh server: `POST
     /api/v1/import?format=tsv&src=en&tgt=ru` of the import body while 5 s windows of
     lookups run until the import has answered — the open loop during the first
     import, wrk's closed loop during the second; every window's figures; then the
     memory's unit count (`GET /api/v1/stats`) must be the count before plus the units
     the import report says it imported, and the report must account for every row;
  5. SIGTERM: each server must stop with exit code 0.
Writes --work/results.json and prints a table. The load generator runs on the same
2 cores as the server, as a client on the same machine would. Run it on a quiet
machine: other load is not controlled.
"""
import argparse, json, os, secrets, shutil, signal, socket, subprocess, sys, threading, time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(REPO, '..', 'shared')
CORPUS = os.path.join(SHARED, 'data', 'corpus', 'en_ru.tsv')
LUA = os.path.join(HERE, 'serve_load.lua')


def run(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def head(src, dst, n, skip=0):
    with open(src, encoding='utf-8') as f, open(dst, 'w', encoding='utf-8') as out:
        for i, line in enumerate(f):
            if i >= skip + n:
                break
            if i >= skip:
                out.write(line)


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def ensure_wrk():
    if shutil.which('wrk'):
        return
    if os.geteuid() == 0 and shutil.which('apt-get'):
        print('serve_load: installing wrk (apt-get install wrk)', file=sys.stderr)
        if subprocess.run(['apt-get', 'install', '-y', '-qq', 'wrk'], capture_output=True).returncode != 0:
            subprocess.run(['apt-get', 'update', '-qq'], capture_output=True)
            run(['apt-get', 'install', '-y', '-qq', 'wrk'], capture_output=True)
    if not shutil.which('wrk'):
        sys.exit('serve_load: wrk is needed (Debian package wrk)')


def build_load_gen():
    """The open-loop load generator, built (or found up to date) by cargo."""
    run(['cargo', 'build', '--release', '--quiet', '--example', 'serve_load_gen'], cwd=REPO)
    path = os.path.join(REPO, 'target', 'release', 'examples', 'serve_load_gen')
    if not os.path.exists(path):
        sys.exit(f'serve_load: {path} was not built')
    return path


def open_loop(gen, base, queries, rate, connections, seconds, warmup=2):
    out = subprocess.run([gen, '--url', base, '--queries', queries, '--rate', str(rate),
                          '--connections', str(connections), '--seconds', str(seconds),
                          '--warmup', str(warmup)], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def get_json(url):
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)


def wrk(base, queries, connections, seconds, threads=2):
    env = dict(os.environ, BITEXT_QUERIES=queries)
    out = subprocess.run(['wrk', f'-t{threads}', f'-c{connections}', f'-d{seconds}s', '--timeout', '10s',
                          '-s', LUA, base], env=env, capture_output=True, text=True, check=True).stdout
    line = [l for l in out.splitlines() if l.startswith('{')][-1]
    return json.loads(line)


WINDOW = 5  # seconds of each measuring window during an import


class Server:
    """`bitext serve` on a fresh copy of the memory (`run.sqlite`) on a free port, with
    the token file; stopped with SIGTERM on leaving, its exit code in `.exit`."""

    def __init__(self, bitext, db, P, name):
        self.bitext, self.db, self.P, self.name = bitext, db, P, name

    def __enter__(self):
        run_db = self.P('run.sqlite')
        for suffix in ['', '-wal', '-shm']:
            if os.path.exists(run_db + suffix):
                os.remove(run_db + suffix)
        shutil.copyfile(self.db, run_db)
        port = free_port()
        self.base = f'http://127.0.0.1:{port}'
        self.proc = subprocess.Popen([self.bitext, 'serve', '--tm', run_db, '--listen', f'127.0.0.1:{port}',
                                      '--token-file', self.P('token')], stdout=subprocess.DEVNULL,
                                     stderr=open(self.P(f'server-{self.name}.log'), 'w'))
        for _ in range(300):
            try:
                get_json(self.base + '/api/v1/stats')
                return self
            except OSError:
                time.sleep(0.1)
        self.proc.kill()
        sys.exit(f"serve_load: the server did not answer; see {self.P(f'server-{self.name}.log')}")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit = 'killed after 60 s'
        return False


def post_import(base, token, path, report):
    """POSTs the import body; its status, answer and seconds go into `report`."""
    size = os.path.getsize(path)
    with open(path, 'rb') as body:
        req = urllib.request.Request(
            base + '/api/v1/import?format=tsv&src=en&tgt=ru', data=body, method='POST',
            headers={'Authorization': f'Bearer {token}', 'Content-Length': str(size),
                     'Content-Type': 'text/tab-separated-values'})
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=3600) as r:
                report['answer'] = json.load(r)
                report['status'] = r.status
        except urllib.error.HTTPError as e:
            report['status'] = e.code
            report['answer'] = e.read().decode('utf-8', 'replace')
        report['seconds'] = round(time.perf_counter() - t, 2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='/tmp/bitext-serve-load')
    ap.add_argument('--units', type=int, default=350_000)
    ap.add_argument('--import-units', type=int, default=100_000)
    ap.add_argument('--connections', type=int, default=64)
    ap.add_argument('--seconds', type=int, default=20)
    ap.add_argument('--rate', type=int, default=5000, help='the open loop\'s lookups/s')
    ap.add_argument('--bitext', default=os.path.join(REPO, 'target', 'release', 'bitext'))
    a = ap.parse_args()
    B = os.path.abspath(a.bitext)
    os.makedirs(a.work, exist_ok=True)
    P = lambda name: os.path.join(a.work, name)
    ensure_wrk()
    gen = build_load_gen()

    # 1. data
    total = a.units + a.import_units
    if not os.path.exists(P('grown.tsv')):
        run([sys.executable, os.path.join(HERE, 'grow_corpus.py'), CORPUS, P('grown.tsv'), '-n', str(total)])
    if not os.path.exists(P('memory.tsv')):
        head(P('grown.tsv'), P('memory.tsv'), a.units)
        head(P('grown.tsv'), P('import.tsv'), a.import_units, skip=a.units)
    if not os.path.exists(P('queries.txt')):
        run([sys.executable, os.path.join(SHARED, 'bench', 'make_queries.py'), P('grown.tsv'), P('queries.txt')])
    db = P('memory.sqlite')
    if not os.path.exists(db):
        run([B, 'import', P('memory.tsv'), '-s', 'en', '-t', 'ru', '--quiet', '--tm', db])
    token = secrets.token_hex(32)
    with open(P('token'), 'w') as f:
        f.write(token + '\n')
    os.chmod(P('token'), 0o600)
    res = {'units': a.units, 'import_units': a.import_units, 'connections': a.connections,
           'seconds': a.seconds, 'rate': a.rate, 'load_before': os.getloadavg()[0], 'server_exit': []}

    # 2.-3. a server on a copy of the memory, idle
    with Server(B, db, P, 'idle') as server:
        base, queries = server.base, P('queries.txt')
        wrk(base, queries, a.connections, 5)
        res['idle'] = wrk(base, queries, a.connections, a.seconds)
        res['idle_open'] = open_loop(gen, base, queries, a.rate, a.connections, a.seconds)
    res['server_exit'].append(server.exit)

    # 4. during an import, on a fresh copy each: the open loop, then the closed loop
    for kind in ['open', 'closed']:
        with Server(B, db, P, kind) as server:
            base = server.base
            units_before = get_json(base + '/api/v1/stats')['units']
            report = {}
            importer = threading.Thread(target=post_import, args=(base, token, P('import.tsv'), report))
            importer.start()
            windows = []
            while importer.is_alive():
                if kind == 'open':
                    windows.append(open_loop(gen, base, queries, a.rate, a.connections, WINDOW, warmup=0))
                else:
                    windows.append(wrk(base, queries, a.connections, WINDOW))
            importer.join()
            units_after = get_json(base + '/api/v1/stats')['units']
        res['server_exit'].append(server.exit)
        res[f'import_{kind}'] = dict(report, units_before=units_before, units_after=units_after)
        res[f'during_import_{kind}'] = {
            'windows': windows,
            'requests': sum(w['requests'] for w in windows),
            'per_second': round(sum(w['requests'] for w in windows) / max(1e-9, sum(w['seconds'] for w in windows)), 1),
            'worst_p50_ms': max(w['p50_ms'] for w in windows),
            'worst_p99_ms': max(w['p99_ms'] for w in windows),
            'max_ms': max(w['max_ms'] for w in windows),
            'errors': sum(w.get('errors', 0) + w.get('socket_errors', 0) + w['non_2xx'] for w in windows),
            'unsent': sum(w.get('unsent', 0) for w in windows),
        }
    res['load_after'] = os.getloadavg()[0]
    with open(P('results.json'), 'w') as f:
        json.dump(res, f, indent=1)

    idle, idle_open = res['idle'], res['idle_open']
    busy, busy_open = res['during_import_closed'], res['during_import_open']
    print(f"memory {a.units:,} units, {a.connections} connections (load before {res['load_before']:.1f})")
    print(f"{'':30} {'lookups/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} {'unsent':>7}")
    print(f"{'closed loop (wrk), idle':30} {idle['per_second']:>10.0f} {idle['p50_ms']:>8.2f} {idle['p99_ms']:>8.2f} "
          f"{idle['max_ms']:>8.1f} {idle['socket_errors'] + idle['non_2xx']:>7}")
    print(f"{'closed loop, during import':30} {busy['per_second']:>10.0f} {busy['worst_p50_ms']:>8.2f} "
          f"{busy['worst_p99_ms']:>8.2f} {busy['max_ms']:>8.1f} {busy['errors']:>7}")
    print(f"{f'open loop {a.rate}/s, idle':30} {idle_open['per_second']:>10.0f} {idle_open['p50_ms']:>8.2f} "
          f"{idle_open['p99_ms']:>8.2f} {idle_open['max_ms']:>8.1f} {idle_open['errors'] + idle_open['non_2xx']:>7} "
          f"{idle_open['unsent']:>7}")
    print(f"{f'open loop {a.rate}/s, import':30} {busy_open['per_second']:>10.0f} {busy_open['worst_p50_ms']:>8.2f} "
          f"{busy_open['worst_p99_ms']:>8.2f} {busy_open['max_ms']:>8.1f} {busy_open['errors']:>7} "
          f"{busy_open['unsent']:>7}")
    print(f"(during an import: the worst {WINDOW} s window's p50 and p99, the windows' lookups/s; each loop "
          "during an import of its own into a fresh copy; unsent: open-loop lookups the server was too far "
          "behind to be sent in the run's time)")
    print(f"closed loop during the import against idle: p50 x{busy['worst_p50_ms'] / idle['p50_ms']:.2f}, "
          f"p99 x{busy['worst_p99_ms'] / idle['p99_ms']:.2f}")
    ok = (idle['socket_errors'] + idle['non_2xx'] == 0 and idle_open['errors'] + idle_open['non_2xx'] == 0
          and busy['errors'] == 0 and busy_open['errors'] == 0 and all(e == 0 for e in res['server_exit']))
    for kind in ['open', 'closed']:
        imp = res[f'import_{kind}']
        ans = imp.get('answer')
        print(f"import of {a.import_units:,} rows ({kind} loop): HTTP {imp.get('status')} in {imp.get('seconds')} s; "
              f"units {imp['units_before']:,} -> {imp['units_after']:,}")
        # Nothing lost: every row is accounted for by the report, and the memory grew
        # by the units the report says were imported.
        if imp.get('status') != 200 or not isinstance(ans, dict):
            print(str(ans)[:400])
            ok = False
            continue
        accounted = sum(ans.get(k, 0) for k in ['imported', 'merged', 'replaced', 'skipped', 'one_language'])
        if ans.get('read') != a.import_units or accounted != a.import_units:
            print(f"LOST: {a.import_units} rows sent, the report reads {ans.get('read')} and accounts for {accounted}")
            ok = False
        if imp['units_after'] != imp['units_before'] + ans.get('imported', -1):
            print(f"LOST: the report says {ans.get('imported')} imported, the memory grew by "
                  f"{imp['units_after'] - imp['units_before']}")
            ok = False
    print(f"server exit codes (SIGTERM): {res['server_exit']}")
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
