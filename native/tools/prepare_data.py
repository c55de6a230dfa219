#!/usr/bin/env python3
"""Prepares training data for moetrain: JSONL or plain text (optionally .gz/.zst) to a Megatron-LM indexed
dataset (PREFIX.bin + PREFIX.idx) with PREFIX.meta.json, tokenized in parallel and resumable after a crash.

Run it with the node's managed Python (native/scripts/python_env.sh path). Formats, metadata schema and
progress events: docs/data-preparation.md.

examples:
  prepare_data.py corpus.jsonl.zst --tokenizer ./tok/tokenizer.json --output-prefix data/corpus
  prepare_data.py books/*.txt.gz --tokenizer bytes --output-prefix data/books --progress json
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dataprep import TOOL_VERSION  # noqa: E402
from dataprep.errors import PrepError  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise PrepError(f"bad arguments: {message}", "see prepare_data.py --help")


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def parse_args(argv):
    p = _Parser(prog="prepare_data.py", description=__doc__.split("\n\n")[0],
                epilog=__doc__.split("\n\n", 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter,
                allow_abbrev=False)
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL or text files, optionally gzip or zstd "
                   "compressed (detected from their first bytes)")
    p.add_argument("--output-prefix", required=True, metavar="PREFIX",
                   help="writes PREFIX.bin, PREFIX.idx, PREFIX.meta.json (and PREFIX.tokenizer.json)")
    p.add_argument("--tokenizer", required=True, metavar="PATH|bytes",
                   help="a Hugging Face tokenizer.json, a folder holding one, or 'bytes' (the trainer's byte "
                        "tokenizer: ids 0..255, end of document '\\n' = 10)")
    p.add_argument("--format", choices=("auto", "jsonl", "text"), default="auto",
                   help="input format; auto: from the name (.jsonl/.ndjson/.json, .txt/.text/.md, before .gz/.zst)")
    p.add_argument("--text-field", default="text", metavar="NAME", help="JSONL field holding the text (default: text)")
    p.add_argument("--text-split", choices=("blank-line", "line"), default="blank-line",
                   help="plain text: one document per block of lines separated by blank lines (default), or one "
                        "per line")
    p.add_argument("--no-eod", dest="append_eod", action="store_false",
                   help="do not append the end-of-document token to each document (appended by default)")
    p.add_argument("--eod-token", metavar="TOKEN", help="the end-of-document token (default: tokenizer_config.json's "
                   "eos_token next to tokenizer.json, else a well-known one such as <|endoftext|> or </s>)")
    p.add_argument("--add-special-tokens", action="store_true",
                   help="let the tokenizer's post-processor add its special tokens (e.g. BOS) to each document")
    p.add_argument("--workers", type=int, default=_default_workers(), metavar="N",
                   help="tokenizing processes (default: the usable cores, %(default)s here)")
    p.add_argument("--chunk-mb", type=float, default=8.0, metavar="MB",
                   help="text per work unit, in MB of decompressed input (default 8; a resumed run needs the same)")
    p.add_argument("--progress", choices=("text", "json", "none"), default="text",
                   help="progress on stderr: readable lines, one JSON object per line, or none (errors always)")
    p.add_argument("--progress-interval", type=float, default=2.0, metavar="S",
                   help="seconds between progress lines (default 2)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an existing dataset at PREFIX (when the new one is complete), or discard an "
                        "unfinished one made with other settings")
    p.add_argument("--version", action="version", version=f"prepare_data {TOOL_VERSION}")
    return p.parse_args(argv)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    mode = "json" if ("--progress=json" in argv or
                      any(a == "--progress" and b == "json" for a, b in zip(argv, argv[1:]))) else "text"
    from dataprep.progress import Reporter
    reporter = Reporter(mode, 2.0)
    try:
        args = parse_args(argv)
        reporter = Reporter(args.progress, args.progress_interval)
        from dataprep.pipeline import Options, prepare
        prepare(Options(inputs=args.inputs, output_prefix=args.output_prefix, tokenizer=args.tokenizer,
                        format=args.format, text_field=args.text_field, text_split=args.text_split,
                        append_eod=args.append_eod, eod_token=args.eod_token,
                        add_special_tokens=args.add_special_tokens, workers=args.workers, chunk_mb=args.chunk_mb,
                        overwrite=args.overwrite), reporter)
    except PrepError as exc:
        reporter.error(exc.what, exc.fix)
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        reporter.error(f"{where}{exc.strerror or exc}", "check free space and permissions there; rerun the same command "
                       "to continue where it stopped")
        return 1
    except KeyboardInterrupt:
        reporter.error("interrupted", "rerun the same command to continue where it stopped")
        return 130
    except ImportError as exc:
        from dataprep.errors import missing_package
        err = missing_package(exc.name or str(exc), "needed by the tool")
        reporter.error(err.what, err.fix)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
