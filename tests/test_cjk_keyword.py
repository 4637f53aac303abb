"""Keyword search in Chinese, Japanese and Korean (character bigrams), on real SQLite catalogs:
index and query forms, phrases, exclusions, titles, snippets, and the v3 -> v4 migration."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from core.search import lexical
from core.search.query import literal_query, parse_query
from core.search.snippets import make_snippet, match_spans, query_stems
from core.store.catalog import Catalog, NewPassage
from core.store.consistency import check
from core.store.schema import MIGRATIONS, SCHEMA_VERSION, _statements
from core.text.cjk import has_cjk, index_text, query_terms, segment

ZH = "我住在北京大学附近，每天骑自行车去图书馆。"
ZH2 = "清华大学的老师很多。"
JA = "東京都に住んでいます。毎朝コンピューターで仕事をします。"
KO = "저는 서울에서 살고 있습니다. 한국어를 공부합니다."
MIXED = "我的iPhone手机很好用。"
EN = "Kneading dough for a sourdough loaf in a hot oven."
DOCS = {  # path: (title, passages)
    "/d/zh.txt": ("zh", [ZH]),
    "/d/zh2.txt": ("zh2", [ZH2]),
    "/d/ja.txt": ("ja", [JA]),
    "/d/ko.txt": ("ko", [KO]),
    "/d/mixed.txt": ("mixed", [MIXED]),
    "/d/en.txt": ("bread", [EN]),
    "/d/report.pdf": ("年度报告", ["Annual figures for the board."]),
}


def _passages(texts: list[str]) -> list[NewPassage]:
    return [NewPassage(i, 0, len(t), None, None, hashlib.blake2b(t.encode(), digest_size=12)
                       .digest(), t) for i, t in enumerate(texts)]


def _store(cat: Catalog, docs: dict[str, tuple[str, list[str]]]) -> None:
    root = cat.add_root("/d")
    with cat.transaction():
        for i, (path, (title, texts)) in enumerate(docs.items()):
            fid = cat.queue_file(root.id, path, 10, 1, i)
            cat.store_text(fid, content_hash=path, title=title, fmt="text", sections=[],
                           passages=_passages(texts))


def _found(cat: Catalog, raw: str, literal: bool = False) -> list[str]:
    """Paths of the passages the keyword search finds, best first."""
    expression = lexical.match_expression(literal_query(raw) if literal else parse_query(raw))
    assert expression is not None
    hits = lexical.keyword_search(cat.conn, expression, 20)
    paths = dict(cat.conn.execute("SELECT p.id, f.path FROM passages p JOIN files f "
                                  "ON f.id = p.file_id").fetchall())
    return [paths[pid] for pid, _ in hits]


def _fts_ok(cat: Catalog) -> None:
    cat.conn.execute("INSERT INTO passages_fts(passages_fts) VALUES('integrity-check')")


@pytest.fixture
def cat(index_dir: Path) -> Catalog:
    index_dir.mkdir()
    catalog = Catalog(index_dir)
    _store(catalog, DOCS)
    return catalog


# -- the text forms ---------------------------------------------------------------------------

def test_segment_and_index_forms() -> None:
    assert segment("我住在北京大学附近") == " 我住 住在 在北 北京 京大 大学 学附 附近 "
    assert segment("iPhone手机") == "iPhone 手机 "
    assert segment("北") == " 北 "
    assert segment("Größe, naïve “café” — 2024") == "Größe, naïve “café” — 2024"
    # kana with the prolonged sound mark, halfwidth katakana and Hangul: one run each
    assert segment("コーヒー") == " コー ーヒ ヒー "
    assert segment("ｺｰﾋｰ") == " ｺｰ ｰﾋ ﾋｰ "
    assert segment("서울에서") == " 서울 울에 에서 "
    assert segment("人々・東京") == " 人々 ・ 東京 "  # the middle dot is punctuation
    assert has_cjk("abc 한") and has_cjk("〇") and not has_cjk("Größe — “x” 😀")
    assert index_text(EN) is None and index_text("Größe") is None
    # the last character of each run of two or more follows the text, for one-character search
    assert index_text("在北京。中国人") == " 在北 北京 。 中国 国人 \n京 人"
    assert query_terms("iPhone手机") == ["iphone", "手机"]
    assert query_terms("Foo_bar's") == ["foo_bar", "s"]


def test_english_expressions_are_those_of_before() -> None:
    """Exactly what the code before CJK support built (English figures must not move)."""
    cases = {
        'cats AND dogs OR "big birds" -mice': '(("cats" OR "dogs") AND "big birds") NOT ("mice")',
        "the running dogs": '("running" OR "dogs")',
        "what is the": '("what" OR "is" OR "the")',
        "foo_bar C++ don't": '("foo_bar" OR "c" OR "don" OR "t")',
        'Größe "naïve café" -résumé -"foo bar"':
            '(("größe") AND "naïve café") NOT ("résumé" OR "foo bar")',
    }
    for raw, expected in cases.items():
        assert lexical.match_expression(parse_query(raw)) == expected
    assert lexical.phrase_expression(["net income", "!!"]) == '"net income"'
    assert lexical.exclusion_expression(["draft", "old copy", "--"]) == '"draft" OR "old copy"'
    assert lexical.exclusion_expression(["?"]) is None


def test_cjk_expressions() -> None:
    assert lexical.match_expression(parse_query('北京大学 北 "東京都" -서울')) == (
        '(("北京" OR "京大" OR "大学" OR "北"*) AND "東京 京都") NOT ("서울")')
    assert lexical.match_expression(parse_query('"大学 北" -北京大学')) == (
        '("大学 北"*) NOT ("北京 京大 大学")')
    assert lexical.phrase_expression(["iPhone手机"]) == '"iPhone 手机"'


# -- searching --------------------------------------------------------------------------------

def test_words_inside_running_text(cat: Catalog) -> None:
    assert _found(cat, "北京") == ["/d/zh.txt"]  # a two-character word: one bigram
    assert _found(cat, "图书馆") == ["/d/zh.txt"]
    assert set(_found(cat, "大学")) == {"/d/zh.txt", "/d/zh2.txt"}
    assert _found(cat, "東京") == ["/d/ja.txt"]
    assert _found(cat, "住んで") == ["/d/ja.txt"]  # kanji and kana in one word
    assert _found(cat, "コンピュータ") == ["/d/ja.txt"]  # inside コンピューター
    assert _found(cat, "서울") == ["/d/ko.txt"]  # 서울에서: the word with its particle
    assert _found(cat, "한국어") == ["/d/ko.txt"]
    assert _found(cat, "东京") == []  # simplified 东 is not 東


def test_a_chinese_question_ranks_by_its_bigrams(cat: Catalog) -> None:
    found = _found(cat, "北京大学在哪里？", literal=True)
    assert found[0] == "/d/zh.txt"  # 北京 京大 大学: three bigrams against one (大学)
    assert set(found) == {"/d/zh.txt", "/d/zh2.txt"}


def test_single_character(cat: Catalog) -> None:
    assert _found(cat, "北") == ["/d/zh.txt"]  # starts the bigram 北京
    assert _found(cat, "馆") == ["/d/zh.txt"]  # ends its run (图书馆。): no bigram starts with it
    assert set(_found(cat, "学")) == {"/d/zh.txt", "/d/zh2.txt"}
    assert _found(cat, "都") == ["/d/ja.txt"]


def test_phrases_are_exact(cat: Catalog) -> None:
    assert _found(cat, '"北京大学"') == ["/d/zh.txt"]
    assert _found(cat, '"大学北京"') == []  # the same characters, not in this order
    assert _found(cat, "大学北京") != []  # as a word its bigrams are OR'ed
    assert _found(cat, '"住在北"') == ["/d/zh.txt"]  # ending in one character: a prefix
    assert _found(cat, '"图书馆"') == ["/d/zh.txt"]
    assert _found(cat, '"北京 大学"') == []  # the user's space: two runs, not in the text
    ids = lexical.matching_ids(cat.conn, lexical.phrase_expression(["コンピュータ"]) or "")
    assert len(ids) == 1


def test_exclusions(cat: Catalog) -> None:
    assert _found(cat, "大学 -北京大学") == ["/d/zh2.txt"]
    assert _found(cat, "大学 -北") == ["/d/zh2.txt"]
    assert _found(cat, "大学 -馆") == ["/d/zh2.txt"]  # a run's last character excluded too
    assert set(_found(cat, "大学 -北京大学城")) == {"/d/zh.txt", "/d/zh2.txt"}  # not there
    blocked = lexical.exclusion_expression(["北京大学", "清华"])
    assert blocked is not None and len(lexical.matching_ids(cat.conn, blocked)) == 2


def test_mixed_latin_and_han(cat: Catalog) -> None:
    assert _found(cat, "iPhone手机") == ["/d/mixed.txt"]
    assert _found(cat, "iphone") == ["/d/mixed.txt"]  # was the one token "iphone手机"
    assert _found(cat, "手机") == ["/d/mixed.txt"]
    assert _found(cat, "sourdough") == ["/d/en.txt"]


def test_titles(cat: Catalog) -> None:
    assert _found(cat, "报告") == ["/d/report.pdf"]  # only its title has it
    assert _found(cat, "告") == ["/d/report.pdf"]
    assert _found(cat, "board") == ["/d/report.pdf"]
    # English passages and titles cost nothing: no second copy of their text
    assert cat.conn.execute("SELECT count(*) FROM passages WHERE fts_body IS NOT NULL"
                            ).fetchone()[0] == 5
    assert cat.conn.execute("SELECT title FROM files WHERE fts_title IS NOT NULL").fetchall() \
        == [("年度报告",)]


def test_replacing_and_deleting_keep_the_keyword_index_whole(cat: Catalog) -> None:
    _fts_ok(cat)
    assert check(cat).findings == []
    fid = cat.file_by_path("/d/zh.txt").id  # type: ignore[union-attr]
    with cat.transaction():
        cat.store_text(fid, content_hash="h2", title="上海", fmt="text", sections=[],
                       passages=_passages(["上海的博物馆很大。"]))
    _fts_ok(cat)
    assert _found(cat, "北京") == [] and _found(cat, "博物馆") == ["/d/zh.txt"]
    assert _found(cat, "上海") == ["/d/zh.txt"]
    cat.delete_files([fid, cat.file_by_path("/d/report.pdf").id])  # type: ignore[union-attr]
    _fts_ok(cat)
    assert _found(cat, "博物馆") == [] and _found(cat, "报告") == []
    assert check(cat).findings == []
    # 'rebuild' reads the same view the catalog wrote through
    cat.conn.execute("INSERT INTO passages_fts(passages_fts) VALUES('rebuild')")
    _fts_ok(cat)
    assert _found(cat, "東京") == ["/d/ja.txt"]


# -- snippets ---------------------------------------------------------------------------------

def _marked(text: str, words: list[str]) -> str:
    return make_snippet(text, words).marked("[", "]")


def test_snippet_spans_cover_the_matched_characters() -> None:
    assert make_snippet(ZH, ["北京大学"]).spans == [(3, 7)]  # overlapping bigrams: one span
    assert _marked(ZH, ["北"]) == "我住在[北]京大学附近，每天骑自行车去图书馆。"
    assert _marked(ZH, ["馆"]) == "我住在北京大学附近，每天骑自行车去图书[馆]。"
    assert _marked(ZH, ["图书馆", "北京"]) == "我住在[北京]大学附近，每天骑自行车去[图书馆]。"
    assert _marked(JA, ["コンピュータ"]) == (
        "東京都に住んでいます。毎朝[コンピュータ]ーで仕事をします。")
    assert _marked(KO, ["서울"]) == "저는 [서울]에서 살고 있습니다. 한국어를 공부합니다."
    assert _marked(MIXED, ["iPhone手机"]) == "我的[iPhone][手机]很好用。"
    assert _marked(MIXED, ["iphones"]) == "我的[iPhone]手机很好用。"  # stemmed as always
    # the helpers searcher._match_page and the preview use
    assert match_spans("第一页。\n第二页有北京。", query_stems(["北京"])) == [(9, 11)]


def test_english_snippets_are_unchanged() -> None:
    assert make_snippet(EN, ["the", "ovens", "kneaded"]).spans == [(0, 8), (45, 49)]
    assert match_spans("Indexing indexed index", query_stems(["indexes"])) == [
        (0, 8), (9, 16), (17, 22)]


# -- migration ----------------------------------------------------------------------------------

def _v3_catalog(index_dir: Path, docs: dict[str, tuple[str, list[str]]]) -> None:
    """A catalog as the release before CJK support wrote it (schema 3, whole-run tokens)."""
    index_dir.mkdir()
    conn = sqlite3.connect(index_dir / "catalog.sqlite", isolation_level=None)
    for script in MIGRATIONS[:3]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 3")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO roots(id, path, added_at) VALUES (1, '/d', 0)")
    for i, (path, (title, texts)) in enumerate(docs.items()):
        fid = conn.execute(
            "INSERT INTO files(root_id, path, size, mtime_ns, inode, title, state, n_passages, "
            "updated_at) VALUES (1, ?, 10, 1, ?, ?, 'text', ?, 0)",
            (path, i, title, len(texts))).lastrowid
        for p in _passages(texts):
            pid = conn.execute(
                "INSERT INTO passages(file_id, ord, start, end, hash, text) "
                "VALUES (?, ?, ?, ?, ?, ?)", (fid, p.ord, p.start, p.end, p.hash, p.text)
            ).lastrowid
            conn.execute("INSERT INTO passages_fts(rowid, title, body) VALUES (?, ?, ?)",
                         (pid, title, p.text))
    conn.execute("COMMIT")
    conn.close()


def test_a_version_3_index_with_cjk_is_migrated(index_dir: Path) -> None:
    # English passages first, so that the CJK ones come in a later batch of the migration
    _v3_catalog(index_dir, {"/d/long.txt": ("long", [f"line {i}" for i in range(1500)]),
                            **DOCS})
    conn = sqlite3.connect(index_dir / "catalog.sqlite")
    before = conn.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH '北京'"
                          ).fetchone()[0]
    conn.close()
    assert before == 0  # the whole run was one token: the word inside it was not found

    cat = Catalog(index_dir)
    assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    _fts_ok(cat)
    assert _found(cat, "北京") == ["/d/zh.txt"]
    assert _found(cat, "馆") == ["/d/zh.txt"]
    assert _found(cat, "報告") == [] and _found(cat, "报告") == ["/d/report.pdf"]  # its title
    assert _found(cat, "iphone") == ["/d/mixed.txt"]
    assert _found(cat, "sourdough") == ["/d/en.txt"]
    assert cat.conn.execute("SELECT fts_body FROM passages WHERE text = ?", (EN,)
                            ).fetchone()[0] is None
    assert check(cat).findings == []
    # the rows the migration rewrote delete cleanly with the values it indexed
    cat.delete_files([cat.file_by_path(p).id for p in ("/d/zh.txt", "/d/report.pdf")])  # type: ignore[union-attr]
    _fts_ok(cat)
    assert _found(cat, "北京") == [] and _found(cat, "board") == []
    cat.close()


def test_a_version_3_index_without_cjk_keeps_its_keyword_index(index_dir: Path) -> None:
    _v3_catalog(index_dir, {"/d/en.txt": ("bread", [EN]), "/d/b.txt": ("Größe", ["naïve"])})
    conn = sqlite3.connect(index_dir / "catalog.sqlite")
    before = conn.execute("SELECT id, block FROM passages_fts_data ORDER BY id").fetchall()
    conn.close()
    cat = Catalog(index_dir)
    assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert cat.conn.execute("SELECT id, block FROM passages_fts_data ORDER BY id"
                            ).fetchall() == before  # not a byte of it rewritten
    assert _found(cat, "sourdough") == ["/d/en.txt"]
    _fts_ok(cat)


def test_a_damaged_version_3_keyword_index_still_opens_and_is_repaired(
        index_dir: Path) -> None:
    _v3_catalog(index_dir, DOCS)
    conn = sqlite3.connect(index_dir / "catalog.sqlite", isolation_level=None)
    conn.execute("DELETE FROM passages_fts_data WHERE id > 1")
    conn.close()
    cat = Catalog(index_dir)  # the migration's edits of the index fail; it opens all the same
    assert cat.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert cat.conn.execute("SELECT count(*) FROM passages WHERE fts_body IS NOT NULL"
                            ).fetchone()[0] == 5
    report = check(cat)
    assert any("keyword index" in f.problem for f in report.findings)
    assert check(cat, repair=True).ok
    assert check(cat).findings == []
    assert _found(cat, "北京") == ["/d/zh.txt"] and _found(cat, "sourdough") == ["/d/en.txt"]


# -- through the engine -----------------------------------------------------------------------

def test_engine_keyword_search_in_cjk(tmp_path: Path) -> None:
    from core.api import Engine

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in (("zh.txt", ZH), ("ja.txt", JA), ("ko.txt", KO), ("en.txt", EN)):
        (docs / name).write_text(text + "\n", encoding="utf-8")
    with Engine.open(tmp_path / "index") as engine:
        engine.index([docs])
        for query, name, marked in (
                ("北京", "zh.txt", "我住在[北京]大学附近"),
                ("图书馆", "zh.txt", "去[图书馆]"),
                ("コンピュータ", "ja.txt", "毎朝[コンピュータ]ーで"),
                ("서울", "ko.txt", "저는 [서울]에서")):
            hits = engine.search(query, k=5, mode="keyword").hits
            assert [Path(h.path).name for h in hits] == [name], query
            assert marked in hits[0].snippet.marked("[", "]")
        assert engine.search("北京 -北京大学", k=5, mode="keyword").hits == []
