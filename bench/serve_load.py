#!/usr/bin/env python3
"""Load benchmark of `bitext serve` (issue 16): lookups/s and latency percentiles with
64 concurrent keep-alive clients against a 350k-unit memory, then the same reads while
100k units are imported through the API (failures, latency, and the unit count after,
to check that nothing is lost).

    python3 bench/serve_load.py [--work /tmp/bitext-serve-bench] [--clients 64] [--seconds 20]

Stages (files are kept in --work and reused):
  1. the en-ru corpus grown to 450k pairs (bench/grow_corpus.py), the first 350k rows a
     memory (`bitext import`), rows 350k..450k the import, and 1,000 queries
     (../shared/bench/make_queries.py);
  2. `bitext serve` on a free port with a token, the memory copied fresh;
  3. reads alone: --clients connections, each sending GET /api/v1/lookup (min 70,
     limit 5) with the queries in turn for --seconds;
  4. reads during an import: the same load while POST /api/v1/import sends the 100k
     TSV rows; the reads run until the import answers;
  5. the unit count after (GET /api/v1/stats) against 350k + the report's imported.

The load generator is asyncio with raw HTTP/1.1 keep-alive connections (no client
library), so that one Python process can drive thousands of requests a second. Measure
on a quiet machine only (load average well under the number of cores): the client
shares the cores with the server. Prints a table and writes results.json in --work.
"""
import argparse, asyncio, json, os, shutil, subprocess, sys, time, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(REPO, '..', 'shared')
CORPUS = os.path.join(SHARED, 'data', 'corpus', 'en_ru.tsv')
BITEXT = os.path.join(REPO, 'target', 'release', 'bitext')
TOKEN = 'serve-load-benchmark-token-0123456789'


