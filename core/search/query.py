"""Query syntax: words, "exact phrases", -excluded words and filters.

    budget report ext:pdf in:~/Work after:2024-01-01 before:2024-06-30 "net income" -draft

Anything that does not parse as syntax is kept as plain words, so no query is ever an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_FILTER = re.compile(r"^(ext|type|in|after|before):(.+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Filters:
    extensions: tuple[str, ...] = ()  # lower-case, without the dot
    folders: tuple[str, ...] = ()  # absolute folder paths (prefix match)
    after: float | None = None  # mtime >= after (epoch seconds)
    before: float | None = None  # mtime < before

    def is_empty(self) -> bool:
        return not (self.extensions or self.folders or self.after or self.before)

    def merged(self, other: Filters) -> Filters:
        """Both sets of filters at once (widgets and query syntax narrow each other)."""
        if self.extensions and other.extensions:
            common = tuple(e for e in self.extensions if e in other.extensions)
            extensions = common or ("\x00",)  # nothing can match both
        else:
            extensions = self.extensions or other.extensions
        return Filters(
            extensions=extensions,
            folders=_narrowest(self.folders, other.folders),
            after=max((t for t in (self.after, other.after) if t is not None), default=None),
            before=min((t for t in (self.before, other.before) if t is not None), default=None),
        )


def _narrowest(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Folders inside both selections: where one folder lies within another, the inner one."""
    if not a or not b:
        return a or b
    inner = [x for x in a for y in b if x == y or x.startswith(y.rstrip("/") + "/")]
    inner += [y for y in b for x in a if y.startswith(x.rstrip("/") + "/")]
    return tuple(dict.fromkeys(inner)) or ("\x00",)


@dataclass(frozen=True)
class Query:
    text: str  # the free text the models see: words and phrases, without syntax
    words: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()  # words or phrases that must not occur
    filters: Filters = field(default_factory=Filters)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases)

    def with_filters(self, filters: Filters) -> Query:
        return replace(self, filters=self.filters.merged(filters))


def literal_query(raw: str) -> Query:
    """Text taken as it is, with no syntax (quotes and dashes are just punctuation): how
    evaluation collections' natural-language queries are meant to be read."""
    words = tuple(w for w in (raw or "").split() if any(c.isalnum() for c in w))
    return Query(text=" ".join(words), words=words)


def parse_query(raw: str) -> Query:
    words: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    exts: list[str] = []
    folders: list[str] = []
    after = before = None
    ordered: list[str] = []  # words and phrases in the order typed, for the models
    for m in _TOKEN.finditer(raw or ""):
        negated, phrase, word = m.group(1), m.group(2), m.group(3)
        if phrase is not None:
            phrase = " ".join(phrase.split())
            if not phrase:
                continue
            (excluded if negated else phrases).append(phrase)
            if not negated:
                ordered.append(phrase)
            continue
        f = _FILTER.match(word)
        if f:
            key, value = f.group(1).lower(), f.group(2)
            if key in ("ext", "type"):
                exts.extend(e.lower().lstrip(".") for e in value.split(",") if e.strip("."))
                continue
            if key == "in":
                folder = _folder(value)
                if folder is not None:
                    folders.append(folder)
                    continue
            else:
                when = _parse_date(value)
                if when is not None:
                    if key == "after":
                        after = when
                    else:
                        before = when
                    continue
        if word.startswith("-") and len(word) > 1:
            excluded.append(word[1:])
        elif word.strip("-"):
            words.append(word)
            ordered.append(word)
    text = " ".join(ordered)
    return Query(text=text, words=tuple(words), phrases=tuple(phrases), excluded=tuple(excluded),
                 filters=Filters(tuple(exts), tuple(folders), after, before))


def _folder(value: str) -> str | None:
    """An absolute folder path, or None for what cannot be one (NUL bytes, symlink loops)."""
    try:
        return str(Path(value).expanduser().resolve())
    except (ValueError, OSError, RuntimeError):
        return None


def _parse_date(value: str) -> float | None:
    """ISO dates (2024, 2024-03, 2024-03-05) and relative ones (7d, 2w, 3m, 1y), as a POSIX
    timestamp; None for anything else, out-of-range dates included (then it is a word)."""
    value = value.strip()
    try:
        rel = re.fullmatch(r"(\d{1,7})([dwmy])", value, re.ASCII)
        if rel:
            n, unit = int(rel.group(1)), rel.group(2)
            days = n * {"d": 1, "w": 7, "m": 30, "y": 365}[unit]
            return (datetime.now() - timedelta(days=days)).timestamp()
        for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
            try:
                return datetime.strptime(value, fmt).timestamp()
            except ValueError:
                continue
    except (OverflowError, ValueError, OSError):
        pass
    return None
