"""Plain text, source code, Markdown and reStructuredText, with charset detection."""

from __future__ import annotations

import codecs
import re

from .charset_guess import codec_name, guess_charset
from .common import Source, TextBuilder, choose_title
from .types import Extracted

_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
_SAMPLE = 64 * 1024  # charset detection on a prefix: it is slow on megabytes


def bytes_per_char_limit(max_chars: int) -> int:
    return max_chars * 4 + 16


def guess_utf16(data: bytes) -> str | None:
    """BOM-less UTF-16: mostly-ASCII text has a zero in every other byte.

    Text in other scripts has few zero bytes; charset-normalizer recognises those (CJK,
    Cyrillic, ... UTF-16 without a BOM) from the byte pattern later on."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zeros_odd > 0.3 and zeros_even < 0.05:
        return "utf-16-le"
    if zeros_even > 0.3 and zeros_odd < 0.05:
        return "utf-16-be"
    return None


def bom(data: bytes) -> tuple[str, int] | None:
    for mark, enc in _BOMS:
        if data.startswith(mark):
            return enc, len(mark)
    return None


# ISO-2022-JP (still common in Japanese mail) and -KR are 7-bit: they pass as UTF-8 and must
# be recognised first, by their escape sequences.
_ISO2022 = re.compile(rb"\x1b(?:\$[@B]|\$\(D|\(J|\(I|\$A|\$\(C|\$\)C)")
_ISO2022_CODECS = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_kr")


def _iso2022(sample: bytes) -> str | None:
    if b"\x1b" not in sample or not sample.isascii() or not _ISO2022.search(sample):
        return None
    for enc in _ISO2022_CODECS:
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return enc
        except UnicodeDecodeError:
            continue
    return None


def detect_encoding(data: bytes, declared: str | None = None) -> tuple[str, int]:
    """(encoding, number of BOM bytes to skip): BOM, ISO-2022 escapes, valid UTF-8, declared,
    guessed."""
    found = bom(data)
    if found:
        return found
    sample = data[:_SAMPLE]
    iso = _iso2022(sample)
    if iso:
        return iso, 0
    try:
        # A cut in the middle of a multi-byte char at the sample's end is not an error.
        _utf8_prefix(data)
        return "utf-8", 0
    except UnicodeDecodeError:
        pass
    enc = codec_name(declared) if declared else None
    if enc:
        try:
            codecs.getincrementaldecoder(enc)().decode(sample, final=False)
            return enc, 0
        except (UnicodeDecodeError, TypeError, ValueError):
            pass
    utf16 = guess_utf16(data)
    if utf16:
        return utf16, 0
    return guess_charset(sample), 0


def _utf8_prefix(data: bytes) -> None:
    if b"\x00" in data[:_SAMPLE]:  # valid UTF-8, but UTF-16 or binary in practice
        raise UnicodeDecodeError("utf-8", b"", 0, 1, "NUL byte")
    codecs.getincrementaldecoder("utf-8")().decode(data[:_SAMPLE], final=False)


def decode(data: bytes, declared: str | None = None) -> str:
    enc, skip = detect_encoding(data, declared)
    return data[skip:].decode(enc, errors="replace")


def looks_textual(data: bytes) -> bool:
    """Does a prefix of unknown content decode cleanly with few control characters?"""
    sample = data[:_SAMPLE]
    if not sample:
        return True
    enc, skip = detect_encoding(sample)
    if b"\x00" in sample and not enc.startswith(("utf-16", "utf-32")):
        return False
    try:
        text = codecs.getincrementaldecoder(enc)().decode(sample[skip:], final=False)
    except (UnicodeDecodeError, LookupError):
        return False
    if not text:
        return False
    bad = sum(1 for c in text if (c < " " and c not in "\t\n\r\f") or c == "\ufffd")
    return bad / len(text) < 0.01


def read_text(src: Source, max_chars: int, declared: str | None = None) -> str:
    data, _ = src.read(bytes_per_char_limit(max_chars))
    return decode(data, declared)


# --- plain text -----------------------------------------------------------------------------


def extract_plain(src: Source, max_chars: int, fmt: str = "text") -> Extracted:
    b = TextBuilder(max_chars)
    b.add(read_text(src, max_chars))
    return b.build(choose_title(None, b, src.stem), fmt)


# --- Markdown -------------------------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]{40,}")


def extract_markdown(src: Source, max_chars: int) -> Extracted:
    text = _DATA_URI.sub("", read_text(src, max_chars))  # inline images are not text
    lines = text.splitlines()
    b = TextBuilder(max_chars)
    para: list[str] = []
    in_fence = False
    i = 0
    while i < len(lines) and not b.full:
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
        heading: tuple[str, int] | None = None
        skip = 1
        if not in_fence:
            m = _ATX.match(line)
            nxt = lines[i + 1] if i + 1 < len(lines) else ""
            sm = _SETEXT.match(nxt)
            starts_para = not para or not para[-1].strip()
            if m:
                heading = (m.group(2), len(m.group(1)))
            elif sm and line.strip() and starts_para and not _SETEXT.match(line):
                heading, skip = (line, 1 if sm.group(1)[0] == "=" else 2), 2
        if heading:
            b.add("\n".join(para))
            para = []
            b.heading(*heading)
        else:
            para.append(line)
        i += skip
    b.add("\n".join(para))
    return b.build(choose_title(None, b, src.stem), "markdown")


# --- reStructuredText -----------------------------------------------------------------------

_ADORN = re.compile(r"""^([=\-~^"'`#*+:.!$%&,;<>?@_|/\\])\1{2,}\s*$""")


def extract_rst(src: Source, max_chars: int) -> Extracted:
    lines = read_text(src, max_chars).splitlines()
    b = TextBuilder(max_chars)
    styles: list[str] = []  # adornment styles in order of first use = heading levels
    para: list[str] = []
    i = 0
    while i < len(lines) and not b.full:
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        over = _ADORN.match(line)
        if over and i + 2 < len(lines) and _ADORN.match(lines[i + 2]) and lines[i + 1].strip():
            title, style, skip = lines[i + 1], "o" + line.strip()[0], 3  # over- and underline
        elif (
            line.strip()
            and not over
            and _ADORN.match(nxt)
            and len(nxt.strip()) >= len(line.strip())
        ):
            title, style, skip = line, nxt.strip()[0], 2
        else:
            para.append(line)
            i += 1
            continue
        if style not in styles:
            styles.append(style)
        b.add("\n".join(para))
        para = []
        b.heading(title, styles.index(style) + 1)
        i += skip
    b.add("\n".join(para))
    return b.build(choose_title(None, b, src.stem), "rst")
