"""The sparse vectors' storage: uint8 levels in SQLite, 3-byte postings in the segments, and the
upgrade of an index written with float16 weights (schema v4)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from core.api import Engine
from core.store import segments
from core.store.codec import blob_to_sparse, legacy_blob_to_sparse, sparse_to_blob
from core.store.sparse_index import LEGACY_STEM, STEM, SparseSegment
from tests.docs import write_topics


def test_postings_score_like_the_vectors_across_row_blocks() -> None:
    """More than 65,536 passages, so rows span several blocks of the 16-bit row table."""
    rng = np.random.default_rng(3)
    n, vocab = 70_000, 300
    vectors = []
    for _ in range(n):
        ids = np.sort(rng.choice(vocab, size=rng.integers(0, 12), replace=False))
        vectors.append((ids.astype(np.uint16), rng.uniform(0.01, 3.0, len(ids))))
    blobs = [sparse_to_blob(*v) for v in vectors]
    pids = np.arange(10, 10 + n, dtype=np.int64)
    segment = SparseSegment.build(pids, blobs)
    assert segment.blocks == 2
    terms = np.array([0, 7, 150, 299], dtype=np.int64)
    qweights = np.array([1.0, 0.5, 2.0, 0.25], dtype=np.float32)
    expected = np.zeros(n, np.float32)
    df = np.zeros(vocab, np.int64)
    for row, blob in enumerate(blobs):
        ids, weights = blob_to_sparse(blob)
        df[ids] += 1
        for t, qw in zip(terms, qweights, strict=True):
            hit = np.flatnonzero(ids == t)
            if len(hit):
                expected[row] += qw * weights[hit[0]]
    assert np.allclose(segment.score(terms, qweights), expected, rtol=1e-5, atol=1e-6)
    assert segment.df[:vocab].tolist() == df.tolist()
    assert expected[n - 1000:].any()  # the second block really holds scores


def test_a_version_4_index_is_upgraded_and_searches_the_same(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.index([docs])
        before = [Path(h.path).name for h in engine.search("patio", k=3, mode="sparse").hits]
    assert before
    # Turn it into what Spyglass wrote before v5: float16 weights, a "sparse.*" segment folder.
    conn = sqlite3.connect(index / "catalog.sqlite")
    stored = conn.execute("SELECT seq, sparse FROM vectors").fetchall()
    legacy = {}
    for seq, blob in stored:
        ids, weights = blob_to_sparse(blob)
        legacy[seq] = np.asarray(ids, np.uint16).tobytes() + weights.astype(np.float16).tobytes()
    conn.executemany("UPDATE vectors SET sparse = ? WHERE seq = ?",
                     [(b, s) for s, b in legacy.items()])
    conn.execute("PRAGMA user_version = 4")
    conn.commit()
    conn.close()
    for seg in list(index.glob(f"{STEM}.*")):
        segments._remove(seg)
    (index / f"{LEGACY_STEM}.{max(legacy)}.0").mkdir()

    with Engine.open(index) as engine:
        assert not list(index.glob(f"{LEGACY_STEM}.*"))
        assert segments.latest(index, STEM) is not None  # published once, on the upgrade
        after = [Path(h.path).name for h in engine.search("patio", k=3, mode="sparse").hits]
        rows = dict(engine._catalog.conn.execute("SELECT seq, sparse FROM vectors").fetchall())
    assert after == before
    for seq, blob in rows.items():
        ids, weights = blob_to_sparse(blob)
        old_ids, old_weights = legacy_blob_to_sparse(legacy[seq])
        assert ids.tolist() == old_ids.tolist()
        step = float(old_weights.astype(np.float32).max()) / 255
        assert np.abs(weights - old_weights.astype(np.float32)).max() <= step / 2 + 1e-6
