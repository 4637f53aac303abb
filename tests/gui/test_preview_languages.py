"""The preview shows Arabic, Hebrew and Chinese as written: the text unchanged (not reversed, no
mojibake), right-to-left paragraphs laid out right to left and flush right, and every mark on
exactly the characters asked for. Asserted on text, direction and positions, never on pixels
(the machine may have no Arabic or CJK font)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF, QTextBlock

from app.preview import PreviewData, PreviewPane, load_preview
from core.api import PreviewText
from tests.multilingual import ARABIC, CHINESE_SIMPLIFIED, HEBREW

RTL, LTR = Qt.LayoutDirection.RightToLeft, Qt.LayoutDirection.LeftToRight

# (passage, words to mark, direction of its paragraphs)
PASSAGES = {
    "arabic": (ARABIC, ["القاهرة", "النيل", "المدينة"], RTL),
    "hebrew": (HEBREW, ["ירושלים", "העתיקה", "בעולם"], RTL),
    "chinese": (CHINESE_SIMPLIFIED, ["北京", "故宫", "图书馆"], LTR),
}


def _data(text: str, words: list[str]) -> PreviewData:
    hits = sorted((m.start(), m.end()) for w in words for m in re.finditer(re.escape(w), text))
    return PreviewData("/docs/sample.txt", "sample", "text", text, 0,
                       [(1, 0, len(text), None)], hits, focus=0)


@pytest.fixture
def pane(qtbot) -> PreviewPane:
    p = PreviewPane()
    qtbot.addWidget(p)
    p.resize(760, 560)
    p.show()
    qtbot.waitExposed(p)
    return p


def _blocks(pane: PreviewPane) -> list[QTextBlock]:
    """The document's non-empty blocks, each laid out (QPlainTextEdit lays out lazily)."""
    doc = pane.text.document()
    out, block = [], doc.begin()
    while block.isValid():
        doc.documentLayout().blockBoundingRect(block)
        if block.text():
            out.append(block)
        block = block.next()
    return out


def _marked(pane: PreviewPane) -> list[tuple[int, int, str]]:
    return sorted({(s.cursor.selectionStart(), s.cursor.selectionEnd(), s.cursor.selectedText())
                   for s in pane.text.extraSelections()})


@pytest.mark.parametrize("name", PASSAGES)
def test_text_and_marks(pane: PreviewPane, name: str) -> None:
    text, words, _ = PASSAGES[name]
    data = _data(text, words)
    pane.show_preview(data)
    # Shown exactly as given: same characters, same (logical) order.
    assert pane.text.toPlainText() == text
    assert [b.text() for b in _blocks(pane)] == [p for p in text.split("\n") if p]
    # Every mark covers exactly one of the words, at the offsets asked for; the current hit
    # is the selection too.
    assert len(data.hits) >= len(words)
    marked = _marked(pane)
    assert [(s, e) for s, e, _ in marked] == data.hits
    assert {t for _, _, t in marked} == set(words)
    cursor = pane.text.textCursor()
    start, end = data.hits[pane.current]
    assert (cursor.selectionStart(), cursor.selectionEnd()) == (start, end)
    assert cursor.selectedText() == text[start:end]
    pane.next_hit()
    start, end = data.hits[pane.current]
    assert pane.text.textCursor().selectedText() == text[start:end]


@pytest.mark.parametrize("name", PASSAGES)
def test_paragraph_direction_and_alignment(pane: PreviewPane, name: str) -> None:
    text, words, direction = PASSAGES[name]
    data = _data(text, words)
    assert data.rtl == (direction == RTL)
    pane.show_preview(data)
    margin = pane.text.document().documentMargin()
    for block in _blocks(pane):
        assert block.textDirection() == direction, block.text()[:20]
        layout = block.layout()
        lines = [layout.lineAt(i) for i in range(layout.lineCount())]
        # Wider than the view means wrapped (with no CJK font the glyphs may take no width).
        needed = QFontMetricsF(block.charFormat().font()).horizontalAdvance(block.text())
        if needed > pane.text.viewport().width():
            assert len(lines) > 1, "long paragraphs wrap"
        for line in lines:
            rect = line.naturalTextRect()
            if direction == RTL:  # flush right, the last, short line too
                assert rect.right() == pytest.approx(line.x() + line.width(), abs=1.0)
            else:  # flush left
                assert rect.left() == pytest.approx(margin, abs=1.0)
        # A marked word runs right to left in an RTL paragraph: its first character is drawn
        # right of its last.
        for s, e in data.hits:
            if block.position() <= s and e <= block.position() + block.length():
                line = layout.lineForTextPosition(s - block.position())
                if line.isValid() and line.textStart() + line.textLength() >= e - block.position():
                    x_start = line.cursorToX(s - block.position())[0]
                    x_end = line.cursorToX(e - block.position())[0]
                    assert (x_start > x_end) == (direction == RTL), text[s:e]


def test_mixed_document(pane: PreviewPane) -> None:
    # One document, paragraphs in both directions: each keeps its own.
    paragraphs = [ARABIC.split("\n\n")[0], "Meeting notes, 3 May: budget and schedule.",
                  CHINESE_SIMPLIFIED.split("\n\n")[0], HEBREW.split("\n\n")[0]]
    text = "\n\n".join(paragraphs)
    pane.show_preview(_data(text, ["القاهرة", "budget", "故宫", "ירושלים"]))
    assert pane.text.toPlainText() == text
    assert [b.textDirection() for b in _blocks(pane)] == [RTL, LTR, LTR, RTL]
    assert {t for _, _, t in _marked(pane)} == {"القاهرة", "budget", "故宫", "ירושלים"}
    # A left-to-right document afterwards is laid out flush left again.
    pane.show_preview(_data(CHINESE_SIMPLIFIED, ["北京"]))
    assert pane.text.document().defaultTextOption().alignment() == Qt.AlignmentFlag.AlignLeft


class _Engine:
    """Just what load_preview asks of the engine."""

    def __init__(self, text: str) -> None:
        self.text = text

    def preview_text(self, path: str) -> PreviewText:
        return PreviewText(path, "sample", "text", self.text, [(7, 0, len(self.text), None)])


@pytest.mark.parametrize(
    ("text", "query", "word"),
    [
        (ARABIC, "القاهرة", "القاهرة"),
        (HEBREW, "ירושלים", "ירושלים"),
        (CHINESE_SIMPLIFIED, "故宫", "故宫"),
        # A character beyond the BMP (two UTF-16 units in Qt) before the hit: the mark must not
        # slip by one.
        ("𠮷野家的牛肉饭很好吃。\n\n" + CHINESE_SIMPLIFIED, "故宫", "故宫"),
    ],
)
def test_query_words_are_marked(pane: PreviewPane, text: str, query: str, word: str) -> None:
    # No matched passage (its wash would be one more selection): only the words are marked.
    data = load_preview(_Engine(text), "/docs/sample.txt", query, [], 7)  # type: ignore[arg-type]
    pane.show_preview(data)
    assert pane.text.toPlainText() == text
    marked = _marked(pane)
    assert marked and {t for _, _, t in marked} == {word}
