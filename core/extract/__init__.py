"""Text extraction: `extract(path)` -> Extracted(title, text, format, sections, warnings).

Dispatch is by magic bytes first (so misnamed files still work), then by extension, then by
sniffing text content. Every failure is an ExtractionError with a short human reason:
UnsupportedFormat (a format we cannot read), NotADocument (images, media, binaries, archives)
or plain ExtractionError (corrupt, encrypted, truncated). MemoryError is left to propagate so
that the worker pool can report the memory limit.
"""

from __future__ import annotations

import gzip
import stat
import zlib
from collections.abc import Callable
from pathlib import Path

from .common import Source
from .epub import extract_epub
from .html import extract_html, extract_mhtml
from .image import extract_image
from .legacy_excel import extract_xls
from .legacy_office import extract_doc, extract_ppt
from .mail import extract_eml, extract_mbox, extract_msg
from .man import extract_troff
from .odf import extract_odf
from .office import extract_docx, extract_pptx, extract_xlsx
from .pdf import extract_pdf
from .rtf import extract_rtf
from .sniff import EXT_KIND, MAN_EXT, NOT_DOC_EXT, UNSUPPORTED_EXT, detect, not_a_document
from .text import bytes_per_char_limit, extract_markdown, extract_plain, extract_rst
from .types import Extracted, ExtractionError, NotADocument, Section, UnsupportedFormat
from .xmldoc import extract_xml

__all__ = [
    "Extracted",
    "ExtractionError",
    "NotADocument",
    "Section",
    "UnsupportedFormat",
    "document_format",
    "extract",
    "extract_bytes",
]

GZ_MAX_BYTES = 200 * 1024 * 1024  # decompression cap: a .gz may be a bomb too

_EXTRACTORS: dict[str, Callable[[Source, int], Extracted]] = {
    "pdf": extract_pdf,
    "image": extract_image,
    "doc": extract_doc,
    "xls": extract_xls,
    "ppt": extract_ppt,
    "docx": extract_docx,
    "pptx": extract_pptx,
    "xlsx": extract_xlsx,
    "odf": extract_odf,
    "epub": extract_epub,
    "rtf": extract_rtf,
    "html": extract_html,
    "mhtml": extract_mhtml,
    "xml": extract_xml,
    "eml": extract_eml,
    "mbox": extract_mbox,
    "msg": extract_msg,
    "man": extract_troff,
    "markdown": extract_markdown,
    "rst": extract_rst,
    "text": extract_plain,
    "code": lambda src, n: extract_plain(src, n, "code"),
}
# document_format names for extractor kinds whose name is not the format's.
_FORMAT_OF_KIND = {"eml": "email", "msg": "email", "odf": "odt", "xml": "xml"}
_ODF_FORMATS = {
    ".ods": "ods",
    ".ots": "ods",
    ".odp": "odp",
    ".otp": "odp",
    ".odg": "odg",
    ".fods": "ods",
    ".fodp": "odp",
    ".fodt": "odt",
    ".fodg": "odg",
    ".odf": "odf",
}


def document_format(path: Path) -> str | None:
    """A cheap guess from the extension only (type filter, icons); None when unknown.

    Formats Spyglass skips get a name too ("doc", "image", "archive", ...) so the UI can show
    them in the list of skipped files.
    """
    name = Path(path).name.lower()
    suffix = Path(name).suffix
    if suffix == ".gz":
        return document_format(Path(name[:-3])) if len(name) > 3 else None
    if suffix in _ODF_FORMATS:
        return _ODF_FORMATS[suffix]
    kind = EXT_KIND.get(suffix)
    if kind:
        return _FORMAT_OF_KIND.get(kind, kind)
    if MAN_EXT.match(suffix):
        return "man"
    if suffix in UNSUPPORTED_EXT:
        return suffix.lstrip(".")
    return NOT_DOC_EXT.get(suffix)


def extract(path: Path, max_chars: int = 10_000_000,
            ocr_text: dict[int, str] | None = None) -> Extracted:
    """Extract plain text and structure from one file (read-only; nothing is written).

    `ocr_text` is what the OCR phase recognised, by page: it stands in for the pixels of the
    pages listed in a first extraction's `ocr_pages`."""
    path = Path(path)
    try:
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            raise ExtractionError("file not found") from None
        # Scans never follow links, so a link here was swapped in after the scan: it may
        # point anywhere (outside the indexed folders). Source.open refuses links too.
        if stat.S_ISLNK(mode):
            raise ExtractionError("not a regular file: a symbolic link (links are not followed)")
        if not stat.S_ISREG(mode):
            raise ExtractionError("not a regular file")
        return _extract(Source(name=path.name, path=path, ocr_text=ocr_text), max_chars, depth=0)
    except (ExtractionError, MemoryError):
        raise
    except RecursionError as e:
        raise ExtractionError("corrupt document: nesting too deep") from e
    except PermissionError as e:
        raise ExtractionError("permission denied") from e
    except OSError as e:
        raise ExtractionError(f"cannot read file: {e.strerror or e}"[:200]) from e
    except Exception as e:  # the last line of defence: no raw library exception escapes
        msg = str(e).replace("\n", " ")
        raise ExtractionError(f"parser error: {type(e).__name__}: {msg}"[:200]) from e


def extract_bytes(name: str, data: bytes, max_chars: int = 10_000_000) -> Extracted:
    """Extract a document held in memory (an archive member, an attachment) named `name`."""
    try:
        return _extract(Source(name=name, content=data), max_chars, depth=0)
    except (ExtractionError, MemoryError):
        raise
    except RecursionError as e:
        raise ExtractionError("corrupt document: nesting too deep") from e
    except Exception as e:  # as in extract: no raw library exception escapes
        msg = str(e).replace("\n", " ")
        raise ExtractionError(f"parser error: {type(e).__name__}: {msg}"[:200]) from e


def _extract(src: Source, max_chars: int, depth: int) -> Extracted:
    if src.size() == 0:
        fmt = document_format(Path(src.name)) or "text"
        return Extracted(src.stem, "", fmt, [], ["empty file"])
    kind = detect(src)
    if kind == "gz":
        return _extract_gz(src, max_chars, depth)
    return _EXTRACTORS[kind](src, max_chars)


def _extract_gz(src: Source, max_chars: int, depth: int) -> Extracted:
    """Decompress (capped) and extract the inner file by its inner name."""
    inner = src.name[:-3] if src.name.lower().endswith(".gz") else src.stem
    if src.suffix in (".tgz", ".taz") or inner.lower().endswith(".tar"):
        raise not_a_document("archive (tar.gz)")
    if depth >= 2:
        raise ExtractionError("nested compression too deep")
    cap = min(GZ_MAX_BYTES, bytes_per_char_limit(max_chars) * 2)
    warnings: list[str] = []
    try:
        with src.open() as raw, gzip.GzipFile(fileobj=raw) as gz:
            data = gz.read(cap + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as e:
        raise ExtractionError(f"corrupt gzip: {type(e).__name__}: {e}"[:200]) from e
    if len(data) > cap:
        data = data[:cap]
        warnings.append(f"decompressed data capped at {cap // 1_000_000} MB")
    result = _extract(Source(name=inner, content=data), max_chars, depth + 1)
    result.warnings[:0] = warnings
    return result
