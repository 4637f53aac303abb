"""One page read by OCR, as an extraction worker runs it: load the pixels, recognise, report.

Runs in a worker process (core.extract.pool) like every parser, so a decoder that crashes or a
page that takes too long costs that page only. The engine is loaded once per worker.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import dataclass

from core.extract.types import ExtractionError

RENDER_DPI = 200  # PDF pages: enough for 8-pt print (PDFium renders one in ~0.2 s)


@dataclass(frozen=True)
class OcrTask:
    path: str
    # The file's stat when its pages were queued: a file that changed since is not read (the
    # scan that sees the change queues it again). A stat, not a hash: hashing a 50 MB scan for
    # each of its pages would cost more than reading some of them.
    size: int
    mtime_ns: int
    page: int  # 1-based: a PDF page or an image frame
    kind: str  # "pdf" or "image"
    max_megapixels: float = 40.0


@dataclass(frozen=True)
class OcrOutcome:
    text: str
    note: str | None  # why there is no text, when there is none for a reason worth telling
    seconds: float  # processor time


_engine = None


def read_page(task: OcrTask) -> OcrOutcome:
    global _engine
    started = time.process_time()
    try:
        st = os.stat(task.path)
    except OSError as e:
        raise ExtractionError(f"cannot read the file: {e.strerror or e}") from None
    if (st.st_size, st.st_mtime_ns) != (task.size, task.mtime_ns):
        raise ExtractionError("the file changed while its pages were being read")
    image = _render_pdf_page(task) if task.kind == "pdf" else _load_frame(task)
    if _engine is None:
        from core.ocr.engine import OcrEngine
        _engine = OcrEngine()
    page = _engine.read(image)
    note = None if page.text.strip() else "no text recognised"
    return OcrOutcome(page.text, note, time.process_time() - started)


def _render_pdf_page(task: OcrTask):  # -> PIL.Image.Image
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(task.path)
    try:
        page = doc[task.page - 1]
        width, height = page.get_size()  # points
        scale = RENDER_DPI / 72
        pixels = width * height * scale * scale
        if pixels > task.max_megapixels * 1e6:  # a poster-sized page: read it smaller
            scale *= (task.max_megapixels * 1e6 / pixels) ** 0.5
        bitmap = page.render(scale=scale, grayscale=True)
        return bitmap.to_pil()
    finally:
        doc.close()


def _load_frame(task: OcrTask):  # -> PIL.Image.Image
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning: the limit below is ours
        img = Image.open(task.path)
        megapixels = img.size[0] * img.size[1] / 1e6
        if megapixels > task.max_megapixels:
            raise ExtractionError(f"image of {megapixels:,.0f} megapixels is larger than the "
                                  f"{task.max_megapixels:g} MP limit (see settings)")
        if task.page > 1:
            img.seek(task.page - 1)
        img.load()
    return img
