"""The query side of search: one dense model call, and word pieces for the sparse side."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.encode.dense import DenseEncoder
from core.encode.tokenizer import load_tokenizer, word_pieces


class QueryEncoder:
    def __init__(self, threads: int = 1, models_dir: Path | None = None,
                 sparse_model: str = "sparse", dense_model: str = "dense") -> None:
        self._dense = DenseEncoder(threads=threads, models_dir=models_dir, name=dense_model)
        self.dim = self._dense.dim
        # The sparse side needs only the tokenizer: inference-free, no model at query time.
        self._tokenizer = load_tokenizer(sparse_model, models_dir)
        self._vocab = {i: t for t, i in self._tokenizer.get_vocab().items()}

    def dense(self, text: str) -> np.ndarray:
        return self._dense.encode_query(text)

    def word_pieces(self, text: str) -> list[tuple[str, list[int]]]:
        return word_pieces(self._tokenizer, text)

    def token_strings(self, ids: np.ndarray) -> list[str]:
        return [self._vocab.get(int(i), "") for i in ids]
