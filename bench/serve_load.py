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
  2. starts `bitext serve` on a free localhost port with a token file;
  3. idle: wrk, 2 threads, --connections connections, --seconds seconds of
     `GET /api/v1/lookup?src=en&tgt=ru&min=70&limit=5&q=...` over the queries in
     turn (bench/serve_load.lua), after a 5 s warm-up: requests/s, p50, p99, max,
     errors; then the open loop: --rate lookups/s of the same queries for --seconds
     (after 2 s not counted): p50, p99, max, errors;
  4. import: `POST /api/v1/import?format=tsv&src=en&tgt=ru` of the import body while
     5 s windows of the same lookups run until the import has answered, open loop
     and wrk in turn; every window's figures; then the memory's unit count
     (`GET /api/v1/stats`) must be the count before plus the units the import report
     says it imported, and the report must account for every row sent;
  5. SIGTERM: the server must stop with exit code 0.
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
    # Each run imports into a copy, so that the next run starts from the same memory.
    run_db = P('run.sqlite')
    for suffix in ['', '-wal', '-shm']:
        if os.path.exists(run_db + suffix):
            os.remove(run_db + suffix)
    shutil.copyfile(db, run_db)
    token = secrets.token_hex(32)
    with open(P('token'), 'w') as f:
        f.write(token + '\n')
    os.chmod(P('token'), 0o600)

    # 2. the server
    port = free_port()
    base = f'http://127.0.0.1:{port}'
    server = subprocess.Popen([B, 'serve', '--tm', run_db, '--listen', f'127.0.0.1:{port}',
                               '--token-file', P('token')],
                              stdout=subprocess.DEVNULL, stderr=open(P('server.log'), 'w'))
    res = {'units': a.units, 'import_units': a.import_units, 'connections': a.connections,
           'seconds': a.seconds, 'rate': a.rate, 'load_before': os.getloadavg()[0]}
    try:
        for _ in range(300):
            try:
                units_before = get_json(base + '/api/v1/stats')['units']
                break
            except OSError:
                time.sleep(0.1)
        else:
            sys.exit(f'serve_load: the server did not answer; see {P("server.log")}')

        # 3. idle
        wrk(base, P('queries.txt'), a.connections, 5)
        res['idle'] = wrk(base, P('queries.txt'), a.connections, a.seconds)
        res['idle_open'] = open_loop(gen, base, P('queries.txt'), a.rate, a.connections, a.seconds)

        # 4. during an import
        report = {}

        def post_import():
            size = os.path.getsize(P('import.tsv'))
            with open(P('import.tsv'), 'rb') as body:
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

        importer = threading.Thread(target=post_import)
        importer.start()
        windows, open_windows = [], []
        while importer.is_alive():
            # Open loop first: an import shorter than two windows still gets one.
            if len(open_windows) <= len(windows):
                open_windows.append(open_loop(gen, base, P('queries.txt'), a.rate, a.connections, 5, warmup=0))
            else:
                windows.append(wrk(base, P('queries.txt'), a.connections, 5))
        importer.join()
        units_after = get_json(base + '/api/v1/stats')['units']
        res['import'] = report
        res['during_import'] = {
            'windows': windows,
            'requests': sum(w['requests'] for w in windows),
            'per_second': round(sum(w['requests'] for w in windows) / max(1e-9, sum(w['seconds'] for w in windows)), 1),
            'worst_p99_ms': max((w['p99_ms'] for w in windows), default=0),
            'max_ms': max((w['max_ms'] for w in windows), default=0),
            'errors': sum(w['socket_errors'] + w['non_2xx'] for w in windows),
        }
        res['during_import_open'] = {
            'windows': open_windows,
            'requests': sum(w['requests'] for w in open_windows),
            'worst_p50_ms': max(w['p50_ms'] for w in open_windows),
            'worst_p99_ms': max(w['p99_ms'] for w in open_windows),
            'max_ms': max(w['max_ms'] for w in open_windows),
            'errors': sum(w['errors'] + w['non_2xx'] for w in open_windows),
            'unsent': sum(w['unsent'] for w in open_windows),
        }
        res['units_before'] = units_before
        res['units_after'] = units_after
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            res['server_exit'] = server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            res['server_exit'] = 'killed after 60 s'
    res['load_after'] = os.getloadavg()[0]
    with open(P('results.json'), 'w') as f:
        json.dump(res, f, indent=1)

    idle, busy = res['idle'], res['during_import']
    idle_open, busy_open = res['idle_open'], res['during_import_open']
    print(f"memory {a.units:,} units, {a.connections} connections (load before {res['load_before']:.1f})")
    print(f"{'':30} {'lookups/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>7} {'unsent':>7}")
    print(f"{'closed loop (wrk), idle':30} {idle['per_second']:>10.0f} {idle['p50_ms']:>8.2f} {idle['p99_ms']:>8.2f} "
          f"{idle['max_ms']:>8.1f} {idle['socket_errors'] + idle['non_2xx']:>7}")
    print(f"{'closed loop, during import':30} {busy['per_second']:>10.0f} {'':>8} {busy['worst_p99_ms']:>8.2f} "
          f"{busy['max_ms']:>8.1f} {busy['errors']:>7}")
    print(f"{f'open loop {a.rate}/s, idle':30} {idle_open['per_second']:>10.0f} {idle_open['p50_ms']:>8.2f} "
          f"{idle_open['p99_ms']:>8.2f} {idle_open['max_ms']:>8.1f} {idle_open['errors'] + idle_open['non_2xx']:>7} "
          f"{idle_open['unsent']:>7}")
    print(f"{f'open loop {a.rate}/s, import':30} {'':>10} {busy_open['worst_p50_ms']:>8.2f} "
          f"{busy_open['worst_p99_ms']:>8.2f} {busy_open['max_ms']:>8.1f} {busy_open['errors']:>7} "
          f"{busy_open['unsent']:>7}")
    print("(during the import: the worst 5 s window's p50 and p99; unsent: open-loop lookups the "
          "server was too far behind to be sent in the run's time)")
    ans = report.get('answer')
    print(f"import of {a.import_units:,} rows: HTTP {report.get('status')} in {report.get('seconds')} s; "
          f"units {res['units_before']:,} -> {res['units_after']:,}; server exit {res['server_exit']}")
    print(json.dumps(ans)[:400] if not isinstance(ans, str) else ans[:400])
    ok = (report.get('status') == 200 and busy['errors'] == 0 and idle['socket_errors'] + idle['non_2xx'] == 0
          and busy_open['errors'] == 0 and idle_open['errors'] + idle_open['non_2xx'] == 0
          and res['server_exit'] == 0)
    # Nothing lost: every row is accounted for by the report, and the memory grew by
    # the units the report says were imported.
    if not isinstance(ans, dict):
        ok = False
    else:
        accounted = sum(ans.get(k, 0) for k in ['imported', 'merged', 'replaced', 'skipped', 'one_language'])
        if ans.get('read') != a.import_units or accounted != a.import_units:
            print(f"LOST: {a.import_units} rows sent, the report reads {ans.get('read')} and accounts for {accounted}")
            ok = False
        if res['units_after'] != res['units_before'] + ans.get('imported', -1):
            print(f"LOST: the report says {ans.get('imported')} imported, the memory grew by "
                  f"{res['units_after'] - res['units_before']}")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
