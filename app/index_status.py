"""Indexing seen from the window: the jobs it hands to the writer thread (add, rescan, remove,
retry, exclusions, pause, stop), the status bar's progress and index summary, and the index
status (read on the info thread) that decides between the search page and the empty state."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QLabel,
    QMessageBox,
    QProgressBar,
    QStackedWidget,
    QToolButton,
)

from app import formatting, icons
from app.empty_state import EmptyState
from app.filters import FilterBar
from app.index_manager import IndexManager
from app.search_field import SearchField
from app.workers import EngineRunner, IndexJob, IndexWorker
from core.api import Engine, EngineError, IndexReport, Status
from core.progress import Progress
from core.watch import RootWatcher


class IndexStatusMixin:
    """MainWindow's indexing and status (app/window.py builds the widgets and threads named
    here; the status bar's widgets are built by _build_status_bar below)."""

    engine: Engine
    info: EngineRunner
    indexer: IndexWorker
    watcher: RootWatcher | None
    field: SearchField
    filters: FilterBar
    folders_button: QToolButton
    pages: QStackedWidget
    empty: EmptyState
    manager: IndexManager | None
    status: Status | None
    progress: Progress | None
    rates: formatting.RateSmoother
    query: str
    status_timer: QTimer
    confirm: Callable[[str, str], bool]

    def _build_status_bar(self) -> None:
        """Message left; indexing and index size right."""
        self.message = QLabel()
        self.message.setObjectName("statusMessage")
        self.index_label = QLabel()
        self.index_bar = QProgressBar()
        self.index_bar.setMaximumWidth(160)
        self.index_bar.setMaximumHeight(14)
        self.index_bar.setTextVisible(False)
        self.pause_button = QToolButton()
        self.pause_button.setIcon(icons.icon("pause"))
        self.pause_button.setToolTip("Pause indexing")
        self.pause_button.setAutoRaise(True)
        self.pause_button.setIconSize(QSize(14, 14))
        self.pause_button.clicked.connect(self.toggle_pause)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        bar = self.statusBar()
        bar.setSizeGripEnabled(False)
        bar.addWidget(self.message, 1)
        for w in (self.index_label, self.index_bar, self.pause_button):
            bar.addPermanentWidget(w)
            w.hide()
        bar.addPermanentWidget(self.summary)

    # -- the index's status --------------------------------------------------------------------

    def refresh_status(self) -> None:
        self.info.submit("status", lambda: self.engine.status(list_limit=2000))

    def _show_status(self, status: Status) -> None:
        first = self.status is None
        self.status = status
        roots = [r.path for r in status.roots]
        self.filters.set_roots(roots)
        if self.watcher is not None:
            self.watcher.set_roots([r.path for r in status.roots if r.exists])
        show_empty = not roots and not self.indexer.busy
        self.pages.setCurrentWidget(self.empty if show_empty else self.pages.widget(0))
        if show_empty:
            self.empty.button.setFocus()
        elif first:
            self.field.setFocus()
        files = status.files
        waiting = (f" · {formatting.count(status.ocr_pages_waiting, 'page')} to read by OCR"
                   if status.ocr_pages_waiting else "")
        self.summary.setText(f"{formatting.count(files.get('indexed', 0), 'file')} · "
                             f"{formatting.size(status.size_bytes)}{waiting}" if roots else "")
        problems = files.get("failed", 0)
        self.folders_button.setText(f"Folders ({problems} problems)" if problems else "Folders")
        if not self.query:
            self._show_idle_hint()
        if self.manager is not None:
            self.manager.show_status(status)

    # -- jobs for the writer thread ------------------------------------------------------------

    def add_folder(self, path: str | None = None) -> None:
        path = path or self.choose_folder()
        if not path:
            return
        self.pages.setCurrentIndex(0)
        self.indexer.submit(IndexJob("add", [os.path.abspath(path)]))
        self.field.setFocus()

    def rescan(self, path: str | None = None) -> None:
        self.indexer.submit(IndexJob("index", [path] if path else []))

    def remove_folder(self, path: str) -> None:
        self.indexer.submit(IndexJob("remove", [path]))

    def retry_failed(self, paths: list[str]) -> None:
        self.indexer.submit(IndexJob("retry", list(paths)))

    def set_excludes(self, root: str, patterns: list[str]) -> None:
        self.indexer.submit(IndexJob("excludes", [root], list(patterns)))

    def toggle_pause(self) -> None:
        self.set_paused(not self.indexer.paused)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.indexer.pause()
        else:
            self.indexer.resume()
        self.pause_button.setIcon(icons.icon("resume" if paused else "pause"))
        self.pause_button.setToolTip("Resume indexing" if paused else "Pause indexing")
        if self.progress is not None:
            # Show the new state at once; the indexer confirms it with its next event.
            self._on_progress(replace(self.progress, paused=paused))

    def stop_indexing(self) -> None:
        if self.confirm("Stop indexing?", "What is indexed so far stays searchable. "
                        "Rescan later to finish."):
            self.indexer.cancel_current()

    # -- the writer thread's events ------------------------------------------------------------

    def _on_files_changed(self, paths: set[str]) -> None:
        self.indexer.update_paths(sorted(paths))

    def _on_job_started(self, job: IndexJob) -> None:
        if job.kind != "update":
            self.status_timer.start()
        if self.manager is not None:
            self.manager.busy_paths = set(job.paths) if job.kind in ("add", "index") else set()

    def _on_progress(self, p: Progress) -> None:
        p = self.rates.update(p)
        previous = self.progress
        self.progress = p
        job = self.indexer.current_job
        quiet = job is not None and job.kind == "update" and p.phase != "semantic"
        active = p.phase != "done"
        for w in (self.index_label, self.index_bar, self.pause_button):
            w.setVisible(active and not quiet)
        if active:
            self.index_label.setText(formatting.phase(p))
            if p.total and p.phase in formatting.COUNTED_PHASES:
                self.index_bar.setRange(0, p.total)
                self.index_bar.setValue(p.done)
            else:
                self.index_bar.setRange(0, 0)
            self.pause_button.setIcon(icons.icon("resume" if p.paused else "pause"))
        if self.manager is not None:
            self.manager.show_progress(p, job)
        # Files became keyword-searchable: show them without waiting for the semantic phase.
        if previous is not None and previous.phase == "keyword" and p.phase != "keyword":
            self.refresh_status()
            self.refresh_results()

    def _on_job_finished(self, job: IndexJob, result: object) -> None:
        if isinstance(result, Exception):
            text = str(result) if isinstance(result, EngineError) else \
                f"{job.describe()} failed: {result}"
            self.message.setText(text)
            if job.kind != "update" and self.isVisible():
                # Not modal: the window stays usable, and nothing blocks the event loop.
                box = QMessageBox(QMessageBox.Icon.Warning, "Spyglass", text,
                                  QMessageBox.StandardButton.Ok, self)
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()
        elif isinstance(result, IndexReport) and job.kind != "update":
            self.message.setText(_report_text(job, result))
        if not self.indexer.busy:
            self.status_timer.stop()
            self.progress = None
            for w in (self.index_label, self.index_bar, self.pause_button):
                w.hide()
            if self.manager is not None:
                self.manager.busy_paths = set()
                self.manager.show_progress(None, job)
        self.refresh_status()
        self.refresh_results()


def _report_text(job: IndexJob, r: IndexReport) -> str:
    if r.cancelled:
        return "Indexing stopped; what was done so far is searchable."
    parts = []
    for n, what in ((r.new, "new"), (r.changed, "changed"), (r.deleted, "removed"),
                    (r.renamed, "renamed"), (r.failed, "could not be read")):
        if n:
            parts.append(f"{n:,} {what}")
    done = f"{job.describe()}: done"
    return f"{done} ({', '.join(parts)})" if parts else f"{done}, nothing changed"
