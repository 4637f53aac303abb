"""What this machine has published to one shared index, kept beside the local index.

A file's row says which passages went out and which terms they hold (so a deletion takes its
share out of the document frequencies); `df` holds the frequencies and the statistics, each
flagged until the shared index has them. A file's row and its frequencies change in one
transaction after its passages are in Milvus: killed before, the next run sends them again
(upserts, after deleting the path's rows, so nothing is doubled); killed after, the flagged
frequencies go out first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.shared.layout import STATS

SCHEMA = """
CREATE TABLE IF NOT EXISTS published (
    path TEXT PRIMARY KEY,
    signature TEXT NOT NULL,   -- the local file's state when it was sent
    passages BLOB NOT NULL,    -- int64 passage ids
    terms BLOB NOT NULL,       -- int64 term keys of its passages
    counts BLOB NOT NULL       -- int32: how many of its passages hold each
);
CREATE TABLE IF NOT EXISTS df (key INTEGER PRIMARY KEY, df INTEGER NOT NULL,
                               dirty INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS df_dirty ON df(dirty) WHERE dirty = 1;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class FileRecord:
    path: str
    signature: str
    passages: np.ndarray
    terms: np.ndarray
    counts: np.ndarray


class PublishState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def signatures(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT path, signature FROM published"))

    def records(self, paths: Iterable[str]) -> dict[str, FileRecord]:
        out = {}
        paths = list(paths)
        for i in range(0, len(paths), 900):
            chunk = paths[i:i + 900]
            for path, sig, p, t, c in self.conn.execute(
                    f"SELECT * FROM published WHERE path IN ({','.join('?' * len(chunk))})",
                    chunk):
                out[path] = FileRecord(path, sig, np.frombuffer(p, np.int64),
                                       np.frombuffer(t, np.int64), np.frombuffer(c, np.int32))
        return out

    def stats(self) -> dict[int, int]:
        rows = dict(self.conn.execute(
            f"SELECT key, df FROM df WHERE key IN ({','.join('?' * len(STATS))})", STATS))
        return {k: int(rows.get(k, 0)) for k in STATS}

    def replace(self, old: Iterable[FileRecord], new: Iterable[FileRecord],
                stats_delta: dict[int, int]) -> None:
        """Files' rows swapped and the frequencies moved by their difference, atomically."""
        delta: dict[int, int] = dict(stats_delta)
        with_new = list(new)
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for rec in old:
                for k, c in zip(rec.terms.tolist(), rec.counts.tolist(), strict=True):
                    delta[k] = delta.get(k, 0) - c
                self.conn.execute("DELETE FROM published WHERE path = ?", (rec.path,))
            for rec in with_new:
                for k, c in zip(rec.terms.tolist(), rec.counts.tolist(), strict=True):
                    delta[k] = delta.get(k, 0) + c
                self.conn.execute(
                    "INSERT OR REPLACE INTO published VALUES (?, ?, ?, ?, ?)",
                    (rec.path, rec.signature, rec.passages.astype(np.int64).tobytes(),
                     rec.terms.astype(np.int64).tobytes(), rec.counts.astype(np.int32).tobytes()))
            self.conn.executemany(
                "INSERT INTO df(key, df, dirty) VALUES (?, ?, 1) ON CONFLICT(key) DO UPDATE "
                "SET df = df + excluded.df, dirty = 1",
                [(k, d) for k, d in delta.items() if d])
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def dirty(self) -> list[tuple[int, int]]:
        return self.conn.execute("SELECT key, df FROM df WHERE dirty = 1").fetchall()

    def mark_clean(self, keys: list[int]) -> None:
        self.conn.execute("BEGIN")
        for i in range(0, len(keys), 900):
            chunk = keys[i:i + 900]
            marks = ",".join("?" * len(chunk))
            self.conn.execute(f"UPDATE df SET dirty = 0 WHERE key IN ({marks})",
                              chunk)
        self.conn.execute("COMMIT")

    def forget(self) -> None:
        """Everything, for a collection that was dropped or replaced on the server."""
        self.conn.executescript("DELETE FROM published; DELETE FROM df; DELETE FROM meta;")
