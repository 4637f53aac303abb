from datetime import datetime

import pytest

from core.search.fusion import convex, fuse_files, interpolate, minmax, rrf, single_list
from core.search.lexical import match_expression
from core.search.query import parse_query
from core.search.snippets import make_snippet


def test_parse_syntax() -> None:
    q = parse_query('budget ext:pdf in:/tmp after:2024-01-01 before:2024-06 "net income" -draft')
    assert q.words == ("budget",)
    assert q.phrases == ("net income",)
    assert q.excluded == ("draft",)
    assert q.filters.extensions == ("pdf",)
    assert q.filters.folders == ("/tmp",)
    assert q.filters.after == datetime(2024, 1, 1).timestamp()
    assert q.filters.before == datetime(2024, 6, 1).timestamp()
    assert q.text == "budget net income"


def test_odd_input_never_raises() -> None:
    for raw in ['"', '-', '""', 'after:notadate', 'NEAR(', '*', 'a"b"c', '\x00', 'ext:']:
        q = parse_query(raw)
        match_expression(q)  # must not raise either


def test_match_expression_is_quoted() -> None:
    expr = match_expression(parse_query('cats AND dogs OR "big birds" -mice'))
    assert expr == '(("cats" OR "dogs") AND "big birds") NOT ("mice")'


def test_fusion() -> None:
    assert minmax({1: 2.0, 2: 4.0}) == {1: 0.0, 2: 1.0}
    fused, parts = convex({"a": {1: 1.0, 2: 0.0}, "b": {2: 5.0, 3: 1.0}}, {"a": 0.5, "b": 0.5})
    assert fused[1] == 0.5 and fused[2] == 0.5 and fused[3] == 0.0
    assert parts[2] == {"a": 0.0, "b": 0.5}
    r = rrf({"a": {1: 3.0, 2: 1.0}, "b": {2: 9.0}})
    assert r[2] > r[1]


def test_file_fusion_credits_a_file_from_different_passages() -> None:
    owner = {1: 10, 2: 10, 3: 20, 4: 30}
    lists = {"keyword": {1: 5.0, 3: 4.0, 4: 1.0}, "dense": {2: 0.9, 3: 0.5, 4: 0.1}}
    fused = fuse_files(lists, {"keyword": 0.5, "dense": 0.5}, owner)
    # file 10 has the best keyword passage (1) and the best dense passage (2): full marks,
    # though passage 3 (file 20) is the best single passage
    assert fused.files[10] == 1.0 and fused.files[20] == 0.625
    assert max(fused.passages, key=fused.passages.__getitem__) == 3
    assert fused.parts[10] == {"keyword": 0.5, "dense": 0.5}
    assert fused.best_passages()[20] == [3] and sorted(fused.best_passages()[10]) == [1, 2]
    mixed = interpolate(fused, single_list("dense", {4: 1.0}, owner), 0.2)
    assert mixed.files[30] == pytest.approx(0.2 * fused.files[30] + 0.8)
    assert mixed.parts[30]["dense-prf"] == pytest.approx(0.8)
    assert mixed.files[10] == pytest.approx(0.2)


def test_snippet_marks_words_and_stems() -> None:
    text = "Intro. " + "filler words " * 60 + "The indent was indexing files quickly. " + \
        "more filler " * 60
    s = make_snippet(text, ["indexed", "files"])
    marked = s.marked("[", "]")
    assert "[indent]" not in marked  # same first letters, different word
    assert "[indexing]" in marked and "[files]" in marked
    assert len(s.text) < 320


def test_filters_from_widgets_and_syntax_narrow_each_other() -> None:
    from core.search.query import Filters

    widget = Filters(extensions=("pdf", "docx"), folders=("/home/a",), after=100.0)
    typed = parse_query("x ext:pdf in:/home/a/work after:1970-01-02").filters
    both = widget.merged(typed)
    assert both.extensions == ("pdf",)
    assert both.folders == ("/home/a/work",)
    assert both.after == typed.after  # the later of the two dates
    # pdf and md at once: no file can match, rather than "no filter"
    assert Filters(extensions=("pdf",)).merged(Filters(extensions=("md",))).extensions == ("\x00",)
