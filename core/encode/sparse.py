"""Sparse passage expansions (splade-tiny, int8 ONNX) and the inference-free query side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.encode.models import create_session, model_spec
from core.encode.tokenizer import length_batches, load_tokenizer, pad, tokenize

SparseVector = tuple[np.ndarray, np.ndarray]  # (token ids uint16 ascending, weights float32)


class SparseEncoder:
    def __init__(self, threads: int = 1, max_length: int = 256,
                 models_dir: Path | None = None, name: str = "sparse") -> None:
        self.name = name  # a sparse model of the manifest (core.encode.models.sparse_models)
        spec = model_spec(name, models_dir)
        if not 2 <= max_length <= 512:  # BERT has 512 positions
            raise ValueError(f"max_length must be in [2, 512], got {max_length}")
        if spec.dims > 1 << 16:
            raise ValueError("vocabulary too large for uint16 token ids")
        self.dim: int = spec.dims
        self.max_length = max_length
        self.tokenizer = load_tokenizer(self.name, models_dir)
        self._session = create_session(spec, threads)
        self._output = spec.output
        vocab = [""] * self.tokenizer.get_vocab_size()
        for token, i in self.tokenizer.get_vocab().items():
            vocab[i] = token
        self.vocab: list[str] = vocab  # id -> word piece, for explanations

    def encode(self, texts: Sequence[str], batch_size: int = 1,
               top_k: int = 128) -> list[SparseVector]:
        """Per text, its nonzero expansion terms, pruned to the `top_k` largest weights.

        One passage per call by default, as for the dense model: dynamic int8 gives a batch one
        activation scale, so batch-mates would shift a passage's weights (measured ~15% faster
        at batch 4). Large batches are costly too: the model materialises batch x length x
        30522 logits (about 250 MB at batch 8 and 256 tokens).
        """
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        ids = tokenize(self.tokenizer, texts, self.max_length)
        out: list[SparseVector] = [(np.zeros(0, np.uint16), np.zeros(0, np.float32))] * len(ids)
        for idx in length_batches(ids, batch_size):
            input_ids, mask = pad([ids[i] for i in idx])
            feed = {"input_ids": input_ids, "attention_mask": mask}
            weights = self._session.run([self._output], feed)[0]
            for row, i in enumerate(idx):
                out[i] = _prune(weights[row], top_k)
        return out

    def query_token_ids(self, text: str) -> np.ndarray:
        """Unique word-piece ids of `text` (no [CLS]/[SEP]), uint16 ascending. No model call:
        queries are matched on their own terms, weighted by IDF at search time."""
        ids = self.tokenizer.encode(text, add_special_tokens=False).ids
        return np.unique(np.asarray(ids, np.uint16))


def _prune(weights: np.ndarray, top_k: int) -> SparseVector:
    nonzero = np.flatnonzero(weights > 0)
    if len(nonzero) > top_k:
        # argpartition: O(n) selection of the k largest; ties at the cut go either way
        nonzero = nonzero[np.argpartition(weights[nonzero], -top_k)[-top_k:]]
        nonzero.sort()
    return nonzero.astype(np.uint16), weights[nonzero].astype(np.float32)
