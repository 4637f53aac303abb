"""Hybrid search: keyword (FTS5) + inference-free sparse + dense, fused, grouped by file.

The Searcher runs a search's rounds (lists, fusion, feedback); its parts live beside it: the
index and its models (indexes.py), the candidate lists (lists.py), filters and exclusions
(constraints.py), passages in another language (languages.py), the hits (assembly.py) and
explanations (explain.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.encode.manifest import MULTILINGUAL_DENSE
from core.search import assembly, constraints, explain, lists
from core.search.explain import Explanation
from core.search.fusion import (
    NORM_DEPTH,
    Fused,
    best_per_file,
    fuse_files,
    interpolate,
    single_list,
)
from core.search.indexes import QueryEncoder, SearchIndexes
from core.search.languages import PassageLanguages
from core.search.prf import (
    SECOND_ROUND_WEIGHTS,
    PrfParams,
    choose_feedback,
    expand_sparse,
    feedback_note,
    rocchio,
)
from core.search.query import Filters, Query, literal_query, parse_query
from core.search.results import SearchResult
from core.search.stopwords import content_word_count
from core.store.catalog import Catalog
from core.store.codec import blob_to_dense, blob_to_sparse
from core.store.sparse_index import SparseIndex
from core.store.vectors import DenseIndex
from core.text.language import is_english

# What the rest of the program imports from here (Explanation and QueryEncoder live beside).
__all__ = ["ALL_MODES", "CANDIDATES", "DEFAULT_MODE", "HYBRID_WEIGHTS", "MODES", "Explanation",
           "QueryEncoder", "SearchOptions", "Searcher"]

MODES = ("keyword", "sparse", "dense", "hybrid", "hybrid-prf")
DEFAULT_MODE = "hybrid-prf"  # what the window and the command line use
# For evaluation: the query through the sparse model, and exhaustive int8 dense scoring.
ALL_MODES = (*MODES, "sparse-siamese", "dense-exact")
MODE_ALIASES = {"bm25": "keyword"}
# Share of each list in the hybrid score (each list's file scores, a file's best passage,
# min-max normalised over its top NORM_DEPTH per query, then mixed convexly). Chosen by
# bench/sweep_fusion.py over all four shared collections (nDCG@10, 0.05 grid): keyword 0.4 /
# sparse 0.1 / dense 0.5 with file-level fusion gave the best mean (0.4942: scifact .738,
# nfcorpus .362, cranfield .420, cisi .457) and beats the best single list on every collection
# by >= 0.0206 (cisi, where dense is strong); passage-level fusion with the same weights: mean
# 0.4925, margin 0.0192. k .35 / s .15 / d .5 has a wider margin (0.0233) at the same mean.
# RRF was worse everywhere (mean 0.4725 equal weights, 0.4847 with these weights); z-scores
# were no better than min-max. splade-tiny's inference-free list earns only a small share.
# Re-run with the fixed sparse query side (every word piece, 1/sqrt(n) per piece; 2026-12-02,
# bench/results/sweep-fusion.md): these weights give .7400/.3633/.4198/.4539, mean 0.4942; the
# grid's best mean is 0.4948 (k .4 s .15 d .45), a flat top. Chosen leave-one-collection-out,
# the weights picked on three collections average 0.4894 on the fourth, below keeping these
# (0.4942): the differences at the top are noise, so the weights stay.
HYBRID_WEIGHTS = {"keyword": 0.4, "sparse": 0.1, "dense": 0.5}
CANDIDATES = NORM_DEPTH  # passages taken from each list before fusion


@dataclass(frozen=True)
class SearchOptions:
    k: int = 20
    mode: str = DEFAULT_MODE
    filters: Filters = field(default_factory=Filters)


class Searcher:
    def __init__(self, index_dir: Path, encoder_factory: Callable[[], QueryEncoder],
                 readonly: bool = False) -> None:
        self.index = SearchIndexes(index_dir, encoder_factory, readonly=readonly)
        self._lock = threading.Lock()  # one search at a time per Searcher
        self._closed = False
        self.weights: dict[str, float] = dict(HYBRID_WEIGHTS)
        self.prf = PrfParams()
        self.second_weights: dict[str, float] = dict(SECOND_ROUND_WEIGHTS)
        self._exact = lists.ExactDense()
        self._siamese: lists.SiameseQuery | None = None
        self._languages = PassageLanguages()
        self._keyword_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fts")

    # -- the index and its models (core/search/indexes.py) -----------------------------------------

    @property
    def index_dir(self) -> Path:
        return self.index.index_dir

    @property
    def catalog(self) -> Catalog:
        return self.index.catalog

    @property
    def sparse(self) -> SparseIndex:
        return self.index.sparse

    @property
    def dense(self) -> DenseIndex | None:
        return self.index.dense

    @property
    def encoder(self) -> QueryEncoder:
        return self.index.encoder

    def dense_model(self) -> str:
        """The dense model this index's vectors come from (queries are encoded with it)."""
        return self.index.dense_model()

    def sparse_model(self) -> str:
        """The sparse model this index was encoded with (queries use its tokenizer)."""
        return self.index.sparse_model()

    def sync(self) -> None:
        """Catch the derived indexes up with the catalog if it changed since the last search."""
        self.index.sync()

    def close(self) -> None:
        # Under the lock: a search in flight on another thread finishes first (closing its
        # SQLite connection mid-query would crash the process); later ones get a clear error.
        with self._lock:
            self._closed = True
            self._keyword_thread.shutdown(wait=True)
            self.index.close()

    def _open(self) -> None:
        if self._closed:
            raise ValueError("the index was closed")

    # -- the search ------------------------------------------------------------------------------

    def search(self, raw: str | Query, options: SearchOptions = SearchOptions()) -> SearchResult:
        with self._lock:
            self._open()
            return self._search(raw, options)

    def _search(self, raw: str | Query, options: SearchOptions) -> SearchResult:
        mode = MODE_ALIASES.get(options.mode, options.mode)
        if mode not in ALL_MODES:
            raise ValueError(f"unknown search mode {options.mode!r}; choose from {MODES}")
        timings: dict[str, float] = {}
        clock = _Clock(timings)
        query = raw if isinstance(raw, Query) else parse_query(raw)
        query = query.with_filters(options.filters)
        if query.is_empty:
            return SearchResult([], timings, mode)
        self.sync()
        clock.lap("sync")
        conn = self.catalog.conn
        allowed = constraints.allowed_passages(conn, query)
        blocked_files = constraints.blocked_files(conn, query)
        clock.lap("filters")
        pool = max(CANDIDATES, options.k * 3) * (1 if allowed is None else 3)
        found: dict[str, dict[int, float]] = {}
        vector = None
        keyword_job = None
        feedback: str | None = None
        if mode == "keyword":
            found["keyword"] = lists.keyword(conn, query, pool, allowed, self.index.keyword_stats)
            clock.lap("keyword")
        elif mode in ("hybrid", "hybrid-prf"):
            # FTS5 runs on its own connection in a thread while the query is encoded: both
            # release the GIL, so the slowest list no longer adds to the others.
            keyword_job = self._keyword_thread.submit(lists.keyword,
                                                      self.index.keyword_catalog().conn,
                                                      query, pool, allowed,
                                                      self.index.keyword_stats)
        # The related-terms model knows English word pieces only: for a query in another language
        # its list is noise in the mix (measured on xquad-r-dev), so hybrid leaves it out.
        if mode == "sparse" or (mode in ("hybrid", "hybrid-prf") and is_english(query.text)):
            found["sparse"] = self._sparse(query, pool, allowed)
            clock.lap("sparse")
        if mode == "sparse-siamese":
            if self._siamese is None:
                self._siamese = lists.SiameseQuery(self.sparse_model())
            found["sparse"] = self._siamese.search(self.sparse, query, pool, allowed)
            clock.lap("sparse")
        if mode in ("dense", "dense-exact", "hybrid", "hybrid-prf"):
            vector = self.encoder.dense(query.text)
            clock.lap("encode")
            exact = mode == "dense-exact"
            found["dense"] = self._dense(vector, pool, allowed, exact=exact)
            clock.lap("dense")
        if keyword_job is not None:
            found = {"keyword": keyword_job.result(), **found}
            clock.lap("keyword (overlapped)")
        if mode in ("hybrid", "hybrid-prf"):
            foreign = self._foreign(query, found)
            fused = fuse_files(found, self.weights, self._owners(found), foreign)
            if mode == "hybrid-prf" and vector is not None:
                fused, feedback = self._feedback_round(query, vector, found, fused, pool,
                                                       allowed, foreign=foreign)
                clock.lap("feedback")
        else:
            (name, scores), = found.items()
            fused = single_list(name, scores, self._owners(found))
        clock.lap("fusion")
        hits = assembly.group(conn, query, fused, options.k, blocked_files)
        clock.lap("results")
        timings["total"] = sum(timings.values())
        return SearchResult(hits, timings, mode, self.index.note(), feedback)

    def _foreign(self, query: Query, found: dict[str, dict[int, float]]) -> set[int]:
        """Passages of the lists surely in another language than the query (in a multilingual
        index only): the keyword and related-terms lists are not held against them."""
        if self.dense_model() != MULTILINGUAL_DENSE:
            return set()
        return self._languages.foreign(self.catalog.conn, self.index.generation, query, found)

    def _owners(self, found: dict[str, dict[int, float]],
                known: dict[int, int] | None = None) -> dict[int, int]:
        """passage id -> file id for every passage in the lists (deleted ones are left out)."""
        return assembly.owners(self.catalog.conn, found, known)

    def _feedback_round(self, query: Query, vector: np.ndarray,
                        found: dict[str, dict[int, float]], fused: Fused, pool: int,
                        allowed: np.ndarray | None, chosen: list[int] | None = None,
                        foreign: set[int] | None = None) -> tuple[Fused, str]:
        """Second round from feedback passages, interpolated with the first round, and what to
        tell the user about it. The feedback is the top first-round passages
        (pseudo-relevance), or `chosen` by the user."""
        p = self.prf
        if chosen:
            top = chosen
            note = "Feedback from the passage you chose."
        else:
            top, note = choose_feedback(
                fused.passages, best_per_file(found.get("keyword", {}), fused.owner),
                best_per_file(found.get("dense", {}), fused.owner), p)
            if not top:
                return fused, note
        stored = self.catalog.conn.execute(
            f"SELECT passage_id, dense, scale, sparse FROM vectors WHERE passage_id IN "
            f"({','.join('?' * len(top))})", top).fetchall()
        if not stored:
            return fused, feedback_note(False, 0.0, "the best matches have no vectors yet")
        dense_fb = np.stack([blob_to_dense(d).astype(np.float32) * s for _, d, s, _ in stored])
        dense_fb /= np.maximum(np.linalg.norm(dense_fb, axis=1, keepdims=True), 1e-9)
        second = dict(found)
        second["dense"] = self._dense(rocchio(vector, dense_fb, p.alpha, p.beta), pool, allowed)
        if chosen or ("sparse" in found and (
                p.expansion_max_words is None
                or content_word_count(query.text) <= p.expansion_max_words)):
            terms, weights = self.sparse_query(query.text)
            terms, weights = expand_sparse(terms, weights,
                                           [blob_to_sparse(b) for *_, b in stored], self._idf,
                                           p.expansion_terms, p.expansion_weight)
            if len(terms):
                second["sparse"] = lists.sparse_terms(self.sparse, terms, weights, pool, allowed)
        owners = self._owners(second, fused.owner)
        if foreign is not None:  # the second round brings new passages: tell theirs too
            foreign = foreign | self._foreign(query, second)
        fused2 = fuse_files(second, self.second_weights, owners, foreign or ())
        return interpolate(fused, fused2, p.before), note

    # -- explanations and feedback ---------------------------------------------------------------

    def explain(self, raw: str | Query, passage_id: int) -> Explanation:
        """Why a passage matched: its words, its expansion terms and each list's share."""
        with self._lock:
            self._open()
            query = raw if isinstance(raw, Query) else parse_query(raw)
            self.sync()
            return explain.explain(self.index, query, passage_id)

    def expansion_terms(self, raw: str | Query, passage_ids: list[int]
                        ) -> dict[int, list[tuple[str, float]]]:
        """explain()'s expansion terms for many passages at once, without the dense model."""
        if not passage_ids:
            return {}
        with self._lock:
            self._open()
            query = raw if isinstance(raw, Query) else parse_query(raw)
            if query.is_empty:
                return {}
            self.sync()
            terms, idf, strings, rows = explain.read_expansions(self.index, query, passage_ids)
        return explain.expansion_terms(terms, idf, strings, rows)

    def similar(self, passage_id: int, k: int = 20, query: str | Query | None = None
                ) -> SearchResult:
        """"More like this": relevance feedback from a passage the user picked, through the
        same second round as pseudo-relevance feedback. With the user's query, the query is
        refined towards the passage; without one, the passage's own text is the query."""
        with self._lock:
            self._open()
            self.sync()
            conn = self.catalog.conn
            row = conn.execute(
                "SELECT p.file_id, p.text, v.dense, v.scale FROM passages p "
                "JOIN vectors v ON v.passage_id = p.id WHERE p.id = ?", (passage_id,)).fetchone()
            if row is None:
                return SearchResult([], {}, "similar", "that passage has no vectors yet")
            file_id, text, dense_blob, scale = row
            if query:
                q = query if isinstance(query, Query) else parse_query(query)
                vector = self.encoder.dense(q.text)
            else:
                q = literal_query(" ".join(text.split()[:64]))
                vector = blob_to_dense(dense_blob).astype(np.float32) * scale
                vector /= max(float(np.linalg.norm(vector)), 1e-9)
            found = {"keyword": lists.keyword(conn, q, CANDIDATES, None,
                                              self.index.keyword_stats),
                     "sparse": self._sparse(q, CANDIDATES, None),
                     "dense": self._dense(vector, CANDIDATES, None)}
            fused = fuse_files(found, self.weights, self._owners(found))
            fused, _ = self._feedback_round(q, vector, found, fused, CANDIDATES, None,
                                            chosen=[passage_id])
            hits = assembly.group(conn, q, fused, k, {file_id})
            return SearchResult(hits, {}, "similar")

    # -- the lists (core/search/lists.py) ----------------------------------------------------------

    def sparse_query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The inference-free query side: word pieces weighted by IDF (lists.sparse_query)."""
        return lists.sparse_query(self.index, text)

    def _idf(self, terms: np.ndarray) -> np.ndarray:
        return lists.idf(self.sparse, terms)

    def _sparse(self, query: Query, k: int, allowed: np.ndarray | None) -> dict[int, float]:
        terms, weights = self.sparse_query(query.text)
        return lists.sparse_terms(self.sparse, terms, weights, k, allowed)

    def _dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None,
               exact: bool = False) -> dict[int, float]:
        assert self.dense is not None
        if exact:
            return self._exact.search(self.catalog, self.index.generation, vector, k, allowed)
        return lists.dense(self.index, vector, k, allowed)

    def rescore(self, vector: np.ndarray, passage_ids: list[int]) -> dict[int, float]:
        """Cosine of the query with each passage's int8 vector (exact up to quantisation)."""
        return lists.rescore(self.catalog, vector, passage_ids)


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + (now - self.t) * 1000
        self.t = now
