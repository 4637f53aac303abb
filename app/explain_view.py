"""'Why this result': the matched words, the expansion terms and each list's share of the score."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.palette import css, expansion_tint, match_tint, muted_text
from core.search.results import Hit
from core.search.searcher import Explanation

LISTS = (
    ("keyword", "Keyword match", "BM25 over the exact words"),
    ("sparse", "Related terms", "sparse expansion: words and their close relatives"),
    ("dense", "Meaning", "similarity of the passage's meaning to the query's"),
)


def words_html(ex: Explanation, palette: QPalette) -> str:
    """The matched words and the expansion terms, each kind in its own tint."""
    muted = muted_text(palette).name()
    mark = css(match_tint(palette))
    tint = css(expansion_tint(palette))
    if ex.matched_words:
        words = " ".join(f'<span style="background-color:{mark}">&nbsp;{html.escape(w)}&nbsp;'
                         "</span>" for w in ex.matched_words)
    else:
        words = f'<span style="color:{muted}">none: this passage matched by meaning</span>'
    if ex.expansion_terms:
        terms = " ".join(f'<span style="background-color:{tint}">&nbsp;+{html.escape(t)}'
                         f"&nbsp;</span>&nbsp;<span style=\"color:{muted}\">{w:.2f}</span>"
                         for t, w in ex.expansion_terms[:12])
    else:
        terms = f'<span style="color:{muted}">none</span>'
    return (f"<b>Words found in the passage:</b> {words}<br>"
            f"<b>Matched by meaning (expansion terms):</b> {terms}")


class ExplainPanel(QFrame):
    """Words and terms as rich text; one row per list with its raw score and a bar for its
    share of the final score."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explainPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.words = QLabel()
        self.words.setWordWrap(True)
        self.words.setTextFormat(Qt.TextFormat.RichText)
        self.words.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(14)
        self.grid.setVerticalSpacing(2)
        self.rows: dict[str, tuple[QLabel, QProgressBar, QLabel]] = {}
        for col, text in enumerate(("", "raw score", "share of the score", "")):
            head = QLabel(text)
            head.setObjectName("hint")
            self.grid.addWidget(head, 0, col)
        for i, (key, name, what) in enumerate(LISTS, start=1):
            label = QLabel(f"{name}  <span style='font-size:small'>({what})</span>")
            label.setTextFormat(Qt.TextFormat.RichText)
            raw = QLabel()
            raw.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(False)
            bar.setMaximumHeight(10)
            bar.setMinimumWidth(120)
            share = QLabel()
            share.setObjectName("hint")
            self.grid.addWidget(label, i, 0)
            self.grid.addWidget(raw, i, 1)
            self.grid.addWidget(bar, i, 2)
            self.grid.addWidget(share, i, 3)
            self.rows[key] = (raw, bar, share)
        self.grid.setColumnStretch(0, 1)
        self.total = QLabel()
        self.total.setObjectName("hint")
        self.total.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(QLabel("<b>Why this result?</b>"))
        layout.addWidget(self.words)
        layout.addLayout(self.grid)
        layout.addWidget(self.total)
        self.explanation: Explanation | None = None

    def show_loading(self) -> None:
        self.explanation = None
        self.words.setText("Working it out…")
        for raw, bar, share in self.rows.values():
            raw.setText("")
            bar.setValue(0)
            share.setText("")
        self.total.setText("")

    def show_explanation(self, hit: Hit, ex: Explanation, feedback: str | None = None) -> None:
        self.explanation = ex
        self.words.setText(words_html(ex, self.palette()))
        total = sum(hit.contributions.values()) or 1.0
        for key, (raw, bar, share) in self.rows.items():
            value = ex.scores.get(key)
            # the feedback round's share ("dense-prf") is that list's too: shares add up to 100%
            part = hit.contributions.get(key, 0.0) + hit.contributions.get(f"{key}-prf", 0.0)
            raw.setText("—" if value is None else f"{value:.3f}")
            bar.setValue(int(round(1000 * part / total)))
            share.setText(f"{part:.3f} ({100 * part / total:.0f}%)")
        self.total.setText(f"Final score {hit.score:.3f}. Each list's scores are normalised per "
                           "query, then mixed; the share is what each list added."
                           + (f" {feedback}" if feedback else ""))

    def show_error(self, message: str) -> None:
        self.words.setText(html.escape(message))
