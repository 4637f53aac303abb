"""Generated scans whose text is known: for the OCR tests and benchmarks.

Every generator is seeded and deterministic, and draws with Pillow's embedded FreeType font
(`ImageFont.load_default(size=...)`), so a fresh machine with nothing but the virtualenv renders
the same pages: no system fonts are looked up. Each returns (image, ground-truth text), the text
with "\n" between lines and "\n\n" between paragraphs or blocks, in reading order.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

A4_INCHES = (8.27, 11.69)

# Common English words (and a few longer ones) so that sentences look like prose to the
# recogniser's language prior without being real text it may have memorised.
_WORDS = """
the of and to in is was for that with as on by at from this be are have it not or an which
but had they has were their one all we can her been there more if would when will who so no
about out up them into time only some could new other than then two its first any these may
like over such our also years people after most made through back where much before must
well between under never same another while last might great since against three right
still small every large found though without place again around however home house world
school water city during number part public later report early market local system family
state business group problem service company question program government development council
study letter morning evening river garden window station office library museum building
village bridge harbour village summer winter spring autumn weather travel journey history
science music picture message meeting project budget account invoice contract schedule
customer payment delivery address quality result evidence research method process design
figure table chapter section version support network machine printer paper document archive
careful simple quiet bright modern general central private national certain common special
recent various several federal regional annual monthly weekly daily formal original famous
""".split()
_NAMES = """London Paris Monday Tuesday Friday March April October December Europe Oxford
Berlin Anna Thomas Maria Peter Lisbon Geneva""".split()
_HYPHENATED = """well-known long-term part-time follow-up high-quality year-end""".split()
_MENU = """Documents Recent Starred Shared Downloads Pictures Music Archive Settings Trash
Projects Reports Invoices Notes Backups Templates""".split()


def _number(rng: random.Random) -> str:
    kind = rng.randrange(5)
    if kind == 0:
        return str(rng.randint(1900, 2030))
    if kind == 1:
        return f"{rng.randint(1, 99)}.{rng.randint(0, 9)}"
    if kind == 2:
        return f"{rng.randint(2, 95)}%"
    if kind == 3:
        return f"{rng.randint(1, 9)},{rng.randint(100, 999)}"
    return str(rng.randint(2, 480))


def sentence(rng: random.Random) -> str:
    """One sentence of 7 to 16 words, with occasional names, numbers and punctuation."""
    words: list[str] = []
    for i in range(rng.randint(7, 16)):
        roll = rng.random()
        if roll < 0.07:
            word = _number(rng)
        elif roll < 0.12:
            word = rng.choice(_NAMES)
        elif roll < 0.14:
            word = rng.choice(_HYPHENATED)
        else:
            word = rng.choice(_WORDS)
        if i == 0:
            word = word[:1].upper() + word[1:]
        words.append(word)
    # Commas, a colon or a parenthesis in the middle, never after the last word.
    for i in range(1, len(words) - 2):
        roll = rng.random()
        if roll < 0.10:
            words[i] += ","
        elif roll < 0.12:
            words[i] += ";"
        elif roll < 0.13:
            words[i] += ":"
    if len(words) > 9 and rng.random() < 0.2:
        i = rng.randrange(2, len(words) - 3)
        words[i] = "(" + words[i]
        words[i + 1] = words[i + 1].rstrip(",;:") + ")"
    end = rng.choices([".", "?", "!"], weights=[20, 3, 1])[0]
    return " ".join(words) + end


def _wrap(text_words: list[str], font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text_words:
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def text_page(seed: int, dpi: int = 300, lines: int = 12) -> tuple[Image.Image, str]:
    """An A4 page (mode L) of `lines` lines of prose in 11.5 pt, in paragraphs of 3 to 5 lines."""
    rng = random.Random(seed)
    width, height = round(A4_INCHES[0] * dpi), round(A4_INCHES[1] * dpi)
    size = round(11.5 * dpi / 72)
    font = ImageFont.load_default(size=size)
    margin = dpi  # one inch
    pitch = round(size * 1.3)
    text_width = width - 2 * margin
    paragraphs: list[list[str]] = []
    remaining = lines
    while remaining > 0:
        want = min(remaining, rng.randint(3, 5))
        words: list[str] = []
        para: list[str] = []
        while True:
            words += sentence(rng).split()
            para = _wrap(words, font, text_width)
            if len(para) > want:
                # Cut at the line boundary so the paragraph ends mid-sentence no worse than a
                # real page break would.
                para = para[:want]
                break
        paragraphs.append(para)
        remaining -= len(para)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    y = margin
    for para in paragraphs:
        for line in para:
            draw.text((margin, y), line, fill=0, font=font)
            y += pitch
        y += pitch  # a blank line between paragraphs
    truth = "\n\n".join("\n".join(para) for para in paragraphs)
    return image, truth


def noisy(image: Image.Image, seed: int, *, sigma: float = 14.0, blur: float | None = None,
          quality: int = 60) -> Image.Image:
    """Scanner-like degradation: lowered contrast, slight blur, gaussian noise, a little salt
    and pepper, then a JPEG round trip. Keeps the image's size; returns mode L or RGB."""
    rng = np.random.default_rng(seed)
    mode = "RGB" if image.mode not in ("L", "1") else "L"
    img = image.convert(mode)
    # Blur in proportion to resolution: 0.8 px on a 300-dpi A4 page, 0.26 on a 1280x800 screen.
    radius = blur if blur is not None else max(0.25, min(img.size) / 3100)
    img = img.filter(ImageFilter.GaussianBlur(radius))
    a = np.asarray(img, dtype=np.float32)
    a = 38.0 + a * (212.0 - 38.0) / 255.0  # ink no darker than 38, paper no lighter than 212
    a += rng.normal(0.0, sigma, a.shape[:2])[..., None] if a.ndim == 3 else \
        rng.normal(0.0, sigma, a.shape)
    flat = a.reshape(a.shape[0], a.shape[1], -1)
    specks = rng.random(a.shape[:2])
    flat[specks < 0.0004] = 0.0
    flat[specks > 0.9996] = 255.0
    out = Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), mode)
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=quality)
    buf.seek(0)
    result = Image.open(buf)
    result.load()
    return result


