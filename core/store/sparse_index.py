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
from core.store.codec import blob_to_levels

VOCAB_LIMIT = 1 << 16  # token ids are stored as uint16
STEM = "postings"  # v5 segments; v1-v4 wrote "sparse.*" folders (float16 weights, int32 rows)
LEGACY_STEM = "sparse"
BLOCK_BITS = 16  # a posting stores its row's low 16 bits; the block table gives the rest
_ARRAYS = ("pids", "scales", "bptr", "low", "levels")


class SparseSegment:
    """Immutable term -> (row, weight) postings over `pids` (rows are positions in pids).

    Three bytes a posting: the row's low 16 bits (uint16) and the weight's uint8 level. Rows
    are cut into blocks of 65,536; `bptr` holds, for each (term, block), where its postings
    start, so term t's postings in block b are low[bptr[t*nb + b]:bptr[t*nb + b + 1]]. A
    passage's weights are levels of its own scale, applied once to the summed score.
    """

    def __init__(self, pids: np.ndarray, scales: np.ndarray, bptr: np.ndarray, low: np.ndarray,
                 levels: np.ndarray) -> None:
        self.pids = pids
        self.scales = scales
        self.bptr = bptr
        self.low = low
        self.levels = levels
        self.blocks = max(1, (len(bptr) - 1) // VOCAB_LIMIT)
        self.df = np.diff(np.asarray(bptr[::self.blocks])).astype(np.int32)
        self._block_base = np.arange(self.blocks, dtype=np.int32) << BLOCK_BITS

    @classmethod
    def build(cls, pids: Sequence[int], blobs: Sequence[bytes]) -> SparseSegment:
        """From stored sparse vectors (core.store.codec blobs), one per passage id."""
        n = len(pids)
        scales = np.empty(n, np.float32)
        lengths = np.empty(n, np.int64)
        parts_ids, parts_levels = [], []
        for i, blob in enumerate(blobs):
            ids, levels, scale = blob_to_levels(blob)
            scales[i], lengths[i] = scale, len(ids)
            parts_ids.append(ids)
            parts_levels.append(levels)
        terms = np.concatenate(parts_ids) if parts_ids else np.zeros(0, np.uint16)
        levels = np.concatenate(parts_levels) if parts_levels else np.zeros(0, np.uint8)
        return cls.from_flat(np.asarray(pids, dtype=np.int64), scales, lengths, terms, levels)

    @classmethod
    def from_flat(cls, pids: np.ndarray, scales: np.ndarray, lengths: np.ndarray,
                  terms: np.ndarray, levels: np.ndarray) -> SparseSegment:
        """Postings from all vectors laid end to end (uint16 terms, uint8 levels), sorted one
        row block at a time: peak memory is a block's sort (~30 bytes a posting of 65,536
        passages), not the whole index's."""
        n = len(pids)
        block = 1 << BLOCK_BITS
        blocks = max(1, -(-n // block))
        ends = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=ends[1:])
        counts = np.zeros((VOCAB_LIMIT, blocks), dtype=np.int64)  # (term, block)
        for b in range(blocks):
            lo, hi = ends[b * block], ends[min((b + 1) * block, n)]
            counts[:, b] = np.bincount(terms[lo:hi], minlength=VOCAB_LIMIT)
        bptr = np.zeros(VOCAB_LIMIT * blocks + 1, dtype=np.int64)
        np.cumsum(counts.ravel(), out=bptr[1:])
        starts = bptr[:-1].reshape(VOCAB_LIMIT, blocks)
        low = np.empty(len(terms), dtype=np.uint16)
        out_levels = np.empty(len(terms), dtype=np.uint8)
        for b in range(blocks):
            first, last = b * block, min((b + 1) * block, n)
            lo, hi = ends[first], ends[last]
            order = np.argsort(terms[lo:hi], kind="stable")  # radix sort on uint16
            sorted_terms = terms[lo:hi][order]
            group = np.zeros(VOCAB_LIMIT, dtype=np.int64)  # where each term starts in order
            np.cumsum(counts[:-1, b], out=group[1:])
            dest = starts[sorted_terms, b] + (np.arange(hi - lo) - group[sorted_terms])
            rows = np.repeat(np.arange(last - first, dtype=np.uint16), lengths[first:last])
            low[dest] = rows[order]
            out_levels[dest] = levels[lo:hi][order]
        return cls(pids, scales, bptr, low, out_levels)

    @classmethod
    def empty(cls) -> SparseSegment:
        return cls.build([], [])

    def __len__(self) -> int:
        return len(self.pids)

    def score(self, terms: np.ndarray, qweights: np.ndarray) -> np.ndarray:
        scores = np.zeros(len(self.pids), dtype=np.float32)
        nb = self.blocks
        for t, qw in zip(terms.tolist(), qweights.tolist(), strict=True):
            ptr = self.bptr[t * nb:t * nb + nb + 1]
            lo, hi = int(ptr[0]), int(ptr[-1])
            if hi <= lo:
                continue
            rows = self.low[lo:hi].astype(np.int32)
            if nb > 1:
                rows |= np.repeat(self._block_base, np.diff(ptr))
            scores[rows] += np.float32(qw) * self.levels[lo:hi]
        scores *= self.scales
        return scores

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder: Path) -> SparseSegment:
        return cls(*(np.load(folder / f"{n}.npy", mmap_mode="r") for n in _ARRAYS))


class SparseIndex:
    """What a searcher reads: the newest published segment, caught up from the catalog."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)
        self.main = SparseSegment.empty()
        self.main_path: Path | None = None
        self.delta = SparseSegment.empty()
        self._delta_pids: list[int] = []
        self._delta_blobs: list[bytes] = []
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
                self._delta_blobs.append(sparse)
                self.vector_seq = seq
            added = True
        if added:
            self.delta = SparseSegment.build(self._delta_pids, self._delta_blobs)
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
        self._delta_pids, self._delta_blobs = [], []
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
    segments.remove_older(index_dir, LEGACY_STEM, final)
    return final


def _read_all(catalog: Catalog) -> SparseSegment:
    """Every stored sparse vector, read straight into flat arrays (no per-passage objects)."""
    n, total = catalog.conn.execute(
        "SELECT count(*), COALESCE(SUM(length(sparse) - 4), 0) FROM vectors").fetchone()
    nnz = total // 3  # 2 bytes of id + 1 byte of level per term, after the 4-byte scale
    pids = np.empty(n, np.int64)
    scales = np.empty(n, np.float32)
    lengths = np.empty(n, np.int64)
    terms = np.empty(nnz, np.uint16)
    levels = np.empty(nnz, np.uint8)
    i = pos = 0
    for pid, blob in catalog.conn.execute(
            "SELECT passage_id, sparse FROM vectors ORDER BY passage_id"):
        ids, lv, scale = blob_to_levels(blob)
        k = len(ids)
        pids[i], scales[i], lengths[i] = pid, scale, k
        terms[pos:pos + k] = ids
        levels[pos:pos + k] = lv
        i += 1
        pos += k
    return SparseSegment.from_flat(pids[:i], scales[:i], lengths[:i], terms[:pos], levels[:pos])
