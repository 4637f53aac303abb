"""Colours derived from the system palette, so light and dark themes both read well.

Only tints: the marks for matched words and expansion terms blend a hue into the palette's
own base colour instead of hard-coding a light-theme yellow.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def _tint(palette: QPalette, hue_shift: int, alpha: int, selected: bool) -> QColor:
    base = palette.color(QPalette.ColorRole.Highlight)
    h, s, v, _ = base.getHsv()
    c = QColor.fromHsv((max(h, 0) + hue_shift) % 360, max(s, 140), max(v, 200))
    if selected:
        # On the selection colour a translucent white or black mark stays visible.
        c = QColor(255, 255, 255) if not is_dark(palette) else QColor(0, 0, 0)
        c.setAlpha(90)
        return c
    c.setAlpha(alpha if not is_dark(palette) else alpha + 40)
    return c


def match_tint(palette: QPalette, selected: bool = False) -> QColor:
    """Words of the query found in the text: a warm mark (highlight hue turned to amber)."""
    base = palette.color(QPalette.ColorRole.Highlight)
    shift = (45 - max(base.hsvHue(), 0)) % 360  # towards amber whatever the accent is
    return _tint(palette, shift, 110, selected)


def expansion_tint(palette: QPalette, selected: bool = False) -> QColor:
    """Terms matched by meaning only: a cool tint, clearly not the same as a word match."""
    base = palette.color(QPalette.ColorRole.Highlight)
    shift = (170 - max(base.hsvHue(), 0)) % 360  # towards teal
    return _tint(palette, shift, 70, selected)


def current_hit_tint(palette: QPalette) -> QColor:
    c = QColor(palette.color(QPalette.ColorRole.Highlight))
    c.setAlpha(200)
    return c


def passage_tint(palette: QPalette) -> QColor:
    """The best passage in the preview: the faintest wash of the accent colour."""
    c = QColor(palette.color(QPalette.ColorRole.Highlight))
    c.setAlpha(28 if not is_dark(palette) else 48)
    return c


def muted_text(palette: QPalette, selected: bool = False) -> QColor:
    if selected:
        c = QColor(palette.color(QPalette.ColorRole.HighlightedText))
        c.setAlpha(200)
        return c
    text = palette.color(QPalette.ColorRole.Text)
    base = palette.color(QPalette.ColorRole.Base)
    # Two thirds of the way from the background to the text: readable, yet secondary.
    return QColor((text.red() * 2 + base.red()) // 3, (text.green() * 2 + base.green()) // 3,
                  (text.blue() * 2 + base.blue()) // 3)


def css(color: QColor) -> str:
    """A colour for Qt rich text, alpha included."""
    return f"rgba({color.red()},{color.green()},{color.blue()},{color.alpha()})"
