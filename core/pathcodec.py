"""File paths <-> catalog text.

POSIX file names are bytes; Python shows undecodable bytes as lone surrogates, which SQLite cannot
store as text. Such paths are kept as "b64:" + base64 of the raw bytes (a real absolute path never
starts with "b64:"), so every file on disk has a reversible catalog entry.
"""

from __future__ import annotations

import base64
import os

_PREFIX = "b64:"


def to_db(path: str) -> str:
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return _PREFIX + base64.b64encode(os.fsencode(path)).decode("ascii")


def from_db(text: str) -> str:
    if text.startswith(_PREFIX):
        return os.fsdecode(base64.b64decode(text[len(_PREFIX):]))
    return text


def display(path: str) -> str:
    """A printable form of a path (undecodable bytes shown as \\xNN, newlines as \\n)."""
    shown = os.fsencode(shown_path(path)).decode("utf-8", "backslashreplace")
    return shown.replace("\n", "\\n").replace("\r", "\\r")


# A document inside another (an archive member, an e-mail attachment) is catalogued as the
# container's path, this separator, and its name inside: "/docs/a.zip//reports/q3.pdf". A
# normalised path never holds "//" past its start, so no file on disk can have such a path;
# member names are normalised so that they never hold one either.
MEMBER_SEP = "//"
MEMBER_SHOWN = " › "


def member_path(container: str, name: str) -> str:
    return f"{container}{MEMBER_SEP}{name}"


def split_member(path: str) -> tuple[str, list[str]]:
    """The file on disk and the names inside it, outermost first ([] for a plain file)."""
    cut = path.find(MEMBER_SEP, 1)  # a leading "//" is a POSIX path, not a member
    if cut < 0:
        return path, []
    return path[:cut], path[cut + len(MEMBER_SEP):].split(MEMBER_SEP)


def shown_path(path: str) -> str:
    """How a member's path reads to a person: "a.zip › reports/q3.pdf"."""
    outer, inner = split_member(path)
    return MEMBER_SHOWN.join([outer, *inner])
