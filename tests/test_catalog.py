"""The catalog on a real SQLite file: states, FTS sync, encode-once reuse, tombstones."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from core.store.catalog import Catalog, NewPassage, Root, VectorRow
from core.store.codec import (
    blob_to_dense,
    blob_to_sparse,
    dense_to_blob,
    quantize_dense,
    sparse_to_blob,
)
from core.store.schema import MIGRATIONS, SCHEMA_VERSION, SchemaError, _statements


def _passages(texts: list[str]) -> list[NewPassage]:
    return [NewPassage(i, 0, len(t), None, None, t.encode()[:12].ljust(12, b"_"), t)
            for i, t in enumerate(texts)]


def _vector(pid: int, seed: int = 0) -> VectorRow:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(1, 8)).astype(np.float32)
    q, s = quantize_dense(v / np.linalg.norm(v))
    return VectorRow(pid, dense_to_blob(q[0]), float(s[0]),
                     sparse_to_blob(np.array([5, 9]), np.array([1.5, 0.25])))


def _fts(cat: Catalog, expr: str) -> list[int]:
    return [r[0] for r in cat.conn.execute(
        "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rowid", (expr,))]


def _catalog_with_root(index_dir: Path) -> tuple[Catalog, Root]:
    """A new catalog with one root, /docs."""
    index_dir.mkdir()
    cat = Catalog(index_dir)
    return cat, cat.add_root("/docs")


def test_schema_version_and_wal(index_dir: Path) -> None:
    index_dir.mkdir()
    cat = Catalog(index_dir)
    assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert cat.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    cat.close()
    conn = sqlite3.connect(index_dir / "catalog.sqlite")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError, match="newer Spyglass"):
        Catalog(index_dir)


def test_a_version_1_catalog_is_migrated_with_its_data(index_dir: Path) -> None:
    index_dir.mkdir()
    conn = sqlite3.connect(index_dir / "catalog.sqlite")
    for statement in _statements(MIGRATIONS[0]):  # what the first release created
        conn.execute(statement)
    conn.execute("INSERT INTO meta(key, value) VALUES ('models', '570fe6ebddd0f17d')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    cat = Catalog(index_dir)
    assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert cat.get_meta("models") == "570fe6ebddd0f17d"
    assert cat.kept_dense([b"x"]) == {}  # the table a sparse-model change fills
    cat.close()


def test_text_then_vectors_lifecycle(index_dir: Path) -> None:
    cat, root = _catalog_with_root(index_dir)
    with cat.transaction():
        fid = cat.queue_file(root.id, "/docs/a.txt", 10, 1, 100)
    assert cat.state_counts()["pending"] == 1
    with cat.transaction():
        todo = cat.store_text(fid, content_hash="h1", title="Alpha", fmt="text", sections=[],
                              passages=_passages(["giraffes eat leaves", "zebras run fast"]))
    assert todo == 2
    assert cat.state_counts()["text"] == 1
    assert _fts(cat, "giraffes") and _fts(cat, "alpha")  # body and title are both searchable
    queued = cat.passages_to_encode(10)
    assert [p.text for p in queued] == ["giraffes eat leaves", "zebras run fast"]
    with cat.transaction():
        promoted = cat.store_vectors([_vector(p.id, i) for i, p in enumerate(queued)])
    assert promoted == 1
    assert cat.state_counts()["indexed"] == 1
    assert cat.count_to_encode() == 0


def test_changed_file_reuses_vectors_of_unchanged_passages(index_dir: Path) -> None:
    cat, root = _catalog_with_root(index_dir)
    with cat.transaction():
        fid = cat.queue_file(root.id, "/docs/a.txt", 10, 1, 100)
        cat.store_text(fid, content_hash="h1", title="T", fmt="text", sections=[],
                       passages=_passages(["same text here", "old ending"]))
        cat.store_vectors([_vector(p.id) for p in cat.passages_to_encode(10)])
    with cat.transaction():
        todo = cat.store_text(fid, content_hash="h2", title="T", fmt="text", sections=[],
                              passages=_passages(["same text here", "new ending"]))
    assert todo == 1  # only the new passage needs the models
    assert [p.text for p in cat.passages_to_encode(10)] == ["new ending"]
    assert _fts(cat, "old") == [] and len(_fts(cat, "new")) == 1
    tombs = cat.tombstones_since(0)
    assert len(tombs) == 2  # both old passages were replaced (one by a reused copy)


def test_delete_file_removes_text_fts_and_vectors(index_dir: Path) -> None:
    cat, root = _catalog_with_root(index_dir)
    with cat.transaction():
        fid = cat.queue_file(root.id, "/docs/a.txt", 10, 1, 100)
        cat.store_text(fid, content_hash="h1", title="T", fmt="text", sections=[],
                       passages=_passages(["walrus tusks"]))
        cat.store_vectors([_vector(p.id) for p in cat.passages_to_encode(10)])
    gen = cat.generation()
    cat.delete_files([fid])
    assert cat.generation() > gen
    assert _fts(cat, "walrus") == []
    assert cat.passage_count() == 0
    assert cat.conn.execute("SELECT count(*) FROM vectors").fetchone()[0] == 0
    assert cat.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    cat.conn.execute("INSERT INTO passages_fts(passages_fts) VALUES('integrity-check')")


def test_failed_and_undecodable_paths(index_dir: Path) -> None:
    cat, root = _catalog_with_root(index_dir)
    odd = "/docs/bad-\udce9-name\n.txt"  # undecodable byte and a newline
    with cat.transaction():
        fid = cat.queue_file(root.id, odd, 1, 1, 1)
        cat.mark_failed(fid, "corrupt PDF: no pages")
    assert cat.failed_files() == [(odd, "corrupt PDF: no pages", "failed")]
    assert odd in cat.files_under_root(root.id)


def test_codec_roundtrip() -> None:
    v = np.random.default_rng(1).normal(size=(3, 384)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, s = quantize_dense(v)
    assert np.abs(q).max() == 127
    back = np.stack([blob_to_dense(dense_to_blob(row)) for row in q]) * s[:, None]
    cos = (back * v).sum(1) / np.linalg.norm(back, axis=1)
    assert cos.min() > 0.999
    ids, w = blob_to_sparse(sparse_to_blob(np.array([3, 70000 % 65536, 9]),
                                           np.array([0.5, 2.0, 1e-6])))
    # uint8 levels of the passage's largest weight: within half a step (2.0 / 255 / 2), the
    # largest exact, and a tiny weight kept at one step rather than dropped
    assert ids.tolist() == [3, 4464, 9] and len(sparse_to_blob(ids, w)) == 4 + 3 * 3
    assert abs(w[0] - 0.5) <= 2.0 / 510 and w[1] == 2.0 and w[2] == np.float32(2.0 / 255)


def test_semantic_cap_per_file(index_dir: Path) -> None:
    from core.store import catalog as catalog_module

    cat, root = _catalog_with_root(index_dir)
    cap = catalog_module.SEMANTIC_PASSAGES_PER_FILE
    texts = [f"passage number {i}" for i in range(cap + 3)]
    with cat.transaction():
        fid = cat.queue_file(root.id, "/docs/huge.log", 10, 1, 100)
        todo = cat.store_text(fid, content_hash="h", title="T", fmt="text", sections=[],
                              passages=[NewPassage(i, 0, 1, None, None, str(i).encode(), t)
                                        for i, t in enumerate(texts)])
    assert todo == cap and cat.count_to_encode() == cap  # the tail stays keyword-only
    queued = cat.passages_to_encode(cap + 10)
    with cat.transaction():
        cat.store_vectors([_vector(p.id) for p in queued])
    assert cat.state_counts()["indexed"] == 1
    assert _fts(cat, f'"number {cap + 2}"')  # still found by its words


def test_reuse_within_a_file_and_past_the_cap(index_dir: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A file's passages go in with one statement each for passages, keyword index and reused
    vectors: text encoded in another file is reused (by every copy, even twice in the new file),
    a repeat of new text is not, and passages past the cap are never counted."""
    from core.store import catalog as catalog_module

    monkeypatch.setattr(catalog_module, "SEMANTIC_PASSAGES_PER_FILE", 4)
    cat, root = _catalog_with_root(index_dir)
    with cat.transaction():
        a = cat.queue_file(root.id, "/docs/a.txt", 10, 1, 100)
        cat.store_text(a, content_hash="ha", title="A", fmt="text", sections=[],
                       passages=_passages(["known one", "known two"]))
        cat.store_vectors([_vector(p.id, i) for i, p in enumerate(cat.passages_to_encode(10))])
        b = cat.queue_file(root.id, "/docs/b.txt", 10, 1, 101)
        todo = cat.store_text(b, content_hash="hb", title="B", fmt="text", sections=[],
                              passages=_passages(["known one", "fresh", "known one", "fresh",
                                                  "known two", "fresh"]))
    assert todo == 2  # the two "fresh" below the cap; the known texts and the tail are not
    rows = cat.conn.execute(
        "SELECT p.ord, p.text, v.dense FROM passages p LEFT JOIN vectors v "
        "ON v.passage_id = p.id WHERE p.file_id = ? ORDER BY p.ord", (b,)).fetchall()
    known = dict(cat.conn.execute(
        "SELECT p.text, v.dense FROM passages p JOIN vectors v ON v.passage_id = p.id "
        "WHERE p.file_id = ?", (a,)).fetchall())
    assert [(o, t, d == known.get(t)) for o, t, d in rows] == [
        (0, "known one", True), (1, "fresh", True), (2, "known one", True), (3, "fresh", True),
        (4, "known two", True), (5, "fresh", True)]  # "fresh": None == None
    assert sorted(_fts(cat, "fresh")) == sorted(r[0] for r in cat.conn.execute(
        "SELECT id FROM passages WHERE file_id = ? AND text = 'fresh'", (b,)))
    assert _fts(cat, "b") and len(_fts(cat, "known")) == 5


