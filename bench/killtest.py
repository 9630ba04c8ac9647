#!/usr/bin/env python3
"""Crash-safety harness: kills bitext with SIGKILL at random moments while it writes a
translation memory or an export, and checks that nothing half-done and nothing committed
is lost (issue 6, docs/reliability.md).

    python3 bench/killtest.py [--kills 20] [--units 200000] [--files 10] [--seed 1]
                              [--work /tmp/bitext-killtest] [--bitext target/release/bitext]

Scenarios (each until --kills SIGKILLs have landed on a running process):
  import   `bitext import F1 … Fn` (one transaction per file) of --units units in --files
           files, killed at a random moment; re-run on the files not yet stored, a fresh
           memory once all are in. After every kill: PRAGMA integrity_check is ok; every
           file is stored completely or not at all; the stored files are the first ones of
           the run (in order) and include every file the run had reported as imported
           (`-f jsonl` prints a line per committed file); `bitext stats` agrees with the
           row count; a sentence of each stored file is found as a 100 % match.
  align    `bitext align --batch LIST --into TM` of --files document pairs (one
           transaction per pair): every pair stored completely or not at all.
  delete   `bitext delete --origin F` on a full memory: the file's units all there or
           all gone, the others untouched.
  export   `bitext export OUT.tmx` over an earlier export: OUT is afterwards
           byte-identical to the earlier file (or the new complete one), never truncated.
Prints a table (and writes results.json in --work). Exit status 1 if any check failed.
The CLI test tests/cli_crash.rs runs a small version of the same checks in CI.
"""
import argparse, hashlib, json, os, random, shutil, signal, sqlite3, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CORPUS = os.path.join(REPO, '..', 'shared', 'data', 'corpus', 'en_ru.tsv')


def corpus_pairs():
    pairs = []
    with open(CORPUS, encoding='utf-8') as f:
        for line in f:
            cols = line.rstrip('\n').split('\t')
            if len(cols) >= 2 and cols[0].strip() and cols[1].strip():
                pairs.append((cols[0].strip(), cols[1].strip()))
    return pairs


def make_files(work, pairs, units, files, doc_sentences):
    """`files` TSV files of units/files distinct pairs each (a file/line marker makes
    every source unique), and the same as document pairs for the aligner."""
    per = units // files
    tsvs, docs = [], []
    k = 0
    for f in range(files):
        tsv = os.path.join(work, f'part{f:02}.tsv')
        en, ru = os.path.join(work, f'doc{f:02}.en'), os.path.join(work, f'doc{f:02}.ru')
        with open(tsv, 'w', encoding='utf-8') as t:
            t.write('en\tru\n')
            for i in range(per):
                s, r = pairs[k % len(pairs)]
                k += 1
                t.write(f'{s} [{f}.{i}]\t{r} [{f}.{i}]\n')
        # Documents for the aligner: doc_sentences sentence pairs each, one a line.
        with open(en, 'w', encoding='utf-8') as a, open(ru, 'w', encoding='utf-8') as b:
            for i in range(doc_sentences):
                s, r = pairs[(f * doc_sentences + i) % len(pairs)]
                a.write(f'{s} <{f}.{i}>\n')
                b.write(f'{r} <{f}.{i}>\n')
        tsvs.append(tsv)
        docs.append((en, ru))
    return tsvs, docs, per


