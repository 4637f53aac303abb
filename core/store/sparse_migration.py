"""Schema v5's data step: every stored sparse vector rewritten from float16 weights to uint8
levels of a per-passage scale (core.store.codec), in the migration's own transaction."""

from __future__ import annotations

import sqlite3

from core.store.codec import legacy_blob_to_sparse, sparse_to_blob

_BATCH = 5_000


def compact_sparse(conn: sqlite3.Connection, _keyword_index_readable: bool) -> None:
    last = 0
    while rows := conn.execute("SELECT seq, sparse FROM vectors WHERE seq > ? ORDER BY seq "
                               "LIMIT ?", (last, _BATCH)).fetchall():
        conn.executemany("UPDATE vectors SET sparse = ? WHERE seq = ?",
                         [(sparse_to_blob(*legacy_blob_to_sparse(blob)), seq)
                          for seq, blob in rows])
        last = rows[-1][0]
