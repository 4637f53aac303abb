"""Text from an image with the PP-OCRv6 small models, on numpy and Pillow only (no OpenCV).

The pipeline follows rapidocr 3.10 (which ships these graphs) where it matters for accuracy:
the same normalisation, DB post-processing thresholds, unclip distance, recogniser input shape
and CTC decoding. What differs is written for a desktop indexer:

- detection runs on a downscaled copy (and in strips when large), so memory stays bounded and a
  photo without text is rejected in a fraction of a second;
- connected components come from a run-length union-find instead of cv2.findContours, and each
  component's minimum-area rectangle from rotating calipers over its convex hull;
- a page turned by 90, 180 or 270 degrees is detected by reading a few of its longest lines each
  way and keeping the most confident reading (no direction classifier model);
- lines are put in reading order (columns split where a wide vertical gutter runs between text,
  then rows, then paragraphs) in the page's deskewed frame.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from core.ocr.models import OcrModels, ocr_models

# Privacy: no usage database in the user's cache folder; must precede the onnxruntime import.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import onnxruntime as ort  # noqa: E402

# Detection (rapidocr config.yaml: thresh, box_thresh, unclip_ratio, use_dilation).
_DET_THRESH = 0.3
_BOX_THRESH = 0.5
_UNCLIP_RATIO = 1.6
_MIN_SIZE = 3  # px in the probability map, short side of a component's rectangle
_MAX_CANDIDATES = 1000
# Mean _detail inside a text box, in grey levels: 12 or more on faint grey UI text, about 2 on
# the flat sky of a photo that the detector takes for text; and at least twice the image's
# median (its noise).
_MIN_DETAIL = 4.0
_DETAIL_OVER_MEDIAN = 2.0
_DET_MAX_SIDE = 960  # the first detection pass's longest side
_DET_MAX_SCALE = 2.0
# A second pass at a higher scale when the first found text whose median height is below this
# (px in the probability map): small type in a large scan.
_DET_SMALL_TEXT = 14.0
_DET_TARGET_TEXT = 17.0
_DET_MAX_PIXELS = 4_000_000  # the second pass's cap, in probability-map pixels
_DET_TILE_PIXELS = 1_250_000  # larger inputs run in overlapping strips (memory: ~0.25 KB/px)
_DET_TILE_MARGIN = 64  # context each side of a strip, px; DB maps agree to within noise
# Working copy: a larger input is downscaled first (crops come from this copy).
_WORK_MAX_SIDE = 4096
_MIN_IMAGE_SIDE = 16
_PAD_TO = 64  # smaller images get a margin up to this

# Recognition (rapidocr: rec_img_shape 3x48x320, rec_batch_num 6, text_score 0.5).
_REC_HEIGHT = 48
_REC_MIN_WIDTH = 320
_REC_BATCH = 6
_REC_MAX_BATCH_WIDTH = 1600  # batch size x padded width: one thread runs narrow batches best
_REC_SPLIT_WIDTH = 1600  # a line wider than this (at height 48) is read in pieces
_REC_PIECE_WIDTH = 1100
_REC_MIN_GAP = 7  # px at height 48: a word space; letters are 1-3 px apart
_TEXT_SCORE = 0.5
_TALL = 1.5  # a crop this much taller than wide is text running vertically

# Orientation: at most this many lines (and about this many characters) read per candidate,
# and the upright confidence above which 180 is not tried.
_ORIENT_SAMPLE = 8
_ORIENT_CHARS = 100
_UPRIGHT_CONFIDENT = 0.9


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # mean character probability, 0..1
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the input image's pixels


@dataclass
class OcrPage:
    text: str  # reading order; "\n" between lines, "\n\n" between paragraphs and blocks
    lines: list[OcrLine]
    rotation: int  # 0, 90, 180 or 270: clockwise degrees the image was turned before reading
    seconds: float  # processor time spent


@dataclass(frozen=True)
class _Box:
    """A detected text region: a rotated rectangle in working-image pixels. `w` runs along
    `angle` (radians, within +-45 degrees of horizontal), `h` across it."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float
    score: float

    def corners(self) -> np.ndarray:
        """Top-left, top-right, bottom-right, bottom-left (y grows downwards)."""
        u = np.array([math.cos(self.angle), math.sin(self.angle)]) * (self.w / 2)
        n = np.array([-math.sin(self.angle), math.cos(self.angle)]) * (self.h / 2)
        c = np.array([self.cx, self.cy])
        return np.array([c - u - n, c + u - n, c + u + n, c - u + n])


