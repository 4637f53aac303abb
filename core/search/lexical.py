"""Keyword retrieval with SQLite FTS5 (BM25), and FTS5 expressions built safely from a Query."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from core.search.query import Query
from core.search.stopwords import STOP_WORDS
from core.text.cjk import has_cjk, is_cjk_char, query_terms, segment

# The title column repeats on every passage of a file, so an equal weight already favours title
# words. Measured (bm25 nDCG@10, title weight 0 / 1 / 2 / 4): scifact .681/.684/.680/.679,
# nfcorpus .328/.333/.332/.330, cranfield .368/.372/.371/.370, cisi .356/.359/.355/.355.
TITLE_WEIGHT = 1.0
BODY_WEIGHT = 1.0
RANK_FUNCTION = f"bm25(passages_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})"  # as `rank MATCH` below


def quote(text: str) -> str:
    """An FTS5 string literal: operators and punctuation inside it lose their meaning."""
    return '"' + text.replace('"', '""') + '"'


def _terms(word: str) -> list[str]:
    # \w+ words, lower-cased; CJK runs as the bigrams the index holds (core.text.cjk)
    return query_terms(word)


def _term(term: str) -> str:
    """One query term: a lone CJK character is a prefix, matching the bigrams it starts and
    the last characters of runs, which the index keeps after the text (cjk.index_text);
    anything else is itself."""
    return quote(term) + "*" if is_cjk_char(term) else quote(term)


def _phrase(text: str) -> str:
    """A phrase as FTS5 reads it. CJK is given in its bigram form, in which the index holds
    it: consecutive bigrams are adjacent there, so the phrase is exact. A phrase ending in a
    lone CJK character ends in a prefix (FTS5 applies '*' to a phrase's last token)."""
    if not has_cjk(text):
        return quote(text)
    star = "*" if is_cjk_char(_terms(text)[-1]) else ""
    return quote(" ".join(segment(text).split())) + star  # spaces are separators either way


def content_terms(query: Query) -> list[str]:
    terms: list[str] = []
    for word in query.words:
        terms.extend(_terms(word))
    return ([t for t in dict.fromkeys(terms) if t not in STOP_WORDS]
            or list(dict.fromkeys(terms)))


def or_terms(query: Query) -> list[str] | None:
    """The FTS5 expression's words one by one, when it is only their OR (no phrase or
    exclusion): what core.search.keyword_topk can rank in two steps."""
    if query.phrases or query.excluded:
        return None
    return [_term(t) for t in content_terms(query)] or None


def match_expression(query: Query) -> str | None:
    """Any word (OR) ranked by BM25; every phrase required; excluded words and phrases NOT'ed.

    A CJK word adds its bigrams as words, so a Chinese question ranks by BM25 over them.
    Returns None when nothing searchable is left (e.g. only stop words or punctuation).
    """
    content = content_terms(query)
    phrases = [p for p in query.phrases if _terms(p)]
    if not content and not phrases:
        return None
    parts = []
    if content:
        parts.append("(" + " OR ".join(_term(t) for t in content) + ")")
    parts.extend(_phrase(p) for p in phrases)
    expression = " AND ".join(parts)
    excluded = exclusion_expression(query.excluded)
    if excluded:
        expression = f"({expression}) NOT ({excluded})"
    return expression


def phrase_expression(phrases: Sequence[str]) -> str | None:
    """Passages holding every phrase (for the semantic lists' phrase filter)."""
    usable = [p for p in phrases if _terms(p)]
    return " AND ".join(_phrase(p) for p in usable) if usable else None


def exclusion_expression(excluded: Sequence[str]) -> str | None:
    """Passages holding any excluded word or phrase; None when none is searchable. A CJK one
    is excluded as a phrase of its bigrams, so "-北京大学" leaves passages with just 大学."""
    usable = [e for e in excluded if _terms(e)]
    return " OR ".join(_phrase(e) for e in usable) if usable else None


def keyword_search(conn: sqlite3.Connection, expression: str, k: int
                   ) -> list[tuple[int, float]]:
    """Top-k (passage id, BM25 score) pairs, best first; scores are positive."""
    rows = conn.execute(
        "SELECT rowid, rank FROM passages_fts WHERE passages_fts MATCH ? AND rank MATCH ? "
        "ORDER BY rank LIMIT ?",
        (expression, f"bm25({TITLE_WEIGHT}, {BODY_WEIGHT})", k)).fetchall()
    return [(int(pid), -float(rank)) for pid, rank in rows]


def keyword_scores(conn: sqlite3.Connection, expression: str, passage_ids: Sequence[int]
                   ) -> dict[int, float]:
    """BM25 scores of given passages (those not matching are absent)."""
    out: dict[int, float] = {}
    ids = list(passage_ids)
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        marks = ",".join("?" * len(chunk))
        for pid, rank in conn.execute(
                f"SELECT rowid, rank FROM passages_fts WHERE passages_fts MATCH ? AND rank MATCH ? "
                f"AND rowid IN ({marks})",
                (expression, f"bm25({TITLE_WEIGHT}, {BODY_WEIGHT})", *chunk)):
            out[int(pid)] = -float(rank)
    return out


def matching_ids(conn: sqlite3.Connection, expression: str) -> list[int]:
    return [r[0] for r in conn.execute(
        "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?", (expression,))]
