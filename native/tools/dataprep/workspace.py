"""The workspace PREFIX.partial/ that makes a preparation resumable and its result appear all at once.

    LOCK            held (flock) by the one process working here
    plan.json       the inputs (path, size, mtime) and every setting that changes the output
    journal.jsonl   one JSON object per line, appended and fsynced:
                      {"chunk": i, ...}        chunk i's files are complete (counts, CRC-32 of its text)
                      {"appended": k, ...}     chunks 0..k-1 are in data.bin/sizes.i32 (with their sizes)
                      {"commit": 1}            data.idx, meta.json (and tokenizer.json) are complete
    chunk-NNNNNNNN.tok / .len   one chunk's tokens (dataset dtype) and document lengths (int32)
    data.bin, sizes.i32         the chunks so far, in chunk order (the final .bin and the .idx's sizes)

A chunk's files are written by a worker under a temporary name and renamed; the journal line follows. Chunks
finish in any order and are appended to data.bin in chunk order, so the final bytes do not depend on the
number of workers. A rerun truncates data.bin/sizes.i32 to the last "appended" record, keeps every journaled
chunk whose files are whole, and redoes the rest.

The dataset appears at the end by renames in this order: PREFIX.bin, PREFIX.tokenizer.json, PREFIX.idx, and
last PREFIX.meta.json, which marks a complete dataset (an older dataset's meta.json is removed before the first
rename). A crash during the renames is completed by the next run, from the "commit" record."""

import fcntl
import json
import os
import shutil
import signal
from typing import Dict, Optional

import numpy as np

from .errors import PrepError
from .indexed import write_index
from .worker import chunk_paths

FINAL_SUFFIXES = (".bin", ".idx", ".meta.json")
# (file in the workspace, suffix of the final file), in rename order; meta.json last.
COMMIT_ORDER = (("data.bin", ".bin"), ("tokenizer.json", ".tokenizer.json"), ("data.idx", ".idx"),
                ("meta.json", ".meta.json"))


# Fault injection for the tests of the final step: PREPARE_DATA_KILL_AT=<point> makes the tool SIGKILL itself
# there (points: commit, and renamed.bin / renamed.tokenizer.json / renamed.idx / renamed.meta.json).
_KILL_AT = os.environ.get("PREPARE_DATA_KILL_AT")


def _kill_point(name: str) -> None:
    if _KILL_AT == name:
        os.kill(os.getpid(), signal.SIGKILL)


def fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durable(path: str, payload: bytes) -> None:
    with open(path, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())


