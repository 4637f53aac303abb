"""RTF via striprtf, after cutting out embedded pictures/objects (hex blobs make it crawl)."""

from __future__ import annotations

import codecs
import re

from striprtf.striprtf import rtf_to_text

from .common import Source, TextBuilder, choose_title, fail
from .types import Extracted, ExtractionError

# Destinations that hold binary data or metadata, never body text.
_BLOBS = re.compile(
    r"\{(?:\\\*)?\\(?:pict|shppict|nonshppict|objdata|themedata|datastore|colorschememapping|"
    r"blipuid|bliptag|fontemb|fontfile|passwordhash|xmlnstbl|latentstyles|panose)\b"
)
_BRACES = re.compile(r"\\bin(\d+) ?|\\[{}\\]|[{}]")
_CODEPAGE = re.compile(rb"\\ansicpg(\d+)")
# striprtf drops headers/footers/footnotes as destinations; they are text we want to find.
_KEEP = re.compile(r"\\(?:header|footer)[lrf]?\b|\\footnote\b")
# "\*" only means "ignorable destination" right after "{"; elsewhere striprtf would drop
# the whole group.
_STRAY_STAR = re.compile(r"(?<!\{)(?<!\\)\\\*")
_TITLE = re.compile(r"\{\\title\s*((?:[^{}\\]|\\.)*?)\}")


def strip_blobs(text: str) -> str:
    """Remove {\\pict ...}-style groups with a brace scan that also skips \\binN payloads."""
    out: list[str] = []
    pos = 0
    while True:
        m = _BLOBS.search(text, pos)
        if not m:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : m.start()])
        depth, i = 1, m.end()
        while depth and i < len(text):
            b = _BRACES.search(text, i)
            if not b:
                i = len(text)
                break
            i = b.end()
            if b.group(1):
                i += int(b.group(1))
            elif b.group() == "{":
                depth += 1
            elif b.group() == "}":
                depth -= 1
        pos = i


def codepage(data: bytes) -> str:
    m = _CODEPAGE.search(data[:4096])
    if m:
        enc = f"cp{int(m.group(1))}"
        try:
            codecs.lookup(enc)
            return enc
        except LookupError:
            pass
    return "cp1252"


def extract_rtf(src: Source, max_chars: int) -> Extracted:
    data, _ = src.read(max_chars * 8 + 1024)  # markup-heavy: allow more bytes than chars
    if not data.lstrip()[:5] == b"{\\rtf":
        raise ExtractionError("corrupt RTF: missing {\\rtf header")
    enc = codepage(data)
    try:
        raw = strip_blobs(data.decode(enc, errors="replace"))
        text = rtf_to_text(_STRAY_STAR.sub("", _KEEP.sub(r"\\par", raw)), enc, errors="replace")
        # striprtf turns \uN escapes into UTF-16 halves: pair them up into real characters.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        m = _TITLE.search(raw[:100_000])
        meta = rtf_to_text("{" + m.group(1) + "}", encoding=enc, errors="replace") if m else None
    except Exception as e:
        raise fail("RTF", e) from e
    b = TextBuilder(max_chars)
    b.add(text)
    return b.build(choose_title(meta, b, src.stem), "rtf")
