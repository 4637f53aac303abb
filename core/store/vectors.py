"""Binary (Hamming) USearch index over the passages' dense vectors, derived from the catalog.

SQLite holds the int8 vectors; the USearch graph over their sign bits only proposes candidates,
which the searcher rescores with the int8 vectors. The writer keeps the published graph up to date
incrementally (add new, remove deleted) and rebuilds it when it is missing or unreadable; readers
memory-map the newest one and search vectors stored since with an exact scan of a small delta.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

# onnxruntime must be loaded before usearch: with usearch 2.26 (numkong) already in the process,
# onnxruntime 1.32's static initialisers crash (SIGSEGV in libstdc++'s codecvt), and the window
# and the CLI load both. Loading order is the whole workaround; nothing here uses onnxruntime.
import onnxruntime  # noqa: F401, I001
from usearch.index import Index  # noqa: E402

from core.store import segments
from core.store.catalog import Catalog
from core.store.codec import binary_codes, blob_to_dense

STEM = "dense"
SUFFIX = ".usearch"
# Vectors below which candidates come from an exhaustive Hamming scan rather than the HNSW graph
# (bench/scale_probe.py, 800 candidates: 2.5 ms at 100k, 37 ms at 1M; the graph ~1 ms at 1M).
EXACT_SEARCH_BELOW = 250_000


def new_index(dim: int) -> Index:
    return Index(ndim=dim, metric="hamming", dtype="b1", connectivity=16)


class DenseIndex:
    def __init__(self, index_dir: Path, dim: int) -> None:
        self.index_dir = Path(index_dir)
        self.dim = dim
        self.main: Index | None = None
        self.main_path: Path | None = None
        self.vector_seq = 0
        self.tombstone_seq = 0
        self._delta_pids: list[int] = []
        self._delta_codes: list[np.ndarray] = []
        self.delta_pids = np.zeros(0, dtype=np.int64)
        self.delta_codes = np.zeros((0, dim // 8), dtype=np.uint8)
        self.dead: set[int] = set()

    def sync(self, catalog: Catalog) -> None:
        seg = segments.latest(self.index_dir, STEM, SUFFIX)
        if seg is not None and seg.path != self.main_path and seg.vector_seq >= self.vector_seq:
            self._open_main(seg)
        added = False
        while rows := catalog.vectors_since(self.vector_seq):
            dense = np.stack([blob_to_dense(r[2]) for r in rows])
            self._delta_pids.extend(r[1] for r in rows)
            self._delta_codes.append(binary_codes(dense))
            self.vector_seq = rows[-1][0]
            added = True
        if added:
            self.delta_pids = np.asarray(self._delta_pids, dtype=np.int64)
            self.delta_codes = np.concatenate(self._delta_codes)
            self._delta_codes = [self.delta_codes]
        tombs = catalog.tombstones_since(self.tombstone_seq)
        if tombs:
            self.tombstone_seq = tombs[-1][0]
            self.dead.update(t[1] for t in tombs)

    def _open_main(self, seg: segments.Segment) -> None:
        try:
            main = Index.restore(str(seg.path), view=True)
        except Exception:  # half-deleted or unreadable: the writer will rebuild it
            return
        if main is None:
            return
        self.main, self.main_path = main, seg.path
        self.vector_seq, self.tombstone_seq = seg.vector_seq, seg.tombstone_seq
        self._delta_pids, self._delta_codes = [], []
        self.delta_pids = np.zeros(0, dtype=np.int64)
        self.delta_codes = np.zeros((0, self.dim // 8), dtype=np.uint8)
        self.dead = set()

    def __len__(self) -> int:
        return (len(self.main) if self.main is not None else 0) + len(self.delta_pids) - len(
            self.dead)

    def candidates(self, query_code: np.ndarray, k: int) -> np.ndarray:
        """Up to k passage ids nearest in Hamming distance, from the graph and the delta."""
        found: list[tuple[float, int]] = []
        want = k + len(self.dead)
        if self.main is not None and len(self.main):
            # An exhaustive Hamming scan is 2.5 ms at 100k vectors and cannot be misled by a
            # graph: identical vectors (a log repeating one line) disconnect HNSW. The graph
            # takes over where a scan would get slow.
            exact = len(self.main) <= EXACT_SEARCH_BELOW
            m = self.main.search(query_code, min(want, len(self.main)), exact=exact)
            found.extend(zip(m.distances.tolist(), m.keys.tolist(), strict=True))
        if len(self.delta_pids):
            dist = _hamming(self.delta_codes, query_code)
            take = min(want, len(dist))
            idx = np.argpartition(dist, take - 1)[:take]
            found.extend(zip(dist[idx].tolist(), self.delta_pids[idx].tolist(), strict=True))
        found.sort()
        out, seen = [], set()
        for _, pid in found:
            if pid not in seen and pid not in self.dead:
                seen.add(pid)
                out.append(pid)
                if len(out) == k:
                    break
        return np.asarray(out, dtype=np.int64)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint16)


def _hamming(codes: np.ndarray, query: np.ndarray) -> np.ndarray:
    return _POPCOUNT[np.bitwise_xor(codes, query[None, :])].sum(axis=1)


def stored_dim(catalog: Catalog) -> int:
    """Dimensions of the stored dense vectors (the model's, before any are stored)."""
    row = catalog.conn.execute("SELECT length(dense) FROM vectors LIMIT 1").fetchone()
    return int(row[0]) if row else 384


def publish_dense_index(catalog: Catalog, index_dir: Path, dim: int) -> Path:
    """Writer side: bring the published graph up to the catalog, incrementally if possible."""
    seg = segments.latest(index_dir, STEM, SUFFIX)
    index = None
    vec_seq = tomb_seq = 0
    if seg is not None:
        try:
            index = Index.restore(str(seg.path))
            vec_seq, tomb_seq = seg.vector_seq, seg.tombstone_seq
        except Exception:
            index = None
    if index is None:
        index, vec_seq, tomb_seq = new_index(dim), 0, 0
    with catalog.transaction():  # a consistent snapshot of vectors and tombstones
        tombs = catalog.tombstones_since(tomb_seq)
        for _, pid in tombs:
            if pid in index:
                index.remove(pid)
        if tombs:
            tomb_seq = tombs[-1][0]
        while rows := catalog.vectors_since(vec_seq):
            pids = np.asarray([r[1] for r in rows], dtype=np.int64)
            present = np.asarray([p in index for p in pids.tolist()], dtype=bool)
            if present.any():  # an update is remove then add (duplicate keys raise)
                for pid in pids[present].tolist():
                    index.remove(pid)
            codes = binary_codes(np.stack([blob_to_dense(r[2]) for r in rows]))
            index.add(pids, codes, threads=1)
            vec_seq = rows[-1][0]
        max_tomb = catalog.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM tombstones").fetchone()
        tomb_seq = max(tomb_seq, int(max_tomb[0]))
    final = segments.segment_path(index_dir, STEM, vec_seq, tomb_seq, SUFFIX)
    if seg is None or final != seg.path:
        tmp = final.with_name(final.name + f".tmp{os.getpid()}")
        index.save(str(tmp))
        segments.publish(tmp, final)
    segments.remove_older(index_dir, STEM, final, SUFFIX)
    return final
