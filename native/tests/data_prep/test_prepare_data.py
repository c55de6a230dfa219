#!/usr/bin/env python3
"""Tests of native/tools/prepare_data.py as a user runs it: the real tool in a subprocess, tokenizers trained
here with the `tokenizers` library, and the datasets read back by a reader written in this file from the
MMIDIDX format description (docs/data-preparation.md), not from the tool's code.

usage: test_prepare_data.py --tool PATH --work-dir DIR SCENARIO
"""

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

import zstandard
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers


class Failure(AssertionError):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


# ---- the format, from its description --------------------------------------------------------------------

# dtype code -> (struct letter, size)
DTYPES = {1: ("B", 1), 2: ("b", 1), 3: ("h", 2), 4: ("i", 4), 5: ("q", 8), 6: ("d", 8), 7: ("f", 4), 8: ("H", 2)}


def read_indexed(prefix):
    """-> (dtype code, [token list per sequence], document index). Checks every structural promise."""
    with open(prefix + ".idx", "rb") as f:
        idx = f.read()
    with open(prefix + ".bin", "rb") as f:
        data = f.read()
    check(idx[:9] == b"MMIDIDX\x00\x00", f"{prefix}.idx: bad magic {idx[:9]!r}")
    (version,) = struct.unpack_from("<Q", idx, 9)
    check(version == 1, f"version {version}")
    code = idx[17]
    check(code in DTYPES, f"dtype code {code}")
    count, doc_count = struct.unpack_from("<QQ", idx, 18)
    off = 34
    sizes = struct.unpack_from(f"<{count}i", idx, off)
    off += 4 * count
    pointers = struct.unpack_from(f"<{count}q", idx, off)
    off += 8 * count
    doc_index = struct.unpack_from(f"<{doc_count}q", idx, off)
    off += 8 * doc_count
    check(off == len(idx), f"{prefix}.idx has {len(idx) - off} bytes after the document index")
    letter, size = DTYPES[code]
    seqs = []
    expect = 0
    for n, p in zip(sizes, pointers):
        check(p == expect, f"pointer {p}, expected {expect} (sequences are back to back)")
        seqs.append(list(struct.unpack_from(f"<{n}{letter}", data, p)))
        expect = p + n * size
    check(expect == len(data), f"{prefix}.bin has {len(data)} bytes, the index covers {expect}")
    check(doc_index[0] == 0 and doc_index[-1] == count, f"document index {doc_index[:3]}...{doc_index[-1:]}")
    return code, seqs, list(doc_index)


# ---- inputs ----------------------------------------------------------------------------------------------

WORDS = ("the router sends each token to two experts of eight while attention heads share keys and values "
         "über naïve café 漢字 émoji 🚀 data mixture phase decay").split()


def make_texts(n, seed=1, max_words=60):
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        lines = []
        for _ in range(rng.randint(1, 3)):
            lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, max_words))))
        texts.append("\n".join(lines))
    return texts


