"""Reading order: OCR lines on a deskewed page become text in the order a person reads it.

A recursive XY cut splits columns at wide vertical gutters, then rows and paragraphs follow from
line overlap and pitch. Pure geometry on boxes, so it is kept apart from the models.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Item:
    """A recognised line in the deskewed reading frame: its bounds and its text."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def height(self) -> float:
        return self.y1 - self.y0


def _gutter(items: Sequence[Item], min_gap: float) -> float | None:
    """The x of the widest vertical gap (at least min_gap wide) with text on both sides."""
    spans = sorted((it.x0, it.x1) for it in items)
    best, where = min_gap, None
    reach = spans[0][1]
    for a, b in spans[1:]:
        if a - reach >= best:
            best, where = a - reach, (a + reach) / 2
        reach = max(reach, b)
    return where


def _bands(items: Sequence[Item]) -> list[list[Item]]:
    """Items split where a horizontal line crosses no item."""
    bands: list[list[Item]] = []
    bottom = -math.inf
    for it in sorted(items, key=lambda i: i.y0):
        if bands and it.y0 < bottom:
            bands[-1].append(it)
            bottom = max(bottom, it.y1)
        else:
            bands.append([it])
            bottom = it.y1
    return bands


def _blocks(items: list[Item], min_gap: float, depth: int = 0) -> list[list[Item]]:
    """Recursive XY cut: horizontal bands; consecutive bands sharing a vertical gutter form a
    group that is cut into left and right parts (columns, sidebars), each read in full before
    the next. Consecutive bands without a gutter are one flow of text."""
    if depth > 24 or len(items) < 2:
        return [items]
    groups: list[list[Item]] = []
    for band in _bands(items):
        if groups and _gutter(groups[-1] + band, min_gap) is not None:
            groups[-1] = groups[-1] + band
        else:
            groups.append(band)
    out: list[list[Item]] = []
    flow: list[Item] = []
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


def _rows(items: Sequence[Item]) -> list[list[Item]]:
    """Items grouped into text lines by vertical overlap, top to bottom, each left to right."""
    rows: list[list[Item]] = []
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


def layout(items: list[Item]) -> tuple[str, list[int]]:
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
