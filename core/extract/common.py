"""Shared plumbing for extractors: the input source, the text builder, safe parsers, titles."""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from lxml import etree

from .types import Extracted, ExtractionError, Section

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation

# Zip-bomb guards: a member may not declare more than this, nor inflate absurdly.
ZIP_MEMBER_MAX = 200 * 1024 * 1024
ZIP_RATIO_MAX = 100
ZIP_RATIO_MIN_SIZE = 20 * 1024 * 1024
ZIP_TOTAL_MAX = 1024 * 1024 * 1024
ZIP_MAX_MEMBERS = 100_000


@dataclass
class Source:
    """A document to extract: a file on disk, or bytes already in memory (e.g. from a .gz)."""

    name: str
    path: Path | None = None
    content: bytes | None = None
    # Text recognised earlier by the OCR phase, by page (1-based): used in place of the pixels.
    ocr_text: dict[int, str] | None = None
    _head: bytes | None = field(default=None, repr=False)
    _head_len_asked: int = field(default=0, repr=False)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    @property
    def stem(self) -> str:
        return Path(self.name).stem or self.name

    def open(self) -> IO[bytes]:
        if self.content is not None:
            return io.BytesIO(self.content)
        assert self.path is not None
        # Read-only: inputs are never modified. Not through a symlink, and never blocking on
        # a named pipe swapped in for the file (O_NONBLOCK changes nothing for regular files).
        fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK | _BINARY)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ExtractionError("not a regular file")
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def head(self, n: int = 8192) -> bytes:
        """The first `n` bytes (for magic numbers and sniffing), read once."""
        if self._head is None or (len(self._head) < n and self._head_len_asked < n):
            with self.open() as f:
                self._head = f.read(max(n, 8192))
            self._head_len_asked = max(n, 8192)
        return self._head[:n]

    def read(self, limit: int) -> tuple[bytes, bool]:
        """Up to `limit` bytes, and whether the input was longer."""
        if self.content is not None:
            return self.content[:limit], len(self.content) > limit
        with self.open() as f:
            data = f.read(limit + 1)
        return data[:limit], len(data) > limit

    def size(self) -> int:
        if self.content is not None:
            return len(self.content)
        assert self.path is not None
        return self.path.stat().st_size


def fail(kind: str, exc: BaseException) -> ExtractionError:
    """Wrap a library exception in a short human reason ("corrupt DOCX: KeyError: ...")."""
    msg = str(exc).strip().replace("\n", " ")
    if isinstance(exc, zipfile.BadZipFile) and "not a zip file" in msg:
        detail = "truncated or damaged (zip directory not found)"
    elif isinstance(exc, EOFError):
        detail = "file is truncated"
    elif isinstance(exc, zlib.error):
        detail = f"damaged compressed data ({msg})"
    elif XML_TOO_DEEP in msg:  # libxml2's wording names a parser option, not the problem
        detail = f"nested deeper than {XML_MAX_DEPTH} levels"
    else:
        detail = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return ExtractionError(f"corrupt {kind}: {detail}"[:200])


# --- text normalisation ------------------------------------------------------------------

_NEWLINES = re.compile(r"\r\n?|[\f\v\x85\u2028\u2029]")
# Controls, BOMs, and the private-use block where Symbol/Wingdings glyphs (bullets) land.
# Lone surrogates (from broken UTF-16 escapes) cannot even be encoded as UTF-8.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufeff\ufffe\uffff\uf000-\uf0ff\ud800-\udfff]")
# Only what actually changes: re.sub builds a list entry per match, so matching every single
# space or newline made a 100 MB one-line file cost ~700 MB of small strings.
_OTHER_SPACE = r"\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_HSPACE = re.compile(rf"[ {_OTHER_SPACE}]{{2,}}|[{_OTHER_SPACE}]")
_OTHER_SPACE_CHAR = re.compile(f"[{_OTHER_SPACE}]")
_EDGE_SPACE = re.compile(r" \n ?|\n ")
_BLANKS = re.compile(r"\n{3,}")


