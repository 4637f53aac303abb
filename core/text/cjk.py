"""Keyword search for Chinese, Japanese and Korean: overlapping character bigrams.

These scripts do not put spaces between words, so SQLite's unicode61 tokenizer makes a whole
run of them one token and a query word inside it never matches. As Lucene's CJK analyzer does,
every run is cut into its overlapping bigrams ("北京大学" -> 北京 京大 大学) on both the index
and the query side: a word of two characters is one term, a longer one a phrase (or a bag) of
terms, and a single character a prefix of terms. Latin text is never touched.

Used by core.store (what the keyword index holds), core.search.lexical (FTS5 expressions) and
core.search.snippets (which characters to mark). No dependencies beyond the standard library.
"""

from __future__ import annotations

import operator
import re

# Every range is one SQLite's unicode61 reads as token characters (checked against 3.40), so the
# bigrams stay whole in the index. Left out on purpose: the kana voicing marks U+3099-309C, the
# katakana middle dot and double hyphen (U+30FB, U+30A0) and CJK punctuation: separators there.
_CJK_CLASS = (
    "\u1100-\u11ff"            # Hangul jamo
    "\u3005-\u3007"            # 々 〆 〇
    "\u3021-\u3029\u3031-\u3035\u3038-\u303c"  # Hangzhou numerals, kana repeat marks, 〻
    "\u3041-\u3096\u309d-\u309f"  # Hiragana
    "\u30a1-\u30fa\u30fc-\u30ff"  # Katakana, with the prolonged sound mark ー
    "\u3131-\u318e"            # Hangul compatibility jamo
    "\u31f0-\u31ff"            # Katakana phonetic extensions
    "\u3400-\u4dbf"            # Han extension A
    "\u4e00-\u9fff"            # Han
    "\ua960-\ua97c"            # Hangul jamo extended A
    "\uac00-\ud7a3"            # Hangul syllables
    "\ud7b0-\ud7fb"            # Hangul jamo extended B
    "\uf900-\ufaff"            # Han compatibility ideographs
    "\uff66-\uff9f"            # halfwidth Katakana (ｰ included)
    "\uffa1-\uffdc"            # halfwidth Hangul
    "\U00020000-\U0002a6df\U0002a700-\U0002ebef\U0002f800-\U0002fa1f\U00030000-\U000323af"
)
_RUN = re.compile(f"[{_CJK_CLASS}]+")
_SPLIT = re.compile(f"([{_CJK_CLASS}]+)")  # re.split keeps the runs at the odd places
_ONE = re.compile(f"[{_CJK_CLASS}]")
# A query word's pieces: CJK runs, or runs of other word characters (\w without CJK, so for a
# word with no CJK this is exactly \w+, the tokenizer the English queries have always used).
_PIECE = re.compile(f"([{_CJK_CLASS}]+)|([^\\W{_CJK_CLASS}]+)")


def has_cjk(text: str) -> bool:
    """Whether the text holds any Chinese, Japanese or Korean character."""
    # isascii runs at memory speed; the regex scan (about 10 ns a character) only for the rest
    return not text.isascii() and _ONE.search(text) is not None


def is_cjk_char(ch: str) -> bool:
    """Whether one character is Han, Kana or Hangul (as segment() reads them)."""
    return len(ch) == 1 and _ONE.match(ch) is not None


def bigrams(run: str) -> list[str]:
    """The overlapping bigrams of a run of CJK characters; a run of one is itself."""
    if len(run) < 2:
        return [run] if run else []
    return list(map(operator.add, run[:-1], run[1:]))


def _segmented(parts: list[str]) -> str:
    """Join re.split(_SPLIT) parts with every run (odd places) replaced by its bigrams."""
    add = operator.add
    for i in range(1, len(parts), 2):
        run = parts[i]
        parts[i] = " " + (" ".join(map(add, run[:-1], run[1:])) if len(run) > 1 else run) + " "
    return "".join(parts)


def segment(text: str) -> str:
    """Each maximal CJK run replaced by its bigrams, spaced, with spaces around it; all other
    text left exactly as it is. "iPhone手机" -> "iPhone 手机 "."""
    return _segmented(_SPLIT.split(text)) if has_cjk(text) else text


def index_text(text: str) -> str | None:
    """What the keyword index holds for a text: None when it has no CJK (the text itself is
    indexed, as always), else segment(text) followed by the last character of every run of
    two or more. Bigrams start at every character but a run's last, so without that tail a
    single-character query (a prefix of terms) would miss the character ending a sentence.
    The tail comes after all the text, so it never splits a phrase."""
    if not has_cjk(text):
        return None
    parts = _SPLIT.split(text)
    tail = " ".join(run[-1] for run in parts[1::2] if len(run) > 1)
    body = _segmented(parts)
    return body + "\n" + tail if tail else body


def query_terms(word: str) -> list[str]:
    """The index terms a query word stands for, in order: its CJK runs as bigrams (a single
    character alone, for a prefix search), its other pieces lower-cased as \\w+ words."""
    terms: list[str] = []
    for m in _PIECE.finditer(word.lower()):
        if m.group(1):
            terms.extend(bigrams(m.group(1)))
        else:
            terms.append(m.group(2))
    return terms


def non_cjk_words(text: str) -> list[re.Match[str]]:
    """The \\w+ words of the text with CJK characters counted as separators (so "iPhone手机"
    holds the word "iPhone"); for text without CJK, exactly \\w+."""
    return [m for m in _PIECE.finditer(text) if m.group(2)]


def cjk_spans(text: str, terms: set[str]) -> list[tuple[int, int]]:
    """Where CJK query terms (bigrams and single characters) occur in the text, overlapping
    or touching occurrences merged: "北京大学" for the terms 北京 京大 大学 is one span."""
    doubles = {t for t in terms if len(t) == 2 and is_cjk_char(t[0]) and is_cjk_char(t[1])}
    singles = {t for t in terms if is_cjk_char(t)}
    if not doubles and not singles:
        return []
    spans: list[tuple[int, int]] = []
    for m in _RUN.finditer(text):
        run, start = m.group(), m.start()
        for i, ch in enumerate(run):
            if ch in singles:
                spans.append((start + i, start + i + 1))
            if i + 1 < len(run) and run[i:i + 2] in doubles:
                spans.append((start + i, start + i + 2))
    return merge_spans(spans)


def merge_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted spans, with those that overlap or touch joined into one."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out
