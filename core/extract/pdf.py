"""PDF via pypdfium2 (PDFium): one "page" section per page so hits can cite page numbers."""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from .common import Source, TextBuilder, choose_title, fail
from .types import Extracted, ExtractionError

# A page with fewer letters than this in its text layer, and images over at least this share of
# its area, is a scan (or a photo of text): the OCR phase reads it. Measured cost < 1 ms a page.
SCAN_MAX_LETTERS = 20
SCAN_MIN_IMAGE_SHARE = 0.3


def extract_pdf(src: Source, max_chars: int) -> Extracted:
    try:
        data = src.content if src.content is not None else str(src.path)
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        msg = str(e)
        if "password" in msg.lower():
            raise ExtractionError("PDF is encrypted (password required)") from e
        if "format" in msg.lower() or "file" in msg.lower():
            raise ExtractionError(f"corrupt PDF: {msg}"[:200]) from e
        raise fail("PDF", e) from e
    except Exception as e:
        raise fail("PDF", e) from e
    try:
        return _read(doc, src, max_chars)
    except ExtractionError:
        raise
    except Exception as e:
        raise fail("PDF", e) from e
    finally:
        doc.close()


def _read(doc: pdfium.PdfDocument, src: Source, max_chars: int) -> Extracted:
    b = TextBuilder(max_chars)
    try:
        meta = doc.get_metadata_dict(skip_empty=True)
    except Exception:  # broken Info dictionary: the text still matters more
        meta = {}
    n_pages = len(doc)
    bad_pages = 0
    scanned: list[int] = []
    recognised = src.ocr_text or {}
    for i in range(n_pages):
        if b.full:
            break
        b.section("page", str(i + 1))
        if i + 1 in recognised:
            b.add(recognised[i + 1])
            continue
        try:
            page = doc[i]
            textpage = page.get_textpage()
            text = textpage.get_text_bounded()
            textpage.close()
            if _is_scan(page, text):  # with ocr_text: a page over the OCR page limit
                scanned.append(i + 1)
            page.close()
        except Exception:  # one bad page should not cost the document
            bad_pages += 1
            continue
        # PDFium marks a hyphen at a line break as \x02.
        b.add(text.replace("\x02\r\n", "-\n").replace("\x02", "-"))
    if bad_pages:
        b.warnings.append(f"{bad_pages} of {n_pages} pages could not be read")
    if n_pages and not len(b) and not scanned and not recognised:
        b.warnings.append("no text layer (scanned images?)")
    title = choose_title(meta.get("Title"), b, src.stem)
    result = b.build(title, "pdf")
    result.ocr_pages = scanned
    return result


def _is_scan(page: pdfium.PdfPage, text: str) -> bool:
    """Little or no text layer, and images covering much of the page."""
    if sum(c.isalpha() for c in text) >= SCAN_MAX_LETTERS:
        return False
    width, height = page.get_size()
    area = max(width * height, 1.0)
    covered = 0.0
    for obj in page.get_objects(filter=(pdfium_c.FPDF_PAGEOBJ_IMAGE,), max_depth=3):
        bounds = getattr(obj, "get_bounds", None) or obj.get_pos  # pypdfium2 5 / 4
        left, bottom, right, top = bounds()
        covered += max(0.0, min(right, width) - max(left, 0.0)) * max(
            0.0, min(top, height) - max(bottom, 0.0))
        if covered >= SCAN_MIN_IMAGE_SHARE * area:
            return True
    return False