def rotated(image: Image.Image, degrees: float) -> Image.Image:
    """The image turned counter-clockwise by `degrees` (Pillow's convention): 90, 180 and 270
    exactly, other angles with bicubic resampling, a white fill and the canvas expanded."""
    quarter = {90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
               270: Image.Transpose.ROTATE_270}
    if degrees % 360 == 0:
        return image.copy()
    if degrees % 360 in quarter:
        return image.transpose(quarter[int(degrees % 360)])
    white: int | tuple[int, ...] = 255 if image.mode in ("L", "1") else (255,) * len(image.mode)
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True,
                        fillcolor=white)


def screenshot(seed: int) -> tuple[Image.Image, str]:
    """A 1280x800 RGB window at 96 dpi: a title bar, a sidebar of menu words, body text in
    15 px, a hint in grey on a light panel and a coloured button with white text.

    The truth is in reading order: title, then the sidebar top to bottom, then the body column.
    """
    rng = random.Random(seed)
    width, height = 1280, 800
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    title_font = ImageFont.load_default(size=17)
    body_font = ImageFont.load_default(size=15)
    blocks: list[str] = []

    draw.rectangle((0, 0, width, 44), fill=(43, 48, 59))
    title = f"Spyglass - {rng.choice(_MENU)} - {rng.choice(_WORDS)} {rng.choice(_WORDS)}"
    draw.text((24, 12), title, fill=(236, 238, 242), font=title_font)
    blocks.append(title)

    sidebar_w = 230
    draw.rectangle((0, 44, sidebar_w, height), fill=(242, 243, 246))
    items = rng.sample(_MENU, 8)
    y = 76
    for i, item in enumerate(items):
        if i == 2:  # the selected item: dark text on a tinted row
            draw.rectangle((8, y - 8, sidebar_w - 8, y + 24), fill=(214, 228, 250))
        draw.text((28, y), item, fill=(30, 30, 30), font=body_font)
        y += 40
    blocks.append("\n".join(items))

    left, right = 280, width - 60
    heading_font = ImageFont.load_default(size=22)
    heading = " ".join(w.capitalize() for w in rng.sample(_WORDS, 3))
    draw.text((left, 70), heading, fill=(20, 20, 20), font=heading_font)
    body: list[str] = [heading]
    words: list[str] = []
    while len(_wrap(words, body_font, right - left)) < 9:
        words += sentence(rng).split()
    lines = _wrap(words, body_font, right - left)[:8]
    y = 116
    for line in lines:
        draw.text((left, y), line, fill=(25, 25, 25), font=body_font)
        y += 24
    body.append("\n".join(lines))

    y += 24
    draw.rectangle((left - 12, y - 10, right, y + 54), fill=(238, 240, 243))
    hint: list[str] = []
    for _ in range(2):
        line = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 10)))
        line = line[:1].upper() + line[1:] + "."
        draw.text((left, y), line, fill=(118, 122, 128), font=body_font)
        hint.append(line)
        y += 22
    body.append("\n".join(hint))

    y += 40
    label = rng.choice(["Save changes", "Open folder", "Search again", "Export report"])
    label_w = body_font.getlength(label)
    draw.rounded_rectangle((left, y, left + label_w + 40, y + 40), radius=6,
                           fill=(37, 99, 220))
    draw.text((left + 20, y + 11), label, fill=(255, 255, 255), font=body_font)
    body.append(label)
    blocks.append("\n\n".join(body))
    return image, "\n\n".join(blocks)


