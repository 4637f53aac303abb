"""Images (PNG, JPEG, TIFF, WebP, BMP, GIF): no text until the OCR phase has read their pixels.

Here only the header is read (cheap, in the keyword phase): the size says whether the image can
hold readable text, the frame count how many pages a multi-page TIFF has. The text itself comes
from core.ocr in a later phase and is passed back in as `Source.ocr_text`.
"""

from __future__ import annotations

import warnings

from .common import Source, TextBuilder
from .sniff import not_a_document
from .types import Extracted, ExtractionError

# Smaller than this on either side cannot hold a line of text anyone could read (icons, bullets).
MIN_SIDE_PX = 24
MAX_FRAMES = 1000  # a TIFF claiming more pages is broken or hostile
_OCR_FORMATS = {"PNG", "JPEG", "MPO", "TIFF", "WEBP", "BMP", "DIB", "GIF"}


def extract_image(src: Source, max_chars: int) -> Extracted:
    from PIL import Image, UnidentifiedImageError

    try:
        with src.open() as f, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: the limit is ours
            img = Image.open(f)
            fmt, (width, height) = img.format or "", img.size
            frames = getattr(img, "n_frames", 1) if fmt == "TIFF" else 1
    except Image.DecompressionBombError as e:
        raise ExtractionError(f"image too large to read ({e})"[:200]) from e
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as e:
        raise ExtractionError(f"corrupt image: {type(e).__name__}: {e}"[:200]) from e
    if fmt not in _OCR_FORMATS:
        raise not_a_document(f"image ({fmt or 'unknown format'})")
    if min(width, height) < MIN_SIDE_PX:
        raise not_a_document(f"image too small to hold text ({width}x{height} px)")
    if frames > MAX_FRAMES:
        raise ExtractionError(f"image claims {frames:,} pages (more than {MAX_FRAMES:,})")
    pages = list(range(1, frames + 1))
    if src.ocr_text is None:
        return Extracted(src.stem, "", "image", [], [], ocr_pages=pages)
    b = TextBuilder(max_chars)
    for page in pages:
        if frames > 1:
            b.section("page", str(page))
        b.add(src.ocr_text.get(page, ""))
    result = b.build(src.stem, "image")
    result.ocr_pages = [p for p in pages if p not in src.ocr_text]  # over the OCR page limit
    return result
