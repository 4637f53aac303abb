"""Split extracted text into passages of at most N word pieces, with character offsets.

Windows end at a paragraph or sentence boundary when one lies in the last part of the window, and
consecutive windows overlap a little so a sentence cut at a boundary is still found whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tokenizers import Tokenizer

MAX_TOKENS = 224  # leaves room for [CLS]/[SEP] and a short title prefix within 256
OVERLAP_TOKENS = 24
SEGMENT_CHARS = 100_000  # tokenize long texts in pieces to bound memory

_SENTENCE_END = re.compile(r"[.!?;:]['\")\]]?\s*$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def chunk_spans(text: str, tokenizer: Tokenizer, max_tokens: int = MAX_TOKENS,
                overlap: int = OVERLAP_TOKENS) -> list[Span]:
    """Character spans of passages covering `text` (empty text -> no passages)."""
    offsets = _token_offsets(text, tokenizer)
    if not offsets:
        return []
    spans: list[Span] = []
    n = len(offsets)
    i = 0
    while i < n:
        j = min(i + max_tokens, n)
        if j < n:
            j = _best_break(text, offsets, i, j, max_tokens)
        spans.append(Span(offsets[i][0], offsets[j - 1][1]))
        if j >= n:
            break
        i = _overlap_start(text, offsets, max(j - overlap, i + 1), j)
    return spans


def _best_break(text: str, offsets: list[tuple[int, int]], i: int, j: int,
                max_tokens: int) -> int:
    """Move the window end j back to the nicest boundary in the last 40% of the window."""
    lowest = i + int(max_tokens * 0.6)
    best_sentence = 0
    for k in range(j, lowest, -1):
        gap = text[offsets[k - 1][1]:offsets[k][0]]
        if "\n\n" in gap or "\n" in gap and _SENTENCE_END.search(text[offsets[k - 1][0]:
                                                                      offsets[k - 1][1] + 2]):
            return k
        if not best_sentence and gap and _SENTENCE_END.search(
                text[offsets[k - 1][0]:offsets[k - 1][1]] + " "):
            best_sentence = k
    if best_sentence:
        return best_sentence
    for k in range(j, lowest, -1):  # at least end between words
        if offsets[k][0] > offsets[k - 1][1]:
            return k
    return j


def _overlap_start(text: str, offsets: list[tuple[int, int]], lo: int, hi: int) -> int:
    """The next window starts in the overlap, preferably at a sentence start, else on a word."""
    for k in range(lo, hi):
        if _SENTENCE_END.search(text[offsets[k - 1][0]:offsets[k][0]]):
            return k
    k = lo
    while k < hi and offsets[k][0] == offsets[k - 1][1]:  # not inside a "##" word piece
        k += 1
    return k


def _token_offsets(text: str, tokenizer: Tokenizer) -> list[tuple[int, int]]:
    offsets: list[tuple[int, int]] = []
    pos = 0
    while pos < len(text):
        end = min(pos + SEGMENT_CHARS, len(text))
        if end < len(text):  # cut the segment at whitespace so no word is split
            space = text.rfind("\n", pos + SEGMENT_CHARS // 2, end)
            if space == -1:
                space = text.rfind(" ", pos + SEGMENT_CHARS // 2, end)
            if space != -1:
                end = space + 1
        encoding = tokenizer.encode(text[pos:end], add_special_tokens=False)
        offsets.extend((s + pos, e + pos) for s, e in encoding.offsets if e > s)
        pos = end
    return offsets
