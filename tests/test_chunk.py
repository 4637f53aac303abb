"""Passages: at most MAX_TOKENS word pieces, covering the text, cut at sentence ends if possible."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from core.chunk import MAX_PIECE_CHARS, MAX_TOKENS, chunk_spans
from core.encode.tokenizer import load_tokenizer


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    return load_tokenizer("dense")


def _prose(n_sentences: int, seed: int = 0) -> str:
    rng = random.Random(seed)
    words = "the harbour keeper lit a lamp while ships waited near copper rocks at dusk".split()
    sentences = [" ".join(rng.choices(words, k=rng.randint(6, 18))).capitalize() + "."
                 for _ in range(n_sentences)]
    return "\n\n".join(" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5))


def test_empty_and_tiny(tokenizer) -> None:  # type: ignore[no-untyped-def]
    assert chunk_spans("", tokenizer) == []
    assert chunk_spans("   \n ", tokenizer) == []
    [span] = chunk_spans("One short line.", tokenizer)
    assert (span.start, span.end) == (0, len("One short line."))


def test_passages_cover_the_text_within_the_token_limit(tokenizer) -> None:  # type: ignore[no-untyped-def]
    text = _prose(400)
    spans = chunk_spans(text, tokenizer)
    assert len(spans) > 10
    assert spans[0].start == 0 and spans[-1].end == len(text.rstrip())
    for a, b in zip(spans, spans[1:], strict=False):
        assert b.start < a.end, "consecutive passages overlap"
        assert b.start > a.start
    for s in spans:
        pieces = tokenizer.encode(text[s.start:s.end], add_special_tokens=False).ids
        assert len(pieces) <= MAX_TOKENS
        assert text[s.end - 1] == "."  # every cut falls at a sentence end in prose like this


def test_token_dense_text_stays_small_in_memory(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """Minified JavaScript: millions of word pieces. Offsets once took ~90 bytes each as Python
    tuples (a 14 MB file ran a worker out of its 1 GB); now they are int32 arrays."""
    text = ('{"a":[1,2,3],"b":"x.y",' * 60_000)[:1_000_000]  # ~1M characters, ~700k pieces
    tracemalloc.start()
    spans = chunk_spans(text, tokenizer)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(spans) > 2000 and spans[-1].end == len(text)
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MB of Python allocations"


def test_a_word_longer_than_the_model_reads_makes_bounded_passages(tokenizer) -> None:  # type: ignore[no-untyped-def]
    """A file of one 2 MB "word" once made a single 2 MB passage (one [UNK] piece to the model
    for every 100,000 characters), whose encoding took hundreds of MB."""
    word = "x" * 2_000_000
    text = f"Before the blob. {word} After the blob."
    spans = chunk_spans(text, tokenizer)
    assert spans[0].start == 0 and spans[-1].end == len(text)
    assert max(s.end - s.start for s in spans) <= MAX_TOKENS * MAX_PIECE_CHARS
    assert all(b.start <= a.end for a, b in zip(spans, spans[1:], strict=False))  # no gap
    # An ordinary long word (a URL-like run) is still inside one passage with its neighbours.
    text = "See " + "y" * 150 + " for details."
    assert [(s.start, s.end) for s in chunk_spans(text, tokenizer)] == [(0, len(text))]


def _tokenizer_offsets(text: str, tokenizer) -> tuple[list[int], list[int]]:  # type: ignore[no-untyped-def]
    """The reference: the tokenizer itself over each segment, as chunking did before
    core.text.wordpiece."""
    from core.chunk import SEGMENT_CHARS
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    while pos < len(text):
        end = min(pos + SEGMENT_CHARS, len(text))
        if end < len(text):
            space = text.rfind("\n", pos + SEGMENT_CHARS // 2, end)
            if space == -1:
                space = text.rfind(" ", pos + SEGMENT_CHARS // 2, end)
            if space != -1:
                end = space + 1
        for s, e in tokenizer.encode(text[pos:end], add_special_tokens=False).offsets:
            if e > s:
                starts.append(pos + s)
                ends.append(pos + e)
        pos = end
    return starts, ends


# What could make chunk-by-chunk tokenization differ from the tokenizer's: controls it deletes
# (some of which str.split() splits at), other spaces, combining marks, CJK and Hangul (which it
# splits and decomposes), special tokens, words over its 100-character limit, unknown words.
_ATOMS = [*"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" * 3,
          *"!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~" * 2,
          " ", " ", "\n", "\n\n", "\t", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0",
          "\u2003", "\u2028", "\u3000", "\x00", "\x01", "\x7f", "\u0301", "\u0308", "é", "ß",
          "Σ", "İ", "ı", "ﬁ", "中", "北京", "한", "ㄱ", "ア", "ｱ", "😀", "\ufffd", "\u200b",
          "\ufeff", "\u00ad", "ا", "\u064b", "Ａ", "²", "…", "’", "\U00020000", "\u0915\u094d",
          "[CLS]", "[SEP]", "[MASK]", "[mask]", "[cls", "##", "##ing", "x" * 101, "ab" * 60,
          "tokenization", "antidisestablishmentarianism", "qzxjkv", "don't", "foo(),"]


@pytest.mark.parametrize("safe", [False, True])
def test_fast_offsets_are_the_tokenizers(tokenizer, safe: bool) -> None:  # type: ignore[no-untyped-def]
    """core.text.wordpiece gives exactly the tokenizer's offsets (the passages of an index
    built before it must not move)."""
    from core.chunk import _token_offsets
    atoms = [a for a in _ATOMS if not safe or a not in "\x0b\x0c\x1c\x1f\x85"]
    rng = random.Random(7 + safe)
    for n in range(400):
        text = "".join(rng.choice(atoms) for _ in range(rng.choice([1, 5, 40, 400, 3000])))
        if n % 100 == 0:
            text *= 150_000 // len(text) + 1  # several segments
        starts, ends = _token_offsets(text, tokenizer)
        assert (starts.tolist(), ends.tolist()) == _tokenizer_offsets(text, tokenizer), text[:80]


def test_fast_offsets_after_forgetting(tokenizer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Chunks remembered across texts, and forgotten when too many: same offsets."""
    from core.chunk import _token_offsets
    from core.text import wordpiece
    monkeypatch.setattr(wordpiece, "MAX_CACHED", 50)
    text = _prose(300) + " ".join(f"word{i} é{i}" for i in range(500))
    for _ in range(3):
        starts, ends = _token_offsets(text, tokenizer)
        assert (starts.tolist(), ends.tolist()) == _tokenizer_offsets(text, tokenizer)
