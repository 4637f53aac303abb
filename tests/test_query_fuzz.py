"""Query robustness: whatever a person (or a paste) types, search answers and never raises.

Property-based (hypothesis) over a real index of the shipped sample documents: arbitrary
unicode, FTS5 operators and syntax fragments, unbalanced quotes and very long queries go through
parsing, every search mode, filters, explanations and the expansion terms the window shows.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.api import Engine
from core.pathcodec import split_member
from core.search.lexical import match_expression
from core.search.query import parse_query
from core.search.searcher import MODES

from .conftest import REPO

# Fragments that mean something to FTS5, to our query syntax or to SQL.
SYNTAX = ['"', "'", "(", ")", "*", "^", ":", "-", "+", "NEAR", "NEAR(", "AND", "OR", "NOT",
          "ext:", "in:", "after:", "before:", "ext:pdf", "in:/", "after:2024-13-45",
          "before:0000-00-00", "after:-1", "{", "}", "[", "]", "\\", "%", "_", ";", "--",
          "/*", "*/", "\x00", "\u200b", "\ufeff", "\ud7ff", "🙂", "ﬁ", "İ", "ß", "\n", "\t",
          "sourdough", "lighthouse", "insurance", "bread", "exception"]

fragments = st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(max_size=8)), max_size=30
                     ).map(" ".join)
any_unicode = st.text(st.characters(codec="utf-8"), max_size=200)  # no lone surrogates
queries = st.one_of(any_unicode, fragments, fragments.map(lambda s: s.replace(" ", "")))
FUZZ = settings(max_examples=250, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    base = tmp_path_factory.mktemp("fuzz")
    docs = base / "docs"
    shutil.copytree(REPO / "resources" / "sample", docs)
    eng = Engine.open(base / "index")
    eng.index([docs])
    assert eng.status().passages > 0
    yield eng
    eng.close()


@FUZZ
@given(raw=queries)
def test_parsing_never_raises(raw: str) -> None:
    q = parse_query(raw)
    match_expression(q)
    assert q.text == q.text.strip()


@FUZZ
@given(raw=queries, mode=st.sampled_from(MODES))
def test_search_never_raises(engine: Engine, raw: str, mode: str) -> None:
    result = engine.search(raw, k=5, mode=mode)
    assert len(result.hits) <= 5
    for hit in result.hits:
        assert Path(split_member(hit.path)[0]).is_file()  # a file, or a member of one
        engine.explain(raw, hit.passage_id)
    engine.expansion_terms(raw, [hit.passage_id for hit in result.hits])


@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(unit=fragments.filter(bool), mode=st.sampled_from(MODES))
def test_ten_thousand_characters(engine: Engine, unit: str, mode: str) -> None:
    raw = (unit * (10_000 // len(unit) + 1))[:10_000]
    engine.search(raw, k=5, mode=mode)


def test_sample_queries_still_find_their_documents(engine: Engine) -> None:
    """The fuzzed engine is a working one: plain queries find the expected files."""
    for query, name in (("sourdough starter", "sourdough.txt"),
                        ("lighthouse keeper", "lighthouse-keepers.md")):
        hits = engine.search(query, k=3).hits
        assert hits and Path(hits[0].path).name == name, (query, hits)
