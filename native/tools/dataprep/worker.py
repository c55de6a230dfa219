"""The work of one chunk, in a worker process: parse documents, tokenize, write the chunk's tokens and lengths
into the workspace (to a temporary name, fsynced, then renamed, so a chunk file is either whole or absent)."""

import ctypes
import os
import signal
from dataclasses import dataclass

import numpy as np

from .documents import jsonl_texts, plain_texts
from .tokenizer import Encoder, TokenizerSpec

# Texts encoded per call: bounds the memory of the library's encodings.
ENCODE_BATCH = 1024

_state = {}


@dataclass
class Task:
    chunk: int
    label: str
    format: str
    start_line: int
    data: bytes


def init_worker(spec: TokenizerSpec, append_eod: bool, dtype: str, workdir: str, text_field: str,
                per_line: bool, parent_pid: int) -> None:
    # Die with the parent: after a kill -9 of the tool, no orphan keeps writing into the workspace.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:  # the parent died before the line above
        os._exit(1)
    # Ctrl-C reaches the whole process group: the main process handles it and lets running chunks finish.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _state.update(encoder=Encoder(spec, append_eod), dtype=np.dtype(dtype).newbyteorder("<"), workdir=workdir,
                  text_field=text_field, per_line=per_line, vocab=spec.vocab_size)


def chunk_paths(workdir: str, chunk: int):
    base = os.path.join(workdir, f"chunk-{chunk:08d}")
    return base + ".tok", base + ".len"


def _write(path: str, payload: bytes) -> None:
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def process_chunk(task: Task) -> dict:
    s = _state
    if task.format == "jsonl":
        texts, empty = jsonl_texts(task.data, task.label, task.start_line, s["text_field"])
    else:
        texts, empty = plain_texts(task.data, task.label, task.start_line, s["per_line"])
    id_parts, len_parts = [], []
    for i in range(0, len(texts), ENCODE_BATCH):
        ids, lengths, dropped = s["encoder"].encode(texts[i:i + ENCODE_BATCH])
        id_parts.append(ids)
        len_parts.append(lengths)
        empty += dropped
    ids = np.concatenate(id_parts) if id_parts else np.zeros(0, dtype=np.int64)
    lengths = np.concatenate(len_parts) if len_parts else np.zeros(0, dtype=np.int64)
    max_id = int(ids.max()) if len(ids) else -1
    if max_id >= s["vocab"] or (len(ids) and int(ids.min()) < 0):
        raise RuntimeError(f"the tokenizer produced id {max_id} outside its vocabulary of {s['vocab']}")
    tok_path, len_path = chunk_paths(s["workdir"], task.chunk)
    _write(tok_path, ids.astype(s["dtype"]).tobytes())
    _write(len_path, lengths.astype("<i4").tobytes())
    return {"chunk": task.chunk, "documents": int(len(lengths)), "tokens": int(len(ids)), "empty": empty,
            "max_id": max_id, "text_bytes": len(task.data)}
