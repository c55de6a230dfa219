#!/usr/bin/env python3
"""Preparation throughput: MB of JSONL per core-second for tools/prepare_data.py, beside the `tokenizers`
library alone (encode_batch on the same texts, already in memory) in the same run, and their ratio.

The corpus is built from text on this machine (the Python standard library's sources: code, comments and
docstrings), cut into documents of at most 8 KB and repeated up to --mb; the tokenizer is a byte-level BPE of
--vocab ids trained on it with the `tokenizers` library (or --tokenizer PATH). "Per core" divides by CPU
seconds (user + system of every process involved), so the tool's reader process and its workers are all
counted; wall-clock MB/s is printed too.

usage: prepare_throughput.py [--mb 32] [--vocab 32000] [--reps 3] [--workers N] [--tokenizer PATH] [--work-dir D]
Run it with the managed venv's python (native/scripts/python_env.sh path).
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "tools", "prepare_data.py")

# The peer, in its own process so that its CPU time is measured alone: loads the texts (not timed), then
# encodes them in batches of 1024 on one thread (TOKENIZERS_PARALLELISM=false), as each of the tool's workers
# does. Prints {"encode_batch": [wall, cpu], "encode_batch_fast": [wall, cpu]}.
PEER = r"""
import json, sys, time
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    texts = [json.loads(line)["text"] for line in f]
out = {}
for name in ("encode_batch", "encode_batch_fast"):
    encode = getattr(tok, name)
    w, c = time.perf_counter(), time.process_time()
    n = 0
    for i in range(0, len(texts), 1024):
        n += sum(len(e.ids) for e in encode(texts[i:i + 1024], add_special_tokens=False))
    out[name] = [time.perf_counter() - w, time.process_time() - c, n]
print(json.dumps(out))
"""


def build_corpus(path: str, target_bytes: int) -> int:
    docs = []
    stdlib = sysconfig.get_paths()["stdlib"]
    for root, dirs, files in os.walk(stdlib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "dist-packages", "__pycache__", "test"))
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            try:
                with open(os.path.join(root, name), encoding="utf-8") as f:
                    text = f.read()
            except (OSError, UnicodeDecodeError):
                continue
            piece = []
            size = 0
            for line in text.splitlines(keepends=True):
                piece.append(line)
                size += len(line)
                if size >= 8000:
                    docs.append("".join(piece))
                    piece, size = [], 0
            if piece:
                docs.append("".join(piece))
    written = 0
    with open(path, "w", encoding="utf-8") as f:
        while written < target_bytes:
            for d in docs:
                line = json.dumps({"text": d}) + "\n"
                f.write(line)
                written += len(line.encode("utf-8"))
                if written >= target_bytes:
                    break
    return written


def train_tokenizer(path: str, corpus: str, vocab: int) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)

    def texts():
        with open(corpus, encoding="utf-8") as f:
            for n, line in enumerate(f):
                if n >= 3000:
                    return
                yield json.loads(line)["text"]

    tok.train_from_iterator(texts(), trainer=trainer)
    tok.save(path)


def timed(argv, env=None):
    """-> (wall s, CPU s of the process and all its descendants, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    r = subprocess.run(argv, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{r.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, r.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=32.0, help="size of the JSONL corpus (default 32)")
    ap.add_argument("--vocab", type=int, default=32000, help="vocabulary of the trained tokenizer (default 32000)")
    ap.add_argument("--tokenizer", help="use this tokenizer.json instead of training one")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)),
                    help="workers of the parallel run (default: usable cores)")
    ap.add_argument("--work-dir", help="keep the corpus and tokenizer here (default: a temporary folder)")
    args = ap.parse_args()

    work = args.work_dir or tempfile.mkdtemp(prefix="prepare-bench-")
    os.makedirs(work, exist_ok=True)
    corpus = os.path.join(work, "corpus.jsonl")
    if not os.path.exists(corpus) or abs(os.path.getsize(corpus) - args.mb * 1e6) > 1e6:
        build_corpus(corpus, int(args.mb * 1e6))
    size = os.path.getsize(corpus)
    tok_path = args.tokenizer or os.path.join(work, f"bpe-{args.vocab}.json")
    if not os.path.exists(tok_path):
        t = time.perf_counter()
        train_tokenizer(tok_path, corpus, args.vocab)
        print(f"trained a byte-level BPE of {args.vocab} ids in {time.perf_counter() - t:.1f} s")
    mb = size / 1e6
    print(f"corpus: {corpus}, {mb:.1f} MB of JSONL; tokenizer: {tok_path}; {args.reps} repetitions, medians; "
          f"{len(os.sched_getaffinity(0))} usable cores")

    load_start = os.getloadavg()[0]
    env = dict(os.environ, TOKENIZERS_PARALLELISM="false", RAYON_NUM_THREADS="1")
    peer = {"encode_batch": [], "encode_batch_fast": []}
    tool = {1: [], args.workers: []}
    for _ in range(args.reps):
        _, _, out = timed([sys.executable, "-c", PEER, tok_path, corpus], env)
        for name, (wall, cpu, _) in json.loads(out).items():
            peer[name].append((wall, cpu))
        for workers in tool:
            prefix = os.path.join(work, f"out-{workers}", "ds")
            shutil.rmtree(os.path.dirname(prefix), ignore_errors=True)
            os.makedirs(os.path.dirname(prefix))
            wall, cpu, _ = timed([sys.executable, TOOL, corpus, "--tokenizer", tok_path, "--output-prefix", prefix,
                                  "--workers", str(workers), "--progress", "none"])
            tool[workers].append((wall, cpu))
    with open(os.path.join(work, f"out-1", "ds.meta.json")) as f:
        meta = json.load(f)
    print(f"dataset: {meta['documents']:,} documents, {meta['tokens']:,} tokens ({size / meta['tokens']:.2f} bytes "
          "of JSONL per token)")

    def med(runs):
        return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)

    # Sharing the machine only ever adds CPU time (cache and core contention), so the best repetition is
    # the closest to a quiet machine; the median is printed beside it.
    rows = []
    for name, runs in peer.items():
        w, c = med(runs)
        rows.append((f"tokenizers {name} alone (1 thread)", mb / w, mb / c, mb / min(c for _, c in runs)))
    for workers, runs in tool.items():
        w, c = med(runs)
        rows.append((f"prepare_data.py --workers {workers}", mb / w, mb / c, mb / min(c for _, c in runs)))
    print(f"{'':44s}{'MB/s wall':>12s}{'MB/s per core':>16s}{'best':>8s}")
    for label, wall, per_core, best in rows:
        print(f"{label:44s}{wall:12.2f}{per_core:16.2f}{best:8.2f}")
    base, base_best = rows[0][2], rows[0][3]
    for (label, _, per_core, best), workers in zip(rows[2:], tool):
        # Each repetition runs the peer and the tool back to back: its own ratio is the least exposed to drift.
        own = [pc / tc for (_, pc), (_, tc) in zip(peer["encode_batch"], tool[workers])]
        print(f"ratio per core, {label} / tokenizers encode_batch: {per_core / base:.2f} of the medians, "
              f"{best / base_best:.2f} of the best (per repetition: {', '.join(f'{r:.2f}' for r in own)})")
    print(f"load average (1 min): {load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
