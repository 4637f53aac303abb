"""The catalog: SQLite (WAL) holds roots, files, passages, FTS5, vectors and indexing state.

SQLite is the source of truth; every other index (USearch, the in-memory sparse index) is derived
from it and can be rebuilt. One writer at a time (see core.lock); any number of readers.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from core.pathcodec import from_db, to_db
from core.store.schema import migrate
from core.text.cjk import index_text

CATALOG_NAME = "catalog.sqlite"

# The encoders see at most this many passages of one file (about 4 million characters): a
# 100 MB log must not hold the models for an hour. Later passages stay keyword-searchable.
SEMANTIC_PASSAGES_PER_FILE = 4000


@dataclass(frozen=True)
class Root:
    id: int
    path: str
    excludes: list[str]
    added_at: float
    last_scan: float | None


@dataclass(frozen=True)
class FileRow:
    id: int
    root_id: int
    path: str
    size: int
    mtime_ns: int
    inode: int
    hash: str | None
    state: str


@dataclass(frozen=True)
class NewPassage:
    ord: int
    start: int
    end: int
    page: int | None
    section: str | None
    hash: bytes
    text: str


@dataclass(frozen=True)
class PassageToEncode:
    id: int
    file_id: int
    hash: bytes
    title: str
    text: str


@dataclass(frozen=True)
class OcrJob:
    """A file in the OCR queue: the pages still to read are those without a stored result."""

    file_id: int
    path: str
    hash: str
    format: str  # "pdf" or "image"
    size: int  # the stat the pages were queued with: a file that changed is not read
    mtime_ns: int
    pages: list[int]


@dataclass(frozen=True)
class VectorRow:
    passage_id: int
    dense: bytes
    scale: float
    sparse: bytes


class Catalog:
    """One connection to the catalog; use one Catalog per thread."""

    def __init__(self, index_dir: Path, *, readonly: bool = False) -> None:
        self.index_dir = Path(index_dir)
        self.path = self.index_dir / CATALOG_NAME
        self.readonly = readonly
        self.migrated_from: int | None = None  # schema version before this open upgraded it
        if readonly:
            # A folder nobody may write to cannot change under us: no locks or -shm are needed.
            uri = f"file:{self.path}?mode=ro&immutable=1"
            self.conn = sqlite3.connect(uri, uri=True, isolation_level=None,
                                        check_same_thread=False)
        else:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA busy_timeout = 10000")
        if not readonly:
            self.conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is durable across application crashes in WAL mode; only a power cut can
            # lose the last transactions, never corrupt the database.
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self.migrated_from = migrate(self.conn)
        self.conn.execute("PRAGMA foreign_keys = ON")
        self.db = sqlite_utils.Database(self.conn)
        self._in_tx = False

    @classmethod
    def open(cls, index_dir: Path) -> Catalog:
        """Read-write if possible; an existing index in a read-only folder opens read-only
        (searching works, indexing is refused)."""
        try:
            return cls(index_dir)
        except sqlite3.OperationalError:
            if os.access(index_dir, os.W_OK) or not (Path(index_dir) / CATALOG_NAME).exists():
                raise
            return cls(index_dir, readonly=True)

    def close(self) -> None:
        self.conn.close()

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction; nested use joins the outer one."""
        if self._in_tx:
            yield
            return
        self.conn.execute("BEGIN IMMEDIATE")
        self._in_tx = True
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite has already rolled back after some errors (a full disk, for one); rolling
            # back again would hide the real error behind "no transaction is active".
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self._in_tx = False

    def _bump_generation(self) -> None:
        """Tell readers that passages or vectors changed (they re-sync derived indexes)."""
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def generation(self) -> int:
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- roots --------------------------------------------------------------------------------

    def add_root(self, path: str, excludes: Sequence[str] = ()) -> Root:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO roots(path, excludes, added_at) VALUES(?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET excludes = excluded.excludes",
                (to_db(path), json.dumps(list(excludes)), time.time()),
            )
        root = self.root_by_path(path)
        assert root is not None
        return root

    def roots(self) -> list[Root]:
        return [_root(r) for r in self.db["roots"].rows_where(order_by="path")]

    def root_by_path(self, path: str) -> Root | None:
        rows = list(self.db["roots"].rows_where("path = ?", [to_db(path)]))
        return _root(rows[0]) if rows else None

    def set_root_excludes(self, root_id: int, excludes: Sequence[str]) -> None:
        with self.transaction():
            self.conn.execute("UPDATE roots SET excludes = ? WHERE id = ?",
                              (json.dumps(list(excludes)), root_id))

    def mark_scanned(self, root_id: int) -> None:
        with self.transaction():
            self.conn.execute("UPDATE roots SET last_scan = ? WHERE id = ?", (time.time(), root_id))

    def remove_root(self, root_id: int) -> int:
        """Forget a root and everything indexed under it; returns the number of files removed."""
        with self.transaction():
            ids = [r[0] for r in self.conn.execute("SELECT id FROM files WHERE root_id = ?",
                                                   (root_id,))]
            self.delete_files(ids)
            self.conn.execute("DELETE FROM roots WHERE id = ?", (root_id,))
        return len(ids)

    # -- files --------------------------------------------------------------------------------

    def files_under_root(self, root_id: int) -> dict[str, FileRow]:
        cur = self.conn.execute(
            "SELECT id, root_id, path, size, mtime_ns, inode, hash, state FROM files "
            "WHERE root_id = ? AND parent_id IS NULL", (root_id,))
        return {from_db(r[2]): FileRow(r[0], r[1], from_db(r[2]), *r[3:]) for r in cur}

    def files_under_prefix(self, path: str) -> dict[str, FileRow]:
        """The file at `path` and every file below it (for a folder)."""
        prefix = to_db(path.rstrip("/")) + "/"
        cur = self.conn.execute(  # substr, not LIKE: LIKE ignores case
            "SELECT id, root_id, path, size, mtime_ns, inode, hash, state FROM files "
            "WHERE (path = ? OR substr(path, 1, ?) = ?) AND parent_id IS NULL",
            (to_db(path), len(prefix), prefix))
        return {from_db(r[2]): FileRow(r[0], r[1], from_db(r[2]), *r[3:]) for r in cur}

    def file_by_path(self, path: str) -> FileRow | None:
        r = self.conn.execute(
            "SELECT id, root_id, path, size, mtime_ns, inode, hash, state FROM files "
            "WHERE path = ?", (to_db(path),)).fetchone()
        return FileRow(r[0], r[1], from_db(r[2]), *r[3:]) if r else None

    def queue_file(self, root_id: int, path: str, size: int, mtime_ns: int, inode: int) -> int:
        """Insert a new file or mark a changed one for extraction; its old passages stay
        searchable until the new text replaces them."""
        now = time.time()
        self.conn.execute(
            "INSERT INTO files(root_id, path, size, mtime_ns, inode, state, updated_at) "
            "VALUES(?, ?, ?, ?, ?, 'pending', ?) "
            "ON CONFLICT(path) DO UPDATE SET root_id = excluded.root_id, size = excluded.size, "
            "mtime_ns = excluded.mtime_ns, inode = excluded.inode, state = 'pending', "
            "error = NULL, updated_at = excluded.updated_at",
            (root_id, to_db(path), size, mtime_ns, inode, now),
        )
        row = self.conn.execute("SELECT id FROM files WHERE path = ?", (to_db(path),)).fetchone()
        self.conn.execute("DELETE FROM ocr_queue WHERE file_id = ?", (row[0],))
        return int(row[0])

    def rename_file(self, file_id: int, new_path: str, root_id: int) -> None:
        old = self.conn.execute("SELECT path FROM files WHERE id = ?", (file_id,)).fetchone()
        self.conn.execute("UPDATE files SET path = ?, root_id = ?, updated_at = ? WHERE id = ?",
                          (to_db(new_path), root_id, time.time(), file_id))
        if old is not None:  # its members' paths start with the container's
            self.conn.execute(
                "UPDATE files SET path = ? || substr(path, ?), root_id = ? WHERE parent_id = ?",
                (to_db(new_path), len(old[0]) + 1, root_id, file_id))
        self._bump_generation()

    def touch_file(self, file_id: int, size: int, mtime_ns: int, inode: int) -> None:
        """Stat changed but content did not (same hash): keep everything, record the new stat."""
        self.conn.execute(
            "UPDATE files SET size = ?, mtime_ns = ?, inode = ?, updated_at = ? WHERE id = ?",
            (size, mtime_ns, inode, time.time(), file_id))

    def pending_files(self, limit: int | None = None) -> list[tuple[int, str]]:
        # Scan order. Large files first would end the phase sooner (0.5 s of the small tree's
        # 14), but then the largest run at the same time: the adversarial tree's two worst
        # files together took the indexer past its 1.5 GB budget.
        sql = "SELECT id, path FROM files WHERE state = 'pending' ORDER BY id"
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [(r[0], from_db(r[1])) for r in self.conn.execute(sql)]

    def file_hash_and_state(self, file_id: int) -> tuple[str | None, str, int] | None:
        r = self.conn.execute("SELECT hash, state, n_passages FROM files WHERE id = ?",
                              (file_id,)).fetchone()
        return (r[0], r[1], r[2]) if r else None

    def mark_failed(self, file_id: int, reason: str, *, state: str = "failed",
                    content_hash: str | None = None) -> None:
        """Record why a file cannot be indexed. It is not retried until its stat changes."""
        self._delete_passages_of(file_id)
        self.conn.execute("DELETE FROM ocr_queue WHERE file_id = ?", (file_id,))
        self.delete_members(file_id, keep=())
        self.conn.execute(
            "UPDATE files SET state = ?, error = ?, hash = COALESCE(?, hash), n_passages = 0, "
            "updated_at = ? WHERE id = ?",
            (state, reason[:1000], content_hash, time.time(), file_id))

    def restore_state(self, file_id: int) -> None:
        """Content unchanged after a stat change: return to the state its passages support."""
        self.conn.execute(
            "UPDATE files SET state = CASE WHEN n_passages = 0 THEN state "
            "WHEN NOT EXISTS (SELECT 1 FROM passages p LEFT JOIN vectors v "
            "  ON v.passage_id = p.id WHERE p.file_id = files.id AND v.seq IS NULL "
            f"  AND p.ord < {SEMANTIC_PASSAGES_PER_FILE}) "
            "THEN 'indexed' ELSE 'text' END, updated_at = ? WHERE id = ?",
            (time.time(), file_id))

    def store_text(self, file_id: int, *, content_hash: str, title: str, fmt: str,
                   sections: list[tuple[str, str, int, int]], passages: Sequence[NewPassage],
                   error: str | None = None) -> int:
        """Replace a file's passages with new ones; the file becomes keyword-searchable.

        Passages whose exact text was encoded before (in any file) reuse that encoding, so only
        new text reaches the models. Returns how many passages still need encoding.
        """
        old_ids = self._passage_ids(file_id)
        self._fts_delete(old_ids)  # while the old title is still in place
        # CJK text is indexed in its bigram form (core.text.cjk), kept next to the text so that
        # passage_docs, which FTS5 reads to delete and rebuild, gives what was indexed.
        fts_title = index_text(title)
        self.conn.execute(
            "UPDATE files SET hash = ?, title = ?, fts_title = ?, format = ?, sections = ?, "
            "n_passages = ?, state = 'text', error = ?, updated_at = ? WHERE id = ?",
            (content_hash, title, fts_title, fmt, json.dumps(sections), len(passages), error,
             time.time(), file_id))
        to_encode = self._insert_passages(file_id, fts_title or title, passages)
        # Old passages go last, so that unchanged text above could reuse their vectors.
        self._drop_passages(old_ids)
        if to_encode == 0:
            self.conn.execute("UPDATE files SET state = 'indexed' WHERE id = ?", (file_id,))
        self._bump_generation()
        return to_encode

    def _insert_passages(self, file_id: int, fts_title: str,
                         passages: Sequence[NewPassage]) -> int:
        """Add a file's passages to the passages table, the keyword index, and (where the same
        text was encoded before) the vectors; returns how many still need encoding.

        Three statements a file, not three a passage: statement overhead was half the parent's
        storing time. New rows get ids above every existing one (AUTOINCREMENT, one writer), so
        `id > last` selects exactly them, in the order they were inserted."""
        last = self.conn.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0]
        self.conn.executemany(
            "INSERT INTO passages(file_id, ord, start, end, page, section, hash, text, "
            "fts_body) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(file_id, p.ord, p.start, p.end, p.page, p.section, p.hash, p.text,
              index_text(p.text)) for p in passages])
        self.conn.execute(
            "INSERT INTO passages_fts(rowid, title, body) "
            "SELECT id, ?, COALESCE(fts_body, text) FROM passages WHERE id > ? ORDER BY id",
            (fts_title, last))
        encodable = sum(1 for p in passages if p.ord < SEMANTIC_PASSAGES_PER_FILE)
        if self.conn.execute("SELECT 1 FROM vectors LIMIT 1").fetchone() is None:
            return encodable  # nothing to reuse (a first keyword pass): skip the lookups
        # Encode-once: a passage whose text some other passage already has an encoding for
        # takes that one. The SELECT reads the vectors as they were before this statement,
        # which is what passage-by-passage inserts saw too: a new passage only ever had a
        # vector copied from an old one.
        reused = self.conn.execute(
            "INSERT INTO vectors(passage_id, dense, scale, sparse) "
            "SELECT p.id, v.dense, v.scale, v.sparse FROM passages p JOIN vectors v "
            "ON v.passage_id = (SELECT q.id FROM passages q JOIN vectors w "
            "ON w.passage_id = q.id WHERE q.hash = p.hash AND q.id != p.id LIMIT 1) "
            "WHERE p.id > ? ORDER BY p.id", (last,)).rowcount
        if reused <= 0:
            return encodable
        return int(self.conn.execute(
            "SELECT count(*) FROM passages p WHERE p.id > ? "
            f"AND p.ord < {SEMANTIC_PASSAGES_PER_FILE} "
            "AND NOT EXISTS (SELECT 1 FROM vectors v WHERE v.passage_id = p.id)",
            (last,)).fetchone()[0])

    # -- OCR ------------------------------------------------------------------------------------

    def wait_for_ocr(self, file_id: int, *, content_hash: str, title: str, fmt: str,
                     pages: Sequence[int]) -> None:
        """A file whose only text is in pixels: no passages until the OCR phase reads them."""
        self._delete_passages_of(file_id)
        self.conn.execute(
            "UPDATE files SET state = 'ocr', hash = ?, title = ?, fts_title = ?, format = ?, "
            "n_passages = 0, sections = NULL, error = NULL, updated_at = ? WHERE id = ?",
            (content_hash, title, index_text(title), fmt, time.time(), file_id))
        self.queue_ocr(file_id, pages)

    def queue_ocr(self, file_id: int, pages: Sequence[int]) -> None:
        self.conn.execute("DELETE FROM ocr_queue WHERE file_id = ?", (file_id,))
        self.conn.executemany("INSERT INTO ocr_queue(file_id, page) VALUES(?, ?)",
                              [(file_id, p) for p in pages])

    def ocr_jobs(self) -> list[OcrJob]:
        jobs: dict[int, OcrJob] = {}
        for fid, path, content_hash, fmt, size, mtime_ns, page in self.conn.execute(
                "SELECT f.id, f.path, f.hash, f.format, f.size, f.mtime_ns, q.page "
                "FROM ocr_queue q JOIN files f ON f.id = q.file_id WHERE f.hash IS NOT NULL "
                "ORDER BY f.id, q.page"):
            if fid not in jobs:
                jobs[fid] = OcrJob(fid, from_db(path), content_hash, fmt or "", size, mtime_ns, [])
            jobs[fid].pages.append(page)
        return list(jobs.values())

    def ocr_results(self, content_hash: str) -> dict[int, tuple[str, str | None]]:
        """page -> (text, note) of what OCR read in this content."""
        return {page: (text, note) for page, text, note in self.conn.execute(
            "SELECT page, text, note FROM ocr_pages WHERE hash = ?", (content_hash,))}

    def store_ocr_page(self, content_hash: str, page: int, text: str, note: str | None,
                       seconds: float) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO ocr_pages(hash, page, text, note, seconds) "
            "VALUES(?, ?, ?, ?, ?)", (content_hash, page, text, note, seconds))

    def ocr_done(self, file_id: int) -> None:
        """The file's recognised text is stored: it leaves the queue."""
        self.conn.execute("DELETE FROM ocr_queue WHERE file_id = ?", (file_id,))

    def ocr_problems(self) -> list[tuple[str, str]]:
        """(path, "page N: why") of pages OCR could not read, in files still listed."""
        return [(from_db(path), f"page {page}: {note}") for path, page, note in self.conn.execute(
            "SELECT f.path, o.page, o.note FROM files f JOIN ocr_pages o ON o.hash = f.hash "
            "WHERE o.text = '' AND o.note IS NOT NULL AND o.note != 'no text recognised' "
            "AND f.state IN ('text', 'indexed') ORDER BY f.path, o.page")]

    def ocr_pages_waiting(self) -> int:
        return int(self.conn.execute(
            "SELECT count(*) FROM ocr_queue q JOIN files f ON f.id = q.file_id "
            "WHERE NOT EXISTS (SELECT 1 FROM ocr_pages o WHERE o.hash = f.hash "
            "AND o.page = q.page)").fetchone()[0])

    # -- members (archive members, attachments) -----------------------------------------------

    def upsert_member(self, parent_id: int, path: str, size: int, mtime_ns: int) -> int:
        """The row of a document inside the file `parent_id`, made ready to store into."""
        self.conn.execute(
            "INSERT INTO files(root_id, parent_id, path, size, mtime_ns, inode, state, "
            "updated_at) SELECT root_id, id, ?, ?, ?, 0, 'pending', ? FROM files WHERE id = ? "
            "ON CONFLICT(path) DO UPDATE SET parent_id = excluded.parent_id, "
            "root_id = excluded.root_id, size = excluded.size, mtime_ns = excluded.mtime_ns, "
            "state = 'pending', error = NULL, updated_at = excluded.updated_at",
            (to_db(path), size, mtime_ns, time.time(), parent_id))
        row = self.conn.execute("SELECT id FROM files WHERE path = ?", (to_db(path),)).fetchone()
        return int(row[0])

    def store_container(self, file_id: int, *, content_hash: str, title: str, fmt: str,
                        note: str | None) -> None:
        """An archive: searchable through its members, it holds no passages of its own."""
        self._delete_passages_of(file_id)
        self.conn.execute(
            "UPDATE files SET state = 'indexed', hash = ?, title = ?, fts_title = ?, format = ?, "
            "n_passages = 0, sections = NULL, error = ?, updated_at = ? WHERE id = ?",
            (content_hash, title, index_text(title), fmt, note, time.time(), file_id))
        self._bump_generation()

    def member_hashes(self, parent_id: int) -> dict[str, tuple[int, str | None, int]]:
        """path -> (id, content hash, passages) of the members stored for a container."""
        return {from_db(p): (fid, h, n) for fid, p, h, n in self.conn.execute(
            "SELECT id, path, hash, n_passages FROM files WHERE parent_id = ?", (parent_id,))}

    def delete_members(self, parent_id: int, keep: Iterable[int]) -> None:
        """Forget the members of a container except `keep` (those it still holds)."""
        kept = set(keep)
        gone = [fid for (fid,) in self.conn.execute(
            "SELECT id FROM files WHERE parent_id = ?", (parent_id,)) if fid not in kept]
        if gone:
            self.delete_files(gone)

    def delete_files(self, file_ids: Iterable[int]) -> None:
        ids = list(file_ids)
        with self.transaction():
            for fid in ids:
                self.delete_members(fid, keep=())
                self._delete_passages_of(fid)
                self.conn.execute("DELETE FROM ocr_queue WHERE file_id = ?", (fid,))
                self.conn.execute("DELETE FROM files WHERE id = ?", (fid,))
            if ids:
                self._bump_generation()

    def _delete_passages_of(self, file_id: int) -> None:
        ids = self._passage_ids(file_id)
        self._fts_delete(ids)
        self._drop_passages(ids)

    def _passage_ids(self, file_id: int) -> list[int]:
        return [r[0] for r in self.conn.execute("SELECT id FROM passages WHERE file_id = ?",
                                                (file_id,))]

    def _fts_delete(self, passage_ids: list[int]) -> None:
        # The FTS 'delete' command needs the exact indexed values (title included, in their
        # CJK bigram form where they have one: passage_docs gives that), so it runs before the
        # passages or the file's title change.
        for chunk in _chunks(passage_ids, 900):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "INSERT INTO passages_fts(passages_fts, rowid, title, body) "
                f"SELECT 'delete', id, title, body FROM passage_docs WHERE id IN ({marks})", chunk)

    def _drop_passages(self, passage_ids: list[int]) -> None:
        for chunk in _chunks(passage_ids, 900):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "INSERT INTO tombstones(passage_id) "
                f"SELECT passage_id FROM vectors WHERE passage_id IN ({marks})", chunk)
            self.conn.execute(f"DELETE FROM vectors WHERE passage_id IN ({marks})", chunk)
            self.conn.execute(f"DELETE FROM passages WHERE id IN ({marks})", chunk)

    # -- encoding queue -------------------------------------------------------------------------

    def passages_to_encode(self, limit: int, after_id: int = 0) -> list[PassageToEncode]:
        """Passages of keyword-only files that have no vectors yet, in id order."""
        # CROSS JOIN keeps passages the outer loop, walked in id order from after_id. Left to
        # itself the planner sorted every waiting passage for each batch (0.28 s at 393k
        # waiting, the encoders idle meanwhile; now 0.1 ms).
        cur = self.conn.execute(
            "SELECT p.id, p.file_id, p.hash, f.title, p.text FROM passages p "
            "CROSS JOIN files f ON f.id = p.file_id LEFT JOIN vectors v ON v.passage_id = p.id "
            "WHERE f.state = 'text' AND v.seq IS NULL AND p.id > ? "
            f"AND p.ord < {SEMANTIC_PASSAGES_PER_FILE} ORDER BY p.id LIMIT ?",
            (after_id, limit))
        return [PassageToEncode(*r) for r in cur]

    def vectors_by_hash(self, hashes: Sequence[bytes]) -> dict[bytes, tuple[bytes, float, bytes]]:
        """Encodings of passages with these texts, wherever they are (encode-once)."""
        out: dict[bytes, tuple[bytes, float, bytes]] = {}
        unique = list(dict.fromkeys(hashes))
        for chunk in _chunks(unique, 900):
            marks = ",".join("?" * len(chunk))
            for h, dense, scale, sparse in self.conn.execute(
                    f"SELECT p.hash, v.dense, v.scale, v.sparse FROM passages p "
                    f"JOIN vectors v ON v.passage_id = p.id WHERE p.hash IN ({marks})", chunk):
                out[h] = (dense, scale, sparse)
        return out

    def drop_vectors(self, keep_dense: bool) -> None:
        """Forget every passage's vectors (a model changed) and queue their files to be encoded
        again. With `keep_dense` the dense encodings wait in kept_dense, by passage text."""
        if keep_dense:
            self.conn.execute("INSERT OR IGNORE INTO kept_dense(hash, dense, scale) "
                              "SELECT p.hash, v.dense, v.scale FROM vectors v "
                              "JOIN passages p ON p.id = v.passage_id")
        else:
            self.conn.execute("DELETE FROM kept_dense")
        self.conn.execute("INSERT INTO tombstones(passage_id) SELECT passage_id FROM vectors")
        self.conn.execute("DELETE FROM vectors")
        self.conn.execute("UPDATE files SET state = 'text' WHERE state = 'indexed' "
                          "AND n_passages > 0")
        self._bump_generation()

    def kept_dense(self, hashes: Sequence[bytes]) -> dict[bytes, tuple[bytes, float]]:
        out: dict[bytes, tuple[bytes, float]] = {}
        for chunk in _chunks(list(hashes), 900):
            marks = ",".join("?" * len(chunk))
            for h, dense, scale in self.conn.execute(
                    f"SELECT hash, dense, scale FROM kept_dense WHERE hash IN ({marks})", chunk):
                out[h] = (dense, scale)
        return out

    def clear_kept_dense(self) -> None:
        self.conn.execute("DELETE FROM kept_dense")

    def sparse_terms_per_passage(self) -> float:
        """Mean postings a passage adds to the sparse index (a 4-byte scale, then 3 bytes a
        term in the blob: core.store.codec)."""
        return float(self.conn.execute(
            "SELECT COALESCE(AVG(length(sparse) - 4), 0) / 3.0 FROM vectors").fetchone()[0])

    def count_to_encode(self) -> int:
        return int(self.conn.execute(
            "SELECT count(*) FROM files f JOIN passages p ON p.file_id = f.id "
            "LEFT JOIN vectors v ON v.passage_id = p.id "
            "WHERE f.state = 'text' AND v.seq IS NULL "
            f"AND p.ord < {SEMANTIC_PASSAGES_PER_FILE}").fetchone()[0])

    def store_vectors(self, rows: Sequence[VectorRow]) -> int:
        """Store encodings and promote files whose passages are all encoded; returns how many
        files became fully indexed."""
        self.conn.executemany(
            "INSERT OR IGNORE INTO vectors(passage_id, dense, scale, sparse) "
            "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM passages WHERE id = ?)",
            [(r.passage_id, r.dense, r.scale, r.sparse, r.passage_id) for r in rows])
        ids = [r.passage_id for r in rows]
        promoted = 0
        for chunk in _chunks(ids, 500):
            marks = ",".join("?" * len(chunk))
            promoted += self.conn.execute(
                f"UPDATE files SET state = 'indexed', updated_at = ? WHERE state = 'text' AND "
                f"id IN (SELECT DISTINCT file_id FROM passages WHERE id IN ({marks})) AND "
                "NOT EXISTS (SELECT 1 FROM passages p LEFT JOIN vectors v "
                "ON v.passage_id = p.id WHERE p.file_id = files.id AND v.seq IS NULL "
                f"AND p.ord < {SEMANTIC_PASSAGES_PER_FILE})",
                (time.time(), *chunk)).rowcount
        self._bump_generation()
        return promoted

    # -- reading for search ----------------------------------------------------------------------

    def vectors_since(self, seq: int, limit: int = 50_000) -> list[tuple[int, int, bytes, float,
                                                                        bytes]]:
        return self.conn.execute(
            "SELECT seq, passage_id, dense, scale, sparse FROM vectors WHERE seq > ? "
            "ORDER BY seq LIMIT ?", (seq, limit)).fetchall()

    def tombstones_since(self, seq: int) -> list[tuple[int, int]]:
        return self.conn.execute(
            "SELECT seq, passage_id FROM tombstones WHERE seq > ? ORDER BY seq", (seq,)).fetchall()

    def dense_vectors(self, passage_ids: Sequence[int]) -> dict[int, tuple[bytes, float]]:
        out: dict[int, tuple[bytes, float]] = {}
        for chunk in _chunks(list(passage_ids), 900):
            marks = ",".join("?" * len(chunk))
            for pid, dense, scale in self.conn.execute(
                    f"SELECT passage_id, dense, scale FROM vectors WHERE passage_id IN ({marks})",
                    chunk):
                out[pid] = (dense, scale)
        return out

    # -- status ---------------------------------------------------------------------------------

    def state_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "text", "indexed", "failed", "skipped", "ocr"), 0)
        for state, n in self.conn.execute("SELECT state, count(*) FROM files GROUP BY state"):
            counts[state] = n
        return counts

    def passage_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM passages").fetchone()[0])

    def failed_files(self, states: Sequence[str] = ("failed",)) -> list[tuple[str, str, str]]:
        marks = ",".join("?" * len(states))
        rows = self.conn.execute(
            f"SELECT path, COALESCE(error, ''), state FROM files WHERE state IN ({marks}) "
            "ORDER BY path", tuple(states)).fetchall()
        return [(from_db(p), e, s) for p, e, s in rows]


def _root(row: dict) -> Root:
    return Root(id=row["id"], path=from_db(row["path"]), excludes=json.loads(row["excludes"]),
                added_at=row["added_at"], last_scan=row["last_scan"])


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
