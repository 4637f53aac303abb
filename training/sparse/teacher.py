"""Candidates and teacher scores for every training query: a heterogeneous ensemble.

Three teachers score each query's candidates: BM25 (SQLite FTS5 with the app's tokenizer and
expression), dense MiniLM cosine and splade-tiny used siamese (the query expanded by the model
too), all from the app's shipped ONNX models. Each teacher's scores are min-max normalised per
query and averaged (Geng et al.'s normalise-then-combine). A query is kept only where the
ensemble ranks its positive first, and its negatives are the ensemble's next best candidates
that are not near-duplicates of the positive: a teacher that prefers a negative would teach
the student to push the right answer down.

The base model's document vectors are kept too: they give the IDF the query side is weighted by
(as the app computes it: document frequency over the pruned expansions) and the targets of the
self-distillation guard.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.encode.dense import DenseEncoder
from core.encode.sparse import SparseEncoder
from core.search.lexical import match_expression
from core.search.query import literal_query
from core.store.schema import FTS_TOKENIZER

TOP_K = 128  # the indexer's pruning of a passage's expansion
MINED = 20  # candidates taken from each teacher's own top list
NEGATIVES = 7
CHUNK = 2000  # documents encoded between two saves (resumable)
_WORD = re.compile(r"\w+")


@dataclass
class Teaching:
    queries: list[str]
    candidates: np.ndarray  # (Q, 1 + NEGATIVES) doc indices, positive first
    scores: np.ndarray  # (Q, 1 + NEGATIVES) ensemble teacher scores in [0, 1]
    kept: float  # share of queries whose positive the ensemble ranked first


def log(msg: str) -> None:
    print(f"[teacher {time.strftime('%H:%M:%S')}] {msg}", flush=True)


SparseVectors = list[tuple[np.ndarray, np.ndarray]]  # per document: (term ids, weights)


def encode_pool(docs: list[str], work: Path) -> tuple[np.ndarray, SparseVectors]:
    """Dense embeddings and pruned sparse vectors of every document, saved every CHUNK documents
    so an interrupted build resumes where it stopped."""
    work.mkdir(parents=True, exist_ok=True)
    dense_enc = sparse_enc = None
    dense_parts, sparse_parts = [], []
    for start in range(0, len(docs), CHUNK):
        path = work / f"pool-{start:07}.npz"
        if not path.exists():
            if dense_enc is None:
                dense_enc, sparse_enc = DenseEncoder(threads=2), SparseEncoder(threads=2)
            chunk = docs[start:start + CHUNK]
            dense = dense_enc.encode(chunk, batch_size=16)
            vecs = sparse_enc.encode(chunk, batch_size=8, top_k=TOP_K)
            lengths = np.array([len(i) for i, _ in vecs], np.int64)
            np.savez(path.with_suffix(".tmp.npz"), dense=dense, lengths=lengths,
                     ids=np.concatenate([i for i, _ in vecs]),
                     weights=np.concatenate([w for _, w in vecs]))
            path.with_suffix(".tmp.npz").rename(path)
            log(f"encoded {min(start + CHUNK, len(docs))}/{len(docs)} documents")
        part = np.load(path)
        dense_parts.append(part["dense"])
        bounds = np.concatenate([[0], np.cumsum(part["lengths"])])
        sparse_parts.extend((part["ids"][a:b], part["weights"][a:b])
                            for a, b in zip(bounds[:-1], bounds[1:], strict=True))
    return np.concatenate(dense_parts), sparse_parts


def idf_table(sparse: SparseVectors, vocab: int) -> np.ndarray:
    """The app's IDF (core/search/searcher.py `_idf`) over this pool's expansions."""
    df = np.zeros(vocab, np.int64)
    for ids, _ in sparse:
        df[ids.astype(np.int64)] += 1
    n = len(sparse)
    return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)


def _bm25_table(docs: list[str]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(f"CREATE VIRTUAL TABLE d USING fts5(body, tokenize='{FTS_TOKENIZER}')")
    conn.executemany("INSERT INTO d(rowid, body) VALUES (?, ?)", enumerate(docs))
    return conn


def _bm25(conn: sqlite3.Connection, query: str, k: int) -> dict[int, float]:
    expression = match_expression(literal_query(query))
    if expression is None:
        return {}
    rows = conn.execute("SELECT rowid, rank FROM d WHERE d MATCH ? ORDER BY rank LIMIT ?",
                        (expression, k)).fetchall()
    return {int(r): -float(s) for r, s in rows}


def _minmax(x: np.ndarray) -> np.ndarray:
    span = x.max() - x.min()
    return (x - x.min()) / span if span > 0 else np.zeros_like(x)


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = set(_WORD.findall(a.lower())), set(_WORD.findall(b.lower()))
    return not ta or not tb or len(ta & tb) / len(ta | tb) > 0.8


def teach(pairs: list[dict], docs: list[str], dense: np.ndarray,
          sparse: SparseVectors, vocab: int) -> Teaching:
    conn = _bm25_table(docs)
    dense_q = DenseEncoder(threads=2)
    sparse_q = SparseEncoder(threads=2)
    # the siamese teacher scores every document: one sparse matrix-vector product per query
    rows = np.concatenate([np.full(len(i), n) for n, (i, _) in enumerate(sparse)])
    cols = np.concatenate([i.astype(np.int64) for i, _ in sparse])
    vals = np.concatenate([w for _, w in sparse])
    queries, cands, scores = [], [], []
    for n, pair in enumerate(pairs):
        q, pos = pair["query"], pair["doc"]
        cos = dense @ dense_q.encode_query(q)
        qi, qw = sparse_q.encode([q])[0]
        qvec = np.zeros(vocab, np.float32)
        qvec[qi.astype(np.int64)] = qw
        sia = np.bincount(rows, weights=vals * qvec[cols], minlength=len(docs))
        bm = _bm25(conn, q, MINED)
        pool = set(bm) | set(np.argpartition(-cos, MINED)[:MINED].tolist()) \
            | set(np.argpartition(-sia, MINED)[:MINED].tolist())
        pool.discard(pos)
        pool_ids = np.array([pos] + sorted(pool))
        ensemble = (_minmax(np.array([bm.get(int(d), 0.0) for d in pool_ids]))
                    + _minmax(cos[pool_ids]) + _minmax(sia[pool_ids])) / 3
        if (n + 1) % 2000 == 0:
            log(f"taught {n + 1}/{len(pairs)} queries, kept {len(queries)}")
        if ensemble.argmax() != 0:
            continue
        order = [i for i in np.argsort(-ensemble[1:], kind="stable") + 1
                 if not _near_duplicate(docs[pool_ids[i]], docs[pos])][:NEGATIVES]
        if len(order) < NEGATIVES:
            continue
        chosen = [0, *order]
        queries.append(q)
        cands.append(pool_ids[chosen])
        scores.append(ensemble[chosen])
    return Teaching(queries, np.array(cands, np.int64), np.array(scores, np.float32),
                    len(queries) / max(len(pairs), 1))


def load_or_teach(name: str, pairs: list[dict], docs: list[str], dense: np.ndarray,
                  sparse: SparseVectors, vocab: int,
                  work: Path) -> Teaching:
    path = work / f"teaching-{name}.npz"
    if not path.exists():
        t = teach(pairs, docs, dense, sparse, vocab)
        np.savez(path.with_suffix(".tmp.npz"), queries=np.array(t.queries, dtype=object),
                 candidates=t.candidates, scores=t.scores, kept=t.kept)
        path.with_suffix(".tmp.npz").rename(path)
        log(f"{name}: kept {len(t.queries)} of {len(pairs)} queries ({t.kept:.0%})")
    z = np.load(path, allow_pickle=True)
    return Teaching(list(z["queries"]), z["candidates"], z["scores"], float(z["kept"]))