def run(cmd, **kw):
    print('+', ' '.join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


def head(src, dst, n, skip=0):
    with open(src, encoding='utf-8') as f, open(dst, 'w', encoding='utf-8') as out:
        for i, line in enumerate(f):
            if i < skip:
                continue
            if i >= skip + n:
                break
            out.write(line)


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


async def read_response(reader):
    """Status and body of one HTTP/1.1 response (Content-Length or chunked)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError('closed')
    status = int(status_line.split()[1])
    length, chunked = None, False
    while True:
        line = await reader.readline()
        if line in (b'\r\n', b'\n', b''):
            break
        name, _, value = line.decode('latin-1').partition(':')
        name = name.strip().lower()
        if name == 'content-length':
            length = int(value.strip())
        elif name == 'transfer-encoding' and 'chunked' in value.lower():
            chunked = True
    if chunked:
        body = b''
        while True:
            size = int((await reader.readline()).strip(), 16)
            if size == 0:
                await reader.readline()
                break
            body += await reader.readexactly(size)
            await reader.readline()
        return status, body
    return status, await reader.readexactly(length or 0)


async def client(host, port, paths, start_at, stop, lat, fails):
    reader, writer = await asyncio.open_connection(host, port)
    i = start_at
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        t = time.perf_counter()
        try:
            writer.write(f'GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n\r\n'.encode())
            await writer.drain()
            status, _ = await read_response(reader)
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            fails.append('connection')
            reader, writer = await asyncio.open_connection(host, port)
            continue
        if status != 200:
            fails.append(status)
        else:
            lat.append((time.perf_counter() - t) * 1000.0)
    writer.close()


async def load(host, port, paths, clients, seconds=None, until=None):
    stop = asyncio.Event()
    lat, fails = [], []
    tasks = [asyncio.create_task(client(host, port, paths, k * 17, stop, lat, fails)) for k in range(clients)]
    start = time.perf_counter()
    if until is not None:
        result = await until
    else:
        await asyncio.sleep(seconds)
        result = None
    stop.set()
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    return {
        'requests': len(lat), 'failures': len(fails), 'seconds': round(elapsed, 2),
        'per_second': round(len(lat) / elapsed, 1),
        'p50_ms': round(pct(lat, 50), 3), 'p99_ms': round(pct(lat, 99), 3),
        'max_ms': round(max(lat), 3),
    }, result


async def post_import(host, port, tsv):
    """POST the TSV to /api/v1/import on its own connection; the report."""
    body = open(tsv, 'rb').read()
    reader, writer = await asyncio.open_connection(host, port)
    head_ = (f'POST /api/v1/import?format=tsv&src=en&tgt=ru HTTP/1.1\r\nHost: {host}\r\n'
             f'Authorization: Bearer {TOKEN}\r\nContent-Length: {len(body)}\r\n\r\n').encode()
    writer.write(head_)
    writer.write(body)
    await writer.drain()
    status, data = await read_response(reader)
    writer.close()
    if status != 200:
        raise SystemExit(f'the import failed: {status} {data[:500]!r}')
    return json.loads(data)


def get_json(host, port, path):
    import http.client
    c = http.client.HTTPConnection(host, port, timeout=60)
    c.request('GET', path)
    r = c.getresponse()
    return json.loads(r.read())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--work', default='/tmp/bitext-serve-bench')
    ap.add_argument('--clients', type=int, default=64)
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--units', type=int, default=350_000, help='memory size (smaller: a smoke run)')
    ap.add_argument('--import-units', type=int, default=100_000)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    P = lambda name: os.path.join(a.work, name)
    load1 = os.getloadavg()[0]
    if load1 > 1.5:
        print(f'warning: load average {load1:.1f}: the figures will not be those of a quiet machine',
              file=sys.stderr)
    n, extra = a.units, a.import_units
    grown = P(f'grown{n + extra}.tsv')
    if not os.path.exists(grown):
        run([sys.executable, os.path.join(HERE, 'grow_corpus.py'), CORPUS, grown, '-n', str(n + extra)])
    mem_tsv, extra_tsv, mem = P(f'm{n}.tsv'), P(f'extra{n}+{extra}.tsv'), P(f'm{n}.sqlite')
    if not os.path.exists(mem_tsv):
        head(grown, mem_tsv, n)
    if not os.path.exists(extra_tsv):
        head(grown, extra_tsv, extra, skip=n)
    queries_txt = P(f'queries{n + extra}.txt')
    if not os.path.exists(queries_txt):
        run([sys.executable, os.path.join(SHARED, 'bench', 'make_queries.py'), grown, queries_txt])
    if not os.path.exists(mem):
        run([BITEXT, '-q', 'import', mem_tsv, '-s', 'en', '-t', 'ru', '--tm', mem])
    queries = [l.rstrip('\n') for l in open(queries_txt, encoding='utf-8') if l.strip()]
    paths = ['/api/v1/lookup?' + urllib.parse.urlencode({'q': q, 'src': 'en', 'tgt': 'ru', 'min': 70, 'limit': 5})
             for q in queries]
    tm = P('serve.sqlite')
    for suffix in ('', '-wal', '-shm'):
        if os.path.exists(tm + suffix):
            os.remove(tm + suffix)
    shutil.copy(mem, tm)
    env = dict(os.environ, BITEXT_SERVE_TOKEN=TOKEN, RUST_LOG='warn')
    server = subprocess.Popen([BITEXT, 'serve', '--tm', tm, '--listen', '127.0.0.1:0', '--timeout', '600'],
                              env=env, stderr=subprocess.PIPE, text=True)
    try:
        line = ''
        while 'http://' not in line:
            line = server.stderr.readline()
            if not line:
                raise SystemExit('bitext serve did not start')
        host, port = line.split('http://')[1].split()[0].rsplit(':', 1)
        port = int(port)
        # Warm-up: every query once.
        asyncio.run(load(host, port, paths, a.clients, seconds=3))
        alone, _ = asyncio.run(load(host, port, paths, a.clients, seconds=a.seconds))
        during, report = asyncio.run(load(host, port, paths, a.clients,
                                          until=post_import(host, port, extra_tsv)))
        units = get_json(host, port, '/api/v1/stats')['units']
    finally:
        server.terminate()
        server.wait(timeout=120)
    res = {
        'load_average_at_start': load1, 'clients': a.clients, 'memory_units': n,
        'reads_alone': alone, 'reads_during_import': during,
        'import': {k: report[k] for k in ('read', 'imported', 'merged', 'skipped', 'seconds')},
        'units_after': units, 'units_expected': n + report['imported'],
    }
    json.dump(res, open(P('results.json'), 'w'), indent=1)
    print(f"{'':28} {'lookups/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'failures':>8}")
    for name, r in (('reads alone', alone), (f'reads during {extra} import', during)):
        print(f"{name:28} {r['per_second']:>10} {r['p50_ms']:>8} {r['p99_ms']:>8} {r['failures']:>8}")
    print(f"import: {report['read']} read, {report['imported']} imported in {report['seconds']} s; "
          f"units after {units} (expected {res['units_expected']})")
    if units != res['units_expected']:
        raise SystemExit('units were lost')


if __name__ == '__main__':
    main()
