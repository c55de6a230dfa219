"""Input files: their format (JSONL or plain text, from the name or --format), their compression (from the
first bytes: gzip, zstd or none), their SHA-256, and their division into chunks for the workers.

Chunks end at document boundaries that do not depend on the number of workers: after a line end (JSONL and
one document per line) or before a blank line (blank-line-separated text), at the first such boundary at or
after --chunk-mb of decompressed text. The same input and chunk size always give the same chunks, which is
what makes the output independent of the worker count and a rerun able to skip finished chunks."""

import gzip
import hashlib
import io
import os
import re
import zlib
from dataclasses import dataclass, field
from typing import Iterator, List, Optional

from .errors import PrepError, missing_package

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
TEXT_SUFFIXES = (".txt", ".text", ".md")
COMPRESSION_SUFFIXES = (".gz", ".gzip", ".zst", ".zstd")
MAGIC_GZIP = b"\x1f\x8b"
MAGIC_ZSTD = b"\x28\xb5\x2f\xfd"
UNSUPPORTED_MAGIC = {b"BZh": ("bzip2", "bunzip2"), b"\xfd7zXZ": ("xz", "unxz"), b"PK\x03\x04": ("zip", "unzip")}
# A blank line: empty, or spaces, tabs, carriage returns and form feeds only (documents.py uses the same set).
BLANK_LINE = re.compile(rb"\n[ \t\r\f\v]*\n")
READ_BLOCK = 4 << 20


@dataclass
class Source:
    index: int
    label: str          # as given on the command line (used in messages)
    path: str           # absolute
    size: int
    mtime_ns: int
    compression: str    # "none", "gzip" or "zstd"
    format: str         # "jsonl" or "text"
    sha256: Optional[str] = None
    stats: dict = field(default_factory=dict)


def detect_format(label: str, forced: str) -> str:
    if forced != "auto":
        return forced
    name = label.lower()
    for suffix in COMPRESSION_SUFFIXES:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    raise PrepError(f"cannot tell the format of {label} from its name (known: {', '.join(JSONL_SUFFIXES)} for "
                    f"JSONL, {', '.join(TEXT_SUFFIXES)} for text, optionally + .gz/.zst)",
                    "pass --format jsonl or --format text")


def describe_sources(labels: List[str], forced_format: str) -> List[Source]:
    """Checks every input before any work starts; raises PrepError naming the first bad one."""
    sources = []
    seen = {}
    for i, label in enumerate(labels):
        path = os.path.abspath(label)
        if path in seen:
            raise PrepError(f"the input {label} is given twice (also as {seen[path]})", "name each input once")
        seen[path] = label
        if not os.path.exists(path):
            raise PrepError(f"the input {label} does not exist", "check the path (relative paths are read from "
                            f"{os.getcwd()})")
        if not os.path.isfile(path):
            raise PrepError(f"the input {label} is not a regular file", "pass files; a folder's files can be "
                            "listed with a shell glob (data/*.jsonl.zst)")
        try:
            with open(path, "rb") as f:
                head = f.read(8)
            st = os.stat(path)
        except OSError as exc:
            raise PrepError(f"cannot read the input {label}: {exc.strerror}", "check its permissions") from None
        if st.st_size == 0:
            raise PrepError(f"the input {label} is empty (0 bytes)", "remove it from the inputs, or check that it "
                            "was copied completely")
        for magic, (kind, tool) in UNSUPPORTED_MAGIC.items():
            if head.startswith(magic):
                raise PrepError(f"the input {label} is {kind}-compressed, which this tool does not read",
                                f"decompress it ({tool} {label}) or recompress it with gzip or zstd")
        compression = "gzip" if head.startswith(MAGIC_GZIP) else "zstd" if head.startswith(MAGIC_ZSTD) else "none"
        sources.append(Source(i, label, path, st.st_size, st.st_mtime_ns, compression,
                              detect_format(label, forced_format)))
    if not sources:
        raise PrepError("no inputs were given", "name one or more JSONL or text files")
    return sources


