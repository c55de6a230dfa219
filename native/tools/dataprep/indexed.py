"""Writer of Megatron-LM's indexed dataset (MMIDIDX): PREFIX.bin holds the tokens of every sequence back to
back; PREFIX.idx holds, little-endian:

    magic       9 bytes  b"MMIDIDX\\x00\\x00"
    version     u64      1
    dtype code  u8       (DTYPE_CODES)
    sequences   u64      N
    doc count   u64      D + 1 (entries of the document index)
    sizes       int32[N]   tokens per sequence
    pointers    int64[N]   byte offset of each sequence in PREFIX.bin
    doc index   int64[D+1] first sequence of each document, then N

This tool writes one sequence per document, so D = N and the document index is 0, 1, ..., N."""

import struct

import numpy as np

MAGIC = b"MMIDIDX\x00\x00"
VERSION = 1
# Megatron's codes (megatron/core/datasets/indexed_dataset.py, DType).
DTYPE_CODES = {
    "uint8": 1, "int8": 2, "int16": 3, "int32": 4, "int64": 5, "float64": 6, "float32": 7, "uint16": 8,
}
# uint16 leaves a margin below 65536, as Megatron's own choice does.
UINT16_VOCAB_LIMIT = 65500


def dtype_for_vocab(vocab_size: int) -> str:
    """uint16 for vocabularies below 65,500 ids, int32 above."""
    return "uint16" if vocab_size < UINT16_VOCAB_LIMIT else "int32"


def write_index(idx_file, sizes_file, sequences: int, dtype: str, block: int = 1 << 20) -> None:
    """Writes PREFIX.idx to the open binary file `idx_file` from the int32 sizes stored in `sizes_file` (an open
    binary file positioned at its start, `sequences` entries), streaming: memory stays bounded by `block` entries."""
    itemsize = np.dtype(dtype).itemsize
    idx_file.write(MAGIC)
    idx_file.write(struct.pack("<Q", VERSION))
    idx_file.write(struct.pack("<B", DTYPE_CODES[dtype]))
    idx_file.write(struct.pack("<Q", sequences))
    idx_file.write(struct.pack("<Q", sequences + 1))
    # Two passes over the sizes: the sizes themselves, then the pointers (exclusive prefix sums in bytes).
    start = sizes_file.tell()
    for sizes in _blocks(sizes_file, sequences, block):
        idx_file.write(sizes.astype("<i4").tobytes())
    sizes_file.seek(start)
    offset = 0
    for sizes in _blocks(sizes_file, sequences, block):
        nbytes = sizes.astype(np.int64) * itemsize
        pointers = np.cumsum(nbytes) - nbytes + offset
        offset += int(nbytes.sum())
        idx_file.write(pointers.astype("<i8").tobytes())
    for first in range(0, sequences + 1, block):
        idx_file.write(np.arange(first, min(first + block, sequences + 1), dtype="<i8").tobytes())


def _blocks(sizes_file, count: int, block: int):
    left = count
    while left > 0:
        n = min(block, left)
        data = sizes_file.read(4 * n)
        if len(data) != 4 * n:
            raise OSError(f"the sizes file ended {left - len(data) // 4} entries early")
        yield np.frombuffer(data, dtype="<i4")
        left -= n
