"""The two-step keyword top-k returns what FTS5's own ranking returns, on a real index."""

from __future__ import annotations

import random
import sqlite3

import pytest

from core.api import Engine
from core.indexer import IndexOptions
from core.search import keyword_topk, lexical
from core.search.query import literal_query, parse_query

WORDS = [f"w{i}" for i in range(60)]


@pytest.fixture(scope="module")
def conn(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    """Files whose words follow a Zipf law: a few words are in most passages, most in few."""
    base = tmp_path_factory.mktemp("topk")
    rng = random.Random(5)
    weights = [1 / (i + 1) for i in range(len(WORDS))]
    (base / "docs").mkdir()
    for f in range(40):
        lines = [" ".join(rng.choices(WORDS, weights, k=rng.randint(3, 40))) + "."
                 for _ in range(30)]
        (base / "docs" / f"f{f}.txt").write_text("\n\n".join(lines), encoding="utf-8")
    with Engine.open(base / "index", IndexOptions(semantic=False, ocr=False)) as engine:
        engine.index([base / "docs"])
    c = sqlite3.connect(f"file:{base / 'index' / 'catalog.sqlite'}?mode=ro", uri=True)
    assert c.execute("SELECT count(*) FROM passages").fetchone()[0] >= 100
    yield c
    c.close()


def test_two_steps_rank_like_fts5(conn: sqlite3.Connection,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # This index is small: let the two steps start at a size it has.
    monkeypatch.setattr(keyword_topk, "LARGE_MATCH", 20)
    stats = keyword_topk.KeywordStats()
    rng = random.Random(7)
    used = 0
    for _ in range(150):
        query = literal_query(" ".join(rng.sample(WORDS, rng.randint(2, 5))))
        k = rng.choice([3, 10, 25])
        terms = lexical.or_terms(query)
        assert terms
        two = keyword_topk.top_k(conn, terms, k, lexical.RANK_FUNCTION, stats)
        if two is None:
            continue
        used += 1
        plain = lexical.keyword_search(conn, lexical.match_expression(query), k)
        assert [round(s, 9) for _, s in two] == [round(s, 9) for _, s in plain]
        kth = plain[-1][1]  # passages tied at the k-th score may come in either order
        assert ({p for p, s in plain if s > kth + 1e-9}
                <= {p for p, _ in two})
    assert used >= 30  # the common words were left out of the first search often enough


def test_phrases_and_exclusions_are_left_to_fts5() -> None:
    assert lexical.or_terms(parse_query('"w1 w2" w3')) is None
    assert lexical.or_terms(parse_query("w1 -w2")) is None
    assert lexical.or_terms(parse_query("w1 w2")) == ['"w1"', '"w2"']
