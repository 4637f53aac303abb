"""Search by meaning on the real models: paraphrases and sparse expansion terms."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from core.api import Engine
from core.search.snippets import stem
from core.search.stopwords import STOP_WORDS
from tests.docs import TOPICS, write_topics

# Each query says what its document says without sharing a single content word with it.
PARAPHRASES = {
    "how to make homemade bread": "bread.txt",
    "fixing a car that will not stop": "car.txt",
    "dealing with failures in code": "python.txt",
    "cultivating vegetables in containers": "garden.txt",
    "paying the government on earnings": "taxes.txt",
    "youngsters feel drowsy during lessons": "sleep.txt",
}
# Words that no document contains, but that splade-tiny adds to one document's expansion.
EXPANSION_ONLY = {"patio": "garden.txt", "software": "python.txt", "engine": "car.txt"}


def _stems(text: str) -> set[str]:
    return {stem(w) for w in re.findall(r"\w+", text.lower()) if w not in STOP_WORDS}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    base = tmp_path_factory.mktemp("semantic")
    docs = write_topics(base / "docs")
    eng = Engine.open(base / "index")
    report = eng.index([docs])
    assert report.extracted == len(TOPICS) and report.encoded == len(TOPICS)
    yield eng
    eng.close()


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
@pytest.mark.parametrize("query", sorted(PARAPHRASES))
def test_paraphrase_finds_document(engine: Engine, query: str, mode: str) -> None:
    target = PARAPHRASES[query]
    assert not _stems(query) & _stems(TOPICS[target]), "the query must share no content word"
    hits = engine.search(query, k=3, mode=mode).hits
    assert hits, f"no results for {query!r}"
    assert Path(hits[0].path).name == target


@pytest.mark.parametrize("word", sorted(EXPANSION_ONLY))
def test_word_only_in_sparse_expansion(engine: Engine, word: str) -> None:
    target = EXPANSION_ONLY[word]
    assert all(word not in text.lower() for text in TOPICS.values())
    assert engine.search(word, mode="keyword").hits == []  # no document has the word itself
    hits = engine.search(word, k=3, mode="sparse").hits
    assert hits and Path(hits[0].path).name == target
    hybrid = engine.search(word, k=3, mode="hybrid").hits
    assert Path(hybrid[0].path).name == target


def test_keyword_mode_finds_exact_words_and_phrases(engine: Engine) -> None:
    hits = engine.search('"brake pads"', mode="keyword").hits
    assert [Path(h.path).name for h in hits] == ["car.txt"]
    assert "**brake**" in hits[0].snippet.marked() and "**pads**" in hits[0].snippet.marked()
    assert engine.search('"pads brake"', mode="hybrid").hits == []  # a phrase is exact


def test_more_like_this_uses_the_chosen_result(engine: Engine) -> None:
    car = engine.search("brake pads", k=1, mode="keyword").hits[0]
    alone = engine.more_like_this(car.passage_id, k=5).hits
    assert alone and all(not h.path.endswith("car.txt") for h in alone)  # the source is left out
    # With the user's query, feedback from a chosen result pulls in what is like it: the same
    # vague query ranks differently depending on which result the user picked.
    query = "things that need regular care"
    by_bread = [Path(h.path).name for h in engine.more_like_this(
        engine.search("sourdough", k=1, mode="keyword").hits[0].passage_id, 3, query).hits]
    by_python = [Path(h.path).name for h in engine.more_like_this(
        engine.search("exceptions", k=1, mode="keyword").hits[0].passage_id, 3, query).hits]
    assert by_bread != by_python


def test_sparse_query_keeps_every_piece_of_a_word(engine: Engine) -> None:
    """Words the vocabulary splits ("melatonin" -> mel ##aton ##in) keep all their pieces, as
    the documents were encoded; stop words go as whole words only ("an" stays in "anemia")."""
    searcher = engine.searcher
    vocab = {i: t for t, i in searcher.encoder._tokenizer.get_vocab().items()}
    words = dict(searcher.encoder.word_pieces("the anemia of melatonin"))
    assert [vocab[i] for i in words["anemia"]] == ["an", "##emia"]
    assert [vocab[i] for i in words["melatonin"]] == ["mel", "##aton", "##in"]
    searcher.sync()
    terms, weights = searcher.sparse_query("the anemia of melatonin")
    kept = {vocab[int(t)] for t in terms}
    present = {vocab[i] for w in ("anemia", "melatonin") for i in words[w]
               if searcher.sparse.df([i])[0] > 0}  # the query side scores indexed terms only
    assert kept == present and any(p.startswith("##") for p in kept)
    assert "the" not in kept and "of" not in kept and (weights > 0).all()
    # a word of n pieces weighs 1/sqrt(n) per piece (core/search/stopwords.py content_pieces)
    mel = [i for i, t in enumerate(terms.tolist()) if t in words["melatonin"]]
    assert mel and np.allclose(weights[mel], searcher._idf(terms[mel]) / np.sqrt(3))
    # What the documents were encoded with finds the document through the split word.
    hits = engine.search("melatonin", k=1, mode="sparse").hits
    assert hits and Path(hits[0].path).name == "sleep.txt"


def test_feedback_is_decided_per_query_and_said(engine: Engine) -> None:
    """hybrid-prf says whether feedback ran and why; where the keyword and meaning lists do not
    agree enough on their top files, it does not run and the ranking is plain hybrid's."""
    from dataclasses import replace

    query = "baking a sourdough loaf"
    searcher = engine.searcher
    used = engine.search(query, k=5, mode="hybrid-prf")
    assert used.feedback is not None and used.feedback.startswith("Feedback used")
    assert "of their top 5 files" in used.feedback
    plain = engine.search(query, k=5, mode="hybrid")
    assert plain.feedback is None
    default = searcher.prf
    try:
        searcher.prf = replace(default, min_agreement=1.01)  # no query can agree that much
        skipped = engine.search(query, k=5, mode="hybrid-prf")
    finally:
        searcher.prf = default
    assert skipped.feedback is not None and skipped.feedback.startswith("Feedback not used")
    assert [h.path for h in skipped.hits] == [h.path for h in plain.hits]
    assert [h.score for h in skipped.hits] == pytest.approx([h.score for h in plain.hits])
