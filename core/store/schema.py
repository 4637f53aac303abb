"""The catalog's schema and its migrations.

Each migration moves the catalog from version i to i + 1 and runs inside one transaction, so a
crash mid-migration leaves the previous version intact.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from core.store.cjk_migration import DamagedKeywordIndex, segment_cjk
from core.store.sparse_migration import compact_sparse

SCHEMA_V1 = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE roots (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    excludes TEXT NOT NULL DEFAULT '[]',   -- JSON list of glob patterns
    added_at REAL NOT NULL,
    last_scan REAL
);

-- state: pending (waits for extraction) | text (keyword-searchable, waits for encoding)
--        | indexed | failed | skipped (not a document) | ocr (no text until OCR reads it; v3)
CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    root_id INTEGER NOT NULL REFERENCES roots(id),
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    inode INTEGER NOT NULL,
    hash TEXT,
    format TEXT,
    title TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    error TEXT,
    n_passages INTEGER NOT NULL DEFAULT 0,
    sections TEXT,                          -- JSON: [[kind, label, start, level], ...]
    updated_at REAL NOT NULL
);
CREATE INDEX files_root ON files(root_id);
CREATE INDEX files_state ON files(state);

-- hash: digest of the exact string the encoders see, so identical passages are encoded once.
CREATE TABLE passages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    file_id INTEGER NOT NULL REFERENCES files(id),
    ord INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    page INTEGER,
    section TEXT,
    hash BLOB NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX passages_file ON passages(file_id);
CREATE INDEX passages_hash ON passages(hash);

-- seq orders insertions so that readers can follow new vectors by a watermark.
CREATE TABLE vectors (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    passage_id INTEGER NOT NULL UNIQUE REFERENCES passages(id),
    dense BLOB NOT NULL,
    scale REAL NOT NULL,
    sparse BLOB NOT NULL
);

-- Passages deleted after their vectors were stored; readers apply them to their derived indexes.
CREATE TABLE tombstones (seq INTEGER PRIMARY KEY AUTOINCREMENT, passage_id INTEGER NOT NULL);

CREATE VIEW passage_docs AS
    SELECT p.id AS id, f.title AS title, p.text AS body
    FROM passages p JOIN files f ON f.id = p.file_id;

-- External content: the text lives once, in passages; the FTS index is kept in sync by the
-- catalog (not by triggers, because the title comes from the files table).
CREATE VIRTUAL TABLE passages_fts USING fts5(
    title, body, content='passage_docs', content_rowid='id',
    tokenize='porter unicode61 remove_diacritics 2'
);
"""

# Dense encodings kept while only the sparse model changed (core.api `Engine._check_models`): the
# re-encode then runs the sparse model alone for these passage texts. Emptied when it completes.
SCHEMA_V2 = """
CREATE TABLE kept_dense (hash BLOB PRIMARY KEY, dense BLOB NOT NULL, scale REAL NOT NULL);
"""

# Documents inside documents (core.members): an archive member or an attachment is a file row
# whose parent is the file on disk holding it; it goes when its parent goes or is read again.
# OCR (core.ocr_phase). The queue: pages of a file whose text is only in pixels; a file leaves it
# when its recognised text is stored. The results, by content hash and page, so a renamed or
# copied scan is never read twice and a kill mid-document loses no page already read.
SCHEMA_V3 = """
ALTER TABLE files ADD COLUMN parent_id INTEGER REFERENCES files(id);
CREATE INDEX files_parent ON files(parent_id);
CREATE TABLE ocr_queue (
    file_id INTEGER NOT NULL REFERENCES files(id),
    page INTEGER NOT NULL,
    PRIMARY KEY (file_id, page)
) WITHOUT ROWID;
CREATE TABLE ocr_pages (
    hash TEXT NOT NULL,
    page INTEGER NOT NULL,
    text TEXT NOT NULL,
    note TEXT,                              -- why nothing was read (timed out, too large...)
    seconds REAL NOT NULL,
    PRIMARY KEY (hash, page)
) WITHOUT ROWID;
"""

# Chinese, Japanese and Korean keyword search (core.text.cjk): what the keyword index holds for a
# passage or title with CJK text, its runs cut into bigrams; NULL for all other text, which is
# indexed as it is. The index reads passage_docs, so index and view agree and FTS5's 'rebuild'
# and 'integrity-check' keep working. Passages stored before are redone by core.store.cjk_migration.
SCHEMA_V4 = """
ALTER TABLE passages ADD COLUMN fts_body TEXT;
ALTER TABLE files ADD COLUMN fts_title TEXT;
DROP VIEW passage_docs;
CREATE VIEW passage_docs AS
    SELECT p.id AS id, COALESCE(f.fts_title, f.title) AS title,
           COALESCE(p.fts_body, p.text) AS body
    FROM passages p JOIN files f ON f.id = p.file_id;
"""

# Sparse weights as uint8 levels of a per-passage scale instead of float16 (core.store.codec):
# no table changes, core.store.sparse_migration rewrites the stored vectors; the posting
# segments take a new name (core.store.sparse_index.STEM), so old ones are never read.
SCHEMA_V5 = ""

# The keyword index's definition, for rebuilding it under another name (core.store.consistency).
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"  # as in the CREATE above
FTS_OPTIONS = ("title, body, content='passage_docs', content_rowid='id', "
               f"tokenize='{FTS_TOKENIZER}'")

# MIGRATIONS[i] upgrades version i to i + 1. Version 0 is an empty database.
MIGRATIONS: list[str] = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3, SCHEMA_V4, SCHEMA_V5]
SCHEMA_VERSION = len(MIGRATIONS)


# STEPS[i] runs after MIGRATIONS[i]'s statements, in the same transaction: work SQL cannot do.
# Its flag is False when a first try found the keyword index damaged (DamagedKeywordIndex).
STEPS: dict[int, Callable[[sqlite3.Connection, bool], None]] = {3: segment_cjk,
                                                              4: compact_sparse}


class SchemaError(Exception):
    pass


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the catalog to SCHEMA_VERSION; returns the version it started from."""
    start = current_version(conn)
    if start > SCHEMA_VERSION:
        raise SchemaError(
            f"this index was written by a newer Spyglass (schema {start}, "
            f"this version reads up to {SCHEMA_VERSION})"
        )
    for version in range(start, SCHEMA_VERSION):
        try:
            _migrate_one(conn, version, keyword_index_readable=True)
        except DamagedKeywordIndex:
            _migrate_one(conn, version, keyword_index_readable=False)
    return start


def _migrate_one(conn: sqlite3.Connection, version: int, keyword_index_readable: bool) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _statements(MIGRATIONS[version]):
            conn.execute(statement)
        if version in STEPS:
            STEPS[version](conn, keyword_index_readable)
        conn.execute(f"PRAGMA user_version = {version + 1}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """Split a script into statements (executescript would commit our transaction)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    return statements
