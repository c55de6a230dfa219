"""Documents of a chunk: JSONL records (one text field), or plain text with one document per block of lines
separated by blank lines, or per line. Errors name the file and line and say what to change."""

import json
from typing import List, Tuple

from .errors import PrepError

# What counts as blank (the same set as sources.BLANK_LINE).
BLANK = " \t\r\f\v"


def _line_of(data: bytes, offset: int, start_line: int) -> int:
    return start_line + data.count(b"\n", 0, offset)


def jsonl_texts(data: bytes, label: str, start_line: int, field: str) -> Tuple[List[str], int]:
    """-> (texts, records with an empty text). Blank lines are ignored."""
    texts = []
    empty = 0
    for i, line in enumerate(data.split(b"\n")):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except UnicodeDecodeError:
            raise PrepError(f"{label}:{start_line + i}: the line is not UTF-8 text",
                            "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
        except ValueError as exc:
            where = f", column {exc.colno}" if hasattr(exc, "colno") else ""
            raise PrepError(f"{label}:{start_line + i}: bad JSON line ({getattr(exc, 'msg', exc)}{where})",
                            "fix or remove that line; each line of a JSONL file must be one complete JSON object") \
                from None
        if not isinstance(record, dict):
            raise PrepError(f"{label}:{start_line + i}: the line is a JSON {type(record).__name__}, not an object",
                            "each line of a JSONL file must be one JSON object holding the text field")
        if field not in record:
            keys = ", ".join(sorted(record)[:10]) or "no fields"
            raise PrepError(f"{label}:{start_line + i}: the record has no field '{field}' (it has: {keys})",
                            "name the text field with --text-field FIELD")
        text = record[field]
        if not isinstance(text, str):
            raise PrepError(f"{label}:{start_line + i}: the field '{field}' is a JSON {type(text).__name__}, "
                            "not a string", "name a field that holds the document's text with --text-field FIELD")
        if text:
            texts.append(text)
        else:
            empty += 1
    return texts, empty


def plain_texts(data: bytes, label: str, start_line: int, per_line: bool) -> Tuple[List[str], int]:
    """-> (texts, 0). CRLF line ends are read as LF; blank lines separate documents (or, per line, are skipped);
    a document keeps its inner line breaks, without the one that ends its last line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PrepError(f"{label}:{_line_of(data, exc.start, start_line)}: the text is not UTF-8 (byte "
                        f"0x{data[exc.start]:02x})", "convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)") \
            from None
    if start_line == 1 and text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is not part of the first document
    lines = text.split("\n")
    if per_line:
        return [ln[:-1] if ln.endswith("\r") else ln for ln in lines if ln.strip(BLANK)], 0
    docs = []
    block = []
    for ln in lines:
        if ln.endswith("\r"):
            ln = ln[:-1]
        if ln.strip(BLANK):
            block.append(ln)
        elif block:
            docs.append("\n".join(block))
            block = []
    if block:
        docs.append("\n".join(block))
    return docs, 0
