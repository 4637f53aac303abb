"""The preview pane: text scrolled to the best passage, hits marked, next/previous, PDF pages,
and the 'why this result' explanation."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.window import MainWindow
from tests.gui.conftest import WAIT_MS, names, search


def _wait_preview(qtbot, window: MainWindow, name: str) -> None:
    qtbot.waitUntil(lambda: window.preview.data is not None
                    and Path(window.preview.data.path).name == name, timeout=WAIT_MS)


def test_preview_hits_and_pages(qtbot, window: MainWindow) -> None:
    paths = search(qtbot, window, "lighthouse museum")
    assert names(paths)[0] == "report.pdf"
    _wait_preview(qtbot, window, "report.pdf")
    pane = window.preview
    text = pane.text.toPlainText()
    assert "lighthouse keepers association" in text
    assert pane.hit_count >= 4  # every "lighthouse" and "museum" is a hit
    marked = {text[s:e].lower() for s, e in pane.data.hits}
    assert marked <= {"lighthouse", "museum"}
    # It opens on the best passage: the one about the museum day, on page 3.
    start, end = pane.targets[pane.current]
    assert pane.data.focus <= start
    assert pane.page.text() == "Page 3"
    cursor = pane.text.textCursor()
    assert start <= cursor.position() <= end
    assert pane.text.extraSelections(), "hits are marked"

    # Next/previous walk the hits and wrap around; the page label follows.
    first = pane.current
    pane.next_hit()
    assert pane.current == (first + 1) % pane.hit_count
    assert pane.hit_label.text() == f"Hit {pane.current + 1} of {pane.hit_count}"
    pane.previous_hit()
    assert pane.current == first
    for _ in range(pane.hit_count - first):
        qtbot.keyClick(window, Qt.Key.Key_F3)  # F3 anywhere in the window
    assert pane.current == 0
    assert pane.page.text() == "Page 1"  # the first "lighthouse" is on page 1
    qtbot.keyClick(window, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert pane.current == pane.hit_count - 1


def test_preview_follows_selection(qtbot, window: MainWindow) -> None:
    search(qtbot, window, "garden tomatoes shed", min_results=2)
    first = Path(window.model.items[0].hit.path).name
    second = Path(window.model.items[1].hit.path).name
    _wait_preview(qtbot, window, first)
    qtbot.keyClick(window.field, Qt.Key.Key_Down)
    _wait_preview(qtbot, window, second)
    assert window.preview.title.text() == window.model.items[1].title


def test_semantic_result_walks_passages(qtbot, window: MainWindow) -> None:
    search(qtbot, window, "car repair")
    _wait_preview(qtbot, window, "car.txt")
    pane = window.preview
    assert pane.data.hits == []  # no word in common
    assert pane.hit_count == 1 and pane.hit_label.text() == "Passage 1 of 1"


def test_why_this_result(qtbot, window: MainWindow) -> None:
    search(qtbot, window, "car repair")
    _wait_preview(qtbot, window, "car.txt")
    qtbot.keyClick(window, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    panel = window.preview.explain
    assert panel.isVisible()
    qtbot.waitUntil(lambda: panel.explanation is not None, timeout=WAIT_MS)
    ex = panel.explanation
    assert ex.matched_words == []
    assert "car" in [t for t, _ in ex.expansion_terms]
    assert set(ex.scores) == {"keyword", "sparse", "dense"}
    assert "+car" in panel.words.text()
    raw, bar, share = panel.rows["dense"]
    assert bar.value() > 0 and raw.text() != "—"
    # the three lists' shares (feedback round included) make up the whole score
    assert sum(b.value() for _, b, _ in panel.rows.values()) == pytest.approx(1000, abs=3)
    # whether the feedback round ran, and why, as the search decided it
    feedback = window.last_outcome.result.feedback
    assert feedback and feedback.startswith("Feedback") and feedback in panel.total.text()

    # A keyword match lists its words; the panel follows the selection.
    search(qtbot, window, "sourdough loaf")
    qtbot.waitUntil(lambda: panel.explanation is not None
                    and bool(panel.explanation.matched_words), timeout=WAIT_MS)
    assert set(panel.explanation.matched_words) >= {"sourdough", "loaf"}
    window.preview.why_button.click()
    assert not panel.isVisible()