def normalise(text: str) -> str:
    """Collapse runs of spaces, drop control chars, keep paragraph breaks as one blank line."""
    if text.isprintable() and "  " not in text:
        # No newline, control, BOM, private-use or space but " " (all are unprintable), and
        # no double space: none of the substitutions below would change anything.
        return text.strip()
    if not text.isascii() or "\r" in text or "\f" in text or "\v" in text:
        text = _NEWLINES.sub("\n", text)  # (in ASCII it can only match one of these three)
    text = _CONTROL.sub("", text)
    # These patterns stop at every space or newline of a text; a substring test says first
    # whether they can match at all (most texts have no double space, no space beside a
    # newline, no three newlines in a row).
    if "  " in text or _OTHER_SPACE_CHAR.search(text):
        text = _HSPACE.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = _EDGE_SPACE.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANKS.sub("\n\n", text)
    return text.strip()


def words(text: str) -> list[str]:
    """Long keyword lists stay readable as one string."""
    return text.split()


def one_line(text: str) -> str:
    return " ".join(text.split())


class TextBuilder:
    """Accumulates normalised blocks joined by blank lines, with sections at exact offsets."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._parts: list[str] = []
        self._len = 0
        self._sections: list[Section] = []
        self._pending: list[tuple[str, str, int]] = []
        self.truncated = False
        self.warnings: list[str] = []
        self.first_heading: str | None = None

    @property
    def full(self) -> bool:
        return self.truncated

    def __len__(self) -> int:
        return self._len

    def section(self, kind: str, label: str, level: int = 0) -> None:
        """Mark a section starting at the next block added."""
        self._pending.append((kind, one_line(label)[:200], level))

    def cancel_pending(self) -> None:
        """Forget marks not yet placed (e.g. a chapter that turned out empty)."""
        self._pending.clear()

    def heading(self, text: str, level: int) -> None:
        text = one_line(text)
        if not text:
            return
        self.section("heading", text, max(1, level))
        if self.first_heading is None:
            self.first_heading = text
        self.add(text, raw=True)

    def add(self, text: str, raw: bool = False) -> None:
        if self.truncated:
            return
        block = text if raw else normalise(text)
        if not block:
            return
        sep = "\n\n" if self._len else ""
        start = self._len + len(sep)
        room = self.max_chars - start
        if room <= 0:
            self._truncate()
            return
        for kind, label, level in self._pending:
            self._sections.append(Section(kind, label, start, level))
        self._pending.clear()
        if len(block) > room:
            block = block[:room]
            self._truncate()
        self._parts.append(sep + block)
        self._len = start + len(block)

    def _truncate(self) -> None:
        self.truncated = True
        self._pending.clear()
        self.warnings.append(f"truncated to {self.max_chars:,} chars")

    def text(self) -> str:
        return "".join(self._parts)

    def build(self, title: str, fmt: str) -> Extracted:
        # Sections marked after the last block (e.g. empty trailing pages) point at the end.
        for kind, label, level in self._pending:
            self._sections.append(Section(kind, label, self._len, level))
        self._pending.clear()
        return Extracted(title, self.text(), fmt, list(self._sections), list(self.warnings))


# --- titles ------------------------------------------------------------------------------

_JUNK_TITLES = re.compile(
    r"^(untitled|untitled document|document\d*|title|none|null|slide \d+|"
    r"powerpoint presentation|microsoft word - .*|\W*)$",
    re.IGNORECASE,
)
_FILE_LIKE = re.compile(r"^[\w\-. ]+\.(docx?|pdf|pptx?|xlsx?|odt|rtf|txt|indd|qxd|tmp)$", re.I)


def sensible_title(title: str | None) -> str | None:
    """A metadata title worth showing, or None (placeholders, file names, junk)."""
    if not title:
        return None
    t = one_line(str(title)).strip("\x00")
    if not t or len(t) > 300 or _JUNK_TITLES.match(t) or _FILE_LIKE.match(t):
        return None
    if not any(c.isalnum() for c in t):
        return None
    return t


def short_line(text: str, limit: int = 100) -> str | None:
    """First non-empty line of `text`, cut at a word boundary if long."""
    for line in text.split("\n", 50)[:50]:
        line = one_line(line)
        if sum(c.isalpha() for c in line[:50]) >= 2:  # not a bare page number or rule
            if len(line) <= limit:
                return line
            cut = line[:limit].rsplit(" ", 1)[0]
            return (cut if len(cut) > limit // 2 else line[:limit]) + "…"
    return None


def choose_title(meta: str | None, b: TextBuilder, stem: str, use_text: bool = True) -> str:
    """Metadata title if sensible, else first heading / first line, else the file stem."""
    return (
        sensible_title(meta)
        or (short_line(b.first_heading) if b.first_heading else None)
        or (short_line(b.text()[:2000]) if use_text else None)
        or stem
    )


# --- safe XML ----------------------------------------------------------------------------

XML_MAX_DEPTH = 256  # libxml2's limit without XML_PARSE_HUGE (kept: deeper is an attack)
XML_TOO_DEEP = "Excessive depth in document"


def xml_parser(recover: bool = False) -> etree.XMLParser:
    """An lxml parser that never fetches or expands external things (untrusted input)."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        recover=recover,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, recover: bool = False) -> etree._Element:
    root = etree.fromstring(data, xml_parser(recover))
    if root is None:
        raise ValueError("empty XML document")
    return root


