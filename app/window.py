"""A minimal search window: one field, results as you type. Searches run off the UI thread."""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from core.api import Engine
from core.search.results import SearchResult


class _Signals(QObject):
    done = Signal(int, object)  # (request id, SearchResult or Exception)


class _SearchTask(QRunnable):
    def __init__(self, engine: Engine, query: str, request: int, signals: _Signals) -> None:
        super().__init__()
        self.engine, self.query, self.request, self.signals = engine, query, request, signals

    def run(self) -> None:
        try:
            result: object = self.engine.search(self.query, k=30)
        except Exception as e:  # shown in the status line, never crashes the window
            result = e
        self.signals.done.emit(self.request, result)


class MainWindow(QMainWindow):
    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self.setWindowTitle("Spyglass")
        self.resize(900, 600)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.signals = _Signals()
        self.signals.done.connect(self._show)
        self.request = 0
        self.field = QLineEdit(placeholderText="Search your documents by meaning or by words")
        self.results = QListWidget()
        self.status = QLabel()
        layout = QVBoxLayout()
        for w in (self.field, self.results, self.status):
            layout.addWidget(w)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        self.debounce = QTimer(self, singleShot=True, interval=150)
        self.debounce.timeout.connect(self._search)
        self.field.textChanged.connect(lambda _: self.debounce.start())
        self._show_status()

    def _show_status(self) -> None:
        status = self.engine.status(list_limit=0)
        self.status.setText(f"{status.files['indexed']} files indexed, "
                            f"{status.passages} passages")

    def _search(self) -> None:
        self.request += 1
        text = self.field.text().strip()
        if not text:
            self.results.clear()
            return
        self.pool.start(_SearchTask(self.engine, text, self.request, self.signals))

    def _show(self, request: int, result: object) -> None:
        if request != self.request:
            return  # a newer search is on its way
        self.results.clear()
        if isinstance(result, Exception):
            self.status.setText(f"search failed: {result}")
            return
        assert isinstance(result, SearchResult)
        for hit in result.hits:
            item = QListWidgetItem(f"{hit.title or os.path.basename(hit.path)}\n{hit.path}\n"
                                   f"{hit.snippet.text}")
            self.results.addItem(item)
        self.status.setText(f"{len(result.hits)} results in "
                            f"{result.timings_ms.get('total', 0):.0f} ms")

    def shutdown(self) -> None:
        self.pool.waitForDone(3000)
