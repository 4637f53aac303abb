"""Watched roots: files created, changed, deleted and renamed on disk show in results within
seconds, without a rescan."""

from __future__ import annotations

import os
from pathlib import Path

from app.window import MainWindow
from core.api import Engine
from tests.gui.conftest import WAIT_MS, names, search


def _results_for(qtbot, window: MainWindow, query: str, until, timeout: int = WAIT_MS) -> None:
    """Search, then keep re-searching (as the window does after each update) until `until`."""
    search(qtbot, window, query, min_results=0)
    qtbot.waitUntil(lambda: until(names([i.hit.path for i in window.model.items])),
                    timeout=timeout)


def test_live_updates(qtbot, make_window, indexed: Engine, library: Path) -> None:
    window = make_window(indexed, watch=True)
    qtbot.waitUntil(lambda: window.watcher is not None
                    and window.watcher.watched == {str(library)}, timeout=WAIT_MS)
    assert names(search(qtbot, window, "sourdough loaf"))[0] == "bread.txt"

    # Deleted on disk: gone from the results.
    (library / "notes" / "bread.txt").unlink()
    qtbot.waitUntil(lambda: "bread.txt" not in names([i.hit.path for i in window.model.items]),
                    timeout=WAIT_MS)

    # Created: found.
    (library / "notes" / "kayak.txt").write_text(
        "Sea kayaking trip planner: tides, paddles, dry bags and a spare paddle float.",
        encoding="utf-8")
    _results_for(qtbot, window, "kayaking tides paddles", lambda got: got[:1] == ["kayak.txt"])

    # Changed: the new words are found, the old ones no longer.
    (library / "notes" / "kayak.txt").write_text(
        "Canoe camping checklist: portage yoke, tarp and a water filter.", encoding="utf-8")
    _results_for(qtbot, window, "portage yoke canoe", lambda got: got[:1] == ["kayak.txt"])

    # Renamed: found under its new name, never under the old one.
    os.rename(library / "notes" / "kayak.txt", library / "notes" / "canoe.txt")
    _results_for(qtbot, window, "portage yoke canoe",
                 lambda got: got[:1] == ["canoe.txt"] and "kayak.txt" not in got)
    assert not window.index_bar.isVisible() or window.indexer.busy


def test_watcher_survives_root_disappearing(qtbot, make_window, indexed: Engine,
                                            library: Path, tmp_path: Path) -> None:
    window = make_window(indexed, watch=True)
    qtbot.waitUntil(lambda: window.watcher.watched == {str(library)}, timeout=WAIT_MS)
    moved = tmp_path / "unplugged"
    os.rename(library, moved)  # like an unmounted drive
    qtbot.waitUntil(lambda: window.watcher.watched == set(), timeout=WAIT_MS)
    window.refresh_status()
    manager = window.show_index_manager()
    qtbot.waitUntil(lambda: manager.roots.topLevelItemCount() == 1
                    and manager.roots.topLevelItem(0).text(3).startswith("Missing"),
                    timeout=WAIT_MS)
    # The index keeps its files while the root is away.
    assert indexed.status().files["indexed"] == 9
    os.rename(moved, library)
    window.refresh_status()
    qtbot.waitUntil(lambda: window.watcher.watched == {str(library)}, timeout=WAIT_MS)
    (library / "notes" / "new.txt").write_text("Harpsichord tuning notes.", encoding="utf-8")
    _results_for(qtbot, window, "harpsichord tuning", lambda got: got[:1] == ["new.txt"])
