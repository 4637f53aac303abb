"""The preview pane: a document's extracted text, scrolled to the best passage, every hit marked,
next/previous hit, and the page number for paged formats (PDF).

`load_preview` runs on a worker thread (it reads the index and scans the whole text for hits);
the pane only lays out what it is given.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QPalette, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import formatting, icons
from app.explain_view import ExplainPanel
from app.palette import current_hit_tint, match_tint, passage_tint
from core.api import Engine
from core.search.query import parse_query
from core.search.results import Hit
from core.search.snippets import match_spans, query_stems

MAX_PREVIEW_CHARS = 1_500_000  # beyond this, a window around the best passage is shown
MAX_MARKED = 3000  # extra selections are cheap, but not free
# Letters of the right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan,
# Mandaic, their presentation forms, and the historic ones beyond the BMP.
_RTL = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]"
)


@dataclass
class PreviewData:
    path: str
    title: str
    format: str | None
    text: str
    offset: int  # where `text` starts in the full extracted text (cropped huge files)
    passages: list[tuple[int, int, int, int | None]]  # (id, start, end, page) into `text`
    hits: list[tuple[int, int]]  # marked words, into `text`
    focus: int  # where to scroll first (start of the best passage)
    matched_passages: list[tuple[int, int]] = field(default_factory=list)  # spans into text
    size: int = 0
    mtime: float = 0.0
    pages: list[tuple[int, str]] = field(default_factory=list)  # (start, label), sorted
    recognised: str = ""  # the text came from OCR: said so above it
    origin: str = ""  # the shared index the text comes from: said so above it
    # Any right-to-left text: found where the data is built (the worker), not on the UI thread.
    rtl: bool = field(init=False)

    def __post_init__(self) -> None:
        self.rtl = _RTL.search(self.text) is not None

    def page_at(self, pos: int) -> str | None:
        """The page (or slide, or sheet) that a text position is on."""
        if self.pages:
            i = bisect_right([start for start, _ in self.pages], pos) - 1
            return self.pages[i][1] if i >= 0 else None
        # No page marks: the page of the passage it falls in, if the index has one.
        i = bisect_right([p[1] for p in self.passages], pos) - 1
        page = self.passages[i][3] if 0 <= i < len(self.passages) else None
        return str(page) if page else None


def load_preview(engine: Engine, path: str, query: str, passage_ids: list[int],
                 best_passage: int | None) -> PreviewData:
    """Worker side: the text, its hits and where to start (never call on the UI thread)."""
    doc = engine.preview_text(path)
    text, passages = doc.text, doc.passages
    ranges = {pid: (s, e) for pid, s, e, _ in passages}
    focus = ranges.get(best_passage, (0, 0))[0] if best_passage is not None else 0
    offset = 0
    if len(text) > MAX_PREVIEW_CHARS:
        offset = max(0, min(focus - MAX_PREVIEW_CHARS // 2, len(text) - MAX_PREVIEW_CHARS))
        text = text[offset:offset + MAX_PREVIEW_CHARS]
        passages = [(pid, s - offset, e - offset, pg) for pid, s, e, pg in passages
                    if s >= offset and e <= offset + len(text)]
        focus -= offset
    hits = _query_hits(text, query)
    matched = _union([(ranges[p][0] - offset, ranges[p][1] - offset) for p in passage_ids
                      if p in ranges and ranges[p][0] >= offset])
    try:
        st = os.stat(path)
        size, mtime = st.st_size, st.st_mtime
    except OSError:
        size, mtime = 0, 0.0
    kinds = {k for k, _, _ in doc.sections}
    kind = next((k for k in ("page", "slide", "sheet") if k in kinds), None)
    pages = sorted((start - offset, label if kind == "page" else f"{kind} {label}")
                   for k, label, start in doc.sections
                   if k == kind and offset <= start <= offset + len(text))
    # Qt counts UTF-16 code units and treats a lone CR as a line break: convert once here.
    text = text.replace("\r\n", " \n").replace("\r", "\n")
    q = _utf16_positions(text)
    if q is not None:
        passages = [(pid, q[s], q[e], pg) for pid, s, e, pg in passages]
        hits = [(q[s], q[e]) for s, e in hits]
        matched = [(q[s], q[e]) for s, e in matched]
        pages = [(q[s], label) for s, label in pages]
        focus = q[max(0, min(focus, len(text)))]
    return PreviewData(path, doc.title, doc.format, text, offset, passages, hits, focus,
                       matched, size, mtime, pages, doc.recognised)


def shared_preview(hit: Hit, query: str) -> PreviewData:
    """A result of a shared index: this machine has only the passage the shared index keeps
    (its other passages live on the server), shown with the query's words marked."""
    text = hit.snippet.text.replace("\r\n", " \n").replace("\r", "\n")
    hits = _query_hits(text, query)
    end = len(text)
    q = _utf16_positions(text)  # Qt counts UTF-16 code units
    if q is not None:
        hits, end = [(q[s], q[e]) for s, e in hits], q[end]
    return PreviewData(hit.path, hit.title, hit.format, text, 0,
                       [(hit.passage_id, 0, end, hit.page)], hits, 0, [(0, end)],
                       hit.size, hit.mtime,
                       origin=f"from the shared index “{hit.source}”: the passage that "
                              "matched (open the file for all of it)")