class _HashingReader(io.RawIOBase):
    """The raw (possibly compressed) bytes of a file, hashed and counted as they are read."""

    def __init__(self, f):
        self._f = f
        self.sha = hashlib.sha256()
        self.count = 0

    def readable(self):
        return True

    def readinto(self, b):
        n = self._f.readinto(b)
        if n:
            self.sha.update(memoryview(b)[:n])
            self.count += n
        return n

    def drain(self):
        while True:
            block = self._f.read(READ_BLOCK)
            if not block:
                return
            self.sha.update(block)
            self.count += len(block)


@dataclass
class Chunk:
    data: bytes         # decompressed text, whole documents only
    start_line: int     # 1-based line number of data's first line in the source
    raw_end: int        # bytes of the source file read when this chunk was cut (for progress)
    crc32: int


def _decompressed(source: Source, raw):
    if source.compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if source.compression == "zstd":
        try:
            import zstandard
        except ImportError:
            raise missing_package("zstandard", f"reading {source.label}") from None
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True, closefd=False)
    return io.BufferedReader(raw, READ_BLOCK)


def _cut(buf: bytearray, at: int, blank_line_docs: bool) -> int:
    """Position after the first document boundary at or after `at`, or -1 when buf holds none yet."""
    if blank_line_docs:
        m = BLANK_LINE.search(buf, at - 1)
        return m.start() + 1 if m else -1
    i = buf.find(b"\n", at - 1)
    return i + 1 if i >= 0 else -1


def iter_chunks(source: Source, chunk_bytes: int, blank_line_docs: bool) -> Iterator[Chunk]:
    """Yields the chunks of a source in order; sets source.sha256 once the whole file has been read."""
    try:
        f = open(source.path, "rb")
    except OSError as exc:
        raise PrepError(f"cannot read the input {source.label}: {exc.strerror}", "check its permissions") from None
    with f:
        raw = _HashingReader(f)
        stream = _decompressed(source, raw)
        buf = bytearray()
        line = 1
        emitted = 0  # decompressed bytes yielded; for an uncompressed file, the position of the chunk's end
        # Reads of about a quarter chunk keep the input position (progress) close to the chunks cut.
        read_size = min(READ_BLOCK, max(chunk_bytes // 4, 1 << 16))
        while True:
            try:
                block = stream.read(read_size)
            except (OSError, EOFError, ValueError) as exc:
                raise _corrupt(source, exc) from None
            except Exception as exc:  # zstandard.ZstdError
                if type(exc).__name__ == "ZstdError":
                    raise _corrupt(source, exc) from None
                raise
            if block:
                buf += block
            else:
                raw.drain()
            while len(buf) >= chunk_bytes:
                cut = _cut(buf, chunk_bytes, blank_line_docs)
                if cut < 0:
                    break
                data = bytes(buf[:cut])
                del buf[:cut]
                emitted += len(data)
                yield Chunk(data, line, emitted if source.compression == "none" else raw.count, zlib.crc32(data))
                line += data.count(b"\n")
            if not block:
                break
        if buf:
            data = bytes(buf)
            yield Chunk(data, line, raw.count, zlib.crc32(data))
        if raw.count != source.size:
            raise PrepError(f"the input {source.label} changed while it was read ({source.size} bytes at the start, "
                            f"{raw.count} read)", "let whatever writes it finish, then rerun")
        source.sha256 = raw.sha.hexdigest()


def _corrupt(source: Source, exc: Exception) -> PrepError:
    tester = {"gzip": "gzip -t", "zstd": "zstd -t"}.get(source.compression, "cat >/dev/null")
    return PrepError(f"the input {source.label} cannot be decompressed ({source.compression}): {exc}",
                     f"it is damaged or truncated (check with {tester} {source.label}); copy it again")