def write_jsonl(path, texts, field="text"):
    with open(path, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"id": i, field: t}, ensure_ascii=(i % 2 == 0)) + "\n")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def train_bpe(path, vocab_size=400):
    """A byte-level BPE with an <|endoftext|> special token, trained on this test's own text."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(make_texts(2000, seed=99), trainer=trainer)
    tok.save(path)
    return tok


def train_llama_style(path, vocab_size=600):
    """A SentencePiece-style BPE as Llama's and JetMoE's tokenizer.json are: '▁' for spaces, byte fallback
    (<0x00>..<0xFF>), <unk> <s> </s>, and a post-processor that puts <s> first."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
    tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                     decoders.Strip(" ", 1, 0)])
    specials = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False)
    tok.train_from_iterator([t.replace("🚀", "") for t in make_texts(2000, seed=98)], trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    tok.save(path)
    return tok


class Env:
    def __init__(self, args):
        self.tool = os.path.abspath(args.tool)
        self.work = os.path.abspath(args.work_dir)
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work)

    def p(self, *parts):
        return os.path.join(self.work, *parts)

    def dir(self, name):
        d = self.p(name)
        os.makedirs(d, exist_ok=True)
        return d

    def run(self, *args, timeout=120):
        return subprocess.run([sys.executable, self.tool, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, cwd=self.work)

    def ok(self, *args):
        r = self.run(*args)
        check(r.returncode == 0, f"prepare_data {' '.join(map(str, args))} exited {r.returncode}:\n{r.stderr[-3000:]}")
        return r

    def fails(self, *args, needles=()):
        r = self.run(*args)
        check(r.returncode != 0, f"prepare_data {' '.join(map(str, args))} succeeded; expected an error")
        check("Traceback" not in r.stderr, f"a traceback instead of an error message:\n{r.stderr}")
        for n in needles:
            check(n in r.stderr, f"the error does not mention {n!r}:\n{r.stderr}")
        return r

    def bpe(self):
        path = self.p("bpe", "tokenizer.json")
        if not os.path.exists(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            train_bpe(path)
        return path


def meta_of(prefix):
    with open(prefix + ".meta.json", encoding="utf-8") as f:
        return json.load(f)


def no_dataset(prefix):
    return not any(os.path.exists(prefix + s) for s in (".bin", ".idx", ".meta.json", ".tokenizer.json"))


def same_dataset(a, b):
    for suffix in (".bin", ".idx"):
        with open(a + suffix, "rb") as f, open(b + suffix, "rb") as g:
            check(f.read() == g.read(), f"{a}{suffix} and {b}{suffix} differ")
    ma, mb = meta_of(a), meta_of(b)
    for m in (ma, mb):
        m.pop("created")
    check(ma == mb, f"metadata differs:\n{ma}\n{mb}")


def blank_line_documents(text):
    """The documented rule, written independently: CRLF as LF; blocks of non-blank lines (blank: only spaces,
    tabs, CR, FF, VT) are documents, joined by LF."""
    text = text.replace("\r\n", "\n")
    blocks = re.split(r"\n(?:[ \t\r\f\v]*\n)+", "\n" + text + "\n")
    return [b.strip("\n") for b in blocks if b.strip(" \t\r\f\v\n")]


# ---- scenarios -------------------------------------------------------------------------------------------

def round_trip(env):
    tok_path = env.bpe()
    tok = Tokenizer.from_file(tok_path)
    eod = tok.token_to_id("<|endoftext|>")
    texts = make_texts(300, seed=2)
    src = env.p("docs.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        for i, t in enumerate(texts):
            f.write(json.dumps({"text": t}) + "\n")
            if i == 10:
                f.write("\n")                                # blank lines are ignored
                f.write(json.dumps({"text": ""}) + "\n")      # an empty document is skipped and counted
    out = env.dir("out")
    env.ok(src, "--tokenizer", tok_path, "--output-prefix", os.path.join(out, "bpe"), "--workers", 2,
           "--chunk-mb", 0.01)
    code, seqs, doc_index = read_indexed(os.path.join(out, "bpe"))
    expected = [tok.encode(t, add_special_tokens=False).ids + [eod] for t in texts]
    check(code == 8, f"dtype code {code}, expected 8 (uint16) for a vocabulary of {tok.get_vocab_size()}")
    check(len(seqs) == len(expected), f"{len(seqs)} sequences, expected {len(expected)}")
    for i, (got, want) in enumerate(zip(seqs, expected)):
        check(got == want, f"document {i}: {got[:20]} != {want[:20]}")
    check(doc_index == list(range(len(texts) + 1)), "one sequence per document")
    meta = meta_of(os.path.join(out, "bpe"))
    check(meta["format"] == 1 and meta["dtype"] == "uint16" and meta["dtype_code"] == 8, f"meta {meta}")
    check(meta["documents"] == len(texts) and meta["tokens"] == sum(map(len, expected)), "meta counts")
    check(meta["skipped_empty_documents"] == 1, f"skipped {meta['skipped_empty_documents']}")
    check(meta["max_token_id"] == max(max(s) for s in expected), "max_token_id")
    t = meta["tokenizer"]
    check(t["kind"] == "huggingface" and t["eod_id"] == eod and t["eod_token"] == "<|endoftext|>"
          and t["eod_appended"] is True and t["vocab_size"] == tok.get_vocab_size(), f"tokenizer meta {t}")
    check(t["sha256"] == sha256(tok_path), "tokenizer sha256")
    copy = os.path.join(out, meta["files"]["tokenizer"])
    check(meta["files"]["tokenizer"] == "bpe.tokenizer.json" and sha256(copy) == sha256(tok_path),
          "PREFIX.tokenizer.json is a copy of tokenizer.json")
    (s,) = meta["sources"]
    check(s["path"] == src and s["bytes"] == os.path.getsize(src) and s["sha256"] == sha256(src)
          and s["compression"] == "none" and s["format"] == "jsonl" and s["documents"] == len(texts), f"source {s}")
    check(set(os.listdir(out)) == {"bpe.bin", "bpe.idx", "bpe.meta.json", "bpe.tokenizer.json"},
          f"files left: {os.listdir(out)}")

    # The byte tokenizer on plain text: blank-line blocks (CRLF, whitespace-only lines, runs of blank lines).
    raw = ("first line\nsecond line of doc 1\n\n\n  \ndoc 2 naïve 漢字\r\n\r\nthird\t doc\n \t\nlast one, no "
           "newline at the end")
    raw = "\n\n".join([raw] * 40)
    txt = env.p("plain.txt")
    with open(txt, "w", encoding="utf-8", newline="") as f:
        f.write(raw)
    env.ok(txt, "--tokenizer", "bytes", "--output-prefix", os.path.join(out, "bytes"), "--chunk-mb", 0.0005)
    code, seqs, _ = read_indexed(os.path.join(out, "bytes"))
    docs = blank_line_documents(raw)
    check(len(docs) == 160, f"test's own split: {len(docs)}")
    check(code == 8, f"bytes: dtype code {code}")
    check(seqs == [list(d.encode("utf-8")) + [10] for d in docs], "bytes, blank-line documents")
    m = meta_of(os.path.join(out, "bytes"))
    check(m["tokenizer"]["kind"] == "bytes" and m["tokenizer"]["vocab_size"] == 256 and m["tokenizer"]["eod_id"] == 10
          and m["files"]["tokenizer"] is None and not os.path.exists(os.path.join(out, "bytes.tokenizer.json")),
          f"bytes meta {m['tokenizer']} {m['files']}")

    # One document per line, no end-of-document token.
    env.ok(txt, "--tokenizer", "bytes", "--output-prefix", os.path.join(out, "lines"), "--text-split", "line",
           "--no-eod")
    _, seqs, _ = read_indexed(os.path.join(out, "lines"))
    lines = [ln.rstrip("\r") for ln in raw.split("\n") if ln.strip(" \t\r\f\v")]
    check(seqs == [list(ln.encode("utf-8")) for ln in lines], "bytes, one document per line, no eod")
    check(meta_of(os.path.join(out, "lines"))["tokenizer"]["eod_appended"] is False, "eod_appended false")

    # Llama-style: byte fallback for characters the training text lacked (🚀), BOS from the post-processor
    # with --add-special-tokens, </s> found as the end-of-document token.
    llama = train_llama_style(env.p("llama.json"))
    env.ok(src, "--tokenizer", env.p("llama.json"), "--output-prefix", os.path.join(out, "llama"),
           "--add-special-tokens")
    _, seqs, _ = read_indexed(os.path.join(out, "llama"))
    bos, eos = llama.token_to_id("<s>"), llama.token_to_id("</s>")
    want = [llama.encode(t).ids + [eos] for t in texts]
    check(all(w[0] == bos for w in want) and any(llama.token_to_id("<0xF0>") in w for w in want),
          "the test's Llama-style tokenizer adds <s> and falls back to bytes")
    check(seqs == want, "Llama-style round trip")
    t = meta_of(os.path.join(out, "llama"))["tokenizer"]
    check(t["eod_token"] == "</s>" and t["add_special_tokens"] is True, f"llama tokenizer meta {t}")

    # A vocabulary of 70,000 ids gives int32; a folder with tokenizer_config.json names the eos token.
    vocab = {f"w{i}": i for i in range(69_998)}
    vocab.update({"<unk>": 69_998, "<eos_here>": 69_999})
    big = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    big.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    big_dir = env.dir("big-tokenizer")
    big.save(os.path.join(big_dir, "tokenizer.json"))
    with open(os.path.join(big_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"eos_token": {"content": "<eos_here>"}}, f)
    rng = random.Random(5)
    big_texts = [" ".join(f"w{rng.randrange(69_998)}" for _ in range(rng.randint(1, 50))) for _ in range(200)]
    write_jsonl(env.p("big.jsonl"), big_texts, field="body")
    env.ok(env.p("big.jsonl"), "--tokenizer", big_dir, "--text-field", "body", "--output-prefix",
           os.path.join(out, "big"))
    code, seqs, _ = read_indexed(os.path.join(out, "big"))
    check(code == 4, f"dtype code {code}, expected 4 (int32) for 70,000 ids")
    check(seqs == [[int(w[1:]) for w in t.split()] + [69_999] for t in big_texts], "int32 round trip")
    check(meta_of(os.path.join(out, "big"))["tokenizer"]["eod_token"] == "<eos_here>", "eos from tokenizer_config")


def workers_identical(env):
    tok_path = env.bpe()
    write_jsonl(env.p("in.jsonl"), make_texts(3000, seed=3))
    runs = {}
    for workers in (1, 3):
        prefix = os.path.join(env.dir(f"w{workers}"), "ds")
        env.ok("in.jsonl", "--tokenizer", tok_path, "--output-prefix", prefix, "--workers", workers,
               "--chunk-mb", 0.02)
        runs[workers] = prefix
    check(meta_of(runs[1])["documents"] == 3000, "documents")
    same_dataset(runs[1], runs[3])


def _journal_chunks(workspace):
    try:
        with open(os.path.join(workspace, "journal.jsonl")) as f:
            return sum(1 for line in f if line.startswith('{"chunk"') or '"chunk":' in line)
    except OSError:
        return 0


def processes_with(text):
    """Live processes whose command line mentions `text` (zombies have none)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if text.encode() in f.read():
                        found.append(int(pid))
            except OSError:
                pass
    return found


def wait_no_process_with(text, seconds=10):
    deadline = time.monotonic() + seconds
    while processes_with(text):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def crash_resume(env):
    tok_path = env.bpe()
    write_jsonl(env.p("in.jsonl"), make_texts(8000, seed=4))
    args = ["in.jsonl", "--tokenizer", tok_path, "--chunk-mb", 0.05, "--progress", "json",
            "--progress-interval", 0]
    reference = os.path.join(env.dir("ref"), "ds")
    env.ok(*args, "--output-prefix", reference, "--workers", 2)
    total_chunks = -(-os.path.getsize(env.p("in.jsonl")) // 50_000)
    check(total_chunks >= 30, f"only {total_chunks} chunks")

    prefix = os.path.join(env.dir("crash"), "ds")
    workspace = prefix + ".partial"
    kills = 0
    for stop_after in (3, total_chunks // 2):
        proc = subprocess.Popen([sys.executable, env.tool, *map(str, args), "--output-prefix", prefix,
                                 "--workers", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                cwd=env.work)
        deadline = time.monotonic() + 60
        while _journal_chunks(workspace) < stop_after and proc.poll() is None and time.monotonic() < deadline:
            check(no_dataset(prefix), "a dataset file exists while the tool is still working")
            time.sleep(0.005)
        if proc.poll() is not None:
            raise Failure(f"the tool ended before it was killed:\n{proc.stderr.read()[-2000:]}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        check(proc.returncode == -signal.SIGKILL, f"the tool exited {proc.returncode}, not by the kill")
        check(wait_no_process_with(prefix), "a worker outlived the killed tool")
        proc.stderr.close()
        kills += 1
        check(no_dataset(prefix), "a dataset file exists after the kill")
        check(os.path.isdir(workspace), "the workspace is gone after the kill")
        done = _journal_chunks(workspace)
        check(done < total_chunks, f"the kill came after all {done} chunks were done")

    r = env.ok(*args, "--output-prefix", prefix, "--workers", 2)
    events = [json.loads(line) for line in r.stderr.splitlines()]
    start = next(e for e in events if e["event"] == "start")
    check(0 < start["resumed_chunks"] < total_chunks,
          f"the rerun resumed {start['resumed_chunks']} of {total_chunks} chunks (expected some, not all)")
    check(not os.path.exists(workspace), "the workspace remains after the end")
    same_dataset(reference, prefix)
    check(kills == 2, "two kills")


def commit_crash(env):
    """A kill at each point of the final step (the tool's PREPARE_DATA_KILL_AT makes it SIGKILL itself there):
    the prefix always shows either the old dataset, whole, or no meta.json, or the new one, whole; the rerun
    completes it."""
    tok_path = env.bpe()
    write_jsonl(env.p("old.jsonl"), make_texts(100, seed=11))
    write_jsonl(env.p("new.jsonl"), make_texts(150, seed=12))
    kinds = {"bytes": ["--tokenizer", "bytes"], "bpe": ["--tokenizer", tok_path]}
    points = ("commit", "renamed.bin", "renamed.tokenizer.json", "renamed.idx", "renamed.meta.json")
    for old_kind, new_kind in (("bytes", "bpe"), ("bpe", "bytes")):
        old = os.path.join(env.dir(f"old-{old_kind}"), "ds")
        env.ok("old.jsonl", *kinds[old_kind], "--output-prefix", old)
        ref = os.path.join(env.dir(f"ref-{new_kind}"), "ds")
        env.ok("new.jsonl", *kinds[new_kind], "--output-prefix", ref)
        for point in points:
            if new_kind == "bytes" and point not in ("commit", "renamed.bin"):
                continue  # the other direction: the old dataset's tokenizer copy must go, and only then
            out = env.dir(f"{old_kind}-to-{new_kind}-{point}")
            prefix = os.path.join(out, "ds")
            for name in os.listdir(os.path.dirname(old)):
                shutil.copy(os.path.join(os.path.dirname(old), name), out)
            args = ["new.jsonl", *kinds[new_kind], "--output-prefix", prefix, "--overwrite"]
            r = subprocess.run([sys.executable, env.tool, *args], capture_output=True, text=True, cwd=env.work,
                               env=dict(os.environ, PREPARE_DATA_KILL_AT=point), timeout=120)
            check(r.returncode == -signal.SIGKILL, f"{point}: exit {r.returncode}, not killed:\n{r.stderr[-2000:]}")
            if point == "commit":
                same_dataset(old, prefix)
                check(os.path.exists(prefix + ".tokenizer.json") == (old_kind == "bpe"), f"{point}: old tokenizer")
            elif point == "renamed.meta.json":
                same_dataset(ref, prefix)
            else:
                check(not os.path.exists(prefix + ".meta.json"), f"{point}: a meta.json during the final step")
            if os.path.exists(prefix + ".meta.json"):
                m = meta_of(prefix)
                _, seqs, _ = read_indexed(prefix)
                check(len(seqs) == m["documents"] and sum(map(len, seqs)) == m["tokens"],
                      f"{point}: meta.json does not describe the files beside it")
            r = env.ok(*args)
            check("completed the interrupted final step" in r.stderr, f"{point}: rerun said:\n{r.stderr}")
            same_dataset(ref, prefix)
            check(os.path.exists(prefix + ".tokenizer.json") == (new_kind == "bpe"), f"{point}: tokenizer copy")
            check(not os.path.exists(prefix + ".partial"), f"{point}: workspace left")


def compressed(env):
    tok_path = env.bpe()
    texts = make_texts(1500, seed=6)
    write_jsonl(env.p("in.jsonl"), texts)
    with open(env.p("in.jsonl"), "rb") as f:
        raw = f.read()
    with gzip.open(env.p("in.jsonl.gz"), "wb") as f:
        f.write(raw)
    half = raw.index(b"\n", len(raw) // 2) + 1
    cctx = zstandard.ZstdCompressor(level=3)
    with open(env.p("in.jsonl.zst"), "wb") as f:  # two frames, as concatenated zstd files have
        f.write(cctx.compress(raw[:half]) + cctx.compress(raw[half:]))
    common = ["--tokenizer", tok_path, "--chunk-mb", 0.03]
    prefixes = {}
    for name in ("in.jsonl", "in.jsonl.gz", "in.jsonl.zst"):
        prefixes[name] = os.path.join(env.dir(name.replace(".", "_")), "ds")
        env.ok(name, *common, "--output-prefix", prefixes[name])
    for name in ("in.jsonl.gz", "in.jsonl.zst"):
        with open(prefixes["in.jsonl"] + ".bin", "rb") as f, open(prefixes[name] + ".bin", "rb") as g:
            check(f.read() == g.read(), f"{name}: tokens differ from the uncompressed input's")
        with open(prefixes["in.jsonl"] + ".idx", "rb") as f, open(prefixes[name] + ".idx", "rb") as g:
            check(f.read() == g.read(), f"{name}: index differs")
        (s,) = meta_of(prefixes[name])["sources"]
        check(s["compression"] == ("gzip" if name.endswith(".gz") else "zstd") and s["sha256"] == sha256(env.p(name))
              and s["bytes"] == os.path.getsize(env.p(name)), f"{name}: source {s}")
    # Plain text under gzip and zstd, with the format from the name.
    text = "\n\n".join(texts[:200])
    with gzip.open(env.p("t.txt.gz"), "wt", encoding="utf-8") as f:
        f.write(text)
    with open(env.p("t.txt.zst"), "wb") as f:
        f.write(cctx.compress(text.encode()))
    for name in ("t.txt.gz", "t.txt.zst"):
        prefix = os.path.join(env.dir(name.replace(".", "_")), "ds")
        env.ok(name, "--tokenizer", "bytes", "--output-prefix", prefix)
        _, seqs, _ = read_indexed(prefix)
        check(seqs == [list(t.encode()) + [10] for t in texts[:200]], f"{name}: documents")
    # Damaged inputs: a truncated gzip file.
    with open(env.p("cut.jsonl.gz"), "wb") as f:
        with open(env.p("in.jsonl.gz"), "rb") as g:
            f.write(g.read()[:5000])
    env.fails("cut.jsonl.gz", *common, "--output-prefix", env.p("cut"),
              needles=("cut.jsonl.gz", "cannot be decompressed", "gzip -t"))
    check(no_dataset(env.p("cut")), "a dataset from a truncated input")


def errors(env):
    tok_path = env.bpe()
    out = env.dir("out")

    def prefix(name):
        return os.path.join(out, name)

    good = make_texts(50, seed=7)
    # Missing field, on line 3.
    with open(env.p("nofield.jsonl"), "w") as f:
        f.write('{"text": "a"}\n{"text": "b"}\n{"body": "c", "id": 3}\n')
    env.fails("nofield.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("a"),
              needles=("nofield.jsonl:3", "no field 'text'", "body, id", "--text-field"))
    # Bad JSON far into the file (a later chunk: the line number counts across chunks).
    lines = [json.dumps({"text": t}) for t in make_texts(2000, seed=8)]
    lines[1233] = '{"text": "unterminated'
    with open(env.p("bad.jsonl"), "w") as f:
        f.write("\n".join(lines) + "\n")
    env.fails("bad.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("b"), "--chunk-mb", 0.01,
              needles=("bad.jsonl:1234", "bad JSON line"))
    check(no_dataset(prefix("b")) and not os.path.exists(prefix("b") + ".partial"), "leftovers after a bad line")
    # A field that is not a string; a line that is not an object.
    with open(env.p("num.jsonl"), "w") as f:
        f.write('{"text": 5}\n')
    env.fails("num.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("c"), needles=("num.jsonl:1", "not a string"))
    with open(env.p("arr.jsonl"), "w") as f:
        f.write('{"text": "x"}\n[1, 2]\n')
    env.fails("arr.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("c"), needles=("arr.jsonl:2", "not an object"))
    # Not UTF-8 text.
    with open(env.p("latin.txt"), "wb") as f:
        f.write(b"fine\n\ncaf\xe9\n")
    env.fails("latin.txt", "--tokenizer", "bytes", "--output-prefix", prefix("c"), needles=("latin.txt:3", "UTF-8"))

    write_jsonl(env.p("good.jsonl"), good)
    # Unreadable tokenizers.
    env.fails("good.jsonl", "--tokenizer", env.p("nope", "tokenizer.json"), "--output-prefix", prefix("d"),
              needles=("does not exist", "'bytes'"))
    env.dir("emptydir")
    env.fails("good.jsonl", "--tokenizer", env.p("emptydir"), "--output-prefix", prefix("d"),
              needles=("has no tokenizer.json",))
    with open(env.p("garbage.json"), "w") as f:
        f.write('{"this": "is not a tokenizer"}')
    env.fails("good.jsonl", "--tokenizer", env.p("garbage.json"), "--output-prefix", prefix("d"),
              needles=("cannot load the tokenizer", "garbage.json"))
    noeos = Tokenizer(models.WordLevel({"a": 0, "<unk>": 1}, unk_token="<unk>"))
    noeos.save(env.p("noeos.json"))
    env.fails("good.jsonl", "--tokenizer", env.p("noeos.json"), "--output-prefix", prefix("d"),
              needles=("end-of-document token", "--eod-token", "--no-eod"))
    env.fails("good.jsonl", "--tokenizer", tok_path, "--eod-token", "<nope>", "--output-prefix", prefix("d"),
              needles=("'<nope>' is not in the vocabulary",))
    check(no_dataset(prefix("d")) and not os.path.exists(prefix("d") + ".partial"), "leftovers of tokenizer errors")
    # Empty inputs: no bytes; only blank lines; only empty texts.
    open(env.p("zero.jsonl"), "w").close()
    env.fails("zero.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("e"), needles=("zero.jsonl", "empty"))
    with open(env.p("blank.txt"), "w") as f:
        f.write("\n \n\t\n\n")
    env.fails("blank.txt", "--tokenizer", "bytes", "--output-prefix", prefix("e"),
              needles=("blank.txt holds no documents",))
    with open(env.p("empties.jsonl"), "w") as f:
        f.write('{"text": ""}\n' * 3)
    env.fails("good.jsonl", "empties.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("e"),
              needles=("empties.jsonl holds no documents", "--text-field"))
    check(no_dataset(prefix("e")), "a dataset from an empty input")
    env.fails("good.jsonl", "--tokenizer", "bytes", "--output-prefix", out, needles=("is a folder", "NAME"))
    # Missing input, unknown format.
    env.fails("missing.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("f"), needles=("missing.jsonl",
                                                                                                 "does not exist"))
    shutil.copy(env.p("good.jsonl"), env.p("good.data"))
    env.fails("good.data", "--tokenizer", "bytes", "--output-prefix", prefix("f"), needles=("--format jsonl",))

    # Output exists: refused, then replaced with --overwrite.
    env.ok("good.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("g"))
    before = meta_of(prefix("g"))
    env.fails("good.jsonl", "--tokenizer", tok_path, "--output-prefix", prefix("g"),
              needles=("output exists", "g.meta.json", "--overwrite"))
    check(meta_of(prefix("g")) == before, "a refused run changed the dataset")
    env.ok("good.jsonl", "--tokenizer", tok_path, "--output-prefix", prefix("g"), "--overwrite")
    after = meta_of(prefix("g"))
    check(after["tokenizer"]["kind"] == "huggingface" and os.path.exists(prefix("g") + ".tokenizer.json"),
          "--overwrite replaced the dataset")
    env.ok("good.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("g"), "--overwrite")
    check(not os.path.exists(prefix("g") + ".tokenizer.json"), "the old tokenizer copy outlived its dataset")

    # An unfinished workspace made with other settings is not silently replaced.
    stopped = prefix("h")
    big = [json.dumps({"text": t}) for t in make_texts(2500, seed=9)]
    with open(env.p("big.jsonl"), "w") as f:
        f.write("\n".join(big) + "\n")
    proc = subprocess.Popen([sys.executable, env.tool, "big.jsonl", "--tokenizer", tok_path, "--output-prefix", stopped,
                             "--workers", "1", "--chunk-mb", "0.02"], cwd=env.work, stderr=subprocess.DEVNULL)
    while _journal_chunks(stopped + ".partial") < 1 and proc.poll() is None:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    env.fails("big.jsonl", "--tokenizer", "bytes", "--output-prefix", stopped, "--chunk-mb", 0.02,
              needles=("unfinished preparation with other settings", "tokenizer_kind", "--overwrite"))
    env.ok("big.jsonl", "--tokenizer", "bytes", "--output-prefix", stopped, "--chunk-mb", 0.02, "--overwrite")
    check(meta_of(stopped)["tokenizer"]["kind"] == "bytes", "--overwrite discarded the other workspace")

    # An input changed under the same size and mtime after a kill: the kept chunks' CRC-32 finds it.
    swapped = prefix("j")
    cmd = ["big.jsonl", "--tokenizer", tok_path, "--output-prefix", swapped, "--workers", "1", "--chunk-mb", "0.02"]
    proc = subprocess.Popen([sys.executable, env.tool, *cmd], cwd=env.work, stderr=subprocess.DEVNULL)
    while _journal_chunks(swapped + ".partial") < 2 and proc.poll() is None:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    check(proc.wait() == -signal.SIGKILL, "the run ended before the kill")
    st = os.stat(env.p("big.jsonl"))
    with open(env.p("big.jsonl"), "r+b") as f:  # one letter of the first text changes case
        head = bytearray(f.read(100))
        i = next(i for i in range(len(head)) if chr(head[i]).isalpha() and i > head.index(b'"text": "') + 8)
        head[i] ^= 0x20
        f.seek(0)
        f.write(head)
    os.utime(env.p("big.jsonl"), ns=(st.st_atime_ns, st.st_mtime_ns))
    check(os.path.getsize(env.p("big.jsonl")) == st.st_size, "same size")
    env.fails(*cmd, needles=("big.jsonl changed since", "rerun to start over"))
    check(not os.path.exists(swapped + ".partial") and no_dataset(swapped), "the stale workspace is discarded")
    env.ok(*cmd)

    # --progress json: the error is one JSON object too.
    r = env.fails("nofield.jsonl", "--tokenizer", "bytes", "--output-prefix", prefix("i"), "--progress", "json")
    last = json.loads(r.stderr.strip().splitlines()[-1])
    check(last["event"] == "error" and "nofield.jsonl:3" in last["message"] and "--text-field" in last["fix"],
          f"json error event {last}")
    r = env.fails("good.jsonl", "--output-prefix", prefix("i"), "--progress", "json")
    last = json.loads(r.stderr.strip().splitlines()[-1])
    check(last["event"] == "error" and "--tokenizer" in last["message"], f"json usage error {last}")


def progress(env):
    tok_path = env.bpe()
    write_jsonl(env.p("in.jsonl"), make_texts(3000, seed=10))
    with open(env.p("in.jsonl"), "rb") as f, gzip.open(env.p("in.jsonl.gz"), "wb") as g:
        g.write(f.read())
    prefix = os.path.join(env.dir("json"), "ds")
    r = env.ok("in.jsonl.gz", "--tokenizer", tok_path, "--output-prefix", prefix, "--progress", "json",
               "--progress-interval", 0, "--chunk-mb", 0.05, "--workers", 2)
    events = [json.loads(line) for line in r.stderr.splitlines()]
    kinds = [e["event"] for e in events]
    check(kinds[0] == "start" and kinds[-1] == "done" and kinds.count("progress") >= 5, f"events {kinds}")
    check(events[0]["input_bytes"] == os.path.getsize(env.p("in.jsonl.gz")) and events[0]["format"] == 1,
          f"start {events[0]}")
    prog = [e for e in events if e["event"] == "progress"]
    for e in prog:
        for key in ("documents", "tokens", "mb_per_s", "eta_s", "fraction", "input_bytes_done", "elapsed_s"):
            check(key in e, f"progress event without {key}: {e}")
    check(all(a["documents"] <= b["documents"] and a["fraction"] <= b["fraction"] for a, b in zip(prog, prog[1:])),
          "progress goes forward")
    check(prog[-1]["fraction"] == 1.0 and prog[-1]["eta_s"] == 0, f"last progress {prog[-1]}")
    check(any(0 < e["fraction"] < 1 and e["eta_s"] and e["eta_s"] > 0 for e in prog), "an ETA during the run")
    meta = meta_of(prefix)
    done = events[-1]
    check(done["documents"] == meta["documents"] == 3000 and done["tokens"] == meta["tokens"]
          and done["meta"] == prefix + ".meta.json", f"done {done}")
    # Readable lines.
    r = env.ok("in.jsonl", "--tokenizer", tok_path, "--output-prefix", os.path.join(env.dir("text"), "ds"),
               "--progress-interval", 0, "--chunk-mb", 0.05)
    line = next(ln for ln in r.stderr.splitlines() if ln.startswith("[prepare] progress:"))
    check(re.search(r"[\d,]+ documents, [\d,]+ tokens, [\d.,]+ MB/s, [\d.]+% of the input, ETA ", line),
          f"progress line {line!r}")
    r = env.ok("in.jsonl", "--tokenizer", tok_path, "--output-prefix", os.path.join(env.dir("quiet"), "ds"),
               "--progress", "none")
    check(r.stderr == "", f"--progress none printed {r.stderr!r}")


SCENARIOS = {f.__name__: f for f in (round_trip, workers_identical, crash_resume, commit_crash, compressed, errors,
                                      progress)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tool", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    args = parser.parse_args()
    start = time.monotonic()
    try:
        SCENARIOS[args.scenario](Env(args))
    except Failure as exc:
        print(f"FAIL {args.scenario}: {exc}", file=sys.stderr)
        return 1
    print(f"ok {args.scenario} ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
