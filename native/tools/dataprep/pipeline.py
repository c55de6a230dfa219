"""The preparation from start to end: check inputs and tokenizer, take the workspace, read the inputs in
chunks, tokenize them in a pool of worker processes (at most two chunks per worker in flight), append finished
chunks in order, then write the index and metadata and move the dataset into place."""

import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import List, Optional

import numpy as np

from . import META_FORMAT, TOOL_NAME, TOOL_VERSION
from .errors import PrepError
from .indexed import DTYPE_CODES, dtype_for_vocab
from .progress import Reporter
from .sources import describe_sources, iter_chunks
from .tokenizer import TokenizerSpec, resolve_tokenizer
from .worker import Task, init_worker, process_chunk
from .workspace import Workspace


@dataclass
class Options:
    inputs: List[str]
    output_prefix: str
    tokenizer: str
    format: str = "auto"
    text_field: str = "text"
    text_split: str = "blank-line"
    append_eod: bool = True
    eod_token: Optional[str] = None
    add_special_tokens: bool = False
    workers: int = 1
    chunk_mb: float = 8.0
    overwrite: bool = False


def _plan(opts: Options, sources, tok: TokenizerSpec, dtype: str, chunk_bytes: int) -> dict:
    """Everything that decides the output bytes; a workspace is resumed only under an equal plan."""
    return {
        "tool_version": TOOL_VERSION,
        "settings": {
            "tokenizer_kind": tok.kind, "tokenizer_sha256": tok.sha256, "eod_id": tok.eod_id,
            "append_eod": opts.append_eod, "add_special_tokens": tok.add_special_tokens, "dtype": dtype,
            "text_field": opts.text_field, "text_split": opts.text_split, "chunk_bytes": chunk_bytes,
        },
        "inputs": [{"path": s.path, "size": s.size, "mtime_ns": s.mtime_ns, "format": s.format} for s in sources],
    }


