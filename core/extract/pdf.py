"""PDF via pypdfium2 (PDFium): one "page" section per page so hits can cite page numbers."""

from __future__ import annotations

import pypdfium2 as pdfium

from .common import Source, TextBuilder, choose_title, fail
from .types import Extracted, ExtractionError


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
    for i in range(n_pages):
        if b.full:
            break
        b.section("page", str(i + 1))
        try:
            page = doc[i]
            textpage = page.get_textpage()
            text = textpage.get_text_bounded()
            textpage.close()
            page.close()
        except Exception:  # one bad page should not cost the document
            bad_pages += 1
            continue
        # PDFium marks a hyphen at a line break as \x02.
        b.add(text.replace("\x02\r\n", "-\n").replace("\x02", "-"))
    if bad_pages:
        b.warnings.append(f"{bad_pages} of {n_pages} pages could not be read")
    if n_pages and not len(b):
        b.warnings.append("no text layer (scanned images?)")
    title = choose_title(meta.get("Title"), b, src.stem)
    return b.build(title, "pdf")
