"""Detection post-processing: text boxes from the detector's probability map, without OpenCV.

Run-length connected components, convex hulls, minimum-area rectangles and box scores stand in
for cv2.findContours and friends; the box geometry the engine needs (long-line splitting, frame
turns) lives here too, so the engine only runs models and assembles pages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

# Detection (rapidocr config.yaml: thresh, box_thresh, unclip_ratio, use_dilation).
_DET_THRESH = 0.3
_BOX_THRESH = 0.5
_UNCLIP_RATIO = 1.6
_MIN_SIZE = 3  # px in the probability map, short side of a component's rectangle
_MAX_CANDIDATES = 1000
# Mean detail() inside a text box, in grey levels: 12 or more on faint grey UI text, about 2 on
# the flat sky of a photo that the detector takes for text; and at least twice the image's
# median (its noise).
_MIN_DETAIL = 4.0
_DETAIL_OVER_MEDIAN = 2.0
# A recognised line's pieces (split_points).
_REC_SPLIT_WIDTH = 1600  # a line wider than this (at height 48) is read in pieces
_REC_PIECE_WIDTH = 1100
_REC_MIN_GAP = 7  # px at height 48: a word space; letters are 1-3 px apart


@dataclass(frozen=True)
class Box:
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


def detail(grey: Image.Image) -> np.ndarray:
    """|grey - its 5x5 box blur|: high at the edges of strokes, near zero on smooth areas."""
    blurred = np.asarray(grey.filter(ImageFilter.BoxBlur(2)), dtype=np.float32)
    return np.abs(np.asarray(grey, dtype=np.float32) - blurred)


def boxes_from_prob(prob: np.ndarray, detail: np.ndarray | None = None
                    ) -> list[tuple[float, float, float, float, float, float]]:
    """DB post-processing: (cx, cy, w, h, angle, score) per text region, unclipped, in
    probability-map pixels. With `detail` (detail() of the detector's input), regions without
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


def split_points(line: np.ndarray) -> list[tuple[int, int]]:
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


def turn_points(pts: np.ndarray, rotation: int, width: float, height: float) -> np.ndarray:
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