def _meta(opts: Options, sources, tok: TokenizerSpec, dtype: str, ws: Workspace) -> dict:
    done = ws.done
    per_source = {s.index: {"documents": 0, "tokens": 0} for s in sources}
    for r in done.values():
        per_source[r["source"]]["documents"] += r["documents"]
        per_source[r["source"]]["tokens"] += r["tokens"]
    name = os.path.basename(ws.prefix)
    return {
        "format": META_FORMAT,
        "name": name,
        "files": {"bin": name + ".bin", "idx": name + ".idx",
                  "tokenizer": name + ".tokenizer.json" if tok.kind == "huggingface" else None},
        "dtype": dtype,
        "dtype_code": DTYPE_CODES[dtype],
        "documents": sum(r["documents"] for r in done.values()),
        "sequences": sum(r["documents"] for r in done.values()),
        "tokens": sum(r["tokens"] for r in done.values()),
        "max_token_id": max((r["max_id"] for r in done.values()), default=-1),
        "skipped_empty_documents": sum(r["empty"] for r in done.values()),
        "tokenizer": {
            "kind": tok.kind, "path": tok.path, "sha256": tok.sha256, "vocab_size": tok.vocab_size,
            "eod_id": tok.eod_id, "eod_token": tok.eod_token, "eod_appended": opts.append_eod,
            "add_special_tokens": tok.add_special_tokens,
        },
        "text": {"text_field": opts.text_field, "text_split": opts.text_split},
        "sources": [{"path": s.path, "bytes": s.size, "sha256": s.sha256, "compression": s.compression,
                     "format": s.format, **per_source[s.index]} for s in sources],
        "tool": {"name": TOOL_NAME, "version": TOOL_VERSION},
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def prepare(opts: Options, reporter: Reporter) -> dict:
    if opts.workers < 1:
        raise PrepError(f"--workers {opts.workers} is not a positive number", "pass --workers N with N >= 1")
    if not opts.chunk_mb > 0:
        raise PrepError(f"--chunk-mb {opts.chunk_mb} is not positive", "pass a chunk size in MB, e.g. --chunk-mb 8")
    if not opts.text_field:
        raise PrepError("--text-field is empty", "name the JSON field that holds the text (default: text)")
    sources = describe_sources(opts.inputs, opts.format)
    tok = resolve_tokenizer(opts.tokenizer, opts.eod_token, opts.append_eod, opts.add_special_tokens)
    dtype = dtype_for_vocab(tok.vocab_size)
    chunk_bytes = max(int(opts.chunk_mb * 1e6), 1)
    ws = Workspace(opts.output_prefix, np.dtype(dtype).itemsize)
    try:
        if ws.open(_plan(opts, sources, tok, dtype, chunk_bytes), opts.overwrite, reporter.note):
            return _done(ws, reporter, dtype, None)
        return _run(opts, sources, tok, dtype, chunk_bytes, ws, reporter)
    finally:
        ws.close()


def _run(opts, sources, tok, dtype, chunk_bytes, ws: Workspace, reporter: Reporter) -> dict:
    reporter.start(sum(s.size for s in sources), 0, sum(r["documents"] for r in ws.done.values()),
                   sum(r["tokens"] for r in ws.done.values()),
                   {"inputs": [s.label for s in sources], "output_prefix": ws.prefix, "workers": opts.workers,
                    "tokenizer": tok.path or tok.kind, "vocab_size": tok.vocab_size, "dtype": dtype,
                    "resumed_chunks": ws.resumed_chunks})
    # Tokenization runs single-threaded in each worker: the workers are the parallelism.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    os.environ["RAYON_NUM_THREADS"] = "1"
    # fork starts workers in milliseconds (spawn re-imports numpy and tokenizers in each). It is safe here: the
    # main process has run no tokenizer (whose thread pool must not be forked) and starts no threads before.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(opts.workers, mp_context=multiprocessing.get_context(method),
                               initializer=init_worker,
                               initargs=(tok, opts.append_eod, dtype, ws.dir, opts.text_field,
                                         opts.text_split == "line", os.getpid()))
    pending = {}
    chunk = 0

    def collect(block_until_below: int) -> None:
        while len(pending) > block_until_below:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                info = pending.pop(fut)
                try:
                    result = fut.result()
                except PrepError:
                    # A problem in the input's content: its fix (edit the input, another --text-field) changes
                    # the plan, so the chunks done so far would never be used.
                    ws.discard = True
                    raise
                except BrokenProcessPool:
                    raise PrepError("a worker process died (out of memory?)",
                                    "rerun the same command to continue, with fewer --workers or a smaller "
                                    "--chunk-mb") from None
                record = {**result, "source": info["source"], "crc32": info["crc32"], "input_bytes": info["input"]}
                ws.record_chunk(record)
                reporter.chunk_done(result["documents"], result["tokens"], info["input"], result["text_bytes"])

    try:
        for source in sources:
            raw_before = 0
            blank_line_docs = source.format == "text" and opts.text_split == "blank-line"
            for c in iter_chunks(source, chunk_bytes, blank_line_docs):
                info = {"source": source.index, "crc32": c.crc32, "input": c.raw_end - raw_before}
                raw_before = c.raw_end
                earlier = ws.done.get(chunk)
                if earlier is not None:
                    if earlier["crc32"] != c.crc32 or earlier["source"] != source.index:
                        ws.discard = True
                        raise PrepError(f"the input {source.label} changed since {ws.dir} was started (chunk "
                                        f"{chunk} differs, though its size and time did not); the unfinished "
                                        "work is discarded", "rerun to start over")
                    reporter.skipped(info["input"])
                else:
                    collect(2 * opts.workers - 1)
                    pending[pool.submit(process_chunk, Task(chunk, source.label, source.format, c.start_line,
                                                            c.data))] = info
                chunk += 1
        collect(0)
    except BaseException:
        for fut in pending:
            fut.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    reporter.progress()
    for source in sources:
        if not any(r["source"] == source.index and r["documents"] for r in ws.done.values()):
            ws.discard = True
            kind = (f"no line has a non-empty '{opts.text_field}'" if source.format == "jsonl"
                    else "it has only blank lines")
            raise PrepError(f"the input {source.label} holds no documents ({kind})",
                            "remove it from the inputs, or check --format and --text-field")
    meta = _meta(opts, sources, tok, dtype, ws)
    ws.commit(chunk, dtype, meta, tok.path)
    return _done(ws, reporter, dtype, meta)


def _done(ws: Workspace, reporter: Reporter, dtype: str, meta: Optional[dict]) -> dict:
    if meta is None:
        import json
        with open(ws.prefix + ".meta.json", encoding="utf-8") as f:
            meta = json.load(f)
    reporter.done({"output_prefix": ws.prefix, "meta": ws.prefix + ".meta.json", "documents": meta["documents"],
                   "tokens": meta["tokens"], "dtype": meta["dtype"],
                   "bin_bytes": os.path.getsize(ws.prefix + ".bin")})
    return meta
