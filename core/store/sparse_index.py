"""Inverted index over the passages' sparse vectors, derived from the catalog.

A main segment (memory-mapped .npy files, published by the writer) plus a small in-memory delta
for vectors stored since, minus passages deleted since (tombstones). Scoring is a
numpy-vectorised sum of query weight x document weight over the postings of each query term.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.store import segments
from core.store.catalog import Catalog
from core.store.codec import blob_to_sparse

VOCAB_LIMIT = 1 << 16  # token ids are stored as uint16
STEM = "sparse"


class SparseSegment:
    """Immutable term -> (row, weight) postings over `pids` (rows are positions in pids)."""

    def __init__(self, pids: np.ndarray, ptr: np.ndarray, rows: np.ndarray,
                 weights: np.ndarray) -> None:
        self.pids = pids
        self.ptr = ptr
        self.rows = rows
        self.weights = weights
        self.df = np.diff(ptr).astype(np.int32)

    @classmethod
    def build(cls, pids: Sequence[int], vectors: Sequence[tuple[np.ndarray, np.ndarray]]
              ) -> SparseSegment:
        lengths = np.fromiter((len(v[0]) for v in vectors), dtype=np.int64, count=len(pids))
        if len(pids) and lengths.sum():
            terms = np.concatenate([v[0] for v in vectors]).astype(np.uint16)
            weights = np.concatenate([v[1] for v in vectors]).astype(np.float16)
        else:
            terms, weights = np.zeros(0, np.uint16), np.zeros(0, np.float16)
        return cls.from_flat(np.asarray(pids, dtype=np.int64), lengths, terms, weights)

    @classmethod
    def from_flat(cls, pids: np.ndarray, lengths: np.ndarray, terms: np.ndarray,
                  weights: np.ndarray) -> SparseSegment:
        """Postings from all vectors laid end to end (uint16 terms, float16 weights): the
        compact path, about 20 bytes of peak memory per posting."""
        rows = np.repeat(np.arange(len(pids), dtype=np.int32), lengths)
        order = np.argsort(terms, kind="stable")
        counts = np.bincount(terms, minlength=VOCAB_LIMIT)
        ptr = np.zeros(VOCAB_LIMIT + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return cls(pids, ptr, rows[order], weights[order].astype(np.float16))

    @classmethod
    def empty(cls) -> SparseSegment:
        return cls.build([], [])

    def __len__(self) -> int:
        return len(self.pids)

    def score(self, terms: np.ndarray, qweights: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(self.pids), dtype=np.float32)
        for t, qw in zip(terms.tolist(), qweights.tolist(), strict=True):
            lo, hi = self.ptr[t], self.ptr[t + 1]
            if hi > lo:
                scores[self.rows[lo:hi]] += qw * self.weights[lo:hi].astype(np.float32)
        return scores

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        for name in ("pids", "ptr", "rows", "weights"):
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder: Path) -> SparseSegment:
        arrays = [np.load(folder / f"{n}.npy", mmap_mode="r")
                  for n in ("pids", "ptr", "rows", "weights")]
        return cls(*arrays)


class SparseIndex:
    """What a searcher reads: the newest published segment, caught up from the catalog."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.main = SparseSegment.empty()
        self.main_path: Path | None = None
        self.delta = SparseSegment.empty()
        self._delta_pids: list[int] = []
        self._delta_vectors: list[tuple[np.ndarray, np.ndarray]] = []
        self.vector_seq = 0
        self.tombstone_seq = 0
        self.dead = np.zeros(0, dtype=np.int64)  # sorted passage ids deleted after indexing

    def sync(self, catalog: Catalog) -> None:
        seg = segments.latest(self.index_dir, STEM)
        if seg is not None and seg.path != self.main_path and (
                seg.vector_seq, seg.tombstone_seq) >= (self.vector_seq, 0):
            self._open_main(seg)
        added = False
        while rows := catalog.vectors_since(self.vector_seq):
            for seq, pid, _dense, _scale, sparse in rows:
                self._delta_pids.append(pid)
                self._delta_vectors.append(blob_to_sparse(sparse))
                self.vector_seq = seq
            added = True
        if added:
            self.delta = SparseSegment.build(self._delta_pids, self._delta_vectors)
        tombs = catalog.tombstones_since(self.tombstone_seq)
        if tombs:
            self.tombstone_seq = tombs[-1][0]
            self.dead = np.union1d(self.dead, np.array([t[1] for t in tombs], dtype=np.int64))

    def _open_main(self, seg: segments.Segment) -> None:
        try:
            main = SparseSegment.load(seg.path)
        except (OSError, ValueError):
            return  # removed or half-written under us: keep what we have
        self.main, self.main_path = main, seg.path
        self.vector_seq, self.tombstone_seq = seg.vector_seq, seg.tombstone_seq
        self._delta_pids, self._delta_vectors = [], []
        self.delta = SparseSegment.empty()
        self.dead = np.zeros(0, dtype=np.int64)

    @property
    def n_docs(self) -> int:
        return len(self.main) + len(self.delta) - len(self.dead)

    def df(self, terms: np.ndarray) -> np.ndarray:
        return (self.main.df[terms] + self.delta.df[terms]).astype(np.float64)

    def search(self, terms: np.ndarray, qweights: np.ndarray, k: int
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (passage ids, scores) with a score above zero."""
        pids, scores = self.score_all(terms, qweights)
        nonzero = np.flatnonzero(scores > 0)
        if len(nonzero) > k:
            top = nonzero[np.argpartition(-scores[nonzero], k - 1)[:k]]
        else:
            top = nonzero
        top = top[np.argsort(-scores[top], kind="stable")]
        return pids[top], scores[top]

    def score_all(self, terms: np.ndarray, qweights: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
        pids = np.concatenate([self.main.pids, self.delta.pids])
        scores = np.concatenate([self.main.score(terms, qweights),
                                 self.delta.score(terms, qweights)])
        if len(self.dead):
            scores[np.isin(pids, self.dead)] = 0
        return pids, scores


def publish_sparse_segment(catalog: Catalog, index_dir: Path) -> Path:
    """Writer side: rebuild the main segment from every vector in the catalog and publish it."""
    with catalog.transaction():  # one consistent snapshot of vectors and watermarks
        vec_seq = int(catalog.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM vectors")
                      .fetchone()[0])
        tomb_seq = int(catalog.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM tombstones")
                       .fetchone()[0])
        final = segments.segment_path(index_dir, STEM, vec_seq, tomb_seq)
        if not final.exists():
            segment = _read_all(catalog)
    if not final.exists():
        tmp = final.with_name(final.name + f".tmp{os.getpid()}")
        segments._remove(tmp)
        segment.save(tmp)
        segments.publish(tmp, final)
    segments.remove_older(index_dir, STEM, final)
    return final


def _read_all(catalog: Catalog) -> SparseSegment:
    """Every stored sparse vector, read straight into flat arrays (no per-passage objects)."""
    n, total = catalog.conn.execute(
        "SELECT count(*), COALESCE(SUM(length(sparse)), 0) FROM vectors").fetchone()
    nnz = total // 4  # 2 bytes of id + 2 bytes of weight per term
    pids = np.empty(n, np.int64)
    lengths = np.empty(n, np.int64)
    terms = np.empty(nnz, np.uint16)
    weights = np.empty(nnz, np.float16)
    i = pos = 0
    for pid, blob in catalog.conn.execute(
            "SELECT passage_id, sparse FROM vectors ORDER BY passage_id"):
        ids, w = blob_to_sparse(blob)
        k = len(ids)
        pids[i], lengths[i] = pid, k
        terms[pos:pos + k] = ids
        weights[pos:pos + k] = w
        i += 1
        pos += k
    return SparseSegment.from_flat(pids[:i], lengths[:i], terms[:pos], weights[:pos])