class Workspace:
    def __init__(self, prefix: str, itemsize: int):
        self.prefix = os.path.abspath(prefix)
        self.dir = self.prefix + ".partial"
        self.itemsize = itemsize
        self.done: Dict[int, dict] = {}
        self.appended = 0
        self.bin_bytes = 0
        self.len_bytes = 0
        self.resumed_chunks = 0
        self.discard = False  # set when the run fails in a way no rerun of the same plan could use
        self._lock_fd: Optional[int] = None
        self._journal = None
        self._bin = None
        self._sizes = None

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    # ---- opening -------------------------------------------------------------------------------------------

    def open(self, plan: dict, overwrite: bool, note) -> bool:
        """Takes the workspace: completes an interrupted commit, refuses to replace a dataset without
        --overwrite, and resumes a compatible workspace or starts a new one. Returns True when an interrupted
        commit of this same plan was completed (the dataset is then done)."""
        parent = os.path.dirname(self.prefix)
        if os.path.isdir(self.prefix):
            raise PrepError(f"the output prefix {self.prefix} is a folder; the prefix names the dataset's files",
                            f"pass --output-prefix {os.path.join(self.prefix, 'NAME')} to write NAME.bin, NAME.idx, "
                            "... in it")
        if not os.path.isdir(parent):
            raise PrepError(f"the output folder {parent} does not exist", "create it, or choose another "
                            "--output-prefix")
        if os.path.isdir(self.dir):
            self._lock()
            if any(r.get("commit") for r in self._records()):
                same = self._read_plan() == plan
                self._finish_commit()
                note(f"completed the interrupted final step of an earlier run: {self.prefix}.meta.json")
                self._unlock()
                if same:
                    return True
        existing = [self.prefix + s for s in FINAL_SUFFIXES if os.path.exists(self.prefix + s)]
        if existing and not overwrite:
            raise PrepError(f"the output exists: {', '.join(existing)}",
                            "pass --overwrite to replace it (it is replaced only when the new dataset is complete), "
                            "or choose another --output-prefix")
        if os.path.isdir(self.dir):
            if self._lock_fd is None:
                self._lock()
            old = self._read_plan()
            if old == plan:
                self._resume()
                return False
            if old is None:
                note(f"{self.dir} has no plan (its run stopped at the start); starting over")
            elif old.get("settings") == plan.get("settings"):
                changed = "inputs" if old.get("inputs") != plan.get("inputs") else "tool version"
                note(f"the {changed} changed since {self.dir} was started; starting over")
            elif not overwrite:
                what = _differences(old, plan)
                raise PrepError(f"{self.dir} holds an unfinished preparation with other settings ({what})",
                                "rerun with the same settings to continue it, or pass --overwrite to discard it")
            self._clear()
        else:
            try:
                os.mkdir(self.dir)
            except OSError as exc:
                raise PrepError(f"cannot create {self.dir}: {exc.strerror}",
                                "choose an --output-prefix in a writable folder") from None
            self._lock()
        _write_durable(self.path("plan.json"), json.dumps(plan, indent=1, sort_keys=True).encode() + b"\n")
        fsync_dir(self.dir)
        self._open_files()
        return False

    def _lock(self) -> None:
        fd = os.open(self.path("LOCK"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise PrepError(f"another prepare_data is working on {self.dir}",
                            "wait for it to finish (or stop it); two runs cannot share an output prefix") from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _read_plan(self) -> Optional[dict]:
        try:
            with open(self.path("plan.json"), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _records(self):
        try:
            with open(self.path("journal.jsonl"), encoding="utf-8") as f:
                lines = f.read().split("\n")
        except OSError:
            return []
        records = []
        for n, line in enumerate(lines):
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                if n < len(lines) - 2:  # only the last line can be torn by a crash
                    raise PrepError(f"{self.path('journal.jsonl')} is damaged at line {n + 1}",
                                    f"delete {self.dir} (or pass --overwrite) to start over") from None
        return records

    def _clear(self) -> None:
        for name in os.listdir(self.dir):
            if name != "LOCK":
                p = self.path(name)
                shutil.rmtree(p) if os.path.isdir(p) else os.unlink(p)

    def _resume(self) -> None:
        records = self._records()
        chunks = {}
        for r in records:
            if "chunk" in r:
                chunks[r["chunk"]] = r
            elif "appended" in r:
                self.appended, self.bin_bytes, self.len_bytes = r["appended"], r["bin_bytes"], r["len_bytes"]
        for name, size in (("data.bin", self.bin_bytes), ("sizes.i32", self.len_bytes)):
            p = self.path(name)
            have = os.path.getsize(p) if os.path.exists(p) else 0
            if have < size:
                raise PrepError(f"{p} is shorter ({have} bytes) than its journal says ({size})",
                                f"delete {self.dir} (or pass --overwrite) to start over")
        for i, r in chunks.items():
            if i < self.appended:
                self.done[i] = r
                continue
            tok, ln = chunk_paths(self.dir, i)
            if (os.path.exists(tok) and os.path.getsize(tok) == r["tokens"] * self.itemsize
                    and os.path.exists(ln) and os.path.getsize(ln) == r["documents"] * 4):
                self.done[i] = r
        # Leftovers: temporary files of interrupted writes, chunks already appended.
        for name in os.listdir(self.dir):
            if ".tmp-" in name:
                os.unlink(self.path(name))
            elif name.startswith("chunk-") and int(name[6:14]) < self.appended:
                os.unlink(self.path(name))
        self.resumed_chunks = len(self.done)
        self._open_files()
        for f, size in ((self._bin, self.bin_bytes), (self._sizes, self.len_bytes)):
            f.truncate(size)
            f.seek(size)

    def _open_files(self) -> None:
        self._journal = open(self.path("journal.jsonl"), "a", encoding="utf-8")
        self._bin = open(self.path("data.bin"), "ab+")
        self._sizes = open(self.path("sizes.i32"), "ab+")

    # ---- progress ------------------------------------------------------------------------------------------

    def _log(self, record: dict) -> None:
        self._journal.write(json.dumps(record, sort_keys=True) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())

    def record_chunk(self, record: dict) -> None:
        """Journals a finished chunk, then appends every chunk that is next in order."""
        self._log(record)
        self.done[record["chunk"]] = record
        appended = self.appended
        while self.appended in self.done:
            tok, ln = chunk_paths(self.dir, self.appended)
            for src, dst in ((tok, self._bin), (ln, self._sizes)):
                with open(src, "rb") as f:
                    shutil.copyfileobj(f, dst, 8 << 20)
            self.bin_bytes += self.done[self.appended]["tokens"] * self.itemsize
            self.len_bytes += self.done[self.appended]["documents"] * 4
            self.appended += 1
        if self.appended == appended:
            return
        for f in (self._bin, self._sizes):
            f.flush()
            os.fsync(f.fileno())
        self._log({"appended": self.appended, "bin_bytes": self.bin_bytes, "len_bytes": self.len_bytes})
        for i in range(appended, self.appended):
            for p in chunk_paths(self.dir, i):
                os.unlink(p)

    # ---- the end -------------------------------------------------------------------------------------------

    def commit(self, chunks: int, dtype: str, meta: dict, tokenizer_path: Optional[str]) -> None:
        """Writes the index, metadata and tokenizer copy into the workspace, journals the commit, and moves
        everything into place (meta.json last)."""
        if self.appended != chunks:
            raise RuntimeError(f"{self.appended} of {chunks} chunks are in data.bin")
        for f in (self._bin, self._sizes):
            f.flush()
        if self._bin.tell() != self.bin_bytes or self._sizes.tell() != self.len_bytes:
            raise RuntimeError("data.bin or sizes.i32 does not have the journaled size")
        with open(self.path("sizes.i32"), "rb") as sizes, open(self.path("data.idx"), "wb") as idx:
            write_index(idx, sizes, self.len_bytes // 4, dtype)
            idx.flush()
            os.fsync(idx.fileno())
        if tokenizer_path:
            shutil.copyfile(tokenizer_path, self.path("tokenizer.json"))
            with open(self.path("tokenizer.json"), "rb") as f:
                os.fsync(f.fileno())
        _write_durable(self.path("meta.json"), json.dumps(meta, indent=2).encode() + b"\n")
        for f in (self._bin, self._sizes, self._journal):
            f.close()
        fsync_dir(self.dir)
        self._journal = open(self.path("journal.jsonl"), "a", encoding="utf-8")
        self._log({"commit": 1})
        self._journal.close()
        _kill_point("commit")
        self._finish_commit()
        self._unlock()

    def _finish_commit(self) -> None:
        parent = os.path.dirname(self.prefix)
        staged_meta = self.path("meta.json")
        if os.path.exists(staged_meta):
            # The old dataset stops looking complete before any of its files is replaced.
            with open(staged_meta, encoding="utf-8") as f:
                has_tokenizer = bool(json.load(f)["files"].get("tokenizer"))
            stale = [".meta.json"] + ([] if has_tokenizer else [".tokenizer.json"])
            for suffix in stale:
                if os.path.exists(self.prefix + suffix):
                    os.unlink(self.prefix + suffix)
            fsync_dir(parent)
        for name, suffix in COMMIT_ORDER:
            if os.path.exists(self.path(name)):
                os.replace(self.path(name), self.prefix + suffix)
                _kill_point("renamed" + suffix)
        fsync_dir(parent)
        shutil.rmtree(self.dir)

    def close(self) -> None:
        for f in (self._journal, self._bin, self._sizes):
            if f is not None and not f.closed:
                f.close()
        if self.discard and self._lock_fd is not None and os.path.isdir(self.dir):
            shutil.rmtree(self.dir)
        self._unlock()


def _differences(old: dict, new: dict) -> str:
    keys = sorted(set(old.get("settings", {})) | set(new.get("settings", {})))
    return "; ".join(f"{k}: {old.get('settings', {}).get(k)!r} then, {new.get('settings', {}).get(k)!r} now"
                     for k in keys if old.get("settings", {}).get(k) != new.get("settings", {}).get(k))
