"""What an extraction worker does with one file: hash it, extract its text, cut it into passages.

Runs in a child process (core.extract.pool) so a parser that crashes, hangs or balloons costs one
file; everything it returns is plain data.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from core.chunk import chunk_spans
from core.extract import extract
from core.extract.types import Extracted, ExtractionError, NotADocument, UnsupportedFormat

T = TypeVar("T")
HASH_BLOCK = 1 << 20
MAX_CHARS = 10_000_000


@dataclass(frozen=True)
class IngestTask:
    path: str
    previous_hash: str | None = None  # skip extraction when the content did not change
    max_chars: int = MAX_CHARS
    # The OCR phase's text by page, for the content whose hash is ocr_hash (a file that changed
    # since is extracted afresh and lists its scanned pages again).
    ocr_text: dict[int, str] | None = None
    ocr_hash: str | None = None


@dataclass
class IngestResult:
    content_hash: str
    unchanged: bool = False
    skipped: str | None = None  # why a file is not a document (an image, a program...)
    title: str = ""
    format: str = ""
    sections: list[tuple[str, str, int, int]] = field(default_factory=list)
    # (start, end, page, section heading) per passage; the text is text[start:end]
    passages: list[tuple[int, int, int | None, str | None]] = field(default_factory=list)
    text: str = ""
    warnings: list[str] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # pages the OCR phase still has to read
    ocr_applied: bool = False  # the text includes the OCR phase's
    # Documents inside (archive members, attachments): core.members.MemberResult, one each.
    members: list = field(default_factory=list)


def file_hash(path: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as f:
        while block := f.read(HASH_BLOCK):
            h.update(block)
    return h.hexdigest()


def ingest(task: IngestTask) -> IngestResult:
    try:
        content_hash = file_hash(task.path)
    except FileNotFoundError:
        raise ExtractionError("the file disappeared before it could be read") from None
    except OSError as e:
        raise ExtractionError(f"cannot read the file: {e.strerror or e}") from None
    if task.previous_hash is not None and content_hash == task.previous_hash:
        return IngestResult(content_hash=content_hash, unchanged=True)
    ocr_text = task.ocr_text if task.ocr_hash == content_hash else None
    try:
        doc = extract(Path(task.path), max_chars=task.max_chars, ocr_text=ocr_text)
    except (NotADocument, UnsupportedFormat) as e:  # listed with the reason, not as failed
        return IngestResult(content_hash=content_hash, skipped=e.reason)
    return IngestResult(
        content_hash=content_hash, title=doc.title, format=doc.format,
        sections=[(s.kind, s.label, s.start, s.level) for s in doc.sections],
        passages=passages_of(doc), text=doc.text, warnings=list(doc.warnings),
        ocr_pages=list(doc.ocr_pages), ocr_applied=ocr_text is not None)


_tokenizer = None


def passages_of(doc: Extracted) -> list[tuple[int, int, int | None, str | None]]:
    global _tokenizer
    if _tokenizer is None:  # loaded once per worker process
        from core.encode.tokenizer import load_tokenizer
        _tokenizer = load_tokenizer("dense")
    spans = chunk_spans(doc.text, _tokenizer)
    pages = _Marks(sorted((s.start, int(s.label)) for s in doc.sections
                          if s.kind == "page" and s.label.isdigit()))
    headings = _Marks(sorted((s.start, s.label) for s in doc.sections if s.kind != "page"))
    out = []
    for span in spans:
        # The page most of the passage is on: passages overlap, so the one that starts at the
        # foot of page 1 is mostly page 2's text.
        middle = (span.start + span.end) // 2
        out.append((span.start, span.end, pages.at(middle), headings.at(span.start)))
    return out


class _Marks(Generic[T]):
    """Sorted (start, value) marks; their starts listed once, not for every passage (a long
    HTML page has thousands of headings and passages)."""

    def __init__(self, marks: list[tuple[int, T]]) -> None:
        self.marks = marks
        self.starts = [start for start, _ in marks]

    def at(self, offset: int) -> T | None:
        """The mark in force at `offset`: the last one starting at or before it."""
        i = bisect.bisect_right(self.starts, offset) - 1
        return self.marks[i][1] if i >= 0 else None
