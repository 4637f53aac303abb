"""Why a passage matched: the query words it holds, the query terms only its sparse expansion
has (shown next to a result's snippet), and each list's raw score for it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.search import lexical
from core.search.indexes import SearchIndexes
from core.search.lists import rescore, sparse_query
from core.search.query import Query
from core.search.snippets import match_spans, query_stems
from core.store.codec import blob_to_sparse

# passage id, its text, its sparse vector (blob)
PassageRow = tuple[int, str, bytes]


@dataclass
class Explanation:
    matched_words: list[str]  # query words found literally in the passage
    expansion_terms: list[tuple[str, float]]  # query terms only the passage's expansion has
    scores: dict[str, float]  # raw score of each list (bm25, sparse dot product, cosine)


def explain(indexes: SearchIndexes, query: Query, passage_id: int) -> Explanation:
    """The explanation of one passage (the derived indexes synced, under the searcher's lock)."""
    row = indexes.catalog.conn.execute(
        "SELECT p.text, v.sparse FROM passages p LEFT JOIN vectors v "
        "ON v.passage_id = p.id WHERE p.id = ?", (passage_id,)).fetchone()
    if row is None:
        return Explanation([], [], {})
    text, sparse_blob = row
    words = sorted({text[s:e].lower() for s, e in match_spans(
        text, query_stems([*query.words, *query.phrases]))})
    expansion: list[tuple[str, float]] = []
    scores: dict[str, float] = {}
    if sparse_blob is not None:
        terms, idf = sparse_query(indexes, query.text)
        ids, weights = blob_to_sparse(sparse_blob)
        lookup = dict(zip(ids.tolist(), weights.astype(np.float32).tolist(), strict=True))
        strings = indexes.encoder.token_strings(terms.astype(np.uint16))
        lowered = text.lower()
        total = 0.0
        for term, w_q, token in zip(terms.tolist(), idf.tolist(), strings, strict=True):
            w_d = lookup.get(term)
            if w_d:
                total += w_q * w_d
                if shown_expansion(token, lowered):
                    expansion.append((token, round(w_q * w_d, 4)))
        scores["sparse"] = total
        vector = indexes.encoder.dense(query.text)
        scores["dense"] = rescore(indexes.catalog, vector, [passage_id]).get(passage_id, 0.0)
    expression = lexical.match_expression(query)
    if expression:
        try:
            scores["keyword"] = lexical.keyword_scores(
                indexes.catalog.conn, expression, [passage_id]).get(passage_id, 0.0)
        except Exception:
            scores["keyword"] = 0.0
    return Explanation(words, sorted(expansion, key=lambda t: -t[1]), scores)


def read_expansions(indexes: SearchIndexes, query: Query, passage_ids: list[int]
                    ) -> tuple[np.ndarray, np.ndarray, list[str], list[PassageRow]]:
    """What expansion_terms() needs from the index (read under the searcher's lock): the
    query's sparse terms, their weights and strings, and the passages' texts and vectors."""
    terms, idf = sparse_query(indexes, query.text)
    if not len(terms):
        return terms, idf, [], []
    strings = indexes.encoder.token_strings(terms.astype(np.uint16))
    marks = ",".join("?" * len(passage_ids))
    rows = indexes.catalog.conn.execute(
        "SELECT p.id, p.text, v.sparse FROM passages p JOIN vectors v "
        f"ON v.passage_id = p.id WHERE p.id IN ({marks})", passage_ids).fetchall()
    return terms, idf, strings, rows


def expansion_terms(terms: np.ndarray, idf: np.ndarray, strings: list[str],
                    rows: list[PassageRow]) -> dict[int, list[tuple[str, float]]]:
    """explain()'s expansion terms for many passages at once, without the dense model."""
    out: dict[int, list[tuple[str, float]]] = {}
    for pid, text, sparse_blob in rows:
        ids, weights = blob_to_sparse(sparse_blob)
        lookup = dict(zip(ids.tolist(), weights.astype(np.float32).tolist(), strict=True))
        lowered = text.lower()
        found = []
        for term, w_q, token in zip(terms.tolist(), idf.tolist(), strings, strict=True):
            w_d = lookup.get(term)
            if w_d and shown_expansion(token, lowered):
                found.append((token, round(w_q * w_d, 4)))
        out[pid] = sorted(found, key=lambda t: -t[1])
    return out


def shown_expansion(token: str, lowered_text: str) -> bool:
    """A query term the passage matches by its expansion only, worth showing as such: not in
    its text, and a word's first piece (a "##" continuation means nothing on its own)."""
    return not token.startswith("##") and token not in lowered_text