# ---------------------------------------------------------------------------------------------
# Input conversion


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


def _working_copy(image: Image.Image) -> tuple[Image.Image, float]:
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


def _pad(rgb: Image.Image, pad: int) -> Image.Image:
    """The image with `pad` pixels of its border's median colour on every side."""
    a = np.asarray(rgb)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    colour = tuple(int(v) for v in np.median(border, axis=0))
    out = Image.new("RGB", (rgb.width + 2 * pad, rgb.height + 2 * pad), colour)
    out.paste(rgb, (pad, pad))
    return out


# ---------------------------------------------------------------------------------------------
# Detection post-processing: components, rectangles, scores


def _dilate(mask: np.ndarray) -> np.ndarray:
    """cv2.dilate with a 2x2 kernel (anchor at 1,1): each pixel ORs its upper-left neighbours."""
    out = mask.copy()
    out[1:, :] |= mask[:-1, :]
    out[:, 1:] |= out[:, :-1].copy()
    return out


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Horizontal runs of set pixels: row, first column, end column (exclusive), row-major."""
    h, w = mask.shape
    padded = np.zeros((h, w + 2), np.int8)
    padded[:, 1:-1] = mask
    d = np.diff(padded, axis=1)
    ys, xs = np.nonzero(d)
    starts = d[ys, xs] > 0
    return ys[starts].astype(np.int64), xs[starts].astype(np.int64), xs[~starts].astype(np.int64)


def _label_runs(rows: np.ndarray, x0: np.ndarray, x1: np.ndarray, width: int) -> np.ndarray:
    """8-connected component label (0..n-1) of each run: union-find over runs that touch a run
    of the row above. The touching pairs are found with two searchsorted calls."""
    n = len(rows)
    if n == 0:
        return np.zeros(0, np.int64)
    k = width + 2
    key_start, key_end = rows * k + x0, rows * k + x1
    above = (rows - 1) * k
    # Runs b of the row above with x1b >= x0a and x0b <= x1a (diagonals touch).
    lo = np.searchsorted(key_end, above + x0, side="left")
    hi = np.searchsorted(key_start, above + x1, side="right")
    cnt = np.maximum(hi - lo, 0)
    total = int(cnt.sum())
    parent = list(range(n))
    if total:
        a_idx = np.repeat(np.arange(n), cnt)
        b_idx = np.repeat(lo, cnt) + (np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt))
        for a, b in zip(a_idx.tolist(), b_idx.tolist(), strict=True):
            # find with path halving, union towards the smaller index
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            while parent[b] != b:
                parent[b] = parent[parent[b]]
                b = parent[b]
            if a != b:
                if a < b:
                    parent[b] = a
                else:
                    parent[a] = b
    roots = np.array(parent, np.int64)
    # Parents point to smaller indices, so one ascending sweep resolves every root.
    for _ in range(64):
        nxt = roots[roots]
        if np.array_equal(nxt, roots):
            break
        roots = nxt
    return np.unique(roots, return_inverse=True)[1]


def _hull(points: np.ndarray) -> np.ndarray:
    """Convex hull (Andrew's monotone chain) of points sorted by (y, x)."""
    pts = points.tolist()
    if len(pts) <= 2:
        return points

    def chain(seq: Sequence[list[float]]) -> list[list[float]]:
        out: list[list[float]] = []
        for p in seq:
            while len(out) >= 2:
                (ax, ay), (bx, by) = out[-2], out[-1]
                if (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax) <= 0:
                    out.pop()
                else:
                    break
            out.append(p)
        return out

    lower, upper = chain(pts), chain(pts[::-1])
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def _min_area_rect(hull: np.ndarray) -> tuple[float, float, float, float, float]:
    """cx, cy, w, h, angle of the smallest rectangle around the hull (rotating calipers: one
    side lies on a hull edge), w along the angle, normalised to within 45 degrees of x."""
    if len(hull) == 1:
        return float(hull[0, 0]), float(hull[0, 1]), 0.0, 0.0, 0.0
    edges = np.roll(hull, -1, axis=0) - hull
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    keep = lengths > 1e-9
    u = edges[keep] / lengths[keep, None]
    nrm = np.stack([-u[:, 1], u[:, 0]], axis=1)
    pu, pn = hull @ u.T, hull @ nrm.T
    umin, umax, nmin, nmax = pu.min(0), pu.max(0), pn.min(0), pn.max(0)
    i = int(np.argmin((umax - umin) * (nmax - nmin)))
    w, h = float(umax[i] - umin[i]), float(nmax[i] - nmin[i])
    c = u[i] * (umax[i] + umin[i]) / 2 + nrm[i] * (nmax[i] + nmin[i]) / 2
    angle = math.atan2(u[i, 1], u[i, 0])
    # Fold into (-45, 45] degrees; a quarter turn swaps the sides.
    while angle > math.pi / 4:
        angle -= math.pi / 2
        w, h = h, w
    while angle <= -math.pi / 4:
        angle += math.pi / 2
        w, h = h, w
    return float(c[0]), float(c[1]), w, h, angle


def _rect_score(prob: np.ndarray, cx: float, cy: float, w: float, h: float,
                angle: float) -> float:
    """Mean probability inside the rectangle (rapidocr's box_score_fast, without fillPoly)."""
    ph, pw = prob.shape
    cos, sin = math.cos(angle), math.sin(angle)
    ex = abs(cos) * w / 2 + abs(sin) * h / 2
    ey = abs(sin) * w / 2 + abs(cos) * h / 2
    xa, xb = max(0, math.floor(cx - ex)), min(pw - 1, math.ceil(cx + ex))
    ya, yb = max(0, math.floor(cy - ey)), min(ph - 1, math.ceil(cy + ey))
    if xb < xa or yb < ya:
        return 0.0
    patch = prob[ya:yb + 1, xa:xb + 1]
    gx = np.arange(xa, xb + 1, dtype=np.float32) - cx
    gy = np.arange(ya, yb + 1, dtype=np.float32)[:, None] - cy
    inside = (np.abs(gx * cos + gy * sin) <= w / 2 + 0.5) & \
        (np.abs(gy * cos - gx * sin) <= h / 2 + 0.5)
    count = int(inside.sum())
    return float(patch[inside].sum() / count) if count else 0.0


def _detail(grey: Image.Image) -> np.ndarray:
    """|grey - its 5x5 box blur|: high at the edges of strokes, near zero on smooth areas."""
    blurred = np.asarray(grey.filter(ImageFilter.BoxBlur(2)), dtype=np.float32)
    return np.abs(np.asarray(grey, dtype=np.float32) - blurred)


def _boxes_from_prob(prob: np.ndarray, detail: np.ndarray | None = None
                     ) -> list[tuple[float, float, float, float, float, float]]:
    """DB post-processing: (cx, cy, w, h, angle, score) per text region, unclipped, in
    probability-map pixels. With `detail` (_detail of the detector's input), regions without
    the fine contrast of text are dropped: the detector fires on large flat areas of colour
    (a clear sky scores 0.9), where text strokes would have left sharp edges."""
    mask = _dilate(prob > _DET_THRESH)
    rows, x0, x1 = _runs(mask)
    if len(rows) == 0:
        return []
    labels = _label_runs(rows, x0, x1, mask.shape[1])
    n = int(labels.max()) + 1
    order = np.argsort(labels, kind="stable")  # rows stay ascending within a component
    rows, x0, x1, labels = rows[order], x0[order], x1[order], labels[order]
    first = np.searchsorted(labels, np.arange(n + 1))
    area = np.bincount(labels, weights=(x1 - x0), minlength=n)
    top = rows[first[:-1]]
    bottom = np.maximum.reduceat(rows, first[:-1])
    left = np.minimum.reduceat(x0, first[:-1])
    right = np.maximum.reduceat(x1, first[:-1])
    # A rectangle's short side is at most sqrt(bbox area): anything smaller cannot pass.
    bbox_area = (bottom - top + 1) * (right - left)
    candidates = np.nonzero(bbox_area >= _MIN_SIZE * _MIN_SIZE)[0]
    candidates = candidates[np.argsort(-area[candidates], kind="stable")][:_MAX_CANDIDATES]
    min_detail = 0.0
    if detail is not None:
        min_detail = max(_MIN_DETAIL, _DETAIL_OVER_MEDIAN * float(np.median(detail)))
    out = []
    for c in candidates.tolist():
        s, e = first[c], first[c + 1]
        r, a, b = rows[s:e], x0[s:e], x1[s:e] - 1
        row_start = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
        ur = r[row_start]
        lx = np.minimum.reduceat(a, row_start)
        rx = np.maximum.reduceat(b, row_start)
        pts = np.empty((2 * len(ur), 2), np.float64)
        pts[0::2, 0], pts[1::2, 0] = lx, rx
        pts[0::2, 1] = pts[1::2, 1] = ur
        cx, cy, w, h, angle = _min_area_rect(_hull(pts))
        if min(w, h) < _MIN_SIZE:
            continue
        score = _rect_score(prob, cx, cy, w, h, angle)
        if score < _BOX_THRESH:
            continue
        # pyclipper's round offset of a rectangle by d has this minimum-area rectangle.
        d = w * h * _UNCLIP_RATIO / (2 * (w + h))
        w, h = w + 2 * d, h + 2 * d
        if min(w, h) < _MIN_SIZE + 2:
            continue
        if detail is not None and _rect_score(detail, cx, cy, w, h, angle) < min_detail:
            continue
        out.append((cx, cy, w, h, angle, score))
    return out


def _split_points(line: np.ndarray) -> list[tuple[int, int]]:
    """Column ranges to recognise a (48, w, 3) line in: one, or pieces of about
    _REC_PIECE_WIDTH cut in the middle of gaps between words (columns without ink)."""
    width = line.shape[1]
    if width <= _REC_SPLIT_WIDTH:
        return [(0, width)]
    grey = line.mean(axis=2)
    background = float(np.median(grey))
    lo, hi = np.percentile(grey, [2, 98])
    contrast = max(float(hi - lo), 1.0)
    # Ink is whatever differs from the background by a third of the contrast (dark on light
    # or light on dark), in the rows that hold letters, ascenders and descenders.
    ink = (np.abs(grey[4:-4] - background) > contrast / 3).any(axis=0)
    gaps = []
    edges = np.flatnonzero(np.diff(np.r_[1, ink.astype(np.int8), 1]))
    for a, b in zip(edges[0::2], edges[1::2], strict=True):
        if b - a >= _REC_MIN_GAP and a > 0 and b < width:
            gaps.append((a + b) // 2)
    if not gaps:
        return [(0, width)]
    n = math.ceil(width / _REC_PIECE_WIDTH)
    cuts: list[int] = []
    for k in range(1, n):
        target = k * width / n
        best = min(gaps, key=lambda g: abs(g - target))
        if abs(best - target) <= width / n / 3 and (not cuts or best > cuts[-1]):
            cuts.append(best)
    bounds = [0, *cuts, width]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


# ---------------------------------------------------------------------------------------------
# Geometry between frames


def _turn_points(pts: np.ndarray, rotation: int, width: float, height: float) -> np.ndarray:
    """Points of an image of size (width, height) in the frame of that image turned clockwise by
    `rotation` degrees."""
    x, y = pts[..., 0], pts[..., 1]
    if rotation == 90:
        return np.stack([height - y, x], axis=-1)
    if rotation == 180:
        return np.stack([width - x, height - y], axis=-1)
    if rotation == 270:
        return np.stack([y, width - x], axis=-1)
    return pts.copy()


_TRANSPOSE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
              270: Image.Transpose.ROTATE_90}


# ---------------------------------------------------------------------------------------------
# Reading order


@dataclass
class _Item:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _gutter(items: Sequence[_Item], min_gap: float) -> float | None:
    """The x of the widest vertical gap (at least min_gap wide) with text on both sides."""
    spans = sorted((it.x0, it.x1) for it in items)
    best, where = min_gap, None
    reach = spans[0][1]
    for a, b in spans[1:]:
        if a - reach >= best:
            best, where = a - reach, (a + reach) / 2
        reach = max(reach, b)
    return where


def _bands(items: Sequence[_Item]) -> list[list[_Item]]:
    """Items split where a horizontal line crosses no item."""
    bands: list[list[_Item]] = []
    bottom = -math.inf
    for it in sorted(items, key=lambda i: i.y0):
        if bands and it.y0 < bottom:
            bands[-1].append(it)
            bottom = max(bottom, it.y1)
        else:
            bands.append([it])
            bottom = it.y1
    return bands


def _blocks(items: list[_Item], min_gap: float, depth: int = 0) -> list[list[_Item]]:
    """Recursive XY cut: horizontal bands; consecutive bands sharing a vertical gutter form a
    group that is cut into left and right parts (columns, sidebars), each read in full before
    the next. Consecutive bands without a gutter are one flow of text."""
    if depth > 24 or len(items) < 2:
        return [items]
    groups: list[list[_Item]] = []
    for band in _bands(items):
        if groups and _gutter(groups[-1] + band, min_gap) is not None:
            groups[-1] = groups[-1] + band
        else:
            groups.append(band)
    out: list[list[_Item]] = []
    flow: list[_Item] = []
    for group in groups:
        cut = _gutter(group, min_gap) if len(group) > 1 else None
        if cut is None:
            flow.extend(group)
            continue
        if flow:
            out.append(flow)
            flow = []
        left = [it for it in group if (it.x0 + it.x1) / 2 < cut]
        right = [it for it in group if (it.x0 + it.x1) / 2 >= cut]
        out.extend(_blocks(left, min_gap, depth + 1))
        out.extend(_blocks(right, min_gap, depth + 1))
    if flow:
        out.append(flow)
    return out


def _rows(items: Sequence[_Item]) -> list[list[_Item]]:
    """Items grouped into text lines by vertical overlap, top to bottom, each left to right."""
    rows: list[list[_Item]] = []
    spans: list[tuple[float, float]] = []
    for it in sorted(items, key=lambda i: (i.y0 + i.y1) / 2):
        if rows:
            top, bottom = spans[-1]
            overlap = min(bottom, it.y1) - max(top, it.y0)
            if overlap >= 0.5 * min(it.height, bottom - top):
                rows[-1].append(it)
                spans[-1] = (min(top, it.y0), max(bottom, it.y1))
                continue
        rows.append([it])
        spans.append((it.y0, it.y1))
    return [sorted(r, key=lambda i: i.x0) for r in rows]


def _layout(items: list[_Item]) -> tuple[str, list[int]]:
    """The text in reading order, and the items' indices in that order."""
    if not items:
        return "", []
    index = {id(it): n for n, it in enumerate(items)}
    line_h = float(np.median([it.height for it in items]))
    texts: list[str] = []
    order: list[int] = []
    for block in _blocks(items, min_gap=2.0 * line_h):
        rows = _rows(block)
        centres = [sum((i.y0 + i.y1) / 2 for i in r) / len(r) for r in rows]
        pitches = np.diff(centres)
        pitch = float(np.median(pitches)) if len(pitches) >= 2 else 1.3 * line_h
        pitch = min(max(pitch, line_h), 2.0 * line_h)
        parts: list[str] = []
        for k, row in enumerate(rows):
            if k:
                gap = min(i.y0 for i in row) - max(i.y1 for i in rows[k - 1])
                new_para = centres[k] - centres[k - 1] > 1.5 * pitch or gap > 1.5 * line_h
                parts.append("\n\n" if new_para else "\n")
            parts.append(" ".join(i.text for i in row))
            order.extend(index[id(i)] for i in row)
        texts.append("".join(parts))
    return "\n\n".join(texts), order


# ---------------------------------------------------------------------------------------------
# The engine


def _session(path: os.PathLike[str] | str, threads: int) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Input shapes change with every image and line: an arena would keep the largest ever
    # allocation, and memory patterns only help fixed shapes.
    so.enable_cpu_mem_arena = False
    so.enable_mem_pattern = False
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class OcrEngine:
    """Detection then recognition of each text line. One engine may serve several threads."""

    def __init__(self, models: OcrModels | None = None, threads: int = 1) -> None:
        models = models or ocr_models()
        self.threads = max(1, threads)
        self._det = _session(models.detection, self.threads)
        self._rec = _session(models.recognition, self.threads)
        meta = self._rec.get_modelmeta().custom_metadata_map
        # rapidocr's CTCLabelDecode: blank first, the dictionary, then a space.
        self._chars = ["", *meta["character"].splitlines(), " "]
        classes = self._rec.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != len(self._chars):
            raise ValueError(f"OCR recogniser has {classes} classes, dictionary "
                             f"{len(self._chars)}")
        self._det_input = self._det.get_inputs()[0].name
        self._rec_input = self._rec.get_inputs()[0].name

    # -- public

    def read(self, image: Image.Image) -> OcrPage:
        clock = time.thread_time if self.threads == 1 else time.process_time
        start = clock()
        if min(image.size) < _MIN_IMAGE_SIDE:
            return OcrPage("", [], 0, clock() - start)
        rgb, back = _working_copy(image)
        pad = 0
        if min(rgb.size) < _PAD_TO:
            # Text touching the edges of a small image (a cut-out label) needs a margin to be
            # detected at all.
            pad = math.ceil((_PAD_TO - min(rgb.size)) / 2)
            rgb = _pad(rgb, pad)
        boxes = self._detect(rgb)
        if not boxes:
            return OcrPage("", [], 0, clock() - start)
        rotation, results = self._orient(rgb, boxes)
        lines, text = self._assemble(rgb, boxes, rotation, results, (back, pad), image.size)
        return OcrPage(text, lines, rotation, clock() - start)

    # -- detection

    def _detect(self, rgb: Image.Image) -> list[_Box]:
        width, height = rgb.size
        # First pass small: enough for ordinary type, and what a textless photo costs.
        scale = min(_DET_MAX_SIDE / max(width, height), _DET_MAX_SCALE)
        boxes, heights = self._detect_at(rgb, scale)
        if heights and float(np.median(heights)) < _DET_SMALL_TEXT:
            # Small type: detect again where its median height reaches the target.
            better = scale * _DET_TARGET_TEXT / float(np.median(heights))
            better = min(better, math.sqrt(_DET_MAX_PIXELS / (width * height)), _DET_MAX_SCALE)
            if better > scale * 1.2:
                boxes, _ = self._detect_at(rgb, better)
        return boxes

    def _detect_at(self, rgb: Image.Image, scale: float) -> tuple[list[_Box], list[float]]:
        width, height = rgb.size
        dw = max(32, round(width * scale / 32) * 32)
        dh = max(32, round(height * scale / 32) * 32)
        small = rgb.resize((dw, dh), Image.Resampling.BILINEAR)
        # BGR, as the PaddleOCR models were trained on OpenCV images; (v / 255 - 0.5) / 0.5.
        x = np.asarray(small, dtype=np.float32)[:, :, ::-1].transpose(2, 0, 1)
        x = np.ascontiguousarray(x) * (1 / 127.5) - 1.0
        detail = _detail(small.convert("L"))
        del small
        prob = self._det_prob(x)
        del x
        sx, sy = width / dw, height / dh
        boxes, heights = [], []
        for cx, cy, w, h, angle, score in _boxes_from_prob(prob, detail):
            heights.append(min(w, h))
            corners = _Box(cx, cy, w, h, angle, score).corners()
            # Map pixel centres back and clip to the image, like rapidocr's clip_det_res.
            corners = (corners + 0.5) * np.array([sx, sy]) - 0.5
            corners[:, 0] = np.clip(corners[:, 0], 0, width - 1)
            corners[:, 1] = np.clip(corners[:, 1], 0, height - 1)
            top, right = corners[1] - corners[0], corners[2] - corners[1]
            bw = (np.hypot(*top) + np.hypot(*(corners[2] - corners[3]))) / 2
            bh = (np.hypot(*right) + np.hypot(*(corners[3] - corners[0]))) / 2
            if bw <= 3 or bh <= 3:
                continue
            c = corners.mean(axis=0)
            boxes.append(_Box(float(c[0]), float(c[1]), float(bw), float(bh),
                              math.atan2(top[1], top[0]), score))
        return boxes, heights

    def _det_prob(self, x: np.ndarray) -> np.ndarray:
        """The probability map of a (3, H, W) input, in overlapping strips when large."""
        _, h, w = x.shape
        if h * w <= _DET_TILE_PIXELS:
            return self._det.run(None, {self._det_input: x[None]})[0][0, 0]
        along_rows = h >= w
        length, across = (h, w) if along_rows else (w, h)
        m = _DET_TILE_MARGIN
        strip = max(256, (_DET_TILE_PIXELS // across) // 32 * 32 - 2 * m)
        prob = np.empty((h, w), np.float32)
        for a in range(0, length, strip):
            b = min(length, a + strip)
            lo, hi = max(0, a - m), min(length, b + m)
            part = x[:, lo:hi, :] if along_rows else x[:, :, lo:hi]
            out = self._det.run(None, {self._det_input: np.ascontiguousarray(part)[None]})
            out = out[0][0, 0]
            if along_rows:
                prob[a:b, :] = out[a - lo:b - lo, :]
            else:
                prob[:, a:b] = out[:, a - lo:b - lo]
        return prob

    # -- recognition

    def _crop(self, rgb: Image.Image, box: _Box, rotation: int) -> Image.Image:
        """The box's pixels, straightened, turned clockwise by `rotation`."""
        tl, tr, br, bl = box.corners()
        w = max(1, round(box.w))
        h = max(1, round(box.h))
        data = (*tl, *bl, *br, *tr)
        crop = rgb.transform((w, h), Image.Transform.QUAD, data,
                             resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
        if rotation:
            crop = crop.transpose(_TRANSPOSE[rotation])
        return crop

    def _recognise(self, crops: Sequence[Image.Image]) -> list[tuple[str, float]]:
        """(text, mean character probability) per crop. Each crop is scaled to the model's
        height; a very long one is cut at word gaps (the recogniser's cost grows faster than
        its width); pieces are batched by similar width."""
        pieces: list[np.ndarray] = []  # (3, 48, w) normalised BGR
        owner: list[int] = []
        for k, crop in enumerate(crops):
            rw = max(1, math.ceil(_REC_HEIGHT * crop.width / max(1, crop.height)))
            im = crop.resize((rw, _REC_HEIGHT), Image.Resampling.BILINEAR)
            a = np.asarray(im, dtype=np.float32)
            for lo, hi in _split_points(a):
                pieces.append(a[:, lo:hi, ::-1].transpose(2, 0, 1) * (1 / 127.5) - 1.0)
                owner.append(k)
        decoded: list[tuple[str, float, int]] = [("", 0.0, 0)] * len(pieces)
        order = sorted(range(len(pieces)), key=lambda i: pieces[i].shape[2])
        i = 0
        while i < len(order):
            # Grow the batch while its padded width stays bounded.
            j = i + 1
            while j < len(order) and j - i < _REC_BATCH:
                if (j - i + 1) * max(_REC_MIN_WIDTH, pieces[order[j]].shape[2]) > \
                        _REC_MAX_BATCH_WIDTH:
                    break
                j += 1
            batch = order[i:j]
            i = j
            width = max(_REC_MIN_WIDTH, *(pieces[k].shape[2] for k in batch))
            # Padding is 0 after normalisation (mid grey), as in PaddleOCR.
            x = np.zeros((len(batch), 3, _REC_HEIGHT, width), np.float32)
            for n, k in enumerate(batch):
                x[n, :, :, :pieces[k].shape[2]] = pieces[k]
            probs = self._rec.run(None, {self._rec_input: x})[0]
            idx = probs.argmax(axis=2)
            best = np.take_along_axis(probs, idx[:, :, None], axis=2)[:, :, 0]
            del probs
            for n, k in enumerate(batch):
                tokens = idx[n]
                keep = tokens != 0  # CTC: drop blanks and repeats
                keep[1:] &= tokens[1:] != tokens[:-1]
                chars = tokens[keep].tolist()
                conf = float(best[n][keep].sum())
                decoded[k] = ("".join(self._chars[t] for t in chars), conf, len(chars))
        texts: list[list[str]] = [[] for _ in crops]
        sums, counts = [0.0] * len(crops), [0] * len(crops)
        for k, (text, conf, count) in zip(owner, decoded, strict=True):
            texts[k].append(text)
            sums[k] += conf
            counts[k] += count
        return [(" ".join(t.strip() for t in parts if t.strip()) if len(parts) > 1 else parts[0],
                 sums[k] / counts[k] if counts[k] else 0.0)
                for k, parts in enumerate(texts)]

    # -- orientation

    def _orient(self, rgb: Image.Image, boxes: Sequence[_Box]
                ) -> tuple[int, dict[int, tuple[str, float]]]:
        """The page's rotation and the sample lines read at it (index -> result)."""
        tall = sum(max(b.w, b.h) for b in boxes if b.h >= _TALL * b.w)
        wide = sum(max(b.w, b.h) for b in boxes if b.h < _TALL * b.w)
        first, second = (90, 270) if tall > wide else (0, 180)
        # The longest lines along the page's direction, until they hold enough characters
        # (a character is roughly half as wide as its box is high).
        along = [i for i, b in enumerate(boxes) if (b.h >= _TALL * b.w) == (first == 90)]
        along.sort(key=lambda i: -max(boxes[i].w, boxes[i].h))
        sample: list[int] = []
        chars = 0.0
        for i in along[:_ORIENT_SAMPLE]:
            sample.append(i)
            chars += 2 * max(boxes[i].w, boxes[i].h) / max(1.0, min(boxes[i].w, boxes[i].h))
            if chars >= _ORIENT_CHARS:
                break

        def attempt(rotation: int) -> tuple[float, dict[int, tuple[str, float]]]:
            got = self._recognise([self._crop(rgb, boxes[i], rotation) for i in sample])
            chars = sum(len(t) for t, _ in got)
            score = sum(len(t) * c for t, c in got) / chars if chars else 0.0
            return score, dict(zip(sample, got, strict=True))

        score, results = attempt(first)
        if first == 0 and score >= _UPRIGHT_CONFIDENT:
            return 0, results
        other, other_results = attempt(second)
        if other > score:
            return second, other_results
        return first, results

    # -- assembly

    def _assemble(self, rgb: Image.Image, boxes: Sequence[_Box], rotation: int,
                  known: dict[int, tuple[str, float]], to_input: tuple[float, int],
                  input_size: tuple[int, int]) -> tuple[list[OcrLine], str]:
        back, pad = to_input
        vertical = rotation in (90, 270)
        todo = [i for i in range(len(boxes)) if i not in known]
        results = dict(known)
        for i, res in zip(todo, self._recognise([self._crop(rgb, boxes[i], rotation)
                                                 for i in todo]), strict=True):
            results[i] = res
        # Boxes across the page's text direction (a label turned on its side, or one tall
        # character): also read turned by a quarter, keep the more confident reading.
        odd = [i for i in range(len(boxes)) if (boxes[i].h >= _TALL * boxes[i].w) != vertical]
        if odd:
            turned = self._recognise([self._crop(rgb, boxes[i], (rotation + 270) % 360)
                                      for i in odd])
            for i, res in zip(odd, turned, strict=True):
                if res[1] > results[i][1] + 0.05:
                    results[i] = res

        width, height = rgb.size
        kept = [i for i in range(len(boxes))
                if results[i][1] >= _TEXT_SCORE and results[i][0].strip()]
        if not kept:
            return [], ""
        corners = {i: _turn_points(boxes[i].corners(), rotation, width, height) for i in kept}
        # Deskew: the median direction of the long lines in the reading frame.
        angles, weights = [], []
        for i in kept:
            c = corners[i]
            top = c[1] - c[0] if np.hypot(*(c[1] - c[0])) >= np.hypot(*(c[3] - c[0])) \
                else c[0] - c[3]
            length = float(np.hypot(*top))
            if length >= 2 * min(boxes[i].w, boxes[i].h):
                angles.append(math.atan2(top[1], top[0]))
                weights.append(length)
        skew = 0.0
        if angles:
            a = np.array(angles)
            a = (a + math.pi / 2) % math.pi - math.pi / 2  # a line read backwards is the same line
            o = np.argsort(a)
            cum = np.cumsum(np.array(weights)[o])
            skew = float(a[o][np.searchsorted(cum, cum[-1] / 2)])
        cos, sin = math.cos(-skew), math.sin(-skew)
        rot = np.array([[cos, -sin], [sin, cos]])
        items: list[_Item] = []
        lines: list[OcrLine] = []
        for i in kept:
            d = corners[i] @ rot.T
            text, conf = results[i]
            text = text.strip()
            items.append(_Item(float(d[:, 0].min()), float(d[:, 1].min()),
                               float(d[:, 0].max()), float(d[:, 1].max()), text))
            c = (boxes[i].corners() - pad) * back
            x0, y0 = np.clip(c.min(axis=0), 0, None)
            x1 = min(float(c[:, 0].max()), input_size[0])
            y1 = min(float(c[:, 1].max()), input_size[1])
            lines.append(OcrLine(text, conf, (float(x0), float(y0), x1, y1)))
        text, order = _layout(items)
        return [lines[k] for k in order], text
