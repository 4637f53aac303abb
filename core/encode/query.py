"""The query side of search: one dense model call, and word pieces for the sparse side."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.encode.dense import DenseEncoder
from core.encode.tokenizer import load_tokenizer


class QueryEncoder:
    def __init__(self, threads: int = 1, models_dir: Path | None = None) -> None:
        self._dense = DenseEncoder(threads=threads, models_dir=models_dir)
        self.dim = self._dense.dim
        # The sparse side needs only the tokenizer: inference-free, no model at query time.
        self._tokenizer = load_tokenizer("sparse", models_dir)
        self._vocab = {i: t for t, i in self._tokenizer.get_vocab().items()}

    def dense(self, text: str) -> np.ndarray:
        return self._dense.encode_query(text)

    def word_pieces(self, text: str) -> list[tuple[str, list[int]]]:
        """Each word of `text` as the tokenizer splits it (on spaces and punctuation), with
        all its word pieces: "anemia" -> [an, ##emia], the way the documents were encoded."""
        enc = self._tokenizer.encode(text, add_special_tokens=False)
        words: list[tuple[str, list[int]]] = []
        spans: list[list[int]] = []  # [start, end] of each word
        last = None
        for word_id, piece, (start, end) in zip(enc.word_ids, enc.ids, enc.offsets,
                                                strict=True):
            if word_id is None:
                continue
            if word_id != last:
                words.append(("", []))
                spans.append([start, end])
                last = word_id
            words[-1][1].append(piece)
            spans[-1][1] = end
        return [(text[a:b], pieces) for (_, pieces), (a, b) in zip(words, spans, strict=True)]

    def token_strings(self, ids: np.ndarray) -> list[str]:
        return [self._vocab.get(int(i), "") for i in ids]
