"""Word-piece tokenization and batching for the ONNX encoders."""

from __future__ import annotations

import lzma
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from core.encode.models import model_spec


def load_tokenizer(name: str, directory: Path | None = None) -> Tokenizer:
    """The verified tokenizer of model `name`, with padding and truncation switched off.

    MiniLM's tokenizer.json pads every input to 128 and truncates there; we truncate and pad per
    batch ourselves instead. A `.xz` tokenizer (the multilingual one: 8.8 MB of vocabulary as
    JSON, 2.2 MB compressed) is decompressed in memory.
    """
    path = model_spec(name, directory).tokenizer_path
    if path.suffix == ".xz":
        tok = Tokenizer.from_str(lzma.decompress(path.read_bytes()).decode("utf-8"))
    else:
        tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.no_truncation()
    return tok


def tokenize(tok: Tokenizer, texts: Sequence[str], max_length: int = 256) -> list[list[int]]:
    """Token ids with [CLS]/[SEP], cut to `max_length` pieces (keeping the final [SEP])."""
    if max_length < 2:
        raise ValueError("max_length must leave room for [CLS] and [SEP]")
    out = []
    for enc in tok.encode_batch(list(texts)):
        ids = enc.ids
        out.append(ids if len(ids) <= max_length else ids[: max_length - 1] + ids[-1:])
    return out


def word_pieces(tok: Tokenizer, text: str) -> list[tuple[str, list[int]]]:
    """Each word of `text` as the tokenizer splits it (on spaces and punctuation), with all its
    word pieces: "anemia" -> [an, ##emia], the way the documents were encoded."""
    enc = tok.encode(text, add_special_tokens=False)
    words: list[tuple[str, list[int]]] = []
    spans: list[list[int]] = []  # [start, end] of each word
    last = None
    for word_id, piece, (start, end) in zip(enc.word_ids, enc.ids, enc.offsets, strict=True):
        if word_id is None:
            continue
        if word_id != last:
            words.append(("", []))
            spans.append([start, end])
            last = word_id
        words[-1][1].append(piece)
        spans[-1][1] = end
    return [(text[a:b], pieces) for (_, pieces), (a, b) in zip(words, spans, strict=True)]


def pad(ids: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """(input_ids, attention_mask), int64 [len(ids), longest], right-padded with id 0."""
    width = max((len(x) for x in ids), default=0)
    input_ids = np.zeros((len(ids), width), np.int64)
    mask = np.zeros((len(ids), width), np.int64)
    for row, x in enumerate(ids):
        input_ids[row, : len(x)] = x
        mask[row, : len(x)] = 1
    return input_ids, mask


def encode_batch(tok: Tokenizer, texts: Sequence[str],
                 max_length: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize, truncate to `max_length` and pad to the longest text of the batch."""
    return pad(tokenize(tok, texts, max_length))


def length_batches(ids: Sequence[Sequence[int]], batch_size: int) -> Iterator[list[int]]:
    """Indices into `ids` grouped into batches of similar length (longest first), so that
    padding stays small and the biggest batch, the memory peak, comes first."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
    for start in range(0, len(order), batch_size):
        yield order[start: start + batch_size]
