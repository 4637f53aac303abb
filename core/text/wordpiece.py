"""The character offsets of a text's word pieces, exactly as a BERT tokenizer gives them, for a
fraction of its cost: `tokenizers`' encode (ids, masks, offsets as tuples) was two thirds of an
extraction worker's time, and chunking needs the offsets only.

A BERT tokenizer (BertNormalizer, BertPreTokenizer, WordPiece) reads each run of text between
whitespace on its own: the normaliser works character by character (the canonical reordering of
its NFD step never crosses a space, which has combining class 0), the pre-tokenizer splits at
every whitespace character, WordPiece reads one word at a time, and the special tokens it looks
for hold no space. So a text's offsets are its chunks' offsets, shifted. Chunks repeat ("the",
"foo()," ...), so each distinct one is tokenized once per worker: a printable-ASCII chunk word by
word, by the same greedy longest-match WordPiece over the same vocabulary, in Python (ASCII has
nothing to normalise but case), any other chunk by the tokenizer itself. tests/test_chunk.py
checks the result against the tokenizer on text made to break it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

import numpy as np
from tokenizers import Tokenizer

# Characters str.split() splits at that BertNormalizer deletes (controls) instead of reading as
# a space: a segment holding one goes to the tokenizer whole.
_NOT_A_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
# Every other character str.split() splits at (\t \n \r and the Unicode spaces, Zs/Zl/Zp) is one
# the normaliser turns into a space: the split is the pre-tokenizer's.
_SPACE_LUT = np.zeros(0x3002, dtype=bool)  # the last entry stands for every code point above
_SPACE_LUT[[c for c in range(0x3001) if chr(c).isspace()]] = True
_ASCII_SPACE = _SPACE_LUT[:256].copy()
_NOT_PRINTABLE = re.compile(r"[^\x21-\x7e]")
# In printable ASCII the pre-tokenizer's words are runs of letters and digits, and single
# punctuation characters (all of ASCII's other printable characters are BERT punctuation).
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+|[!-/:-@\[-`{-~]")
_ALNUM = np.zeros(256, dtype=bool)
_ALNUM[[c for c in range(128) if chr(c).isalnum()]] = True
_PUNCT = np.zeros(256, dtype=bool)
_PUNCT[[c for c in range(0x21, 0x7f) if not chr(c).isalnum()]] = True

MAX_CACHED = 50_000  # distinct chunks (and words) remembered: more gained nothing measurable
MAX_CACHED_CHARS = 1_000_000  # ... or this many characters of chunks (~15 MB in all)

_EMPTY = np.zeros(0, np.int32)


class _Table:
    """Strings (chunks or words) -> their pieces' offsets relative to the string, as arrays."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.chars = 0
        self._first = np.zeros(1024, np.int64)  # per string id: its first piece
        self._count = np.zeros(1024, np.int64)
        self._starts = np.zeros(4096, np.int32)
        self._ends = np.zeros(4096, np.int32)
        self._pieces = 0

    def add(self, keys: Sequence[str], count: Sequence[int] | np.ndarray,
            starts: Sequence[int] | np.ndarray, ends: Sequence[int] | np.ndarray) -> None:
        n, k = len(self.ids), len(keys)
        count = np.asarray(count, np.int64)
        self.ids.update(zip(keys, range(n, n + k), strict=True))
        self.chars += sum(map(len, keys))
        self._first, self._count = _room(self._first, n + k), _room(self._count, n + k)
        self._first[n:n + k] = self._pieces + np.cumsum(count) - count
        self._count[n:n + k] = count
        end = self._pieces + int(count.sum())
        self._starts, self._ends = _room(self._starts, end), _room(self._ends, end)
        self._starts[self._pieces:end] = starts
        self._ends[self._pieces:end] = ends
        self._pieces = end

    def gather(self, keys: Sequence[str], positions: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Starts and ends of the pieces of `keys` found at `positions`, and each key's count."""
        ids = np.fromiter(map(self.ids.__getitem__, keys), np.int64, len(keys))
        count = self._count[ids]
        # piece k of the text is piece (k - first piece of its key) of the key's entry
        before = np.cumsum(count) - count
        entry = np.repeat(self._first[ids] - before, count) + np.arange(int(count.sum()))
        shift = np.repeat(positions.astype(np.int32), count)
        return self._starts[entry] + shift, self._ends[entry] + shift, count


class PieceOffsets:
    """Word-piece offsets of text segments for one tokenizer; remembers chunks it has seen."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self._tok = tokenizer
        config = json.loads(tokenizer.to_str())
        normalizer, model = config.get("normalizer") or {}, config.get("model") or {}
        # Chunk by chunk is the tokenizer's own result only for this pipeline; anything else is
        # tokenized whole, as before.
        self.by_chunk = (normalizer.get("type") == "BertNormalizer"
                         and normalizer.get("clean_text") is True
                         and (config.get("pre_tokenizer") or {}).get("type") == "BertPreTokenizer"
                         and model.get("type") == "WordPiece")
        vocab = model.get("vocab") or {}
        self._vocab = frozenset(vocab)
        self._prefix = str(model.get("continuing_subword_prefix", "##"))
        # The longest entries (a word's first piece, and a continuation less its prefix): no
        # longer match is ever tried (an unknown 40-character word cost ~800 lookups).
        self._longest = max((len(t) for t in vocab if not t.startswith(self._prefix)), default=0)
        self._longest_more = max((len(t) - len(self._prefix) for t in vocab
                                  if t.startswith(self._prefix)), default=0)
        self._max_word = int(model.get("max_input_chars_per_word", 100))
        self.ascii_wordpiece = (self.by_chunk and normalizer.get("lowercase") is True
                                and model.get("unk_token") in vocab)
        # Special tokens ([CLS], [MASK]...) are matched in the raw text before anything else: a
        # chunk holding one goes to the tokenizer.
        specials = [t["content"] for t in config.get("added_tokens") or [] if t.get("content")]
        self._special = re.compile("|".join(map(re.escape, specials)), re.I) if specials else None
        self._chunks, self._words = _Table(), _Table()

    def encode(self, segment: str) -> tuple[np.ndarray, np.ndarray]:
        """Start and end (int32, relative to the segment) of every non-empty word piece."""
        if not self.by_chunk or _NOT_A_SPACE.search(segment):
            return self._tokenizer_offsets(segment)
        chunks = segment.split()
        positions = _chunk_starts(segment)
        if len(positions) != len(chunks):  # cannot happen; never guess
            return self._tokenizer_offsets(segment)
        if not chunks:
            return _EMPTY, _EMPTY
        if len(self._chunks.ids) > MAX_CACHED or self._chunks.chars > MAX_CACHED_CHARS:
            self._chunks = _Table()
        if len(self._words.ids) > MAX_CACHED:
            self._words = _Table()
        self._learn(list(set(chunks).difference(self._chunks.ids)))
        starts, ends, _ = self._chunks.gather(chunks, positions)
        return starts, ends

    def _learn(self, chunks: list[str]) -> None:
        """Tokenize chunks not seen before into the chunk table."""
        plain = [c for c in chunks if c.isascii() and not _NOT_PRINTABLE.search(c)
                 ] if self.ascii_wordpiece else []
        joined = " ".join(plain)
        if self._special is not None and self._special.search(joined):
            plain = [c for c in plain if not self._special.search(c)]
            joined = " ".join(plain)
        if len(plain) < len(chunks):
            kept = set(plain)
            self._learn_other([c for c in chunks if c not in kept])
        if plain:
            self._learn_plain(plain, joined)

    def _learn_other(self, chunks: list[str]) -> None:
        """Any chunks, by the tokenizer: joined by spaces into one call (a call costs ~20 µs
        however short), the pieces then cut back into chunks."""
        lengths = np.fromiter(map(len, chunks), np.int64, len(chunks))
        chunk_at = np.cumsum(lengths + 1) - (lengths + 1)  # where each chunk is in the join
        encoding = self._tok.encode(" ".join(chunks), add_special_tokens=False)
        found = np.asarray(encoding.offsets, dtype=np.int64).reshape(-1, 2)
        found = found[found[:, 1] > found[:, 0]]
        of_piece = np.searchsorted(chunk_at, found[:, 0], side="right") - 1
        shift = chunk_at[of_piece]
        if len(found) and (np.any(np.diff(of_piece) < 0)
                           or np.any(found[:, 1] > shift + lengths[of_piece])):
            # a piece across chunks: cannot happen (see above); never guess
            self._add_pieces(self._chunks, chunks, [self._tokenizer_pieces(c) for c in chunks])
            return
        self._chunks.add(chunks, np.bincount(of_piece, minlength=len(chunks)),
                         found[:, 0] - shift, found[:, 1] - shift)

    @staticmethod
    def _add_pieces(table: _Table, keys: list[str], pieces: list[list[tuple[int, int]]]) -> None:
        table.add(keys, [len(p) for p in pieces], [s for p in pieces for s, _ in p],
                  [e for p in pieces for _, e in p])

    def _learn_plain(self, chunks: list[str], joined: str) -> None:
        """Printable-ASCII chunks, all at once: their words' pieces, cut back into chunks."""
        words = _ASCII_WORD.findall(joined)
        codes = np.frombuffer(joined.encode("ascii"), np.uint8)
        alnum = _ALNUM[codes]
        word_start = _PUNCT[codes]
        word_start[0] |= alnum[0]
        word_start[1:] |= alnum[1:] & ~alnum[:-1]
        positions = np.flatnonzero(word_start)
        if len(positions) != len(words):  # cannot happen; never guess
            self._add_pieces(self._chunks, chunks, [self._tokenizer_pieces(c) for c in chunks])
            return
        new = list(set(words).difference(self._words.ids))
        if new:
            self._add_pieces(self._words, new, [self._wordpiece(w.lower()) for w in new])
        starts, ends, count = self._words.gather(words, positions)
        lengths = np.fromiter(map(len, chunks), np.int64, len(chunks))
        chunk_at = np.cumsum(lengths + 1) - (lengths + 1)  # where each chunk is in `joined`
        of_piece = np.repeat(np.searchsorted(chunk_at, positions, side="right") - 1, count)
        shift = chunk_at[of_piece].astype(np.int32)
        self._chunks.add(chunks, np.bincount(of_piece, minlength=len(chunks)), starts - shift,
                         ends - shift)

    def _wordpiece(self, word: str) -> list[tuple[int, int]]:
        """The tokenizer's WordPiece: longest vocabulary match first; a word that does not
        split into vocabulary entries, or is too long, is one unknown piece."""
        if len(word) > self._max_word:
            return [(0, len(word))]
        vocab, prefix = self._vocab, self._prefix
        out: list[tuple[int, int]] = []
        start = 0
        while start < len(word):
            end = min(len(word), start + (self._longest_more if start else self._longest))
            while end > start:
                if (word[start:end] if start == 0 else prefix + word[start:end]) in vocab:
                    break
                end -= 1
            else:
                return [(0, len(word))]
            out.append((start, end))
            start = end
        return out

    def _tokenizer_pieces(self, text: str) -> list[tuple[int, int]]:
        return [(s, e) for s, e in self._tok.encode(text, add_special_tokens=False).offsets
                if e > s]

    def _tokenizer_offsets(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """What chunking did before: the tokenizer over the whole segment."""
        encoding = self._tok.encode(text, add_special_tokens=False)
        found = np.asarray(encoding.offsets, dtype=np.int32).reshape(-1, 2)
        found = found[found[:, 1] > found[:, 0]]
        return found[:, 0].copy(), found[:, 1].copy()


def _chunk_starts(text: str) -> np.ndarray:
    """Where each of text.split()'s chunks starts (text holds none of _NOT_A_SPACE)."""
    if text.isascii():
        space = _ASCII_SPACE[np.frombuffer(text.encode("ascii"), np.uint8)]
    else:
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
        space = _SPACE_LUT[np.minimum(codes, len(_SPACE_LUT) - 1)]
    starts = ~space
    starts[1:] &= space[:-1]
    return np.flatnonzero(starts)


def _room(a: np.ndarray, n: int) -> np.ndarray:
    """`a`, grown (doubling) to hold at least n entries."""
    if n <= len(a):
        return a
    grown = np.zeros(max(n, 2 * len(a)), a.dtype)
    grown[:len(a)] = a
    return grown
