"""The current result: moving the selection, and loading its preview and its explanation ("Why
this result?") on the reader thread."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer

from app.preview import PreviewPane, load_preview, shared_preview
from app.search_view import ResultItem, ResultsModel, ResultsView
from app.workers import EngineRunner
from core.api import Engine

PREVIEW_DELAY_MS = 80  # arrowing through results does not load every preview


class ResultPreviewMixin:
    """MainWindow's selection and preview (app/window.py builds the widgets named here)."""

    engine: Engine
    reader: EngineRunner
    model: ResultsModel
    results: ResultsView
    preview: PreviewPane
    query: str
    similar_to: ResultItem | None
    _explain_for: int | None

    def move_selection(self, key: Qt.Key) -> None:
        n = self.model.rowCount()
        if not n:
            return
        row = self.results.currentIndex().row()
        step = {Qt.Key.Key_Up: -1, Qt.Key.Key_Down: 1, Qt.Key.Key_PageUp: -5,
                Qt.Key.Key_PageDown: 5}[key]
        row = 0 if row < 0 else max(0, min(n - 1, row + step))
        self.results.setCurrentIndex(self.model.index(row, 0))

    def _current_changed(self, current: QModelIndex, _: QModelIndex) -> None:
        item: ResultItem | None = self.model.items[current.row()] \
            if current.isValid() and current.row() < len(self.model.items) else None
        if item is None:
            return
        self.results.scrollTo(current)
        self.preview.show_loading(item.title, item.hit.path)
        self.preview_timer.start()
        if self.preview.why_button.isChecked():
            self._request_explanation(item)

    @property
    def preview_timer(self) -> QTimer:
        timer = getattr(self, "_preview_timer", None)
        if timer is None:
            timer = self._preview_timer = QTimer(self, singleShot=True,
                                                 interval=PREVIEW_DELAY_MS)
            timer.timeout.connect(self._load_preview)
        return timer

    def _load_preview(self) -> None:
        item = self.results.current_item()
        if item is None:
            return
        query = self.query if self.similar_to is None else ""
        hit = item.hit
        if hit.source:  # the shared index keeps the passage; the file is not in this index
            self.reader.submit("preview", lambda: shared_preview(hit, query))
            return
        self.reader.submit("preview", lambda: load_preview(
            self.engine, hit.path, query, list(hit.passage_ids), hit.passage_id))

    def _explain_toggled(self, on: bool) -> None:
        item = self.results.current_item()
        if on and item is not None:
            self._request_explanation(item)

    def toggle_explain(self) -> None:
        if self.results.current_item() is not None:
            self.preview.why_button.toggle()

    def _request_explanation(self, item: ResultItem) -> None:
        if item.hit.source:
            self._explain_for = None
            self.preview.explain.show_error(
                f"This result comes from the shared index “{item.hit.source}”: only results "
                "of this machine's own index can be explained.")
            return
        self.preview.explain.show_loading()
        query = self.query if self.similar_to is None else self.similar_to.hit.snippet.text
        pid = item.hit.passage_id
        self._explain_for = pid
        self.reader.submit("explain", lambda: (pid, self.engine.explain(query, pid)))
