"""Hybrid search: keyword (FTS5) + inference-free sparse + dense, fused, grouped by file."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.encode.manifest import MULTILINGUAL_DENSE, model_dims, resolve_sparse_model
from core.model_choice import resolve_dense_model
from core.pathcodec import from_db, to_db
from core.search import lexical
from core.search.fusion import (
    NORM_DEPTH,
    Fused,
    best_per_file,
    fuse_files,
    interpolate,
    single_list,
)
from core.search.prf import (
    SECOND_ROUND_WEIGHTS,
    PrfParams,
    agreement,
    expand_sparse,
    feedback_note,
    rocchio,
)
from core.search.query import Filters, Query, literal_query, parse_query
from core.search.results import Hit, SearchResult
from core.search.snippets import make_snippet, match_spans, query_stems
from core.search.stopwords import content_pieces, content_word_count
from core.store.catalog import Catalog
from core.store.codec import blob_to_dense, blob_to_sparse
from core.store.index_models import stored_models
from core.store.sparse_index import SparseIndex
from core.store.vectors import DenseIndex
from core.text.language import different_languages, evidence, is_english

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
DENSE_MULTIPLIER = 4  # binary candidates per passage kept after int8 rescoring
EXACT_FILTER_LIMIT = 5000  # filtered dense search scans the allowed passages exactly below this


@dataclass
class Explanation:
    matched_words: list[str]  # query words found literally in the passage
    expansion_terms: list[tuple[str, float]]  # query terms only the passage's expansion has
    scores: dict[str, float]  # raw score of each list (bm25, sparse dot product, cosine)


class QueryEncoder:
    """What the searcher needs from the models: a dense query vector and the query's word
    pieces (the sparse side has no model at query time)."""

    dim: int

    def dense(self, text: str) -> np.ndarray: ...
    def word_pieces(self, text: str) -> list[tuple[str, list[int]]]: ...
    def token_strings(self, ids: np.ndarray) -> list[str]: ...


@dataclass(frozen=True)
class SearchOptions:
    k: int = 20
    mode: str = DEFAULT_MODE
    filters: Filters = field(default_factory=Filters)


class Searcher:
    def __init__(self, index_dir: Path, encoder_factory: Callable[[], QueryEncoder],
                 readonly: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.catalog = Catalog(self.index_dir, readonly=readonly)
        self._encoder_factory = encoder_factory
        self._encoder: QueryEncoder | None = None
        self._encoder_key: tuple[str, str] = ("", "")
        self._models_cache: tuple[str | None, str, str] | None = None  # record, dense, sparse
        self._languages: dict[int, tuple[str | None, str]] = {}  # passage id -> its evidence
        self._languages_generation = -1
        self._generation = -1
        self._lock = threading.Lock()  # one search at a time per Searcher
        self._closed = False
        self.sparse: SparseIndex = SparseIndex(self.index_dir)
        self.dense: DenseIndex | None = None
        self.weights: dict[str, float] = dict(HYBRID_WEIGHTS)
        self.prf = PrfParams()
        self.second_weights: dict[str, float] = dict(SECOND_ROUND_WEIGHTS)
        self._exact: tuple[int, np.ndarray, np.ndarray] | None = None  # generation, pids, matrix
        self._siamese = None
        self._note_cache: tuple[int, str | None] = (-1, None)
        self._keyword_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fts")
        self._kw_catalog: Catalog | None = None

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

    def close(self) -> None:
        # Under the lock: a search in flight on another thread finishes first (closing its
        # SQLite connection mid-query would crash the process); later ones get a clear error.
        with self._lock:
            self._closed = True
            self._keyword_thread.shutdown(wait=True)
            if self._kw_catalog is not None:
                self._kw_catalog.close()
            self.catalog.close()

    def _open(self) -> None:
        if self._closed:
            raise ValueError("the index was closed")

    def sync(self) -> None:
        """Catch the derived indexes up with the catalog if it changed since the last search."""
        generation = self.catalog.generation()
        if generation == self._generation:
            return
        self.sparse.sync(self.catalog)
        if self.dense is None:  # the size from the manifest: a keyword search loads no model
            self.dense = DenseIndex(self.index_dir, model_dims(self.dense_model()))
        self.dense.sync(self.catalog)
        self._generation = generation

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
        allowed = self._allowed_passages(query)
        blocked_files = self._blocked_files(query)
        clock.lap("filters")
        pool = max(CANDIDATES, options.k * 3) * (1 if allowed is None else 3)
        lists: dict[str, dict[int, float]] = {}
        vector = None
        keyword_job = None
        feedback: str | None = None
        if mode == "keyword":
            lists["keyword"] = self._keyword(query, pool, allowed)
            clock.lap("keyword")
        elif mode in ("hybrid", "hybrid-prf"):
            # FTS5 runs on its own connection in a thread while the query is encoded: both
            # release the GIL, so the slowest list no longer adds to the others.
            keyword_job = self._keyword_thread.submit(self._keyword, query, pool, allowed,
                                                      self._keyword_catalog().conn)
        # The related-terms model knows English word pieces only: for a query in another language
        # its list is noise in the mix (measured on xquad-r-dev), so hybrid leaves it out.
        if mode == "sparse" or (mode in ("hybrid", "hybrid-prf") and is_english(query.text)):
            lists["sparse"] = self._sparse(query, pool, allowed)
            clock.lap("sparse")
        if mode == "sparse-siamese":
            lists["sparse"] = self._sparse_siamese(query, pool, allowed)
            clock.lap("sparse")
        if mode in ("dense", "dense-exact", "hybrid", "hybrid-prf"):
            vector = self.encoder.dense(query.text)
            clock.lap("encode")
            exact = mode == "dense-exact"
            lists["dense"] = self._dense(vector, pool, allowed, exact=exact)
            clock.lap("dense")
        if keyword_job is not None:
            lists = {"keyword": keyword_job.result(), **lists}
            clock.lap("keyword (overlapped)")
        if mode in ("hybrid", "hybrid-prf"):
            foreign = self._foreign(query, lists)
            fused = fuse_files(lists, self.weights, self._owners(lists), foreign)
            if mode == "hybrid-prf" and vector is not None:
                fused, feedback = self._feedback_round(query, vector, lists, fused, pool,
                                                       allowed, foreign=foreign)
                clock.lap("feedback")
        else:
            (name, scores), = lists.items()
            fused = single_list(name, scores, self._owners(lists))
        clock.lap("fusion")
        hits = self._group(query, fused, options.k, blocked_files)
        clock.lap("results")
        timings["total"] = sum(timings.values())
        return SearchResult(hits, timings, mode, self._note(), feedback)

    def _foreign(self, query: Query, lists: dict[str, dict[int, float]]) -> set[int]:
        """Passages of the lists surely in another language than the query (in a multilingual
        index only): the keyword and related-terms lists are not held against them."""
        if self.dense_model() != MULTILINGUAL_DENSE:
            return set()
        if self._languages_generation != self._generation:
            self._languages.clear()  # passage ids of deleted passages may be used again
            self._languages_generation = self._generation
        wanted = [p for p in {p for s in lists.values() for p in s} if p not in self._languages]
        for i in range(0, len(wanted), 900):
            chunk = wanted[i:i + 900]
            for pid, text in self.catalog.conn.execute(
                    f"SELECT id, text FROM passages WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk):
                self._languages[pid] = evidence(text)
        mine = evidence(query.text)
        return {p for s in lists.values() for p in s
                if p in self._languages and different_languages(mine, self._languages[p])}

    def _owners(self, lists: dict[str, dict[int, float]],
                known: dict[int, int] | None = None) -> dict[int, int]:
        """passage id -> file id for every passage in the lists (deleted ones are left out)."""
        known = known or {}
        wanted = {pid for scores in lists.values() for pid in scores} - known.keys()
        return {**known, **self._passage_files(sorted(wanted))}

    def _feedback_round(self, query: Query, vector: np.ndarray,
                        lists: dict[str, dict[int, float]], fused: Fused, pool: int,
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
            scores = fused.passages
            ranked = sorted(scores, key=scores.__getitem__, reverse=True)
            shared = agreement(best_per_file(lists.get("keyword", {}), fused.owner),
                               best_per_file(lists.get("dense", {}), fused.owner))
            if len(ranked) < 2:
                return fused, feedback_note(False, shared, "too few matches to learn from")
            depth = min(len(ranked), 10) - 1
            if scores[ranked[0]] - scores[ranked[depth]] < p.min_gap:
                return fused, feedback_note(False, shared, "no match stands out")
            if shared < p.min_agreement:
                return fused, feedback_note(False, shared)
            top = ranked[:p.feedback]
            note = feedback_note(True, shared)
        stored = self.catalog.conn.execute(
            f"SELECT passage_id, dense, scale, sparse FROM vectors WHERE passage_id IN "
            f"({','.join('?' * len(top))})", top).fetchall()
        if not stored:
            return fused, feedback_note(False, 0.0, "the best matches have no vectors yet")
        dense_fb = np.stack([blob_to_dense(d).astype(np.float32) * s for _, d, s, _ in stored])
        dense_fb /= np.maximum(np.linalg.norm(dense_fb, axis=1, keepdims=True), 1e-9)
        second = dict(lists)
        second["dense"] = self._dense(rocchio(vector, dense_fb, p.alpha, p.beta), pool, allowed)
        if chosen or ("sparse" in lists and (
                p.expansion_max_words is None
                or content_word_count(query.text) <= p.expansion_max_words)):
            terms, weights = self.sparse_query(query.text)
            terms, weights = expand_sparse(terms, weights,
                                           [blob_to_sparse(b) for *_, b in stored], self._idf,
                                           p.expansion_terms, p.expansion_weight)
            if len(terms):
                second["sparse"] = self._sparse_terms(terms, weights, pool, allowed)
        owners = self._owners(second, fused.owner)
        if foreign is not None:  # the second round brings new passages: tell theirs too
            foreign = foreign | self._foreign(query, second)
        fused2 = fuse_files(second, self.second_weights, owners, foreign or ())
        return interpolate(fused, fused2, p.before), note

    def _note(self) -> str | None:
        """Tell the user while part of the index is keyword-only (counted once per change)."""
        if self._note_cache[0] != self._generation:
            waiting = 0
            if self.catalog.conn.execute(
                    "SELECT 1 FROM files WHERE state = 'text' LIMIT 1").fetchone():
                waiting = self.catalog.count_to_encode()
            text = (f"semantic search is catching up: {waiting} passages still to encode"
                    if waiting else None)
            self._note_cache = (self._generation, text)
        return self._note_cache[1]

    # -- explanations and feedback ---------------------------------------------------------------

    def explain(self, raw: str | Query, passage_id: int) -> Explanation:
        """Why a passage matched: its words, its expansion terms and each list's share."""
        with self._lock:
            self._open()
            query = raw if isinstance(raw, Query) else parse_query(raw)
            self.sync()
            row = self.catalog.conn.execute(
                "SELECT p.text, v.sparse FROM passages p LEFT JOIN vectors v "
                "ON v.passage_id = p.id WHERE p.id = ?", (passage_id,)).fetchone()
            if row is None:
                return Explanation([], [], {})
            text, sparse_blob = row
            words = sorted({text[s:e].lower() for s, e in match_spans(
                text, query_stems([*query.words, *query.phrases]))})
            expansion: list[tuple[str, float]] = []
            scores: dict[str, float] = {}
            if sparse_blob is not None:
                terms, idf = self.sparse_query(query.text)
                ids, weights = blob_to_sparse(sparse_blob)
                lookup = dict(zip(ids.tolist(), weights.astype(np.float32).tolist(), strict=True))
                strings = self.encoder.token_strings(terms.astype(np.uint16))
                lowered = text.lower()
                total = 0.0
                for term, w_q, token in zip(terms.tolist(), idf.tolist(), strings, strict=True):
                    w_d = lookup.get(term)
                    if w_d:
                        total += w_q * w_d
                        if _shown_expansion(token, lowered):
                            expansion.append((token, round(w_q * w_d, 4)))
                scores["sparse"] = total
                vector = self.encoder.dense(query.text)
                scores["dense"] = self.rescore(vector, [passage_id]).get(passage_id, 0.0)
            expression = lexical.match_expression(query)
            if expression:
                try:
                    scores["keyword"] = lexical.keyword_scores(
                        self.catalog.conn, expression, [passage_id]).get(passage_id, 0.0)
                except Exception:
                    scores["keyword"] = 0.0
            return Explanation(words, sorted(expansion, key=lambda t: -t[1]), scores)

    def expansion_terms(self, raw: str | Query, passage_ids: list[int]
                        ) -> dict[int, list[tuple[str, float]]]:
        """explain()'s expansion terms for many passages at once, without the dense model."""
        out: dict[int, list[tuple[str, float]]] = {}
        if not passage_ids:
            return out
        with self._lock:
            self._open()
            query = raw if isinstance(raw, Query) else parse_query(raw)
            if query.is_empty:
                return out
            self.sync()
            terms, idf = self.sparse_query(query.text)
            if not len(terms):
                return out
            strings = self.encoder.token_strings(terms.astype(np.uint16))
            marks = ",".join("?" * len(passage_ids))
            rows = self.catalog.conn.execute(
                "SELECT p.id, p.text, v.sparse FROM passages p JOIN vectors v "
                f"ON v.passage_id = p.id WHERE p.id IN ({marks})", passage_ids).fetchall()
        for pid, text, sparse_blob in rows:
            ids, weights = blob_to_sparse(sparse_blob)
            lookup = dict(zip(ids.tolist(), weights.astype(np.float32).tolist(), strict=True))
            lowered = text.lower()
            found = []
            for term, w_q, token in zip(terms.tolist(), idf.tolist(), strings, strict=True):
                w_d = lookup.get(term)
                if w_d and _shown_expansion(token, lowered):
                    found.append((token, round(w_q * w_d, 4)))
            out[pid] = sorted(found, key=lambda t: -t[1])
        return out

    def similar(self, passage_id: int, k: int = 20, query: str | Query | None = None
                ) -> SearchResult:
        """"More like this": relevance feedback from a passage the user picked, through the
        same second round as pseudo-relevance feedback. With the user's query, the query is
        refined towards the passage; without one, the passage's own text is the query."""
        with self._lock:
            self._open()
            self.sync()
            row = self.catalog.conn.execute(
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
            lists = {"keyword": self._keyword(q, CANDIDATES, None),
                     "sparse": self._sparse(q, CANDIDATES, None),
                     "dense": self._dense(vector, CANDIDATES, None)}
            fused = fuse_files(lists, self.weights, self._owners(lists))
            fused, _ = self._feedback_round(q, vector, lists, fused, CANDIDATES, None,
                                            chosen=[passage_id])
            hits = self._group(q, fused, k, {file_id})
            return SearchResult(hits, {}, "similar")

    # -- the three lists ---------------------------------------------------------------------------

    def _keyword_catalog(self) -> Catalog:
        if self._kw_catalog is None:
            self._kw_catalog = Catalog(self.index_dir, readonly=self.catalog.readonly)
        return self._kw_catalog

    def _keyword(self, query: Query, k: int, allowed: np.ndarray | None,
                 conn: sqlite3.Connection | None = None) -> dict[int, float]:
        expression = lexical.match_expression(query)
        if expression is None:
            return {}
        try:
            found = lexical.keyword_search(conn or self.catalog.conn, expression, k)
        except Exception:  # sqlite3.OperationalError on an expression FTS5 rejects
            return {}
        return _restrict(dict(found), allowed)

    def _idf(self, terms: np.ndarray) -> np.ndarray:
        df = self.sparse.df(terms)
        n = max(self.sparse.n_docs, 1)
        return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)

    def sparse_query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Inference-free query side: the word pieces of the query's content words, weighted by
        their IDF times their share of their word (core/search/stopwords.py `content_pieces`).
        Every piece of a word counts, as in the documents' encoding: "anemia" is [an, ##emia],
        "biomaterials" [bio, ##mate, ##rial, ##s]. (Keeping only pieces that looked like words
        dropped every ## continuation: a third of SciFact's query words.)"""
        shares = content_pieces(self.encoder.word_pieces(text))
        terms = np.array(sorted(shares), dtype=np.int64)
        if not len(terms):
            return terms, np.zeros(0, np.float32)
        terms = terms[self.sparse.df(terms) > 0]
        factors = np.array([shares[int(t)] for t in terms], np.float32)
        return terms, (self._idf(terms) * factors).astype(np.float32)

    def _sparse(self, query: Query, k: int, allowed: np.ndarray | None) -> dict[int, float]:
        terms, weights = self.sparse_query(query.text)
        return self._sparse_terms(terms, weights, k, allowed)

    def _sparse_siamese(self, query: Query, k: int, allowed: np.ndarray | None
                        ) -> dict[int, float]:
        """The query expanded by the sparse model too (a model call: for comparison only)."""
        if self._siamese is None:
            from core.encode.sparse import SparseEncoder
            self._siamese = SparseEncoder(name=self.sparse_model())
        ids, weights = self._siamese.encode([query.text])[0]
        return self._sparse_terms(ids.astype(np.int64), weights, k, allowed)

    def _sparse_terms(self, terms: np.ndarray, weights: np.ndarray, k: int,
                      allowed: np.ndarray | None) -> dict[int, float]:
        if not len(terms):
            return {}
        if allowed is None:
            pids, scores = self.sparse.search(terms, weights, k)
            return dict(zip(pids.tolist(), scores.tolist(), strict=True))
        pids, scores = self.sparse.score_all(terms, weights)
        mask = np.isin(pids, allowed) & (scores > 0)
        pids, scores = pids[mask], scores[mask]
        top = np.argsort(-scores, kind="stable")[:k]
        return dict(zip(pids[top].tolist(), scores[top].tolist(), strict=True))

    def _dense(self, vector: np.ndarray, k: int, allowed: np.ndarray | None,
               exact: bool = False) -> dict[int, float]:
        assert self.dense is not None
        if exact:
            return self._dense_exact(vector, k, allowed)
        if allowed is not None and len(allowed) <= EXACT_FILTER_LIMIT:
            candidates = allowed
        else:
            code = np.packbits(vector > 0)
            candidates = self.dense.candidates(code, k * DENSE_MULTIPLIER * (
                1 if allowed is None else 5))
            if allowed is not None:
                candidates = candidates[np.isin(candidates, allowed)]
        scores = self.rescore(vector, candidates.tolist())
        best = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:k]
        return dict(best)

    def _dense_exact(self, vector: np.ndarray, k: int, allowed: np.ndarray | None
                     ) -> dict[int, float]:
        """Every stored int8 vector scored against the query (the reference for `dense`)."""
        if self._exact is None or self._exact[0] != self._generation:
            rows = self.catalog.conn.execute(
                "SELECT passage_id, dense, scale FROM vectors").fetchall()
            pids = np.asarray([r[0] for r in rows], dtype=np.int64)
            matrix = np.stack([blob_to_dense(r[1]).astype(np.float32) * r[2] for r in rows]) \
                if rows else np.zeros((0, len(vector)), np.float32)
            self._exact = (self._generation, pids, matrix)
        _, pids, matrix = self._exact
        scores = matrix @ vector.astype(np.float32)
        if allowed is not None:
            scores = np.where(np.isin(pids, allowed), scores, -np.inf)
        top = np.argsort(-scores)[:k]
        top = top[np.isfinite(scores[top])]
        return dict(zip(pids[top].tolist(), scores[top].tolist(), strict=True))

    def rescore(self, vector: np.ndarray, passage_ids: list[int]) -> dict[int, float]:
        """Cosine of the query with each passage's int8 vector (exact up to quantisation)."""
        stored = self.catalog.dense_vectors(passage_ids)
        if not stored:
            return {}
        pids = list(stored)
        matrix = np.stack([blob_to_dense(stored[p][0]) for p in pids]).astype(np.float32)
        scales = np.asarray([stored[p][1] for p in pids], dtype=np.float32)
        scores = (matrix @ vector.astype(np.float32)) * scales
        return dict(zip(pids, scores.tolist(), strict=True))

    # -- constraints -------------------------------------------------------------------------------

    def _allowed_passages(self, query: Query) -> np.ndarray | None:
        """Passage ids allowed by filters and required phrases; None when unrestricted."""
        allowed: np.ndarray | None = None
        f = query.filters
        if not f.is_empty():
            where, args = [], []
            if f.extensions:
                where.append("(" + " OR ".join("lower(f.path) LIKE ?" for _ in f.extensions) + ")")
                args.extend(f"%.{e}" for e in f.extensions)
            if f.folders:  # substr, not LIKE: LIKE ignores case
                where.append("(" + " OR ".join("substr(f.path, 1, ?) = ?"
                                               for _ in f.folders) + ")")
                for folder in f.folders:
                    prefix = to_db(folder.rstrip("/")) + "/"
                    args.extend([len(prefix), prefix])
            if f.after is not None:
                where.append("f.mtime_ns >= ?")
                args.append(int(f.after * 1e9))
            if f.before is not None:
                where.append("f.mtime_ns < ?")
                args.append(int(f.before * 1e9))
            rows = self.catalog.conn.execute(
                "SELECT p.id FROM passages p JOIN files f ON f.id = p.file_id WHERE "
                + " AND ".join(where), args).fetchall()
            allowed = np.asarray(sorted(r[0] for r in rows), dtype=np.int64)
        phrases = lexical.phrase_expression(query.phrases)
        if phrases:
            try:
                ids = lexical.matching_ids(self.catalog.conn, phrases)
            except Exception:
                ids = []
            phrase_ids = np.asarray(sorted(ids), dtype=np.int64)
            allowed = phrase_ids if allowed is None else np.intersect1d(allowed, phrase_ids)
        return allowed

    def _blocked_files(self, query: Query) -> set[int]:
        if not query.excluded:
            return set()
        expression = lexical.exclusion_expression(query.excluded)
        if expression is None:
            return set()
        try:
            rows = self.catalog.conn.execute(
                "SELECT DISTINCT p.file_id FROM passages_fts JOIN passages p "
                "ON p.id = passages_fts.rowid WHERE passages_fts MATCH ?", (expression,))
            return {r[0] for r in rows}
        except Exception:
            return set()

    # -- results -----------------------------------------------------------------------------------

    def _group(self, query: Query, fused: Fused, k: int, blocked_files: set[int]) -> list[Hit]:
        """The top k files with their best passage and details."""
        by_file = {f: pids for f, pids in fused.best_passages().items()
                   if f not in blocked_files and f in fused.files}
        ranked = sorted(by_file, key=lambda f: -fused.files[f])
        if len(ranked) > k:  # the top k, and any file tied with the k-th (usually none)
            ranked = [f for f in ranked if fused.files[f] >= fused.files[ranked[k - 1]]]
        meta = self._passage_meta([by_file[f][0] for f in ranked])

        def rank(fid: int) -> tuple[float, str]:
            # equal scores by path, not by row id: ids follow the order files happened to be indexed
            return -fused.files[fid], meta.get(by_file[fid][0], {}).get("path", "")

        files = sorted(ranked, key=rank)[:k]
        hits = []
        for fid in files:
            pids = by_file[fid]
            best = meta.get(pids[0])
            if best is None:
                continue
            snippet = make_snippet(best["text"], [*query.words, *query.phrases])
            hits.append(Hit(
                file_id=fid, path=from_db(best["path"]), title=best["title"],
                format=best["format"], mtime=best["mtime_ns"] / 1e9, size=best["size"],
                score=float(fused.files[fid]), passage_id=pids[0], passage_start=best["start"],
                passage_end=best["end"], page=_match_page(best, [*query.words, *query.phrases]),
                section=best["section"],
                snippet=snippet, more_passages=len(pids) - 1,
                contributions=fused.parts.get(fid, {}), passage_ids=pids))
        return hits

    def _passage_files(self, pids: list[int]) -> dict[int, int]:
        """passage id -> file id, by primary key (passages of failed files do not exist)."""
        out: dict[int, int] = {}
        for i in range(0, len(pids), 900):
            chunk = pids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            out.update(self.catalog.conn.execute(
                f"SELECT id, file_id FROM passages WHERE id IN ({marks})", chunk).fetchall())
        return out

    def _passage_meta(self, pids: list[int]) -> dict[int, dict]:
        out: dict[int, dict] = {}
        cols = ("id", "file_id", "start", "end", "page", "section", "text", "path", "title",
                "format", "mtime_ns", "size", "sections")
        for i in range(0, len(pids), 900):
            chunk = pids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            # CROSS JOIN keeps SQLite on the passages' primary key (it would otherwise scan
            # files first: 400 ms instead of 1 ms on a 10,000-passage index).
            for row in self.catalog.conn.execute(
                    "SELECT p.id, p.file_id, p.start, p.end, p.page, p.section, p.text, f.path, "
                    "f.title, f.format, f.mtime_ns, f.size, f.sections FROM passages p "
                    f"CROSS JOIN files f ON f.id = p.file_id WHERE p.id IN ({marks})", chunk):
                out[row[0]] = dict(zip(cols, row, strict=True))
        return out


