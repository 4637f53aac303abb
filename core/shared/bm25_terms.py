"""The keyword list as Milvus can compute it: FTS5's BM25 written as a sparse inner product.

FTS5 scores a passage for an OR query as sum_t idf(t) * f_t (k1 + 1) / (f_t + k1 (1 - b + b D /
avgdl)), with f_t the term's count over title and body, D the passage's length in tokens and
idf(t) = ln((N - n_t + 0.5) / (n_t + 0.5)), floored at 1e-6. The fraction depends on the passage
alone, given avgdl: it is the passage's weight for t, published once. idf(t) is the query's
weight, from the document frequencies the publisher keeps in the `_terms` sidecar. The tokens
are FTS5's own (the index's tokenizer, run in a scratch in-memory table), so the words match as
they match locally; terms are keyed by CRC-32 (a collision merges two rare words: harmless).
avgdl is taken when a passage is published; documents published much later shift it slightly.
"""

from __future__ import annotations

import math
import sqlite3
import zlib
from collections.abc import Iterable

from core.search.keyword_topk import K1, MIN_IDF
from core.search.lexical import content_terms
from core.search.query import Query
from core.store.schema import FTS_TOKENIZER
from core.text.cjk import is_cjk_char

B = 0.75  # FTS5's bm25 b


def term_key(term: str) -> int:
    return zlib.crc32(term.encode("utf-8", "surrogatepass"))


class Tokenizer:
    """FTS5's tokenizer over given texts, through a scratch in-memory table (not thread-safe)."""

    def __init__(self) -> None:
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(title, body, "
                           f"tokenize='{FTS_TOKENIZER}')")
        self._conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")

    def counts(self, rows: Iterable[tuple[int, str, str]]
               ) -> dict[int, tuple[dict[str, int], int]]:
        """row id -> ({token: count over both columns}, length in tokens)."""
        with self._conn:
            self._conn.execute("DELETE FROM t")
            self._conn.executemany("INSERT INTO t(rowid, title, body) VALUES (?, ?, ?)", rows)
        out: dict[int, tuple[dict[str, int], int]] = {}
        for doc, term, n in self._conn.execute(
                "SELECT doc, term, count(*) FROM v GROUP BY doc, term"):
            terms, length = out.get(doc, ({}, 0))
            terms[term] = n
            out[doc] = (terms, length + n)
        return out

    def close(self) -> None:
        self._conn.close()


def document_weights(terms: dict[str, int], length: int, avgdl: float) -> dict[int, float]:
    """A passage's BM25 weights by term key (its side of the inner product)."""
    norm = K1 * (1 - B + B * length / max(avgdl, 1e-9))
    out: dict[int, float] = {}
    for term, f in terms.items():
        key = term_key(term)
        out[key] = out.get(key, 0.0) + f * (K1 + 1) / (f + norm)
    return out


def query_terms(tokenizer: Tokenizer, query: Query) -> dict[int, int]:
    """term key -> how many of the query's words give that token (FTS5 adds a word's
    share once per word, so "run running" counts "run" twice). A lone CJK character, a prefix
    query locally, has no token of its own here and is left out."""
    words = [w for w in content_terms(query) if not is_cjk_char(w)]
    words += list(query.phrases)  # a phrase's words rank it (its order is checked later)
    counted = tokenizer.counts((i + 1, "", w) for i, w in enumerate(words))
    out: dict[int, int] = {}
    for terms, _ in counted.values():
        for term in terms:
            key = term_key(term)
            out[key] = out.get(key, 0) + 1
    return out


def idf(passages: int, df: int) -> float:
    value = math.log((passages - df + 0.5) / (df + 0.5)) if passages > 0 else 0.0
    return max(value, MIN_IDF)


def query_vector(counts: dict[int, int], df: dict[int, int], passages: int
                 ) -> dict[int, float]:
    return {k: n * idf(passages, df.get(k, 0)) for k, n in counts.items() if df.get(k, 0) > 0}
