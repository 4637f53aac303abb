"""Typing a query, the result list, keyboard navigation, the context menu's actions."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.search_view import chips_html, snippet_html
from app.window import MainWindow
from tests.gui.conftest import WAIT_MS, names, search


def test_typing_shows_results(qtbot, window: MainWindow, library: Path) -> None:
    assert window.pages.currentIndex() == 0  # not the first-run page: a folder is indexed
    paths = search(qtbot, window, "sourdough bread")
    assert names(paths)[0] == "bread.txt"
    item = window.model.items[0]
    assert item.title == "Kneading dough for a sourdough loaf"
    assert item.hit.snippet.spans, "matched words are marked in the snippet"
    assert "background-color" in snippet_html(item, window.palette(), False)
    assert "result" in window.message.text()
    # The first result is selected and previewed.
    qtbot.waitUntil(lambda: window.preview.data is not None, timeout=WAIT_MS)
    assert window.preview.data.path == str(library / "notes" / "bread.txt")


def test_results_as_you_type_drop_stale_searches(qtbot, window: MainWindow) -> None:
    # Every keystroke restarts the pause; only the last query's results are shown.
    qtbot.keyClicks(window.field, "brake pads")
    qtbot.waitUntil(lambda: window.last_outcome is not None, timeout=WAIT_MS)
    assert window.last_outcome.query == "brake pads"
    assert names([i.hit.path for i in window.model.items])[0] == "car.txt"


def test_semantic_match_and_expansion_chips(qtbot, window: MainWindow) -> None:
    paths = search(qtbot, window, "car repair")
    assert names(paths)[0] == "car.txt"  # "car" is not in its text: found by meaning
    item = window.model.items[0]
    assert not item.hit.snippet.spans
    assert "car" in [term for term, _ in item.expansions]
    html = chips_html(item, window.palette(), False)
    assert "+car" in html
    # Word matches and expansion terms are marked in different tints.
    assert snippet_html(window.model.items[0], window.palette(), False) != html


def test_keyboard_navigation(qtbot, window: MainWindow, library: Path) -> None:
    search(qtbot, window, "lighthouse tomatoes sourdough", min_results=3)
    assert window.field.hasFocus()
    first = window.model.items[0].hit.path
    second = window.model.items[1].hit.path
    assert window.results.current_item().hit.path == first
    qtbot.keyClick(window.field, Qt.Key.Key_Down)
    assert window.results.current_item().hit.path == second
    qtbot.keyClick(window.field, Qt.Key.Key_Up)
    assert window.results.current_item().hit.path == first

    qtbot.keyClick(window.field, Qt.Key.Key_Return)
    assert window.open_url.urls[-1].toLocalFile() == first
    qtbot.keyClick(window.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert window.open_url.urls[-1].toLocalFile() == os.path.dirname(first)

    qtbot.keyClick(window.field, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == first

    # The same keys work with the focus in the list.
    window.results.setFocus()
    qtbot.keyClick(window.results, Qt.Key.Key_Down)
    qtbot.keyClick(window.results, Qt.Key.Key_Return)
    assert window.open_url.urls[-1].toLocalFile() == second
    qtbot.keyClick(window.results, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == second

    qtbot.keyClick(window.results, Qt.Key.Key_Escape)
    assert window.field.text() == ""
    assert window.model.rowCount() == 0
    assert window.field.hasFocus()


def test_context_menu_actions(qtbot, window: MainWindow, library: Path) -> None:
    search(qtbot, window, "lighthouse lantern")
    item = window.model.items[0]
    menu = window.context_menu(item)
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert set(actions) >= {"Open", "Open containing folder", "Copy path", "More like this",
                            "Why this result?", "Exclude this folder from the index…"}
    actions["Open containing folder"].trigger()
    assert window.open_url.urls[-1].toLocalFile() == str(library / "work")
    actions["Copy path"].trigger()
    assert QGuiApplication.clipboard().text() == item.hit.path

    actions["More like this"].trigger()
    qtbot.waitUntil(lambda: window.similar_to is not None and not window.searching,
                    timeout=WAIT_MS)
    assert window.similar_banner.isVisible()
    assert item.hit.path not in [i.hit.path for i in window.model.items]
    qtbot.keyClick(window.field, Qt.Key.Key_Escape)
    assert window.similar_to is None and not window.similar_banner.isVisible()


def test_exclude_folder_from_results(qtbot, window: MainWindow, library: Path) -> None:
    paths = search(qtbot, window, "weeknight pasta garlic")
    assert names(paths)[0] == "recipes.html"
    window.exclude_folder(window.model.items[0])
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "recipes.html" not in names(
        [i.hit.path for i in window.model.items]), timeout=WAIT_MS)
    root = next(r for r in window.engine.roots() if r.path == str(library))
    assert "/web/" in root.excludes