def _match_page(passage: dict, terms: list[str]) -> int | None:
    """The page the first matched word is on: a passage can run across a page break, and the
    reader wants the page with the words. Without a word match, the passage's own page."""
    page, sections = passage["page"], passage["sections"]
    if page is None or not sections or not terms or '"page"' not in sections:
        return page
    spans = match_spans(passage["text"], query_stems(terms))
    if not spans:
        return page
    at = passage["start"] + spans[0][0]
    try:
        starts = [(int(m[2]), int(m[1])) for m in json.loads(sections)
                  if m[0] == "page" and str(m[1]).isdigit()]
    except (ValueError, TypeError, IndexError):
        return page
    before = [label for start, label in starts if start <= at]
    return before[-1] if before else page


def _shown_expansion(token: str, lowered_text: str) -> bool:
    """A query term the passage matches by its expansion only, worth showing as such: not in
    its text, and a word's first piece (a "##" continuation means nothing on its own)."""
    return not token.startswith("##") and token not in lowered_text


def _restrict(scores: dict[int, float], allowed: np.ndarray | None) -> dict[int, float]:
    if allowed is None:
        return scores
    keep = set(np.asarray(list(scores), dtype=np.int64)[
        np.isin(np.asarray(list(scores), dtype=np.int64), allowed)].tolist()) if scores else set()
    return {p: s for p, s in scores.items() if p in keep}


class _Clock:
    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + (now - self.t) * 1000
        self.t = now


