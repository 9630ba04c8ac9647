#!/usr/bin/env python3
"""When do lookups stall during an import? One open-loop run with a per-request timeline.

    python3 bench/serve_import_timeline.py [--work /tmp/bitext-serve-load] [--bitext B]
                                           [--rate 5000] [--seconds 14] [--import-at 4]

Uses the data `bench/serve_load.py` leaves in --work (run that once first): starts
`bitext serve` on a fresh copy of the 350k memory, sends --rate lookups/s for
--seconds (after 2 s not counted) with `serve_load_gen --timeline`, posts the 100k
import body --import-at seconds in, and prints the run's figures (p50, p99, max of
the whole run), when the import ran, and every 250 ms stretch whose median latency
passed 15 ms. Run builds A and B in turn (--bitext) to compare a change: the figures
vary from run to run, so several runs each.

--perf-stat counts, with `perf stat` on the server during the import, its calls that
take the memory-map lock for writing (mprotect, mmap, munmap) and its page faults
(docs/serve.md: the heap-growth change, measured with --rate 2000 --perf-stat).
--rate 0 sends no lookups: the import alone, for its time (and the server's peak
memory, printed in every run).
"""
import argparse, json, os, signal, subprocess, sys, threading, time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serve_load import REPO, Server, build_load_gen, post_import  # noqa: E402


PERF_EVENTS = ('syscalls:sys_enter_mprotect,syscalls:sys_enter_mmap,'
               'syscalls:sys_enter_munmap,page-faults')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='/tmp/bitext-serve-load')
    ap.add_argument('--bitext', default=os.path.join(REPO, 'target', 'release', 'bitext'))
    ap.add_argument('--rate', type=int, default=5000)
    ap.add_argument('--seconds', type=float, default=14)
    ap.add_argument('--import-at', type=float, default=4)
    ap.add_argument('--perf-stat', action='store_true',
                    help='count the server\'s mprotect/mmap/munmap calls and page faults during the import')
    a = ap.parse_args()
    P = lambda name: os.path.join(a.work, name)
    for need in ['memory.sqlite', 'import.tsv', 'queries.txt', 'token']:
        if not os.path.exists(P(need)):
            sys.exit(f'serve_import_timeline: {P(need)} is missing: run bench/serve_load.py --work {a.work} first')
    gen = build_load_gen()
    with open(P('token')) as f:
        token = f.read().strip()
    timeline = P('timeline.tsv')
    with Server(os.path.abspath(a.bitext), P('memory.sqlite'), P, 'timeline') as server:
        start = time.monotonic()
        load = None
        if a.rate > 0:
            load = subprocess.Popen([gen, '--url', server.base, '--queries', P('queries.txt'),
                                     '--rate', str(a.rate), '--connections', '64', '--seconds', str(a.seconds),
                                     '--warmup', '2', '--timeline', timeline],
                                    stdout=subprocess.PIPE, text=True)
            time.sleep(a.import_at)
        perf = None
        if a.perf_stat:
            perf = subprocess.Popen(['perf', 'stat', '-x', ',', '-e', PERF_EVENTS, '-p', str(server.proc.pid)],
                                    stderr=subprocess.PIPE, text=True)
            time.sleep(0.2)
        report = {}
        began = time.monotonic() - start
        importer = threading.Thread(target=post_import, args=(server.base, token, P('import.tsv'), report))
        importer.start()
        importer.join()
        ended = time.monotonic() - start
        if perf:
            perf.send_signal(signal.SIGINT)
            _, counts = perf.communicate()
            for line in counts.splitlines():
                fields = line.split(',')
                if len(fields) > 2 and fields[0].strip().isdigit():
                    print(f'during the import: {fields[2]} {fields[0]}')
        out = load.communicate()[0] if load else None
        with open(f'/proc/{server.proc.pid}/status') as f:
            peak = next((l.split()[1] for l in f if l.startswith('VmHWM:')), '?')
        print(f'server peak memory: {int(peak) // 1024 if peak.isdigit() else peak} MB')
    print(f"import: HTTP {report.get('status')}, from {began:.1f} s to {ended:.1f} s "
          f"({ended - began:.2f} s; times from the run's start)")
    if out is None:
        sys.exit(0 if report.get('status') == 200 else 1)
    figures = json.loads(out.strip().splitlines()[-1])
    print({k: figures[k] for k in ['per_second', 'p50_ms', 'p90_ms', 'p99_ms', 'max_ms', 'errors', 'unsent']})
    bins = defaultdict(list)
    with open(timeline) as f:
        for line in f:
            due, latency = map(float, line.split())
            bins[int(due // 250)].append(latency)
    for k in sorted(bins):
        v = sorted(bins[k])
        if v[len(v) // 2] > 15:
            print(f'  {k * 0.25:5.2f} s: p50 {v[len(v) // 2]:6.1f} ms, max {v[-1]:6.1f} ms ({len(v)} lookups)')
    sys.exit(0 if report.get('status') == 200 and figures['errors'] == 0 else 1)


if __name__ == '__main__':
    main()
