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
    shown = os.fsencode(path).decode("utf-8", "backslashreplace")
    return shown.replace("\n", "\\n").replace("\r", "\\r")
