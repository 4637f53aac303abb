"""Passages: at most MAX_TOKENS word pieces, covering the text, cut at sentence ends if possible."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from core.chunk import MAX_TOKENS, chunk_spans
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
