"""Snippets: the part of a passage with the most query words, with those words marked."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.search.stopwords import STOP_WORDS
from core.text.cjk import cjk_spans, has_cjk, non_cjk_words, query_terms

_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ments", "ment", "ings", "ing", "edly", "ies", "ied", "ness",
             "ers", "er", "ed", "es", "ly", "s", "e")


def stem(word: str) -> str:
    """A light suffix stripper: enough to mark "indexing" for "indexed", not a linguistics tool."""
    w = word.lower()
    for suffix in _SUFFIXES:
        # A final "e" goes only from longer words: "license" ~ "licensing", but "care" != "car".
        if w.endswith(suffix) and len(w) - len(suffix) >= (4 if suffix == "e" else 3):
            return w[: -len(suffix)]
    return w


@dataclass(frozen=True)
class Snippet:
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # marked ranges in `text`

    def marked(self, left: str = "**", right: str = "**") -> str:
        out, pos = [], 0
        for s, e in self.spans:
            out.append(self.text[pos:s])
            out.append(left + self.text[s:e] + right)
            pos = e
        out.append(self.text[pos:])
        return "".join(out)


def query_stems(words: Iterable[str]) -> set[str]:
    """What match_spans looks for: the stems of the query's words, and for CJK the bigrams and
    single characters the keyword search matched on (core.text.cjk)."""
    stems = set()
    for w in words:
        if has_cjk(w):  # its CJK pieces as they are, its other words stemmed as always
            for t in query_terms(w):
                if has_cjk(t):
                    stems.add(t)
                elif t not in STOP_WORDS:
                    stems.add(stem(t))
            continue
        for t in _WORD.findall(w):
            if t.lower() not in STOP_WORDS:
                stems.add(stem(t))
    return stems


def match_spans(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """The (start, end) of every query word in the text, in order. In CJK text, a span per
    occurrence of a query bigram or character, overlapping ones merged ("北京大学" for a query
    of it is one span): a whole run there is one \\w+ word and would never match."""
    if not has_cjk(text):
        return [(m.start(), m.end()) for m in _WORD.finditer(text) if stem(m.group()) in stems]
    spans = [(m.start(), m.end()) for m in non_cjk_words(text) if stem(m.group()) in stems]
    cjk = {s for s in stems if has_cjk(s)}
    if cjk:
        spans = sorted(spans + cjk_spans(text, cjk))
    return spans


def make_snippet(text: str, words: Iterable[str], width: int = 280) -> Snippet:
    """The window of `width` characters holding the most distinct query words, marked."""
    stems = query_stems(words)
    spans = match_spans(text, stems) if stems else []
    if len(text) <= width:
        return _collapse_whitespace(text, spans)
    start = _best_window(text, spans, width)
    end = min(len(text), start + width)
    # Snap to word boundaries so no word is cut in half.
    if start > 0:
        space = text.find(" ", start, start + 30)
        start = space + 1 if space != -1 else start
    if end < len(text):
        space = text.rfind(" ", end - 30, end)
        end = space if space != -1 else end
    window = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    snippet = _collapse_whitespace(text[start:end], window)
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    shift = len(prefix)
    spans = [(s + shift, e + shift) for s, e in snippet.spans]
    return Snippet(prefix + snippet.text + suffix, spans)


def _collapse_whitespace(text: str, spans: list[tuple[int, int]]) -> Snippet:
    """Runs of whitespace become one space (snippets are one line); spans follow the text."""
    out: list[str] = []
    new_pos = [0] * (len(text) + 1)
    in_space = False
    for i, ch in enumerate(text):
        new_pos[i] = len(out)
        if ch.isspace():
            if not in_space and out:
                out.append(" ")
            in_space = True
        else:
            out.append(ch)
            in_space = False
    new_pos[len(text)] = len(out)
    collapsed = "".join(out).rstrip()
    return Snippet(collapsed, [(new_pos[s], new_pos[e]) for s, e in spans])


def _best_window(text: str, spans: list[tuple[int, int]], width: int) -> int:
    if not spans:
        return 0
    best_start, best_score = spans[0][0], -1
    for i, (s, _) in enumerate(spans):
        distinct = {stem(text[a:b]) for a, b in spans[i:] if b <= s + width}
        score = len(distinct) * 10 + sum(1 for a, b in spans[i:] if b <= s + width)
        if score > best_score:
            best_start, best_score = s, score
    # Give the first match a little left context.
    return max(0, best_start - width // 5)
