"""GUI fixtures: the real window on real indexes of real files (offscreen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl

from app import gc_guard
from app.window import MainWindow
from core.api import Engine
from core.indexer import IndexOptions
from core.settings import Settings
from tests.gui.samples import write_library

# One extraction process: the tests share two cores with the window's own threads.
OPTIONS = IndexOptions(workers=1)
# Every wait is for a state; this limit only turns a hang into a failure. It is long because the
# suite must pass while other programs keep every core busy (first searches load the models).
WAIT_MS = 300_000
# The window's default is to index at the lowest priority. On a machine kept busy by other
# programs that leaves the indexer ~1.5% of a core (nice 19 against nice 0), so the tests would
# measure the load instead of the window; test_settings checks the default itself.
def test_settings() -> Settings:
    return Settings(low_priority=False)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_library(tmp_path / "library")


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    e = Engine.open(tmp_path / "index", OPTIONS)
    yield e
    e.close()


@pytest.fixture
def indexed(engine: Engine, library: Path) -> Engine:
    """An engine whose index holds the sample library, built before the window opens."""
    engine.add_root(library)
    engine.index()
    return engine


class Recorder:
    """Stands in for the desktop: records URLs instead of opening apps."""

    def __init__(self) -> None:
        self.urls: list[QUrl] = []

    def __call__(self, url: QUrl) -> bool:
        self.urls.append(url)
        return True


@pytest.fixture
def make_window(qtbot, engine: Engine) -> Iterator[Callable[..., MainWindow]]:
    """Windows over an engine; they are shut down before `engine` closes (depending on it
    orders the teardown: closing it under a search still running once crashed the run)."""
    windows: list[MainWindow] = []

    def make(engine: Engine, watch: bool = False, settings: Settings | None = None
             ) -> MainWindow:
        w = MainWindow(engine, settings or test_settings(), watch=watch)
        w.open_url = Recorder()
        w.confirm = lambda title, text: True
        windows.append(w)
        w.show()
        qtbot.waitExposed(w)
        # The first status arrives from the info thread.
        qtbot.waitUntil(lambda: w.status is not None, timeout=WAIT_MS)
        return w

    yield make
    for w in windows:
        w.shutdown()  # returns once the window's threads have ended
        w.close()
        w.deleteLater()
    collector = gc_guard.installed()
    if collector is not None:  # cycles freed here, on the GUI thread; then Python's own GC
        collector.uninstall()


@pytest.fixture
def window(make_window: Callable[..., MainWindow], indexed: Engine) -> MainWindow:
    return make_window(indexed)


def search(qtbot, window: MainWindow, text: str, min_results: int = 1) -> list[str]:
    """Type a query like a person and wait for results; returns the result paths."""
    window.field.clear()
    qtbot.keyClicks(window.field, text)
    qtbot.waitUntil(lambda: window.last_outcome is not None
                    and window.last_outcome.query == text.strip()
                    and window.model.rowCount() >= min_results, timeout=WAIT_MS)
    return [item.hit.path for item in window.model.items]


def names(paths: list[str]) -> list[str]:
    return [Path(p).name for p in paths]