def photo(seed: int, size: tuple[int, int] = (1600, 1200)) -> Image.Image:
    """A textless "photo": a sky-to-sand gradient, soft blobs and sensor noise (RGB)."""
    rng = np.random.default_rng(seed)
    width, height = size
    t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
    sky = np.array([90, 150, 225], np.float32)
    sea = np.array([20, 95, 140], np.float32)
    sand = np.array([222, 200, 150], np.float32)
    horizon, shore = rng.uniform(0.35, 0.5), rng.uniform(0.6, 0.75)
    a = np.where(t < horizon, sky + (sea - sky) * (t / horizon),
                 np.where(t < shore, sea, sand)) * np.ones((1, width, 1), np.float32)
    a = np.ascontiguousarray(a.astype(np.uint8))
    image = Image.fromarray(a, "RGB")
    blobs = Image.new("RGB", size, (0, 0, 0))
    mask = Image.new("L", size, 0)
    draw, mdraw = ImageDraw.Draw(blobs), ImageDraw.Draw(mask)
    for _ in range(14):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(40, 260), rng.uniform(30, 180)
        colour = tuple(int(c) for c in rng.integers(40, 250, 3))
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=colour)
        mdraw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=int(rng.integers(90, 200)))
    mask = mask.filter(ImageFilter.GaussianBlur(30))
    blobs = blobs.filter(ImageFilter.GaussianBlur(30))
    image = Image.composite(blobs, image, mask)
    noise = rng.normal(0.0, 6.0, (height, width, 1)).astype(np.float32)
    a = np.clip(np.asarray(image, np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(a, "RGB")


def save_pdf(images: Sequence[Image.Image], path: Path, dpi: int = 300) -> Path:
    """An image-only PDF (no text layer), one page per image at `dpi`."""
    first, *rest = [im.convert("RGB") if im.mode not in ("L", "RGB") else im for im in images]
    first.save(path, "PDF", resolution=float(dpi), save_all=True, append_images=rest)
    return path


def save_tiff(images: Sequence[Image.Image], path: Path, dpi: int = 300,
              compression: str | None = "tiff_lzw") -> Path:
    """A (multi-page) TIFF, LZW-compressed by default."""
    first, *rest = images
    first.save(path, "TIFF", save_all=True, append_images=rest, dpi=(dpi, dpi),
               compression=compression)
    return path


def save_image(image: Image.Image, path: Path, quality: int = 90) -> Path:
    """Save in the format the suffix names (.png .jpg .jpeg .webp .bmp .gif .tif .tiff)."""
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        image.convert("RGB" if image.mode != "L" else "L").save(path, "JPEG", quality=quality)
    elif suffix == ".webp":
        image.convert("RGB").save(path, "WEBP", quality=quality)
    elif suffix == ".bmp":
        image.convert("RGB" if image.mode != "L" else "L").save(path, "BMP")
    elif suffix == ".gif":
        image.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE).save(path, "GIF")
    elif suffix in (".tif", ".tiff"):
        save_tiff([image], path)
    else:
        image.save(path, "PNG")
    return path


def _normalise(text: str) -> str:
    return " ".join(text.split())


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions), one numpy pass per character of
    `a`: a row's insertion chain is a running minimum, so no inner Python loop is needed."""
    if not a or not b:
        return len(a) + len(b)
    codes_a = np.frombuffer(a.encode("utf-32-le"), dtype=np.uint32)
    codes_b = np.frombuffer(b.encode("utf-32-le"), dtype=np.uint32)
    idx = np.arange(len(b) + 1, dtype=np.int64)
    prev = idx.copy()
    for i, code in enumerate(codes_a):
        cur = np.empty_like(prev)
        cur[0] = i + 1
        # Deletion (from above) and substitution/match (diagonal), then insertions (left).
        cur[1:] = np.minimum(prev[1:] + 1, prev[:-1] + (codes_b != code))
        cur = np.minimum.accumulate(cur - idx) + idx
        prev = cur
    return int(prev[-1])


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance / reference length, whitespace runs collapsed to one
    space on both sides (line and paragraph breaks do not count as errors)."""
    ref, hyp = _normalise(reference), _normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return levenshtein(ref, hyp) / len(ref)
