"""'Why this result': the matched words, the expansion terms and each list's share of the score."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from app.palette import css, expansion_tint, match_tint, muted_text
from core.search.results import Hit
from core.search.searcher import Explanation

LISTS = (
    ("keyword", "Keyword match", "BM25 over the exact words"),
    ("sparse", "Related terms", "sparse expansion: words and their close relatives"),
    ("dense", "Meaning", "similarity of the passage's meaning to the query's"),
)


def explanation_html(hit: Hit, ex: Explanation, palette: QPalette) -> str:
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
    rows = []
    total = sum(hit.contributions.values()) or hit.score or 1.0
    bar = css(palette.color(QPalette.ColorRole.Highlight))
    for key, name, what in LISTS:
        share = hit.contributions.get(key, 0.0)
        raw = ex.scores.get(key)
        pct = int(round(100 * share / total)) if total else 0
        raw_s = "—" if raw is None else f"{raw:.3f}"
        rows.append(
            f"<tr><td>{name}<br><span style=\"color:{muted}; font-size:small\">{what}</span></td>"
            f'<td align="right">{raw_s}</td><td align="right">{share:.3f}</td>'
            f'<td width="90"><table cellspacing="0" cellpadding="0" width="{max(pct, 1)}%">'
            f'<tr><td style="background-color:{bar}" height="8"></td></tr></table></td>'
            f'<td align="right" style="color:{muted}">{pct}%</td></tr>')
    return (
        f"<p><b>Words found in the passage:</b> {words}</p>"
        f"<p><b>Matched by meaning (expansion terms):</b> {terms}</p>"
        f'<table cellspacing="6" width="100%"><tr style="color:{muted}"><td>List</td>'
        '<td align="right">raw score</td><td align="right">share</td><td></td><td></td></tr>'
        + "".join(rows) + f"</table><p style=\"color:{muted}\">Final score {hit.score:.3f}: "
        "each list's scores are normalised per query and mixed; the share is what each list "
        "added.</p>")


class ExplainPanel(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("explainPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        title = QLabel("<b>Why this result?</b>")
        layout.addWidget(title)
        layout.addWidget(self.label)
        self.explanation: Explanation | None = None

    def show_loading(self) -> None:
        self.explanation = None
        self.label.setText("Working it out…")

    def show_explanation(self, hit: Hit, ex: Explanation) -> None:
        self.explanation = ex
        self.label.setText(explanation_html(hit, ex, self.palette()))

    def show_error(self, message: str) -> None:
        self.label.setText(html.escape(message))
