"""Which of `spyglass bench --tree`'s queries are slow in keyword mode, and why: whether the
two-step top-k (core/search/keyword_topk.py) ranked them and how common their rarest word is.

Usage: python bench/keyword_slow_queries.py INDEX
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

import numpy as np

from core.benchmark.perf import tree_queries
from core.search import keyword_topk, lexical, lists
from core.search.keyword_topk import KeywordStats
from core.search.query import literal_query

K = 100  # candidates the hybrid search asks the keyword list for
COMMON = 2000  # passages from which a word counts as common here


def main(index: Path) -> None:
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    stats = KeywordStats()
    rows = []
    for text in tree_queries(index, 300):
        query = literal_query(text)
        terms = lexical.or_terms(query) or []
        started = time.perf_counter()
        lists.keyword(conn, query, K, None, stats)
        ms = (time.perf_counter() - started) * 1000
        two_step = bool(terms) and keyword_topk.top_k(
            conn, terms, K, lexical.RANK_FUNCTION, stats) is not None
        df = stats.rows_and_df(conn, terms)[1] if terms else [0]
        rows.append((ms, two_step, len(terms), sum(df), min(df), text))
    rows.sort(reverse=True)
    times = np.array([r[0] for r in rows])
    print(f"keyword list, k={K}: p50 {np.percentile(times, 50):.1f} ms, "
          f"p95 {np.percentile(times, 95):.1f} ms; two-step used on "
          f"{sum(r[1] for r in rows)} of {len(rows)}")
    slow = [r for r in rows if r[0] >= np.percentile(times, 90)]
    print(f"slowest {len(slow)}: two-step used on {sum(r[1] for r in slow)}, one word "
          f"{sum(r[2] == 1 for r in slow)}, every word in >= {COMMON} passages "
          f"{sum(r[4] >= COMMON for r in slow)}")
    for ms, two_step, words, matched, rarest, text in rows[:12]:
        print(f"{ms:6.0f} ms  two-step={two_step!s:5}  words={words}  matched={matched:7}  "
              f"rarest={rarest:7}  {text}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
