"""Both models over many passages, several passages at once on single-threaded sessions.

Each passage goes through the dense and the sparse model alone (one passage per model call, so
its vectors never depend on its batch-mates) on one lane; `lanes` passages are in flight at a
time, one per core. onnxruntime releases the GIL while a model runs, so lanes are threads
sharing one session per model (run() is thread-safe). Coarse parallelism like this needs no
synchronisation inside a passage, which is what kept an intra-op thread pool from scaling on a
busy machine (core/encode/models.py has the measurements).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from core.encode.models import physical_cores

SparseVector = tuple[np.ndarray, np.ndarray]  # as in core.encode.sparse
T = TypeVar("T")


class Cancelled(Exception):
    """encode() was told to stop: the passages of this call were not all encoded."""


class PassageEncoder:
    def __init__(self, lanes: int | None = None, sparse_model: str = "sparse",
                 dense_model: str = "dense") -> None:
        # Imported here: the window imports the indexer and should not pay for the models.
        from core.encode.dense import DenseEncoder
        from core.encode.sparse import SparseEncoder

        self.lanes = max(1, lanes or physical_cores())
        self.dense = DenseEncoder(threads=1, name=dense_model)
        self.sparse = SparseEncoder(threads=1, name=sparse_model)
        # Threads start on first use, from the calling thread: on Linux they inherit its
        # priority, so a low-priority indexer's lanes are low priority too.
        self._pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="spyglass-encode") \
            if self.lanes > 1 else None

    def encode(self, texts: Sequence[str], cancelled: Callable[[], bool] = lambda: False
               ) -> tuple[np.ndarray, list[SparseVector]]:
        """Dense unit vectors [len(texts), dim] and sparse expansions, in input order.
        Raises Cancelled as soon as `cancelled()` is true (checked before every passage)."""

        def one(text: str) -> tuple[np.ndarray, SparseVector] | None:
            if cancelled():
                return None
            return self.dense.encode([text])[0], self.sparse.encode([text])[0]

        results = self._map(one, texts)
        dense = np.stack([r[0] for r in results]) if results else \
            np.zeros((0, self.dense.dim), np.float32)
        return dense, [r[1] for r in results]

    def encode_sparse(self, texts: Sequence[str], cancelled: Callable[[], bool] = lambda: False
                      ) -> list[SparseVector]:
        """Sparse expansions alone (the dense ones are kept from before), in input order."""

        def one(text: str) -> SparseVector | None:
            return None if cancelled() else self.sparse.encode([text])[0]

        return self._map(one, texts)

    def _map(self, one: Callable[[str], T | None], texts: Sequence[str]) -> list[T]:
        results = list(self._pool.map(one, texts)) if self._pool else [one(t) for t in texts]
        if any(r is None for r in results):
            raise Cancelled()
        return results  # type: ignore[return-value]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
