"""Progress and errors on stderr: readable lines ("[prepare] progress: ...") or, with --progress json, one JSON
object per line for the workbench (events start, note, progress, done, error; docs/data-preparation.md)."""

import json
import sys
import time

from . import META_FORMAT


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Reporter:
    def __init__(self, mode: str, interval: float, stream=None):
        self.mode = mode
        self.interval = interval
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._last = 0.0
        self._last_state = None
        self.input_total = 0          # bytes of the input files (compressed as stored)
        self.input_done = 0           # of those, in finished chunks
        self._input_done_at_start = 0
        self.text_bytes = 0           # decompressed bytes tokenized in this run
        self.documents = 0
        self.tokens = 0

    def _emit(self, event: str, fields: dict, text: str) -> None:
        if self.mode == "json":
            self.stream.write(json.dumps({"event": event, **fields}) + "\n")
        elif self.mode == "text" or event == "error":
            self.stream.write(f"[prepare] {event}: {text}\n")
        self.stream.flush()

    def start(self, input_total: int, input_done: int, documents: int, tokens: int, fields: dict) -> None:
        self.input_total, self.input_done = input_total, input_done
        self._input_done_at_start = input_done
        self.documents, self.tokens = documents, tokens
        self.started = time.monotonic()
        resumed = fields.get("resumed_chunks", 0)
        self._emit("start", {"format": META_FORMAT, "input_bytes": input_total, **fields},
                   f"{len(fields['inputs'])} input(s), {input_total / 1e6:,.1f} MB, tokenizer {fields['tokenizer']}, "
                   f"{fields['workers']} worker(s)" + (f", resuming after {resumed} finished chunk(s)" if resumed else ""))

    def note(self, message: str) -> None:
        self._emit("note", {"message": message}, message)

    def chunk_done(self, documents: int, tokens: int, input_bytes: int, text_bytes: int) -> None:
        self.documents += documents
        self.tokens += tokens
        self.input_done += input_bytes
        self.text_bytes += text_bytes
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self.progress()

    def skipped(self, input_bytes: int) -> None:
        """Input of a chunk finished by an earlier run (its counts are in start())."""
        self.input_done += input_bytes
        self._input_done_at_start += input_bytes

    def progress(self) -> None:
        if self._last_state == (self.documents, self.input_done):
            return  # nothing new since the last line
        self._last_state = (self.documents, self.input_done)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        mb_s = self.text_bytes / 1e6 / elapsed
        done_here = self.input_done - self._input_done_at_start
        left = max(self.input_total - self.input_done, 0)
        eta = left * elapsed / done_here if done_here > 0 else None
        fraction = min(self.input_done / self.input_total, 1.0) if self.input_total else 1.0
        self._emit("progress",
                   {"documents": self.documents, "tokens": self.tokens, "input_bytes_done": self.input_done,
                    "input_bytes": self.input_total, "fraction": round(fraction, 6), "mb_per_s": round(mb_s, 3),
                    "eta_s": None if eta is None else round(eta, 1), "elapsed_s": round(elapsed, 3)},
                   f"{self.documents:,} documents, {self.tokens:,} tokens, {mb_s:,.1f} MB/s, {fraction:.1%} of the "
                   f"input, ETA {'?' if eta is None else _duration(eta)}")

    def done(self, fields: dict) -> None:
        elapsed = time.monotonic() - self.started
        self._emit("done", {**fields, "elapsed_s": round(elapsed, 3)},
                   f"{fields['documents']:,} documents, {fields['tokens']:,} tokens ({fields['dtype']}) in "
                   f"{_duration(elapsed)}: {fields['meta']}")

    def error(self, what: str, fix: str) -> None:
        if self.mode == "json":
            self._emit("error", {"message": what, "fix": fix}, "")
        else:
            self.stream.write(f"[prepare] error: {what} — {fix}\n")
            self.stream.flush()
