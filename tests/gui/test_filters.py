"""Each filter, as a widget and as query syntax."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QDate

from app.window import MainWindow
from core.api import Engine
from tests.gui.conftest import WAIT_MS, names, search

QUERY = "lighthouse tomatoes tax sourdough pasta shed"


@pytest.fixture
def two_roots(indexed: Engine, tmp_path: Path) -> Engine:
    other = tmp_path / "other"
    other.mkdir()
    (other / "harbour.txt").write_text("Harbour lighthouse restoration notes: the lantern, "
                                       "the lenses and the tower stairs.", encoding="utf-8")
    indexed.add_root(other)
    indexed.index()
    return indexed


def _results(window: MainWindow) -> list[str]:
    return names([i.hit.path for i in window.model.items])


def _refilter(qtbot, window: MainWindow, change) -> list[str]:
    before = window.last_outcome
    change()
    qtbot.waitUntil(lambda: window.last_outcome is not before and not window.searching,
                    timeout=WAIT_MS)
    return _results(window)


def test_type_filter_widget(qtbot, window: MainWindow) -> None:
    search(qtbot, window, QUERY, min_results=5)
    assert len({Path(n).suffix for n in _results(window)}) > 1
    got = _refilter(qtbot, window, lambda: window.filters.set_type("PDF"))
    assert got and all(n.endswith(".pdf") for n in got)
    assert window.filters.clear_button.isVisible()
    got = _refilter(qtbot, window, lambda: window.filters.set_type("Text and Markdown"))
    assert got and all(n.endswith((".txt", ".md")) for n in got)
    got = _refilter(qtbot, window, window.filters.reset)
    assert len({Path(n).suffix for n in got}) > 1
    assert not window.filters.clear_button.isVisible()


def test_folder_filter_widget(qtbot, make_window, two_roots: Engine, library: Path,
                              tmp_path: Path) -> None:
    window = make_window(two_roots)
    assert window.filters.folder_box.count() == 3  # all, and each root
    paths = search(qtbot, window, "lighthouse lantern", min_results=2)
    assert "harbour.txt" in names(paths)
    got = _refilter(qtbot, window, lambda: window.filters.set_folder(str(library)))
    assert got and "harbour.txt" not in got
    got = _refilter(qtbot, window, lambda: window.filters.set_folder(str(tmp_path / "other")))
    assert got == ["harbour.txt"]


def test_date_filter_widget(qtbot, window: MainWindow) -> None:
    search(qtbot, window, QUERY, min_results=5)
    assert "taxes.txt" in _results(window)  # modified in 2019
    got = _refilter(qtbot, window, lambda: window.filters.set_custom_range(
        QDate(2019, 1, 1), QDate(2019, 12, 31)))
    assert got == ["taxes.txt"]
    assert window.filters.date_from.isVisible()
    got = _refilter(qtbot, window, lambda: window.filters.date_box.setCurrentText("Past year"))
    assert got and "taxes.txt" not in got
    assert not window.filters.date_from.isVisible()


def test_no_results_message(qtbot, window: MainWindow) -> None:
    search(qtbot, window, "lighthouse")
    _refilter(qtbot, window, lambda: window.filters.set_custom_range(
        QDate(2001, 1, 1), QDate(2001, 12, 31)))
    assert window.model.rowCount() == 0
    assert "clearing the filters" in window.results.placeholder


def test_filter_syntax(qtbot, window: MainWindow, library: Path) -> None:
    got = names(search(qtbot, window, f"ext:pdf {QUERY}"))
    assert got == ["report.pdf"]
    got = names(search(qtbot, window, f"in:{library / 'notes'} {QUERY}", min_results=2))
    assert set(got) <= {p.name for p in (library / "notes").iterdir()}
    got = names(search(qtbot, window, f"before:2020-01-01 {QUERY}"))
    assert got == ["taxes.txt"]
    got = names(search(qtbot, window, f"after:2020-01-01 {QUERY}", min_results=2))
    assert "taxes.txt" not in got
    got = names(search(qtbot, window, '"brake pads"'))
    assert got == ["car.txt"]
    got = names(search(qtbot, window, "dough loaf sourdough"))
    assert got[0] == "bread.txt"
    got = names(search(qtbot, window, "dough loaf sourdough -flour", min_results=0))
    assert "bread.txt" not in got


def test_syntax_and_widgets_combine(qtbot, window: MainWindow) -> None:
    search(qtbot, window, f"ext:pdf,md {QUERY}", min_results=2)
    assert set(_results(window)) == {"report.pdf", "plan.md"}
    search(qtbot, window, f"before:2020-01-01 {QUERY}")
    got = _refilter(qtbot, window, lambda: window.filters.set_type("Text and Markdown"))
    assert got == ["taxes.txt"]
    _refilter(qtbot, window, lambda: window.filters.set_type("PDF"))
    assert window.model.rowCount() == 0
