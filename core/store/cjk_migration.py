"""Schema v4's data step (core.store.schema STEPS): the CJK passages and titles of an index
written before Chinese, Japanese and Korean keyword search get their bigram form (core.text.cjk)
and their keyword-index rows replaced. Runs inside the migration's transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from core.text.cjk import has_cjk, index_text


class DamagedKeywordIndex(Exception):
    """The keyword index could not be read while migrating. FTS5 then fails every later
    statement of the transaction, so the migration starts again without touching it."""


def segment_cjk(conn: sqlite3.Connection, keyword_index_readable: bool) -> None:
    """Give the CJK passages and titles of an index written before v4 their bigram form, and
    replace their keyword-index rows. Costs nothing where no CJK was ever indexed: the keyword
    index's own vocabulary says so before any passage is read.

    A keyword index too damaged to read must not stop the catalog from opening: then the
    columns are set all the same, and `spyglass doctor` finds the index not matching its
    passages and rebuilds it from them."""
    titles = {fid: index_text(title) for fid, title in conn.execute("SELECT id, title FROM files")
              if has_cjk(title)}
    try:
        every = not keyword_index_readable or _indexed_cjk(conn)
        for batch in _passage_batches(conn, None if every else list(titles)):
            redo = []  # (id, title and text as indexed until now, their new forms)
            for pid, fid, title, text in batch:
                body = index_text(text)
                if body is not None or fid in titles:
                    redo.append((pid, title, text, titles.get(fid, title), body))
            conn.executemany("UPDATE passages SET fts_body = ? WHERE id = ?",
                             [(body, pid) for pid, *_, body in redo if body is not None])
            if keyword_index_readable:
                # The rows up to v3 hold the title and text as they are: 'delete' needs them.
                conn.executemany(
                    "INSERT INTO passages_fts(passages_fts, rowid, title, body) "
                    "VALUES('delete', ?, ?, ?)", [(pid, title, text)
                                                  for pid, title, text, _, _ in redo])
                conn.executemany(
                    "INSERT INTO passages_fts(rowid, title, body) VALUES(?, ?, ?)",
                    [(pid, new_title, body or text) for pid, _, text, new_title, body in redo])
        conn.executemany("UPDATE files SET fts_title = ? WHERE id = ?",
                         [(fts_title, fid) for fid, fts_title in titles.items()])
    except sqlite3.DatabaseError as e:
        if keyword_index_readable and e.sqlite_errorcode & 0xFF == sqlite3.SQLITE_CORRUPT:
            raise DamagedKeywordIndex from e
        raise  # a full disk, say: the migration stops and is tried again next time


def _passage_batches(conn: sqlite3.Connection, files: list[int] | None
                     ) -> Iterator[list[tuple[int, int, str, str]]]:
    """(id, file id, title, text) of every passage, or of those of `files`, a thousand at a
    time: a large index's text never sits in memory at once, and no read runs while the same
    tables are written."""
    if files is not None:
        for i in range(0, len(files), 900):
            chunk = files[i:i + 900]
            yield conn.execute(
                "SELECT p.id, p.file_id, f.title, p.text FROM passages p JOIN files f "
                f"ON f.id = p.file_id WHERE p.file_id IN ({','.join('?' * len(chunk))})",
                chunk).fetchall()
        return
    last = 0
    while True:
        batch = conn.execute(
            "SELECT p.id, p.file_id, f.title, p.text FROM passages p JOIN files f "
            "ON f.id = p.file_id WHERE p.id > ? ORDER BY p.id LIMIT 1000", (last,)).fetchall()
        if not batch:
            return
        yield batch
        last = batch[-1][0]


def _indexed_cjk(conn: sqlite3.Connection) -> bool:
    """Whether the keyword index holds a CJK term in a passage's text (titles are few and
    looked at one by one). The vocabulary table reads only the terms from U+1100 up: none in
    an English index, and the first CJK one ends the search."""
    conn.execute("CREATE VIRTUAL TABLE temp.cjk_terms USING fts5vocab(main, passages_fts, col)")
    cur = conn.execute("SELECT term FROM temp.cjk_terms WHERE term >= ? AND col = 'body'",
                       ("\u1100",))
    try:
        found = any(has_cjk(term) for (term,) in cur)
    finally:
        cur.close()  # a statement still running on it would stop the DROP
    conn.execute("DROP TABLE temp.cjk_terms")
    return found
