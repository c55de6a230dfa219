"""Data preparation for the trainer: text (JSONL or plain, optionally gzip/zstd) to Megatron-LM's indexed
format, tokenized in parallel, resumable. The command line is native/tools/prepare_data.py; the file formats
are described in docs/data-preparation.md."""

TOOL_NAME = "prepare_data"
TOOL_VERSION = "1.0.0"
# Version of PREFIX.meta.json's schema (its "format" field) and of the --progress json events.
META_FORMAT = 1
