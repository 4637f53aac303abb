"""What a query's filters and operators leave: the passages its filters (ext:, in:, after:,
before:) and required "phrases" allow, and the files its -exclusions rule out."""

from __future__ import annotations

import sqlite3

import numpy as np

from core.pathcodec import to_db
from core.search import lexical
from core.search.query import Query


def allowed_passages(conn: sqlite3.Connection, query: Query) -> np.ndarray | None:
    """Passage ids allowed by filters and required phrases; None when unrestricted."""
    allowed: np.ndarray | None = None
    f = query.filters
    if not f.is_empty():
        where, args = [], []
        if f.extensions:
            where.append("(" + " OR ".join("lower(f.path) LIKE ?" for _ in f.extensions) + ")")
            args.extend(f"%.{e}" for e in f.extensions)
        if f.folders:  # substr, not LIKE: LIKE ignores case
            where.append("(" + " OR ".join("substr(f.path, 1, ?) = ?"
                                           for _ in f.folders) + ")")
            for folder in f.folders:
                prefix = to_db(folder.rstrip("/")) + "/"
                args.extend([len(prefix), prefix])
        if f.after is not None:
            where.append("f.mtime_ns >= ?")
            args.append(int(f.after * 1e9))
        if f.before is not None:
            where.append("f.mtime_ns < ?")
            args.append(int(f.before * 1e9))
        rows = conn.execute(
            "SELECT p.id FROM passages p JOIN files f ON f.id = p.file_id WHERE "
            + " AND ".join(where), args).fetchall()
        allowed = np.asarray(sorted(r[0] for r in rows), dtype=np.int64)
    phrases = lexical.phrase_expression(query.phrases)
    if phrases:
        try:
            ids = lexical.matching_ids(conn, phrases)
        except Exception:
            ids = []
        phrase_ids = np.asarray(sorted(ids), dtype=np.int64)
        allowed = phrase_ids if allowed is None else np.intersect1d(allowed, phrase_ids)
    return allowed


def blocked_files(conn: sqlite3.Connection, query: Query) -> set[int]:
    if not query.excluded:
        return set()
    expression = lexical.exclusion_expression(query.excluded)
    if expression is None:
        return set()
    try:
        rows = conn.execute(
            "SELECT DISTINCT p.file_id FROM passages_fts JOIN passages p "
            "ON p.id = passages_fts.rowid WHERE passages_fts MATCH ?", (expression,))
        return {r[0] for r in rows}
    except Exception:
        return set()
