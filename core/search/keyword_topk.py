"""Exact BM25 top-k for keyword queries whose words match a large part of the index.

FTS5 ranks every passage an OR query matches (`ORDER BY rank` scores and sorts them all): five
common words of the 30,000-file tree match 145,000 of its 448,000 passages, a quarter of a second.
BM25 is a sum over the query's words, and no passage gets more than idf x (k1 + 1) from a word,
so (MaxScore) a passage holding none of the query's rarer words cannot beat the k-th best passage
holding one, once the bounds of the common words sum below that passage's score. The rarer
words' passages are few: scored with the whole expression by bm25(), which SQLite evaluates only
for rows that pass the filter (unlike `rank`), they give the same top-k as FTS5's own ranking.
Where the bound does not hold, FTS5 ranks the whole match as before.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Sequence

K1 = 1.2  # FTS5's bm25 constants (b = 0.75 keeps the length norm >= 0.25, so the bound holds)
LARGE_MATCH = 20_000  # matched rows (summed over words) from which the two steps pay off
# Passages scored by the two steps, as a share of those FTS5 would score: beyond, no gain.
FIRST_STEP_SHARE = 0.3
WORTH_IT_SHARE = 0.7
MIN_IDF = 1e-6  # FTS5 floors a word's idf here


class KeywordStats:
    """Passages per word and (at least) passages in all, cached per connection until the catalog
    changes (SQLite's data_version moves when another connection commits)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[int, int, dict[str, int]]] = {}

    def _entry(self, conn: sqlite3.Connection) -> tuple[int, dict[str, int]]:
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        with self._lock:
            cached = self._cache.get(id(conn))
            if cached is not None and cached[0] == version:
                return cached[1], cached[2]
        # The largest passage id, not count(*) (a scan of the table on every change while
        # indexing): never fewer than the rows FTS5 counts, and a word's idf only grows with
        # that number, so a bound from it is still a bound.
        rows = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM passages").fetchone()[0])
        with self._lock:
            self._cache[id(conn)] = (version, rows, {})
        return rows, self._cache[id(conn)][2]

    def rows_and_df(self, conn: sqlite3.Connection, terms: Sequence[str]
                    ) -> tuple[int, list[int]]:
        rows, known = self._entry(conn)
        out = []
        for term in terms:
            if term not in known:
                known[term] = int(conn.execute(
                    "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?",
                    (term,)).fetchone()[0])
            out.append(known[term])
        return rows, out


def _bound(rows: int, df: int) -> float:
    """The most one word can add to a passage's BM25 score in FTS5."""
    return max(math.log((rows - df + 0.5) / (df + 0.5)), MIN_IDF) * (K1 + 1)


def top_k(conn: sqlite3.Connection, terms: Sequence[str], k: int, rank_function: str,
          stats: KeywordStats) -> list[tuple[int, float]] | None:
    """The k best (passage id, BM25 score) for `terms` OR'ed (FTS5 expressions of one word
    each), or None when FTS5 should rank the whole match itself (small, or no cheaper).

    1. The rarest words until they match k passages: the k-th best score among those, counting
       those words only, is a floor for the k-th best score of the whole query.
    2. The most common words whose bounds sum below that floor can be left out of the search
       for candidates: a passage holding only them scores below the floor.
    3. The passages holding any other word, scored by the whole query, hold the top k.
    """
    if k <= 0 or len(terms) < 2:
        return None
    rows, df = stats.rows_and_df(conn, terms)
    total = sum(df)
    if total < LARGE_MATCH:
        return None
    order = sorted(range(len(terms)), key=lambda i: df[i])
    first: list[int] = []
    for i in order:
        first.append(i)
        if sum(df[j] for j in first) >= k:
            break
    cost = sum(df[i] for i in first)
    if cost > FIRST_STEP_SHARE * total or len(first) == len(terms):
        return None
    found = _ranked(conn, " OR ".join(terms[i] for i in first), None, k, rank_function)
    if len(found) < k:
        return None
    floor = -float(found[-1][1])
    common: list[int] = []
    for i in reversed(order):
        if sum(_bound(rows, df[j]) for j in [*common, i]) >= floor:
            break
        common.append(i)
    rest = [i for i in order if i not in common]
    cost += sum(df[i] for i in rest)
    if not common or cost > WORTH_IT_SHARE * total:
        return None
    found = _ranked(conn, "(" + " OR ".join(terms) + ")", " OR ".join(terms[i] for i in rest), k,
                    rank_function)
    return [(int(pid), -float(score)) for pid, score in found]


def _ranked(conn: sqlite3.Connection, expression: str, candidates: str | None, k: int,
            rank_function: str) -> list[tuple[int, float]]:
    """bm25 of `expression` for the passages matching `candidates` (all when None), best
    first. `+rowid` keeps the filter out of FTS5's own plan, which would run the whole
    expression once per candidate."""
    where = "" if candidates is None else (
        "AND +rowid IN (SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?) ")
    args = (expression, k) if candidates is None else (expression, candidates, k)
    return conn.execute(
        f"SELECT rowid, {rank_function} AS s FROM passages_fts WHERE passages_fts MATCH ? "
        f"{where}ORDER BY s, rowid LIMIT ?", args).fetchall()
