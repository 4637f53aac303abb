"""Input normalisation for OCR: any Pillow image becomes an RGB working copy of bounded size.

Kept apart from the engine so that mode conversion (alpha, 16-bit, float, LAB) and downscaling,
which decide what the detector sees, can be read and tested without the ONNX sessions.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

# Working copy: a larger input is downscaled first (crops come from this copy).
_WORK_MAX_SIDE = 4096


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB for any Pillow mode: alpha composited on white, 16/32-bit greys stretched to 8 bits
    by their maximum (a 12-bit scan in a 16-bit container stays legible), 0..1 floats scaled."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode.startswith("I") or mode == "F":
        a = np.asarray(image, dtype=np.float32)
        if a.ndim == 3:  # I;16 variants never are, but be safe
            a = a[..., 0]
        lo, hi = float(a.min(initial=0.0)), float(a.max(initial=0.0))
        if hi > 255.0 or lo < 0.0:
            lo = min(lo, 0.0)
            a = (a - lo) * (255.0 / max(hi - lo, 1.0))
        elif mode == "F" and hi <= 1.0:  # float images usually hold 0..1
            a = a * 255.0
        return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), "L").convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        try:
            rgba = image.convert("RGBA")
        except ValueError:  # La (premultiplied) converts only to LA
            rgba = image.convert("LA").convert("RGBA")
        out = Image.new("RGB", image.size, (255, 255, 255))
        out.paste(rgba, mask=rgba.getchannel("A"))
        return out
    try:
        return image.convert("RGB")
    except ValueError:  # modes without a direct conversion (LAB, HSV): go through the bands
        return Image.merge("RGB", [image.getchannel(i).convert("L") for i in range(3)])


def working_copy(image: Image.Image) -> tuple[Image.Image, float]:
    """RGB of at most _WORK_MAX_SIDE a side, and the factor back to the input's pixels. A large
    8-bit image is reduced before it is converted, so a 600-dpi grey scan is never held as RGB
    at full size."""
    back = max(image.size) / _WORK_MAX_SIDE
    if back <= 1.0:
        return _to_rgb(image), 1.0
    size = (max(1, round(image.width / back)), max(1, round(image.height / back)))
    if image.mode not in ("L", "RGB", "RGBA", "LA", "CMYK"):
        image = _to_rgb(image)
    return _to_rgb(image.resize(size, Image.Resampling.BILINEAR)), back


def pad(rgb: Image.Image, pad: int) -> Image.Image:
    """The image with `pad` pixels of its border's median colour on every side."""
    a = np.asarray(rgb)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    colour = tuple(int(v) for v in np.median(border, axis=0))
    out = Image.new("RGB", (rgb.width + 2 * pad, rgb.height + 2 * pad), colour)
    out.paste(rgb, (pad, pad))
    return out
