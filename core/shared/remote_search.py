"""Searching a shared index: the local searcher's rounds, with Milvus computing the lists.

Each list is the local one's counterpart (keyword: FTS5's BM25 as a sparse inner product,
core.shared.bm25_terms; sparse: the word pieces weighted by the shared index's IDF; dense:
candidates by the sign bits' Hamming distance, rescored with the same int8 vectors), fused by
the same file-level convex fusion with the same weights, and hybrid-prf runs the same feedback
round (core.search.prf), so a shared index answers as a local index of the same documents
would. Filters go to Milvus as a filter expression; phrases and exclusions are checked on the
passages found (Milvus has no FTS5).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from typing import Any

import numpy as np

from core.encode.manifest import model_digest
from core.pathcodec import from_db, to_db
from core.search.fusion import Fused, best_per_file, fuse_files, interpolate, single_list
from core.search.lists import DENSE_MULTIPLIER
from core.search.prf import (
    SECOND_ROUND_WEIGHTS,
    PrfParams,
    choose_feedback,
    expand_sparse,
    rocchio,
)
from core.search.query import Query, parse_query
from core.search.results import Hit, SearchResult
from core.search.searcher import CANDIDATES, HYBRID_WEIGHTS, MODE_ALIASES, MODES, SearchOptions
from core.search.snippets import make_snippet
from core.search.stopwords import content_pieces
from core.shared import bm25_terms
from core.shared.layout import (
    HIT_FIELDS,
    PIECE_OFFSET,
    STAT_KEYWORD_TOKENS,
    STAT_PASSAGES,
    Names,
    has_field,
    quote,
)
from core.shared.milvus import connect, explain
from core.shared.publish import mismatch_message, read_meta, same_models
from core.shared.target import SharedIndexError, SharedTarget
from core.text.language import is_english

SEARCH_TIMEOUT_S = 10.0
_WORD = re.compile(r"\w+")


class RemoteSearcher:
    """One shared index, searched like a local one. Thread-safe (one search at a time)."""

    def __init__(self, target: SharedTarget, local_models: dict[str, Any] | None = None,
                 encoder: Any = None) -> None:
        self.target = target
        self.names = Names.of(target.collection)
        self._local_models = local_models
        self._encoder = encoder
        self._client: Any = None
        self._models: dict[str, Any] | None = None
        self._binary = False  # the collection has sign-bit candidates (see _dense)
        self._meaning_filter = ""  # ... and passages without vectors, to leave out of them
        self._tokenizer = bm25_terms.Tokenizer()
        self._lock = threading.Lock()
        self.weights = dict(HYBRID_WEIGHTS)
        self.prf = PrfParams()
        self.second_weights = dict(SECOND_ROUND_WEIGHTS)

    def close(self) -> None:
        with self._lock:
            self._disconnect()
            self._tokenizer.close()

    def _disconnect(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):  # a server already gone: nothing to close
                self._client.close()
            self._client = None

    # -- connection and models ---------------------------------------------------------------

    def _connected(self) -> Any:
        if self._client is None:
            client = connect(self.target)
            try:
                meta = read_meta(client, self.names) if client.has_collection(
                    self.names.meta) else {}
            except Exception:
                client.close()
                raise
            models = meta.get("models")
            if models is None:
                client.close()
                raise SharedIndexError(f"nothing has been published to the shared index "
                                       f"{self.target.name!r} yet")
            if self._local_models is not None and not same_models(self._local_models, models):
                client.close()
                raise SharedIndexError(mismatch_message(self.target, self._local_models, models))
            if (model_digest(models["dense_name"]), model_digest(models["sparse_name"])) != (
                    models["dense"], models["sparse"]):
                client.close()
                raise SharedIndexError(
                    f"the shared index {self.target.name!r} was made with models this version "
                    "of Spyglass does not ship: update Spyglass on this machine or on the "
                    "publisher")
            try:
                schema = client.describe_collection(self.names.passages)
                self._binary = has_field(schema, "binary")
                self._meaning_filter = "encoded == true" if has_field(schema, "encoded") else ""
            except Exception:
                client.close()
                raise
            self._client, self._models = client, models
        return self._client

    @property
    def encoder(self) -> Any:
        if self._encoder is None:
            from core.encode.query import QueryEncoder
            assert self._models is not None
            self._encoder = QueryEncoder(threads=1, sparse_model=self._models["sparse_name"],
                                         dense_model=self._models["dense_name"])
        return self._encoder

    # -- the search ----------------------------------------------------------------------------

    def search(self, raw: str | Query, options: SearchOptions | None = None) -> SearchResult:
        options = options or SearchOptions()
        with self._lock:
            try:
                self._connected()
                return self._search(raw, options)
            except SharedIndexError:
                self._disconnect()
                raise
            except Exception as e:  # transport or server failure: said, and reconnected next time
                self._disconnect()
                raise SharedIndexError(explain(e, self.target)) from e

    def _search(self, raw: str | Query, options: SearchOptions) -> SearchResult:
        mode = MODE_ALIASES.get(options.mode, options.mode)
        if mode not in MODES:
            raise ValueError(f"a shared index searches in the modes {MODES}, not {mode!r}")
        started = time.perf_counter()
        query = raw if isinstance(raw, Query) else parse_query(raw)
        query = query.with_filters(options.filters)
        if query.is_empty:
            return SearchResult([], {}, mode)
        expr = self._filter_expression(query)
        pool = max(CANDIDATES, options.k * 3) * (1 if not expr else 3)
        owner: dict[int, int] = {}
        found: dict[str, dict[int, float]] = {}
        terms = weights = np.zeros(0)
        if mode != "keyword" and mode != "dense":
            terms, weights = self._sparse_query(query)
        if mode in ("keyword", "hybrid", "hybrid-prf"):
            found["keyword"] = self._keyword(query, pool, expr, owner)
        if mode == "sparse" or (mode in ("hybrid", "hybrid-prf") and is_english(query.text)):
            found["sparse"] = self._sparse_list(terms, weights, pool, expr, owner)
        vector = None
        if mode in ("dense", "hybrid", "hybrid-prf"):
            vector = self.encoder.dense(query.text)
            found["dense"] = self._dense(vector, pool, expr, owner)
        feedback = None
        if mode in ("hybrid", "hybrid-prf"):
            fused = fuse_files(found, self.weights, owner)
            if mode == "hybrid-prf" and vector is not None:
                fused, feedback = self._feedback_round(query, vector, terms, weights, found,
                                                       fused, pool, expr, owner)
        else:
            (name, scores), = found.items()
            fused = single_list(name, scores, owner)
        hits = self._hits(query, fused, options.k)
        total = (time.perf_counter() - started) * 1000
        return SearchResult(hits, {"total": total}, mode, None, feedback)

    def _feedback_round(self, query: Query, vector: np.ndarray, terms: np.ndarray,
                        weights: np.ndarray, found: dict[str, dict[int, float]], fused: Fused,
                        pool: int, expr: str, owner: dict[int, int]) -> tuple[Fused, str]:
        p = self.prf
        top, note = choose_feedback(fused.passages,
                                    best_per_file(found.get("keyword", {}), fused.owner),
                                    best_per_file(found.get("dense", {}), fused.owner), p)
        if not top:
            return fused, note
        stored = self._client.get(self.names.passages, ids=top, output_fields=["dense", "sparse"],
                                  timeout=SEARCH_TIMEOUT_S)
        if not stored:
            return fused, note
        dense_fb = np.asarray([r["dense"] for r in stored], np.float32)
        dense_fb /= np.maximum(np.linalg.norm(dense_fb, axis=1, keepdims=True), 1e-9)
        second = dict(found)
        second["dense"] = self._dense(rocchio(vector, dense_fb, p.alpha, p.beta), pool, expr,
                                      owner)
        if "sparse" in found and (p.expansion_max_words is None or len(
                query.words) <= p.expansion_max_words):
            feedback = [_sparse_arrays(r["sparse"]) for r in stored]
            terms2, weights2 = expand_sparse(terms, weights, feedback, self._piece_idf,
                                             p.expansion_terms, p.expansion_weight)
            if len(terms2):
                second["sparse"] = self._sparse_list(terms2, weights2, pool, expr, owner)
        fused2 = fuse_files(second, self.second_weights, owner)
        return interpolate(fused, fused2, p.before), note

    # -- the lists -----------------------------------------------------------------------------

    def _frequencies(self, keys: list[int]) -> dict[int, int]:
        """Document frequencies (and the statistics) of term keys, from the `_terms` sidecar."""
        wanted = sorted(set(keys) | {STAT_PASSAGES, STAT_KEYWORD_TOKENS})
        rows = self._client.get(self.names.terms, ids=wanted, output_fields=["df"],
                                timeout=SEARCH_TIMEOUT_S)
        return {int(r["key"]): int(r["df"]) for r in rows}

    def _keyword(self, query: Query, k: int, expr: str, owner: dict[int, int]
                 ) -> dict[int, float]:
        counts = bm25_terms.query_terms(self._tokenizer, query)
        if not counts:
            return {}
        df = self._frequencies(list(counts))
        vector = bm25_terms.query_vector(counts, df, df.get(STAT_PASSAGES, 0))
        return self._ann("keyword", vector, k, expr, owner) if vector else {}

    def _sparse_query(self, query: Query) -> tuple[np.ndarray, np.ndarray]:
        """The local searcher's inference-free query side (core.search.lists.sparse_query),
        with the shared index's frequencies."""
        shares = content_pieces(self.encoder.word_pieces(query.text))
        if not shares:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        df = self._frequencies([PIECE_OFFSET + t for t in shares])
        terms = np.array(sorted(t for t in shares if df.get(PIECE_OFFSET + t, 0) > 0), np.int64)
        factors = np.array([shares[int(t)] for t in terms], np.float32)
        return terms, (self._idf(terms, df) * factors).astype(np.float32)

    def _idf(self, terms: np.ndarray, df: dict[int, int]) -> np.ndarray:
        n = max(df.get(STAT_PASSAGES, 0), 1)
        d = np.array([df.get(PIECE_OFFSET + int(t), 0) for t in terms], np.float64)
        return np.log1p((n - d + 0.5) / (d + 0.5)).astype(np.float32)

    def _piece_idf(self, terms: np.ndarray) -> np.ndarray:
        return self._idf(terms, self._frequencies([PIECE_OFFSET + int(t) for t in terms]))

    def _sparse_list(self, terms: np.ndarray, weights: np.ndarray, k: int, expr: str,
                     owner: dict[int, int]) -> dict[int, float]:
        if not len(terms):
            return {}
        vector = dict(zip(terms.tolist(), weights.astype(float).tolist(), strict=True))
        return self._ann("sparse", vector, k, expr, owner)

    def _dense(self, vector: np.ndarray, k: int, expr: str, owner: dict[int, int]
               ) -> dict[int, float]:
        dense = vector.astype(np.float32).tolist()
        if not self._binary:
            return self._ann("dense", dense, k, expr, owner)
        # As core.search.lists.dense: the nearest sign codes by Hamming distance, then the
        # int8 scores of those only. An exact dense search would find passages the local index
        # misses, and fusion's normalisation would then rank near-ties differently.
        want = k * DENSE_MULTIPLIER * (1 if not expr else 5)
        candidates = " and ".join(f"({e})" for e in (expr, self._meaning_filter) if e)
        found = self._client.search(
            self.names.passages, data=[np.packbits(vector > 0).tobytes()], anns_field="binary",
            limit=min(want, 16384), filter=candidates, output_fields=[],
            timeout=SEARCH_TIMEOUT_S,
            search_params={"metric_type": "HAMMING"})
        ids = [int(hit["id"]) for hit in found[0]]
        if not ids:
            return {}
        return self._ann("dense", dense, k, f"id in [{', '.join(map(str, ids))}]", owner)

    def _ann(self, field: str, vector: Any, k: int, expr: str, owner: dict[int, int]
             ) -> dict[int, float]:
        result = self._client.search(
            self.names.passages, data=[vector], anns_field=field, limit=min(k, 16384),
            filter=expr, output_fields=["file_id"], timeout=SEARCH_TIMEOUT_S,
            search_params={"metric_type": "IP"})
        out: dict[int, float] = {}
        for hit in result[0]:
            pid = int(hit["id"])
            score = float(hit["distance"])
            if field != "dense" and score <= 0:
                continue  # as the local lists: a passage sharing no term is not a match
            out[pid] = score
            owner[pid] = int(hit["entity"]["file_id"])
        return out

    # -- filters and hits ----------------------------------------------------------------------

    def _filter_expression(self, query: Query) -> str:
        f = query.filters
        parts = []
        if f.extensions:
            parts.append(f"ext in [{', '.join(quote(e) for e in f.extensions)}]")
        if f.folders:
            prefixes = [to_db(self.target.remote_path(folder.rstrip("/"))) + "/"
                        for folder in f.folders]
            parts.append("(" + " or ".join(
                f"path like {quote(_like_prefix(p))}" for p in prefixes) + ")")
        if f.after is not None:
            parts.append(f"mtime >= {float(f.after)!r}")
        if f.before is not None:
            parts.append(f"mtime < {float(f.before)!r}")
        return " and ".join(parts)

    def _hits(self, query: Query, fused: Fused, k: int) -> list[Hit]:
        by_file = {f: pids for f, pids in fused.best_passages().items() if f in fused.files}
        ranked = sorted(by_file, key=lambda f: -fused.files[f])
        checked = bool(query.phrases or query.excluded)
        # Phrases and exclusions are checked on the passages found: ask for more files.
        ranked = ranked[:k * 3 if checked else k]
        if not ranked:
            return []
        best = [by_file[f][0] for f in ranked]
        rows = {int(r["id"]): r for r in self._client.get(
            self.names.passages, ids=best, output_fields=HIT_FIELDS, timeout=SEARCH_TIMEOUT_S)}
        words = [*query.words, *query.phrases]
        ranked.sort(key=lambda f: (-fused.files[f], rows.get(by_file[f][0], {}).get("path", "")))
        hits = []
        for fid in ranked:
            pids = by_file[fid]
            row = rows.get(pids[0])
            if row is None or (checked and not _passes(query, row["text"])):
                continue
            page = int(row["page"])
            hits.append(Hit(
                file_id=fid, path=self.target.local_path(from_db(row["path"])),
                title=row["title"], format=row["format"] or None, mtime=float(row["mtime"]),
                size=int(row["size"]), score=float(fused.files[fid]), passage_id=pids[0],
                passage_start=int(row["start"]), passage_end=int(row["end"]),
                page=None if page < 0 else page, section=row["section"] or None,
                snippet=make_snippet(row["text"], words), more_passages=len(pids) - 1,
                contributions=fused.parts.get(fid, {}), passage_ids=pids,
                source=self.target.name))
            if len(hits) == k:
                break
        return hits


def _sparse_arrays(vector: Any) -> tuple[np.ndarray, np.ndarray]:
    """A sparse vector as Milvus returns it ({id: weight}) -> (ids, weights) arrays."""
    items = sorted((int(k), float(v)) for k, v in dict(vector).items())
    return (np.array([i for i, _ in items], np.int64),
            np.array([w for _, w in items], np.float32))


def _like_prefix(prefix: str) -> str:
    """A LIKE pattern for paths starting with `prefix` (its own % and _ taken literally)."""
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def _passes(query: Query, text: str) -> bool:
    """Every phrase's words in order in the passage, and no excluded word or phrase."""
    have = " " + " ".join(_words(text)) + " "
    for phrase in query.phrases:
        words = _words(phrase)
        if words and " " + " ".join(words) + " " not in have:
            return False
    for excluded in query.excluded:
        words = _words(excluded)
        if words and " " + " ".join(words) + " " in have:
            return False
    return True