def _query_hits(text: str, query: str) -> list[tuple[int, int]]:
    """Where the query's words and phrases occur in `text` (character offsets)."""
    parsed = parse_query(query) if query else None
    stems = query_stems([*parsed.words, *parsed.phrases]) if parsed else set()
    return match_spans(text, stems) if stems else []


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping passages as one span each: a wash painted twice would look patchy."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _utf16_positions(text: str) -> list[int] | None:
    """Python index -> Qt position, or None when they are the same (no astral characters)."""
    if text.isascii() or not any(ord(c) > 0xFFFF for c in text):
        return None
    out, pos = [], 0
    for c in text:
        out.append(pos)
        pos += 2 if ord(c) > 0xFFFF else 1
    out.append(pos)
    return out


class PreviewPane(QWidget):
    open_requested = Signal()
    explain_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: PreviewData | None = None
        self.targets: list[tuple[int, int]] = []  # what next/previous walks through
        self.current = -1

        self.title = QLabel()
        self.title.setObjectName("previewTitle")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.path = QLabel()
        self.path.setObjectName("previewPath")
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.info = QLabel()
        self.info.setObjectName("previewInfo")
        self.info.setWordWrap(True)  # a long line (OCR, shared index) wraps, never widens the pane
        self.info.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.page = QLabel()
        self.page.setObjectName("previewPage")
        self.hit_label = QLabel()
        self.prev_button = QToolButton(toolTip="Previous hit (Shift+F3)")
        self.prev_button.setIcon(icons.icon("previous"))
        self.prev_button.setAccessibleName("Previous hit")
        self.next_button = QToolButton(toolTip="Next hit (F3)")
        self.next_button.setIcon(icons.icon("next"))
        self.next_button.setAccessibleName("Next hit")
        self.why_button = QPushButton("Why this result?")
        self.why_button.setCheckable(True)
        self.open_button = QPushButton("Open")
        self.prev_button.clicked.connect(self.previous_hit)
        self.next_button.clicked.connect(self.next_hit)
        self.open_button.clicked.connect(self.open_requested)
        self.why_button.toggled.connect(self._toggle_explain)

        self.explain = ExplainPanel()
        self.explain.hide()
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setObjectName("previewText")
        self.text.setCenterOnScroll(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)

        header = QVBoxLayout()
        header.setSpacing(2)
        header.addWidget(self.title)
        header.addWidget(self.path)
        bar = QHBoxLayout()
        bar.addWidget(self.info, 1)
        bar.addWidget(self.page)
        bar.addSpacing(12)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.hit_label)
        bar.addWidget(self.next_button)
        bar.addSpacing(12)
        bar.addWidget(self.why_button)
        bar.addWidget(self.open_button)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(12, 10, 12, 0)
        layout.addLayout(header)
        layout.addLayout(bar)
        layout.addWidget(self.explain)
        layout.addWidget(self.text, 1)

        self.empty = QLabel("Select a result to see its text here.")
        self.empty.setObjectName("previewEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.clear()

    # -- content ---------------------------------------------------------------------------

    def clear(self, message: str = "Select a result to see its text here.") -> None:
        self.data = None
        self.targets = []
        self.current = -1
        self.text.clear()
        self.empty.setText(message)
        self.stack.setCurrentIndex(0)

    def show_loading(self, title: str, path: str) -> None:
        self.stack.setCurrentIndex(1)
        self.title.setText(title)
        self.path.setText(formatting.display_path(path))
        self.info.setText("Loading…")

    def show_preview(self, data: PreviewData) -> None:
        self.data = data
        self.stack.setCurrentIndex(1)
        self.title.setText(data.title or os.path.basename(data.path))
        self.title.setToolTip(data.title)
        self.path.setText(formatting.display_path(data.path))
        self.path.setToolTip(data.path)
        parts = [p for p in (_format_name(data.format), formatting.size(data.size) if data.size
                             else "", f"modified {formatting.date(data.mtime)}" if data.mtime
                             else "") if p]
        if data.offset:
            parts.append("showing part of a very long text")
        if data.origin:
            parts.append(data.origin)
        if data.recognised:  # "text recognised by OCR (pages 1-3)": it may have misreadings
            parts.append(data.recognised[0].upper() + data.recognised[1:])
        self.info.setText(" · ".join(parts))
        # Each paragraph takes its direction from its first strong letter (Qt's default, kept:
        # nothing here may force left-to-right), but QPlainTextEdit lays every block out with
        # the document's one alignment, which it does not mirror: "left" leaves Arabic and
        # Hebrew paragraphs flush left. Justified, a right-to-left paragraph is flush right
        # (its last line too) and a left-to-right one still starts at the left (its wrapped
        # lines spread to the width); documents without right-to-left text stay flush left.
        # Changed on an empty document, so that no text is laid out twice.
        document = self.text.document()
        option = document.defaultTextOption()
        option.setTextDirection(Qt.LayoutDirection.LayoutDirectionAuto)
        option.setAlignment(Qt.AlignmentFlag.AlignJustify if data.rtl
                            else Qt.AlignmentFlag.AlignLeft)
        if (option.alignment(), option.textDirection()) != (
                document.defaultTextOption().alignment(),
                document.defaultTextOption().textDirection()):
            document.clear()
            document.setDefaultTextOption(option)
        self.text.setPlainText(data.text)
        # Walk through word hits; a passage matched by meaning alone has none, so walk the
        # matched passages instead.
        self.targets = data.hits or sorted(data.matched_passages)
        first = next((i for i, (s, _) in enumerate(self.targets) if s >= data.focus), 0)
        self.current = first if self.targets else -1
        self._paint_marks()
        self._go(self.current, fallback=data.focus)

    def show_error(self, message: str) -> None:
        self.clear(message)

    # -- hits ------------------------------------------------------------------------------

    def next_hit(self) -> None:
        if self.targets:
            self._go((self.current + 1) % len(self.targets))

    def previous_hit(self) -> None:
        if self.targets:
            self._go((self.current - 1) % len(self.targets))

    @property
    def hit_count(self) -> int:
        return len(self.targets)

    def _go(self, i: int, fallback: int = 0) -> None:
        self.current = i
        if 0 <= i < len(self.targets):
            start, end = self.targets[i]
        else:
            start = end = fallback
        cursor = self.text.textCursor()
        if self.data is not None and self.data.hits:
            cursor.setPosition(min(end, self.text.document().characterCount() - 1))
            cursor.setPosition(start, QTextCursor.MoveMode.KeepAnchor)
        else:
            # A whole passage selected would look like a selection the user made: just go
            # there; the passage wash shows what matched.
            cursor.setPosition(min(start, self.text.document().characterCount() - 1))
        # Centre the hit: set the cursor, then let the view centre on it.
        self.text.setTextCursor(cursor)
        self.text.centerCursor()
        self._paint_marks()
        n = len(self.targets)
        unit = "hit" if self.data and self.data.hits else "passage"
        self.hit_label.setText(f"{unit.capitalize()} {i + 1} of {n}" if n and i >= 0
                               else "No hits")
        self.prev_button.setEnabled(n > 1)
        self.next_button.setEnabled(n > 1)
        page = self.data.page_at(start) if self.data else None
        if page and page[0].isdigit():
            page = f"Page {page}"
        self.page.setText(page.capitalize() if page else "")

    def _paint_marks(self) -> None:
        if self.data is None:
            return
        pal = self.palette()
        selections: list[QTextEdit.ExtraSelection] = []
        wash = QTextCharFormat()
        wash.setBackground(passage_tint(pal))
        for s, e in self.data.matched_passages[:50]:
            selections.append(_selection(self.text, s, e, wash))
        mark = QTextCharFormat()
        mark.setBackground(match_tint(pal))
        for s, e in self.data.hits[:MAX_MARKED]:
            selections.append(_selection(self.text, s, e, mark))
        if self.data.hits and 0 <= self.current < len(self.targets):
            now = QTextCharFormat()
            now.setBackground(current_hit_tint(pal))
            now.setForeground(pal.color(QPalette.ColorRole.HighlightedText))
            now.setFontWeight(QFont.Weight.Bold)
            s, e = self.targets[self.current]
            selections.append(_selection(self.text, s, e, now))
        self.text.setExtraSelections(selections)

    def _toggle_explain(self, on: bool) -> None:
        self.explain.setVisible(on)
        self.explain_toggled.emit(on)


def _selection(edit: QPlainTextEdit, start: int, end: int,
               fmt: QTextCharFormat) -> QTextEdit.ExtraSelection:
    sel = QTextEdit.ExtraSelection()
    cursor = QTextCursor(edit.document())
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    sel.cursor = cursor  # type: ignore[misc]
    sel.format = fmt  # type: ignore[misc]
    return sel


_FORMAT_NAMES = {
    "pdf": "PDF", "docx": "Word document", "odt": "OpenDocument text", "rtf": "RTF document",
    "xlsx": "Excel spreadsheet", "ods": "OpenDocument spreadsheet", "pptx": "PowerPoint",
    "odp": "OpenDocument presentation", "email": "Email", "mbox": "Mailbox", "msg": "Email",
    "html": "Web page", "mhtml": "Web archive", "markdown": "Markdown", "rst": "reStructuredText",
    "text": "Text", "code": "Source code", "epub": "E-book", "man": "Manual page", "xml": "XML",
}


def _format_name(fmt: str | None) -> str:
    return _FORMAT_NAMES.get(fmt or "", (fmt or "").upper())
