from datetime import datetime

from core.search.fusion import convex, minmax, rrf
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