class Harness:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.failures = []
        self.results = {}

    def fail(self, scenario, msg):
        print(f'FAILED [{scenario}]: {msg}', file=sys.stderr)
        self.failures.append(f'{scenario}: {msg}')

    def bitext(self, *args):
        return [self.a.bitext, *args]

    def run_and_kill(self, cmd, delay):
        """Starts `cmd`, SIGKILLs it after `delay` seconds if it still runs. Returns
        (killed, stdout, seconds)."""
        env = dict(os.environ, BITEXT_TM='')
        t = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        try:
            p.wait(timeout=delay)
            killed = False
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            killed = True
        out = p.stdout.read().decode('utf-8', 'replace')
        err = p.stderr.read().decode('utf-8', 'replace')
        secs = time.perf_counter() - t
        if not killed and p.returncode != 0:
            raise SystemExit(f'{" ".join(cmd)} failed ({p.returncode}): {err}')
        if 'panicked' in err:
            self.fail('run', f'panic: {err}')
        return killed, out, secs

    def inspect(self, scenario, tm):
        """integrity_check, then units per origin."""
        con = sqlite3.connect(f'file:{tm}?mode=ro', uri=True)
        try:
            check = con.execute('PRAGMA integrity_check').fetchall()
            if check != [('ok',)]:
                self.fail(scenario, f'integrity_check: {check[:5]}')
            rows = con.execute(
                'SELECT o.name, count(*) FROM units u LEFT JOIN origins o ON u.origin = o.id '
                'GROUP BY o.name').fetchall()
        finally:
            con.close()
        return {name: n for name, n in rows}

    def stats_units(self, tm):
        out = subprocess.run(self.bitext('stats', '-f', 'jsonl', '--tm', tm), capture_output=True,
                             text=True, env=dict(os.environ, BITEXT_TM=''))
        if out.returncode != 0:
            self.fail('stats', out.stderr.strip())
            return None
        return json.loads(out.stdout.splitlines()[0])['units']

    def found(self, tm, sentence):
        out = subprocess.run(self.bitext('lookup', sentence, '-s', 'en', '-t', 'ru', '--max', '1', '-f',
                                         'jsonl', '--tm', tm), capture_output=True, text=True,
                             env=dict(os.environ, BITEXT_TM=''))
        if out.returncode != 0 or not out.stdout.strip():
            return False
        matches = json.loads(out.stdout.splitlines()[0])['matches']
        return bool(matches) and matches[0]['score']['percent'] >= 100

    # --- scenarios -------------------------------------------------------------------

    def import_scenario(self, tsvs, per, duration):
        tm = os.path.join(self.a.work, 'import.sqlite')
        kills = runs = 0
        stored = []  # files committed so far, in order
        remove_memory(tm)
        while kills < self.a.kills:
            pending = [f for f in tsvs if f not in stored]
            if not pending:
                remove_memory(tm)
                stored = []
                pending = list(tsvs)
            delay = self.rng.uniform(0.02, duration * len(pending) / len(tsvs) * 1.1)
            killed, out, _ = self.run_and_kill(
                self.bitext('import', *pending, '--no-quotes', '--report', 'jsonl', '--quiet', '--tm', tm), delay)
            runs += 1
            kills += killed
            reported = [json.loads(l)['file'] for l in out.splitlines() if l.strip()]
            if not os.path.exists(tm):
                if reported:
                    self.fail('import', f'reported {reported} but no memory file')
                continue
            counts = self.inspect('import', tm)
            for name, n in counts.items():
                if n != per:
                    self.fail('import', f'{name}: {n} of {per} units stored (half-imported)')
            now = [f for f in tsvs if counts.get(f) == per]
            expected_prefix = stored + pending[:len(now) - len(stored)]
            if now != expected_prefix or not set(stored) <= set(now):
                self.fail('import', f'stored {now}, expected a prefix extending {stored}')
            for f in reported:
                if f not in now:
                    self.fail('import', f'{f} was reported imported but is not stored (lost)')
            if not killed and now != tsvs:
                self.fail('import', 'a complete run did not store every file')
            total = sum(counts.values())
            if self.stats_units(tm) != total:
                self.fail('import', f'bitext stats disagrees with {total} stored units')
            if now:
                f = self.rng.choice(now)
                i = self.rng.randrange(per)
                src = line_of(f, i + 1).split('\t')[0]
                if not self.found(tm, src):
                    self.fail('import', f'line {i + 2} of {f} is stored but not found by lookup')
            stored = now
        self.results['import'] = {'runs': runs, 'kills': kills, 'units_per_file': per,
                                  'files': len(tsvs)}

    def align_scenario(self, docs, duration, sizes):
        tm = os.path.join(self.a.work, 'align.sqlite')
        listing = os.path.join(self.a.work, 'docs.tsv')
        with open(listing, 'w') as f:
            for en, ru in docs:
                f.write(f'{en}\t{ru}\n')
        kills = runs = 0
        remove_memory(tm)
        while kills < self.a.kills:
            delay = self.rng.uniform(0.05, duration * 1.1)
            killed, _, _ = self.run_and_kill(
                self.bitext('align', '--batch', listing, '--segmented', '--src-lang', 'en', '--tgt-lang', 'ru',
                            '--into', tm, '--quiet', '--threads', '1'), delay)
            runs += 1
            kills += killed
            if not os.path.exists(tm):
                continue
            counts = self.inspect('align', tm)
            for name, n in counts.items():
                # A pair's units are all stored or none (as many as the unkilled
                # reference run stored; later runs merge duplicates, never add).
                if n != sizes.get(name):
                    self.fail('align', f'{name}: {n} units stored, a complete store has {sizes.get(name)}')
            if not killed:
                if len(counts) != len(docs):
                    self.fail('align', f'a complete run stored {len(counts)} of {len(docs)} pairs')
                remove_memory(tm)
        self.results['align'] = {'runs': runs, 'kills': kills, 'pairs': len(docs)}

    def delete_scenario(self, tsvs, per, full_tm, duration):
        tm = os.path.join(self.a.work, 'delete.sqlite')
        kills = runs = 0
        while kills < self.a.kills:
            copy_memory(full_tm, tm)
            victim = self.rng.choice(tsvs)
            delay = self.rng.uniform(0.0, duration * 1.2)
            killed, _, _ = self.run_and_kill(
                self.bitext('delete', '--origin', victim, '--quiet', '--tm', tm), delay)
            runs += 1
            kills += killed
            counts = self.inspect('delete', tm)
            n = counts.get(victim, 0)
            if n not in (0, per):
                self.fail('delete', f'{victim}: {n} of {per} units left (half-deleted)')
            if not killed and n != 0:
                self.fail('delete', f'a complete delete left {n} units of {victim}')
            for f in tsvs:
                if f != victim and counts.get(f) != per:
                    self.fail('delete', f'{f} lost units when {victim} was deleted')
            if self.stats_units(tm) != sum(counts.values()):
                self.fail('delete', 'bitext stats disagrees with the row count')
        self.results['delete'] = {'runs': runs, 'kills': kills}

    def export_scenario(self, full_tm, duration, expected_units):
        out = os.path.join(self.a.work, 'export', 'memory.tmx')
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if os.path.exists(out):
            os.remove(out)
        kills = runs = leftovers = 0
        previous = None
        while kills < self.a.kills:
            delay = self.rng.uniform(0.0, duration * 1.1)
            killed, _, _ = self.run_and_kill(
                self.bitext('export', out, '--quiet', '--tm', full_tm), delay)
            runs += 1
            kills += killed
            if os.path.exists(out):
                digest = sha1(out)
                # The earlier file untouched, or the new one complete (its header's
                # creation date differs, so it is checked by its end and its units).
                if digest != previous:
                    if tmx_units(out) != expected_units:
                        self.fail('export', f'{out} holds a truncated or partial export')
                    previous = digest
            elif previous is not None:
                self.fail('export', 'the earlier export vanished')
            elif not killed:
                self.fail('export', 'a complete export left no file')
            # Temporary files of killed exports stay beside the target (the process had
            # no chance to remove them): counted, then cleared.
            for name in os.listdir(os.path.dirname(out)):
                if name != 'memory.tmx':
                    leftovers += 1
                    os.remove(os.path.join(os.path.dirname(out), name))
        self.results['export'] = {'runs': runs, 'kills': kills, 'temporary_files_left': leftovers}


