"""Which candidate passages are surely in another language than the query, in a multilingual
index: fusion does not hold the keyword and related-terms lists against them."""

from __future__ import annotations

import sqlite3

from core.search.query import Query
from core.text.language import different_languages, evidence


class PassageLanguages:
    """Each candidate passage's language evidence, read once per catalog generation."""

    def __init__(self) -> None:
        self._evidence: dict[int, tuple[str | None, str]] = {}  # passage id -> its evidence
        self._generation = -1

    def foreign(self, conn: sqlite3.Connection, generation: int, query: Query,
                lists: dict[str, dict[int, float]]) -> set[int]:
        if self._generation != generation:
            self._evidence.clear()  # passage ids of deleted passages may be used again
            self._generation = generation
        wanted = [p for p in {p for s in lists.values() for p in s} if p not in self._evidence]
        for i in range(0, len(wanted), 900):
            chunk = wanted[i:i + 900]
            for pid, text in conn.execute(
                    f"SELECT id, text FROM passages WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk):
                self._evidence[pid] = evidence(text)
        mine = evidence(query.text)
        return {p for s in lists.values() for p in s
                if p in self._evidence and different_languages(mine, self._evidence[p])}
