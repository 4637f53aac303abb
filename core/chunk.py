"""Split extracted text into passages of at most N word pieces, with character offsets.

Windows end at a paragraph or sentence boundary when one lies in the last part of the window, and
consecutive windows overlap a little so a sentence cut at a boundary is still found whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer

from core.text.wordpiece import PieceOffsets

MAX_TOKENS = 224  # leaves room for [CLS]/[SEP] and a short title prefix within 256
OVERLAP_TOKENS = 24
SEGMENT_CHARS = 100_000  # tokenize long texts in pieces to bound memory
# A longer word is one [UNK] to the model (BERT's max_input_chars_per_word), yet it would count
# as one piece: an 8 MB "word" made an 8 MB passage, whose encoding took ~600 MB. Counted as a
# piece per this many characters, a passage stays under max_tokens x 100 characters.
MAX_PIECE_CHARS = 100

_SENTENCE_END = re.compile(r"[.!?;:]['\")\]]?\s*$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def chunk_spans(text: str, tokenizer: Tokenizer, max_tokens: int = MAX_TOKENS,
                overlap: int = OVERLAP_TOKENS) -> list[Span]:
    """Character spans of passages covering `text` (empty text -> no passages)."""
    starts, ends = _split_long_pieces(*_token_offsets(text, tokenizer))
    n = len(starts)
    spans: list[Span] = []
    i = 0
    while i < n:
        j = min(i + max_tokens, n)
        if j < n:
            j = _best_break(text, starts, ends, i, j, max_tokens)
        spans.append(Span(int(starts[i]), int(ends[j - 1])))
        if j >= n:
            break
        i = _overlap_start(text, starts, ends, max(j - overlap, i + 1), j)
    return spans


def _best_break(text: str, starts: np.ndarray, ends: np.ndarray, i: int, j: int,
                max_tokens: int) -> int:
    """Move the window end j back to the nicest boundary in the last 40% of the window."""
    lowest = i + int(max_tokens * 0.6)
    # the window's tail as plain lists: cheaper to index than numpy in these loops
    s, e = starts[lowest:j + 1].tolist(), ends[lowest:j + 1].tolist()
    best_sentence = 0
    for k in range(j, lowest, -1):
        prev, cur = k - 1 - lowest, k - lowest
        gap = text[e[prev]:s[cur]]
        if "\n\n" in gap or "\n" in gap and _SENTENCE_END.search(text[s[prev]:e[prev] + 2]):
            return k
        if not best_sentence and gap and _SENTENCE_END.search(text[s[prev]:e[prev]] + " "):
            best_sentence = k
    if best_sentence:
        return best_sentence
    for k in range(j, lowest, -1):  # at least end between words
        if s[k - lowest] > e[k - 1 - lowest]:
            return k
    return j


def _overlap_start(text: str, starts: np.ndarray, ends: np.ndarray, lo: int, hi: int) -> int:
    """The next window starts in the overlap, preferably at a sentence start, else on a word."""
    base = lo - 1
    s, e = starts[base:hi].tolist(), ends[base:hi].tolist()
    for k in range(lo, hi):
        if _SENTENCE_END.search(text[s[k - 1 - base]:s[k - base]]):
            return k
    k = lo
    while k < hi and s[k - base] == e[k - 1 - base]:  # not inside a "##" word piece
        k += 1
    return k


def _token_offsets(text: str, tokenizer: Tokenizer) -> tuple[np.ndarray, np.ndarray]:
    """Start and end character of every word piece. Arrays, not lists of tuples: a 10 MB file
    has millions of pieces: as tuples they took ~900 MB."""
    pieces = _pieces_for(tokenizer)
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    pos = 0
    while pos < len(text):
        end = min(pos + SEGMENT_CHARS, len(text))
        if end < len(text):  # cut the segment at whitespace so no word is split
            space = text.rfind("\n", pos + SEGMENT_CHARS // 2, end)
            if space == -1:
                space = text.rfind(" ", pos + SEGMENT_CHARS // 2, end)
            if space != -1:
                end = space + 1
        seg_starts, seg_ends = pieces.encode(text[pos:end])
        starts.append(seg_starts + np.int32(pos))
        ends.append(seg_ends + np.int32(pos))
        pos = end
    if not starts:
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    return np.concatenate(starts), np.concatenate(ends)


def _split_long_pieces(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pieces longer than MAX_PIECE_CHARS cut into consecutive pieces of at most that many."""
    lengths = ends - starts
    if not (lengths > MAX_PIECE_CHARS).any():
        return starts, ends
    counts = -(-lengths // MAX_PIECE_CHARS)  # ceil: pieces are never empty
    first = np.repeat(np.cumsum(counts) - counts, counts)
    owner = np.repeat(np.arange(len(starts)), counts)
    new_starts = (starts[owner] + (np.arange(int(counts.sum())) - first) * MAX_PIECE_CHARS
                  ).astype(np.int32)
    return new_starts, np.minimum(new_starts + MAX_PIECE_CHARS, ends[owner]).astype(np.int32)


# One per tokenizer (a worker has one): what it has learnt of chunks serves every file.
_piece_offsets: dict[int, tuple[Tokenizer, PieceOffsets]] = {}


def _pieces_for(tokenizer: Tokenizer) -> PieceOffsets:
    known = _piece_offsets.get(id(tokenizer))
    if known is None or known[0] is not tokenizer:
        known = _piece_offsets[id(tokenizer)] = (tokenizer, PieceOffsets(tokenizer))
    return known[1]
