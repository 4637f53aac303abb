"""The index as search reads it: the catalog, the models its vectors come from (and the query
encoder for them), and the sparse and dense indexes derived from the catalog, kept in step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.encode.manifest import model_dims, resolve_sparse_model
from core.model_choice import resolve_dense_model
from core.search.keyword_topk import KeywordStats
from core.store.catalog import Catalog
from core.store.index_models import stored_models
from core.store.sparse_index import SparseIndex
from core.store.vectors import DenseIndex


class QueryEncoder:
    """What the searcher needs from the models: a dense query vector and the query's word
    pieces (the sparse side has no model at query time)."""

    dim: int

    def dense(self, text: str) -> np.ndarray: ...
    def word_pieces(self, text: str) -> list[tuple[str, list[int]]]: ...
    def token_strings(self, ids: np.ndarray) -> list[str]: ...


class SearchIndexes:
    """Not thread-safe: the Searcher's lock serialises its use (the keyword catalog excepted,
    a connection of its own for the keyword thread)."""

    def __init__(self, index_dir: Path, encoder_factory: Callable[[], QueryEncoder],
                 readonly: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.catalog = Catalog(self.index_dir, readonly=readonly)
        self._encoder_factory = encoder_factory
        self._encoder: QueryEncoder | None = None
        self._encoder_key: tuple[str, str] = ("", "")
        self._models_cache: tuple[str | None, str, str] | None = None  # record, dense, sparse
        self.generation = -1  # the catalog's generation the derived indexes are at
        self.sparse: SparseIndex = SparseIndex(self.index_dir)
        self.dense: DenseIndex | None = None
        self._kw_catalog: Catalog | None = None
        self.keyword_stats = KeywordStats()  # word frequencies for the keyword list's top-k
        self._note_cache: tuple[int, str | None] = (-1, None)

    @property
    def encoder(self) -> QueryEncoder:
        # The index may have changed models since (a re-encode): queries follow its record.
        key = self._models()
        if self._encoder is None or key != self._encoder_key:
            self._encoder = self._encoder_factory()
            self._encoder_key = key
        return self._encoder

    def dense_model(self) -> str:
        """The dense model this index's vectors come from (queries are encoded with it)."""
        return self._models()[0]

    def sparse_model(self) -> str:
        """The sparse model this index was encoded with (queries use its tokenizer), or the
        default where that one no longer ships (until the next indexing run re-encodes)."""
        return self._models()[1]

    def _models(self) -> tuple[str, str]:
        """(dense, sparse) model names of the index's record, resolved against the manifest
        only when the record changes: every search asks, and the record is one row."""
        raw = self.catalog.get_meta("models")
        if self._models_cache is None or raw != self._models_cache[0]:
            stored = stored_models(self.catalog)
            self._models_cache = (raw, resolve_dense_model(stored.dense_name if stored else ""),
                                  resolve_sparse_model(stored.sparse_name if stored else ""))
        return self._models_cache[1], self._models_cache[2]

    def sync(self) -> None:
        """Catch the derived indexes up with the catalog if it changed since the last search."""
        generation = self.catalog.generation()
        if generation == self.generation:
            return
        self.sparse.sync(self.catalog)
        if self.dense is None:  # the size from the manifest: a keyword search loads no model
            self.dense = DenseIndex(self.index_dir, model_dims(self.dense_model()))
        self.dense.sync(self.catalog)
        self.generation = generation

    def keyword_catalog(self) -> Catalog:
        """A second connection, for the keyword list running beside the query's encoding."""
        if self._kw_catalog is None:
            self._kw_catalog = Catalog(self.index_dir, readonly=self.catalog.readonly)
        return self._kw_catalog

    def note(self) -> str | None:
        """Tell the user while part of the index is keyword-only (counted once per change)."""
        if self._note_cache[0] != self.generation:
            waiting = 0
            if self.catalog.conn.execute(
                    "SELECT 1 FROM files WHERE state = 'text' LIMIT 1").fetchone():
                waiting = self.catalog.count_to_encode()
            text = (f"semantic search is catching up: {waiting} passages still to encode"
                    if waiting else None)
            self._note_cache = (self.generation, text)
        return self._note_cache[1]

    def close(self) -> None:
        if self._kw_catalog is not None:
            self._kw_catalog.close()
        self.catalog.close()