def tmx_units(path):
    """The number of `<tu>` elements of a complete TMX file (None if it does not end
    with `</tmx>`)."""
    with open(path, 'rb') as f:
        data = f.read()
    if not data.rstrip().endswith(b'</tmx>'):
        return None
    return data.count(b'<tu ') + data.count(b'<tu>')


def line_of(path, n):
    with open(path, encoding='utf-8') as f:
        for k, line in enumerate(f):
            if k == n:
                return line.rstrip('\n')
    raise IndexError(n)


def sha1(path):
    h = hashlib.sha1()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def remove_memory(tm):
    for suffix in ('', '-wal', '-shm', '-journal'):
        if os.path.exists(tm + suffix):
            os.remove(tm + suffix)


def copy_memory(src, dst):
    remove_memory(dst)
    shutil.copy(src, dst)


def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ, BITEXT_TM=''))
    if out.returncode != 0:
        raise SystemExit(f'{" ".join(cmd)} failed ({out.returncode}): {out.stderr}')
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--work', default='/tmp/bitext-killtest')
    ap.add_argument('--bitext', default=os.path.join(REPO, 'target', 'release', 'bitext'))
    ap.add_argument('--kills', type=int, default=20, help='SIGKILLs to land per scenario')
    ap.add_argument('--units', type=int, default=200_000)
    ap.add_argument('--files', type=int, default=10)
    ap.add_argument('--doc-sentences', type=int, default=2000,
                    help='sentences of each document pair for align --into')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--scenarios', default='import,align,delete,export')
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    h = Harness(a)
    t0 = time.perf_counter()
    tsvs, docs, per = make_files(a.work, corpus_pairs(), a.units, a.files, a.doc_sentences)
    # A complete, unkilled run of each command, to know how long it takes (kill moments
    # are drawn from that span) and to have a full memory for delete and export.
    full = os.path.join(a.work, 'full.sqlite')
    remove_memory(full)
    import_secs = timed(h.bitext('import', *tsvs, '--no-quotes', '--quiet', '--tm', full))
    listing = os.path.join(a.work, 'docs.tsv')
    with open(listing, 'w') as f:
        for en, ru in docs:
            f.write(f'{en}\t{ru}\n')
    scratch = os.path.join(a.work, 'scratch.sqlite')
    remove_memory(scratch)
    align_secs = timed(h.bitext('align', '--batch', listing, '--segmented', '--src-lang', 'en', '--tgt-lang', 'ru',
                                '--into', scratch, '--quiet', '--threads', '1'))
    align_sizes = h.inspect('align', scratch)
    copy_memory(full, scratch)
    delete_secs = timed(h.bitext('delete', '--origin', tsvs[0], '--quiet', '--tm', scratch))
    export_secs = timed(h.bitext('export', os.path.join(a.work, 'full.tmx'), '--quiet',
                                 '--tm', full))
    h.results['durations_s'] = {'import': round(import_secs, 2), 'align': round(align_secs, 2),
                                'delete': round(delete_secs, 2), 'export': round(export_secs, 2)}
    scenarios = a.scenarios.split(',')
    if 'import' in scenarios:
        h.import_scenario(tsvs, per, import_secs)
    if 'align' in scenarios:
        h.align_scenario(docs, align_secs, align_sizes)
    if 'delete' in scenarios:
        h.delete_scenario(tsvs, per, full, delete_secs)
    if 'export' in scenarios:
        h.export_scenario(full, export_secs, tmx_units(os.path.join(a.work, 'full.tmx')))
    h.results['failures'] = h.failures
    h.results['seconds'] = round(time.perf_counter() - t0, 1)
    json.dump(h.results, open(os.path.join(a.work, 'results.json'), 'w'), indent=1)
    d = h.results['durations_s']
    print(f'{a.units} units in {a.files} files; unkilled runs: import {d["import"]} s, align --into '
          f'{d["align"]} s, delete {d["delete"]} s, export {d["export"]} s')
    print(f'{"scenario":10} {"runs":>5} {"SIGKILLs":>9}  result')
    for s in scenarios:
        r = h.results.get(s, {})
        bad = [f for f in h.failures if f.startswith(s + ':')]
        verdict = 'FAILED' if bad else 'ok: nothing half-done, nothing committed lost, integrity ok'
        extra = f' ({r["temporary_files_left"]} temporary files left by killed runs)' if s == 'export' else ''
        print(f'{s:10} {r.get("runs", 0):>5} {r.get("kills", 0):>9}  {verdict}{extra}')
    sys.exit(1 if h.failures else 0)


if __name__ == '__main__':
    main()
