"""Tokenizers: any Hugging Face tokenizer.json (through the `tokenizers` library) and the trainer's built-in
byte tokenizer (native/src/data/byte_tokenizer.h: the id of a byte is its value, 256 ids, and '\\n' (10) ends
a document).

resolve_tokenizer() runs once in the main process and yields a TokenizerSpec (plain data, sent to the
workers); make_encoder() builds the encoder inside each worker."""

import hashlib
import json
import os
from dataclasses import dataclass
from itertools import chain
from typing import List, Optional, Tuple

import numpy as np

from .errors import PrepError, missing_package

BYTES = "bytes"
BYTE_VOCAB_SIZE = 256
BYTE_EOD_ID = 10
# End-of-document tokens looked for, in this order, when neither --eod-token nor tokenizer_config.json's
# eos_token names one.
KNOWN_EOD_TOKENS = ("<|endoftext|>", "</s>", "<|end_of_text|>", "<eos>", "<|eos|>", "[EOS]", "<|im_end|>")


@dataclass(frozen=True)
class TokenizerSpec:
    kind: str                      # "huggingface" or "bytes"
    path: Optional[str]            # absolute path of tokenizer.json (huggingface)
    sha256: Optional[str]          # of tokenizer.json's bytes
    vocab_size: int                # ids, added tokens included
    eod_id: Optional[int]          # None only with --no-eod and no token found
    eod_token: Optional[str]
    add_special_tokens: bool       # let the tokenizer's post-processor add its tokens (e.g. BOS)


def _load_hf(path: str):
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise missing_package("tokenizers", "Hugging Face tokenizers") from None
    try:
        return Tokenizer.from_file(path)
    except Exception as exc:  # the library raises its own Exception type with the parser's message
        raise PrepError(f"cannot load the tokenizer {path}: {str(exc)[:300]}",
                        "pass a Hugging Face tokenizer.json (as saved by tokenizers or transformers' "
                        "save_pretrained), a folder holding one, or 'bytes'") from None


def _config_eos(folder: str) -> Optional[str]:
    """eos_token of tokenizer_config.json next to tokenizer.json, when there is one."""
    path = os.path.join(folder, "tokenizer_config.json")
    try:
        with open(path, encoding="utf-8") as f:
            eos = json.load(f).get("eos_token")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(eos, dict):
        eos = eos.get("content")
    return eos if isinstance(eos, str) and eos else None


def resolve_tokenizer(spec: str, eod_token: Optional[str], append_eod: bool,
                      add_special_tokens: bool) -> TokenizerSpec:
    """Checks the --tokenizer argument and finds the end-of-document id; raises PrepError with the fix."""
    if spec == BYTES:
        if eod_token is not None and eod_token != "\n":
            raise PrepError(f"--eod-token {eod_token!r} does not apply to the byte tokenizer (its end-of-document "
                            "token is '\\n', id 10)", "drop --eod-token, or use --no-eod")
        return TokenizerSpec(BYTES, None, None, BYTE_VOCAB_SIZE, BYTE_EOD_ID, "\n", False)
    path = os.path.abspath(spec)
    if os.path.isdir(path):
        folder = path
        path = os.path.join(folder, "tokenizer.json")
        if not os.path.isfile(path):
            extra = (" (it has tokenizer.model: a SentencePiece model; convert it once with transformers: "
                     "AutoTokenizer.from_pretrained(DIR).save_pretrained(OUT) writes tokenizer.json)"
                     if os.path.exists(os.path.join(folder, "tokenizer.model")) else "")
            raise PrepError(f"the tokenizer folder {folder} has no tokenizer.json{extra}",
                            "pass a folder holding tokenizer.json, the file itself, or 'bytes'")
    elif not os.path.exists(path):
        raise PrepError(f"the tokenizer {spec} does not exist",
                        "pass the path of a Hugging Face tokenizer.json, a folder holding one, or 'bytes' for the "
                        "trainer's byte tokenizer")
    else:
        folder = os.path.dirname(path)
    try:
        with open(path, "rb") as f:
            content = f.read()
    except OSError as exc:
        raise PrepError(f"cannot read the tokenizer {path}: {exc.strerror}",
                        "check the file's permissions, or pass another tokenizer") from None
    tok = _load_hf(path)
    vocab_size = tok.get_vocab_size(with_added_tokens=True)
    eod_id = None
    if eod_token is not None:
        eod_id = tok.token_to_id(eod_token)
        if eod_id is None:
            raise PrepError(f"--eod-token {eod_token!r} is not in the vocabulary of {path}",
                            "name a token of this tokenizer (e.g. </s> or <|endoftext|>), or pass --no-eod")
    else:
        for candidate in ([_config_eos(folder)] if _config_eos(folder) else []) + list(KNOWN_EOD_TOKENS):
            if tok.token_to_id(candidate) is not None:
                eod_token, eod_id = candidate, tok.token_to_id(candidate)
                break
        if eod_id is None and append_eod:
            raise PrepError(f"cannot tell the end-of-document token of {path} (no tokenizer_config.json eos_token, "
                            f"none of {', '.join(KNOWN_EOD_TOKENS)})",
                            "name it with --eod-token TOKEN, or pass --no-eod to append none")
    return TokenizerSpec("huggingface", path, hashlib.sha256(content).hexdigest(), vocab_size, eod_id, eod_token,
                         add_special_tokens)


class Encoder:
    """Encodes a batch of texts to one flat id array plus per-document lengths, with the end-of-document id
    appended to each document when asked. Documents that encode to no tokens are dropped (and counted)."""

    def __init__(self, spec: TokenizerSpec, append_eod: bool):
        self.spec = spec
        self.append_eod = append_eod
        self._tok = _load_hf(spec.path) if spec.kind != BYTES else None

    def encode(self, texts: List[str]) -> Tuple[np.ndarray, np.ndarray, int]:
        """-> (ids int64 [total], lengths int64 [documents kept], documents dropped)"""
        if self._tok is None:
            pieces = [t.encode("utf-8") for t in texts]
            lengths = np.fromiter((len(p) for p in pieces), dtype=np.int64, count=len(pieces))
            flat = np.frombuffer(b"".join(pieces), dtype=np.uint8).astype(np.int64)
        else:
            encodings = self._tok.encode_batch_fast(texts, add_special_tokens=self.spec.add_special_tokens)
            id_lists = [e.ids for e in encodings]
            lengths = np.fromiter((len(x) for x in id_lists), dtype=np.int64, count=len(id_lists))
            flat = np.fromiter(chain.from_iterable(id_lists), dtype=np.int64, count=int(lengths.sum()))
        dropped = int(np.count_nonzero(lengths == 0))
        if dropped:
            lengths = lengths[lengths > 0]
        if not self.append_eod:
            return flat, lengths, dropped
        # Room for one more id after each document: the eod positions are the ends of the new lengths.
        out_lengths = lengths + 1
        ends = np.cumsum(out_lengths)
        out = np.empty(int(ends[-1]) if len(ends) else 0, dtype=np.int64)
        is_eod = np.zeros(len(out), dtype=bool)
        is_eod[ends - 1] = True
        out[is_eod] = self.spec.eod_id
        out[~is_eod] = flat
        return out, out_lengths, dropped