def local(tag: object) -> str:
    """Tag name without its namespace ("{ns}p" -> "p"); comments/PIs give ""."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# --- safe zip ----------------------------------------------------------------------------


def open_zip(src: Source, kind: str) -> zipfile.ZipFile:
    """Open a zip container after checking that no member is a decompression bomb."""
    try:
        zf = zipfile.ZipFile(src.open())
    except Exception as e:  # BadZipFile, truncated central directory, ...
        raise fail(kind, e) from e
    check_zip(zf, kind)
    return zf


def check_zip(zf: zipfile.ZipFile, kind: str) -> None:
    infos = zf.infolist()
    if len(infos) > ZIP_MAX_MEMBERS:
        raise ExtractionError(f"{kind} has too many members ({len(infos):,})")
    total = 0
    for info in infos:
        size, packed = info.file_size, max(info.compress_size, 1)
        total += size
        # Deflate never makes data much bigger, so a member packed into far more bytes than
        # it declares lies about its size: zipfile would inflate up to 2 GB to read it.
        if info.compress_type == zipfile.ZIP_DEFLATED and packed > size + size // 100 + 4096:
            raise ExtractionError(
                f"{kind} member {info.filename[:60]!r} declares {size:,} bytes but holds "
                f"{packed:,} compressed (inconsistent sizes, possible zip bomb)"
            )
        if size > ZIP_MEMBER_MAX or (size > ZIP_RATIO_MIN_SIZE and size / packed > ZIP_RATIO_MAX):
            raise ExtractionError(
                f"{kind} member {info.filename[:60]!r} is suspiciously large "
                f"({size / 1e6:,.0f} MB uncompressed, possible zip bomb)"
            )
    if total > ZIP_TOTAL_MAX:
        raise ExtractionError(f"{kind} expands to {total / 1e6:,.0f} MB (possible zip bomb)")


def read_member(zf: zipfile.ZipFile, name: str, kind: str, cap: int = ZIP_MEMBER_MAX) -> bytes:
    """One member's bytes, never more than `cap` (zipfile stops at the declared size)."""
    try:
        info = zf.getinfo(name)
        if info.flag_bits & 0x1:
            raise ExtractionError(f"{kind} is encrypted (password-protected)")
        with zf.open(info) as f:
            data = f.read(cap + 1)
    except ExtractionError:
        raise
    except Exception as e:
        raise fail(kind, e) from e
    if len(data) > cap:
        raise ExtractionError(f"{kind} member {name[:60]!r} is larger than {cap // 1_000_000} MB")
    return data


def zip_names(zf: zipfile.ZipFile) -> set[str]:
    return {i.filename for i in zf.infolist()}
