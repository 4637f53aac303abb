"""The candidate lists, one function per list: keyword (FTS5), sparse (the inference-free query
side, or the query through the sparse model for comparison) and dense (binary candidates
rescored with int8 vectors, or every stored vector scored exactly)."""

from __future__ import annotations

import sqlite3

import numpy as np

from core.search import keyword_topk, lexical
from core.search.indexes import SearchIndexes
from core.search.keyword_topk import KeywordStats
from core.search.query import Query
from core.search.stopwords import content_pieces
from core.store.catalog import Catalog
from core.store.codec import blob_to_dense
from core.store.sparse_index import SparseIndex

DENSE_MULTIPLIER = 4  # binary candidates per passage kept after int8 rescoring
EXACT_FILTER_LIMIT = 5000  # filtered dense search scans the allowed passages exactly below this

# -- keyword -------------------------------------------------------------------------------------


def keyword(conn: sqlite3.Connection, query: Query, k: int, allowed: np.ndarray | None,
            stats: KeywordStats | None = None) -> dict[int, float]:
    expression = lexical.match_expression(query)
    if expression is None:
        return {}
    terms = lexical.or_terms(query) if stats is not None else None
    try:
        found = ((keyword_topk.top_k(conn, terms, k, lexical.RANK_FUNCTION, stats)
                  if terms and stats is not None else None)
                 or lexical.keyword_search(conn, expression, k))
    except Exception:  # sqlite3.OperationalError on an expression FTS5 rejects
        return {}
    return restrict(dict(found), allowed)


# -- sparse --------------------------------------------------------------------------------------


def idf(sparse: SparseIndex, terms: np.ndarray) -> np.ndarray:
    df = sparse.df(terms)
    n = max(sparse.n_docs, 1)
    return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)


def sparse_query(indexes: SearchIndexes, text: str) -> tuple[np.ndarray, np.ndarray]:
    """Inference-free query side: the word pieces of the query's content words, weighted by
    their IDF times their share of their word (core/search/stopwords.py `content_pieces`).
    Every piece of a word counts, as in the documents' encoding: "anemia" is [an, ##emia],
    "biomaterials" [bio, ##mate, ##rial, ##s]. (Keeping only pieces that looked like words
    dropped every ## continuation: a third of SciFact's query words.)"""
    shares = content_pieces(indexes.encoder.word_pieces(text))
    terms = np.array(sorted(shares), dtype=np.int64)
    if not len(terms):
        return terms, np.zeros(0, np.float32)
    terms = terms[indexes.sparse.df(terms) > 0]
    factors = np.array([shares[int(t)] for t in terms], np.float32)
    return terms, (idf(indexes.sparse, terms) * factors).astype(np.float32)


def sparse_terms(sparse: SparseIndex, terms: np.ndarray, weights: np.ndarray, k: int,
                 allowed: np.ndarray | None) -> dict[int, float]:
    if not len(terms):
        return {}
    if allowed is None:
        pids, scores = sparse.search(terms, weights, k)
        return dict(zip(pids.tolist(), scores.tolist(), strict=True))
    pids, scores = sparse.score_all(terms, weights)
    mask = np.isin(pids, allowed) & (scores > 0)
    pids, scores = pids[mask], scores[mask]
    top = np.argsort(-scores, kind="stable")[:k]
    return dict(zip(pids[top].tolist(), scores[top].tolist(), strict=True))


class SiameseQuery:
    """The query expanded by the sparse model too (a model call: for comparison only)."""

    def __init__(self, model: str) -> None:
        from core.encode.sparse import SparseEncoder  # loaded only by the mode that needs it
        self.encoder = SparseEncoder(name=model)

    def search(self, sparse: SparseIndex, query: Query, k: int, allowed: np.ndarray | None
               ) -> dict[int, float]:
        ids, weights = self.encoder.encode([query.text])[0]
        return sparse_terms(sparse, ids.astype(np.int64), weights, k, allowed)


# -- dense ---------------------------------------------------------------------------------------


def dense(indexes: SearchIndexes, vector: np.ndarray, k: int,
          allowed: np.ndarray | None) -> dict[int, float]:
    assert indexes.dense is not None
    if allowed is not None and len(allowed) <= EXACT_FILTER_LIMIT:
        candidates = allowed
    else:
        code = np.packbits(vector > 0)
        candidates = indexes.dense.candidates(code, k * DENSE_MULTIPLIER * (
            1 if allowed is None else 5))
        if allowed is not None:
            candidates = candidates[np.isin(candidates, allowed)]
    scores = rescore(indexes.catalog, vector, candidates.tolist())
    best = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:k]
    return dict(best)


def rescore(catalog: Catalog, vector: np.ndarray, passage_ids: list[int]) -> dict[int, float]:
    """Cosine of the query with each passage's int8 vector (exact up to quantisation)."""
    stored = catalog.dense_vectors(passage_ids)
    if not stored:
        return {}
    pids = list(stored)
    matrix = np.stack([blob_to_dense(stored[p][0]) for p in pids]).astype(np.float32)
    scales = np.asarray([stored[p][1] for p in pids], dtype=np.float32)
    scores = (matrix @ vector.astype(np.float32)) * scales
    return dict(zip(pids, scores.tolist(), strict=True))


class ExactDense:
    """Every stored int8 vector scored against the query (the reference for `dense`); the
    vectors are read once per catalog generation."""

    def __init__(self) -> None:
        self._cache: tuple[int, np.ndarray, np.ndarray] | None = None  # generation, pids, matrix

    def search(self, catalog: Catalog, generation: int, vector: np.ndarray, k: int,
               allowed: np.ndarray | None) -> dict[int, float]:
        if self._cache is None or self._cache[0] != generation:
            rows = catalog.conn.execute("SELECT passage_id, dense, scale FROM vectors").fetchall()
            pids = np.asarray([r[0] for r in rows], dtype=np.int64)
            matrix = np.stack([blob_to_dense(r[1]).astype(np.float32) * r[2] for r in rows]) \
                if rows else np.zeros((0, len(vector)), np.float32)
            self._cache = (generation, pids, matrix)
        _, pids, matrix = self._cache
        scores = matrix @ vector.astype(np.float32)
        if allowed is not None:
            scores = np.where(np.isin(pids, allowed), scores, -np.inf)
        top = np.argsort(-scores)[:k]
        top = top[np.isfinite(scores[top])]
        return dict(zip(pids[top].tolist(), scores[top].tolist(), strict=True))


def restrict(scores: dict[int, float], allowed: np.ndarray | None) -> dict[int, float]:
    if allowed is None:
        return scores
    keep = set(np.asarray(list(scores), dtype=np.int64)[
        np.isin(np.asarray(list(scores), dtype=np.int64), allowed)].tolist()) if scores else set()
    return {p: s for p, s in scores.items() if p in keep}
