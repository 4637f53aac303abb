"""What every extractor returns: plain text plus the structure needed for navigation."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """A structural mark in the extracted text, e.g. a PDF page or a heading.

    `start` is a character offset into `Extracted.text`; a section runs until the next
    section of the same kind starts.
    """

    kind: str  # "page" | "slide" | "sheet" | "heading" | "message" | "chapter"
    label: str  # page number "3", sheet name, heading text, message subject
    start: int
    level: int = 0  # heading depth (1 = top); 0 for non-headings


@dataclass
class Extracted:
    title: str
    text: str
    format: str  # short format name: "pdf", "docx", "text", "html", ...
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. "truncated to 10,000,000 chars"
    # Pages (1-based; an image's frames) whose text is only in pixels: the OCR phase reads them.
    ocr_pages: list[int] = field(default_factory=list)


class ExtractionError(Exception):
    """A file that could not be read; `reason` is shown to the user as is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedFormat(ExtractionError):
    """A file in a format Spyglass cannot read (reported, never silently dropped)."""


class NotADocument(ExtractionError):
    """Images, audio, video, executables: skipped on purpose, listed as skipped."""