def test_encoding_queue_is_walked_in_id_order_without_sorting_it(index_dir: Path) -> None:
    """Batches taken after one another cover each waiting passage once, in id order, skipping
    files already indexed; and each batch is read by walking passages from `after_id` (no sort
    of the whole queue, which cost 0.28 s a batch with 393k waiting and idled the encoders)."""
    cat, root = _catalog_with_root(index_dir)
    with cat.transaction():
        for n in range(4):
            fid = cat.queue_file(root.id, f"/docs/{n}.txt", 10, 1, 100 + n)
            cat.store_text(fid, content_hash=f"h{n}", title=str(n), fmt="text", sections=[],
                           passages=_passages([f"file {n} part {i}" for i in range(5)]))
            if n == 1:  # an indexed file among waiting ones
                cat.store_vectors([_vector(p.id) for p in cat.passages_to_encode(5, after_id=5)])
    seen, after, statements = [], 0, []
    cat.conn.set_trace_callback(statements.append)
    while batch := cat.passages_to_encode(3, after_id=after):
        seen += [p.text for p in batch]
        after = batch[-1].id
    cat.conn.set_trace_callback(None)
    assert seen == [f"file {n} part {i}" for n in (0, 2, 3) for i in range(5)]
    plan = " | ".join(r[3] for r in cat.conn.execute(f"EXPLAIN QUERY PLAN {statements[0]}"))
    assert plan.startswith("SEARCH p USING INTEGER PRIMARY KEY") and "TEMP B-TREE" not in plan
