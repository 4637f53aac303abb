"""The main window: search field, filters, results and preview; indexing status at the bottom.

Nothing here calls the engine directly: reads go to `self.reader` (search, preview,
explanations, status) and writes to `self.indexer` (the writer thread). Results come back as
signals tagged with request ids, and anything stale is dropped.

Seams for tests (plain attributes): `open_url(QUrl) -> bool`, `choose_folder() -> str | None`,
`confirm(title, text) -> bool`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QSize, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import formatting, gc_guard, icons
from app.empty_state import EmptyState
from app.filters import FilterBar
from app.index_manager import IndexManager
from app.preview import PreviewData, PreviewPane, load_preview
from app.search_view import ResultItem, ResultsModel, ResultsView
from app.settings_dialog import SettingsDialog, index_options
from app.theme import apply_style
from app.workers import EngineRunner, IndexJob, IndexWorker, WatchBridge
from core.api import Engine, EngineError, IndexReport, Status
from core.open_member import OpenedMembers
from core.pathcodec import split_member
from core.progress import Progress
from core.search.query import Filters
from core.search.results import SearchResult
from core.search.searcher import Explanation
from core.settings import Settings
from core.watch import RootWatcher

SEARCH_DELAY_MS = 180  # typing pause before a search starts
PREVIEW_DELAY_MS = 80  # arrowing through results does not load every preview
RESULTS_K = 50
SYNTAX_TIP = ('Tips: ext:pdf · in:~/Work · after:2024-01-01 · before:2024-06 · '
              '"exact phrase" · -word')


@dataclass
class SearchOutcome:
    query: str
    result: SearchResult
    expansions: dict[int, list[tuple[str, float]]]


def _search(engine: Engine, query: str, filters: Filters) -> SearchOutcome:
    """Worker side: the search and, cheaply, the expansion terms of each hit's passage."""
    result = engine.search(query, k=RESULTS_K, filters=filters)
    expansions = engine.expansion_terms(query, [h.passage_id for h in result.hits])
    return SearchOutcome(query, result, expansions)


def _similar(engine: Engine, passage_id: int, query: str) -> SearchOutcome:
    """Relevance feedback: the current search refined towards the chosen result."""
    return SearchOutcome("", engine.more_like_this(passage_id, RESULTS_K, query or None), {})


class SearchField(QLineEdit):
    """The one search field. The result list is driven from here: Up/Down move, Enter opens,
    Ctrl+Enter opens the folder, Ctrl+C copies the path (unless text is selected), Esc clears."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__()
        self.main = window
        self.setObjectName("searchField")
        self.setPlaceholderText("Search your documents: words, a question, or a description")
        self.setClearButtonEnabled(True)
        self.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.setAccessibleName("Search")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            self.main.move_selection(key)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            self.main.search_now()  # Enter right after typing does not wait for the pause
            self.main.activate_current(folder=ctrl)
            return
        if event.matches(QKeySequence.StandardKey.Copy) and not self.hasSelectedText():
            self.main.copy_current_path()
            return
        if key == Qt.Key.Key_Escape:
            self.main.escape()
            return
        super().keyPressEvent(event)


class MainWindow(QMainWindow):
    def __init__(self, engine: Engine, settings: Settings | None = None,
                 watch: bool = True) -> None:
        super().__init__()
        # Before any worker thread starts: Qt objects must never be garbage-collected on one.
        gc_guard.install()
        self.engine = engine
        self.settings = settings or Settings.load()
        self.setWindowTitle("Spyglass")
        self.setWindowIcon(icons.app_icon())
        self.resize(1280, 800)
        apply_style(self)

        # Seams: tests replace these to observe instead of launching desktop apps or dialogs.
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.opened_members = OpenedMembers()
        self.choose_folder: Callable[[], str | None] = self._dialog_folder
        self.confirm: Callable[[str, str], bool] = self._ask

        self.status: Status | None = None
        self.progress: Progress | None = None
        self.rates = formatting.RateSmoother()
        self.query = ""
        self.similar_to: ResultItem | None = None
        self.last_outcome: SearchOutcome | None = None
        self.searching = False
        self.manager: IndexManager | None = None
        self._explain_for: int | None = None
        self._restore_path: str | None = None

        # -- threads --
        self.reader = EngineRunner("spyglass-read", self)
        self.reader.done.connect(self._on_read_done)
        self.reader.failed.connect(self._on_read_failed)
        self.info = EngineRunner("spyglass-info", self)  # status never waits behind a search
        self.info.done.connect(self._on_read_done)
        self.info.failed.connect(self._on_read_failed)
        self.indexer = IndexWorker(engine, lambda: index_options(self.settings, engine.options),
                                   self)
        self.indexer.progress.connect(self._on_progress)
        self.indexer.job_started.connect(self._on_job_started)
        self.indexer.job_finished.connect(self._on_job_finished)
        self.watch_bridge = WatchBridge(self)
        self.watch_bridge.changed.connect(self._on_files_changed)
        self.watcher = RootWatcher(self.watch_bridge, ignore=[engine.index_dir]) if watch \
            else None

        self._build()
        self.reader.start()
        self.info.start()
        self.indexer.start()
        if self.watcher is not None:
            self.watcher.start()
        self.refresh_status()
        self.status_timer = QTimer(self, interval=2000)
        self.status_timer.timeout.connect(self.refresh_status)
        QTimer.singleShot(400, self._warm_up)

    # -- layout --------------------------------------------------------------------------------

    def _build(self) -> None:
        self.field = SearchField(self)
        self.field.textChanged.connect(self._text_changed)
        self.folders_button = QToolButton(text="Folders")
        self.folders_button.setIcon(icons.icon("folders"))
        self.folders_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.folders_button.setToolTip("Indexed folders, progress and problems")
        self.folders_button.clicked.connect(self.show_index_manager)
        self.settings_button = QToolButton(text="Settings")
        self.settings_button.setIcon(icons.icon("settings"))
        self.settings_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.settings_button.clicked.connect(self.show_settings)
        top = QHBoxLayout()
        top.addWidget(self.field, 1)
        top.addWidget(self.folders_button)
        top.addWidget(self.settings_button)

        self.filters = FilterBar()
        self.filters.changed.connect(self.search_now)

        self.similar_banner = QLabel()
        self.similar_banner.setObjectName("similarBanner")
        self.similar_banner.hide()
        self.model = ResultsModel(self)
        self.results = ResultsView()
        self.results.setModel(self.model)
        self.results.selectionModel().currentChanged.connect(self._current_changed)
        self.results.activated_item.connect(self.open_item)
        self.results.copy_requested.connect(self.copy_path)
        self.results.escape_pressed.connect(self.escape)
        self.results.typed.connect(self._typed_in_list)
        self.results.customContextMenuRequested.connect(self._context_menu)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(4)
        ll.addWidget(self.similar_banner)
        ll.addWidget(self.results, 1)

        self.preview = PreviewPane()
        self.preview.open_requested.connect(lambda: self.activate_current(folder=False))
        self.preview.explain_toggled.connect(self._explain_toggled)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 6)
        self.splitter.setSizes([560, 700])
        self.splitter.setChildrenCollapsible(False)

        search_page = QWidget()
        sl = QVBoxLayout(search_page)
        sl.setContentsMargins(12, 12, 12, 4)
        sl.setSpacing(8)
        sl.addLayout(top)
        sl.addWidget(self.filters)
        sl.addWidget(self.splitter, 1)

        self.empty = EmptyState()
        self.empty.add_folder.connect(self.add_folder)
        self.pages = QStackedWidget()
        self.pages.addWidget(search_page)
        self.pages.addWidget(self.empty)
        self.setCentralWidget(self.pages)

        # -- status bar: message left; indexing and index size right --
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

        for seq, slot in ((QKeySequence.StandardKey.Find, self.focus_search),
                          (QKeySequence("Ctrl+L"), self.focus_search),
                          (QKeySequence("F3"), self.preview.next_hit),
                          (QKeySequence("Shift+F3"), self.preview.previous_hit),
                          (QKeySequence("Ctrl+I"), self.toggle_explain),
                          (QKeySequence.StandardKey.Preferences, self.show_settings),
                          (QKeySequence("Ctrl+,"), self.show_settings)):
            QShortcut(seq, self, activated=slot)
        self.results.set_placeholder("")
        self.field.setFocus()

    # -- search --------------------------------------------------------------------------------

    def _text_changed(self, _: str) -> None:
        if self.similar_to is not None:
            self._leave_similar()
        self.search_timer.start()

    @property
    def search_timer(self) -> QTimer:
        timer = getattr(self, "_search_timer", None)
        if timer is None:
            timer = self._search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
            timer.timeout.connect(self.search_now)
        return timer

    def search_now(self) -> None:
        """Start a search for the field's text and the filter bar (replacing any waiting one)."""
        self.search_timer.stop()
        if self.similar_to is not None:
            return
        text = self.field.text().strip()
        filters = self.filters.filters()
        if text == self.query and self.last_outcome is not None and not self.searching \
                and self._last_filters == filters:
            return
        self.query = text
        self._last_filters = filters
        if not text:
            self.reader.cancel("search")
            self.searching = False
            self.last_outcome = None
            self.model.clear()
            self.preview.clear()
            self._show_idle_hint()
            self.message.setText("")
            return
        self.searching = True
        self.reader.submit("search", lambda: _search(self.engine, text, filters))

    _last_filters: Filters = Filters()

    def refresh_results(self) -> None:
        """Run the current search again (the index changed); keep the selected file."""
        item = self.results.current_item()
        self._restore_path = item.hit.path if item else None
        if self.similar_to is not None:
            self.reader.submit("search", lambda p=self.similar_to.hit.passage_id:
                               _similar(self.engine, p))
            return
        if self.query:
            self.last_outcome = None
            self.search_now()

    def _show_results(self, outcome: SearchOutcome) -> None:
        self.searching = False
        self.last_outcome = outcome
        keep = self._restore_path
        self._restore_path = None
        self.model.set_results(outcome.query, outcome.result.hits, outcome.expansions)
        n = len(outcome.result.hits)
        if n:
            row = max(self.model.row_of(keep), 0) if keep else 0
            self.results.setCurrentIndex(self.model.index(row, 0))
        else:
            self.preview.clear("")
            self.results.set_placeholder(self._no_results_text())
        took = outcome.result.timings_ms.get("total")
        parts = [formatting.count(n, "result") + (f" in {took:.0f} ms" if took else "")]
        if outcome.result.note:
            parts.append(outcome.result.note)
        self.message.setText(" · ".join(parts))

    def _no_results_text(self) -> str:
        if self.similar_to is not None:
            return "Nothing similar yet: the semantic index may still be working."
        text = f"No documents match “{self.query}”."
        if self.filters.is_active():
            text += "\nTry clearing the filters, or other words."
        elif self.indexer.busy:
            text += "\nIndexing is still going on: more documents will be searchable soon."
        else:
            text += "\nTry other words, or describe what the document is about."
        return text

    def _show_idle_hint(self) -> None:
        if self.status is not None and self.status.roots:
            n = self.status.files.get("indexed", 0)
            text = f"Type to search {formatting.count(n, 'document')}.\n\n{SYNTAX_TIP}"
            if self.indexer.busy:
                text = ("Indexing your documents: you can search already, and results get "
                        f"better as it goes.\n\n{SYNTAX_TIP}")
        else:
            text = SYNTAX_TIP
        self.results.set_placeholder(text)

    # -- selection, preview, explanation -------------------------------------------------------

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
        self.preview.explain.show_loading()
        query = self.query if self.similar_to is None else self.similar_to.hit.snippet.text
        pid = item.hit.passage_id
        self._explain_for = pid
        self.reader.submit("explain", lambda: (pid, self.engine.explain(query, pid)))

    # -- actions on results -------------------------------------------------------------------

    def activate_current(self, folder: bool = False) -> None:
        item = self.results.current_item()
        if item is not None:
            self.open_item(item, folder)

    def open_item(self, item: ResultItem, folder: bool = False) -> None:
        outer, inner = split_member(item.hit.path)
        if inner and not folder:  # inside an archive or a message: copied out first
            path = item.hit.path
            self.message.setText(f"Opening {formatting.display_path(path)}…")
            self.reader.submit("open", lambda: self.opened_members.extract(path))
            return
        path = os.path.dirname(outer) if folder else outer
        self._open_path(path)

    def _open_path(self, path: str) -> None:
        if not self.open_url(QUrl.fromLocalFile(path)):
            self.message.setText(f"Could not open {path}")

    def copy_current_path(self) -> None:
        item = self.results.current_item()
        if item is not None:
            self.copy_path(item)

    def copy_path(self, item: ResultItem) -> None:
        QGuiApplication.clipboard().setText(item.hit.path)
        self.message.setText(f"Copied {item.hit.path}")

    def escape(self) -> None:
        if self.similar_to is not None:
            self._leave_similar()
            self.query = ""
            self.search_now() if not self.field.text() else self.refresh_results()
        else:
            self.field.clear()
            self.search_now()
        self.field.setFocus()

    def _typed_in_list(self, text: str) -> None:
        self.field.setFocus()
        self.field.insert(text)

    def focus_search(self) -> None:
        self.field.setFocus()
        self.field.selectAll()

    def more_like_this(self, item: ResultItem) -> None:
        self.similar_to = item
        self.similar_banner.setText(f"Documents like “{item.title}”   ·   Esc to go back")
        self.similar_banner.show()
        self.searching = True
        query = self.field.text().strip()
        self.reader.submit("search", lambda: _similar(self.engine, item.hit.passage_id, query))

    def _leave_similar(self) -> None:
        self.similar_to = None
        self.similar_banner.hide()
        self.last_outcome = None

    def exclude_folder(self, item: ResultItem) -> None:
        folder = os.path.dirname(item.hit.path)
        root = self._root_of(folder)
        if root is None:
            return
        if folder == root.path:
            self.message.setText("That is an indexed folder itself: remove it under Folders.")
            return
        pattern = "/" + os.path.relpath(folder, root.path).replace(os.sep, "/") + "/"
        if not self.confirm("Exclude this folder?",
                            f"{folder}\n\nIts files will be removed from the index (not from "
                            "the disk) and ignored from now on. You can undo this under "
                            "Folders › Exclusions."):
            return
        patterns = [*root.excludes, pattern] if pattern not in root.excludes else root.excludes
        self.indexer.submit(IndexJob("excludes", [root.path, folder], list(patterns)))

    def _root_of(self, path: str):  # -> RootStatus | None
        roots = self.status.roots if self.status else []
        owners = [r for r in roots if path == r.path or path.startswith(r.path + os.sep)]
        return max(owners, key=lambda r: len(r.path)) if owners else None

    def _context_menu(self, pos: object) -> None:
        index = self.results.indexAt(pos)  # type: ignore[arg-type]
        if not index.isValid():
            return
        self.results.setCurrentIndex(index)
        item: ResultItem = self.model.items[index.row()]
        menu = self.context_menu(item)
        menu.exec(self.results.viewport().mapToGlobal(pos))  # type: ignore[arg-type]

    def context_menu(self, item: ResultItem) -> QMenu:
        menu = QMenu(self)
        actions: list[tuple[str, Callable[[], None], str | None]] = [
            ("Open", lambda: self.open_item(item), "Return"),
            ("Open containing folder", lambda: self.open_item(item, folder=True),
             "Ctrl+Return"),
            ("Copy path", lambda: self.copy_path(item), "Ctrl+C"),
            ("", lambda: None, None),
            ("More like this", lambda: self.more_like_this(item), None),
            ("Why this result?", self.toggle_explain, "Ctrl+I"),
            ("", lambda: None, None),
            ("Exclude this folder from the index…", lambda: self.exclude_folder(item), None),
        ]
        for text, slot, shortcut in actions:
            if not text:
                menu.addSeparator()
                continue
            action = QAction(text, menu)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            menu.addAction(action)
        return menu

    # -- reader results -----------------------------------------------------------------------

    def _on_read_done(self, channel: str, rid: int, result: object) -> None:
        runner = self.info if channel == "status" else self.reader
        if not runner.is_current(channel, rid):
            return  # a newer request on this channel is on its way
        if channel == "search":
            assert isinstance(result, SearchOutcome)
            self._show_results(result)
        elif channel == "preview":
            assert isinstance(result, PreviewData)
            item = self.results.current_item()
            if item is not None and item.hit.path == result.path:
                self.preview.show_preview(result)
        elif channel == "explain":
            pid, ex = result  # type: ignore[misc]
            item = self.results.current_item()
            if item is not None and item.hit.passage_id == pid:
                assert isinstance(ex, Explanation)
                outcome = self.last_outcome
                self.preview.explain.show_explanation(
                    item.hit, ex, outcome.result.feedback if outcome else None)
        elif channel == "status":
            assert isinstance(result, Status)
            self._show_status(result)
        elif channel == "open":
            self.message.setText("")
            self._open_path(str(result))

    def _on_read_failed(self, channel: str, rid: int, error: object) -> None:
        if channel == "search":
            self.searching = False
            self.model.clear()
            self.results.set_placeholder(f"The search failed: {error}")
            self.message.setText("Search failed")
        elif channel == "preview":
            self.preview.show_error(f"No preview: {error}")
        elif channel == "explain":
            self.preview.explain.show_error(f"No explanation: {error}")
        elif channel == "status":
            self.summary.setText(f"Index unavailable: {error}")
        elif channel == "open":
            self.message.setText(f"Could not open it: {error}")

    def _warm_up(self) -> None:
        # Load the query model in the background before the first search needs it.
        def warm() -> None:
            _ = self.engine.searcher.encoder
        self.reader.submit("warm", warm)

    # -- status and indexing --------------------------------------------------------------------

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
            from dataclasses import replace
            self._on_progress(replace(self.progress, paused=paused))

    def stop_indexing(self) -> None:
        if self.confirm("Stop indexing?", "What is indexed so far stays searchable. "
                        "Rescan later to finish."):
            self.indexer.cancel_current()

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

    # -- dialogs ----------------------------------------------------------------------------------

    def show_index_manager(self) -> IndexManager:
        if self.manager is None:
            self.manager = IndexManager(self, lambda: self.choose_folder(),
                                        lambda t, x: self.confirm(t, x))
            self.manager.add_requested.connect(self.add_folder)
            self.manager.remove_requested.connect(self.remove_folder)
            self.manager.rescan_requested.connect(self.rescan)
            self.manager.excludes_requested.connect(self.set_excludes)
            self.manager.retry_requested.connect(self.retry_failed)
            self.manager.pause_requested.connect(self.set_paused)
            self.manager.stop_requested.connect(self.stop_indexing)
        if self.status is not None:
            self.manager.show_status(self.status)
        self.manager.show_progress(self.progress if self.indexer.busy else None,
                                   self.indexer.current_job)
        self.manager.show()
        self.manager.raise_()
        self.refresh_status()
        return self.manager

    def settings_dialog(self) -> SettingsDialog:
        return SettingsDialog(self.settings, self)

    def show_settings(self) -> None:
        models = (self.settings.dense_model, self.settings.sparse_model)
        dialog = self.settings_dialog()
        if dialog.exec():
            if (self.settings.dense_model, self.settings.sparse_model) != models:
                # Vectors of another model are useless: re-encode now, in the background.
                self.rescan()
                self.message.setText("Settings saved. The index is being encoded again with "
                                     "the new model; keyword search works meanwhile.")
            else:
                self.message.setText("Settings saved. Indexing uses them from the next run.")

    def _dialog_folder(self) -> str | None:
        return QFileDialog.getExistingDirectory(self, "Add a folder to search",
                                                os.path.expanduser("~")) or None

    def _ask(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Ok
                                      | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Ok

    # -- shutdown ---------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.manager is not None:
            self.manager.close()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop watching, stop indexing (what is stored stays) and let the threads finish."""
        self.status_timer.stop()
        if self.watcher is not None:
            self.watcher.stop()
        self.indexer.stop()
        self.reader.stop()
        self.info.stop()
        self.opened_members.cleanup()  # copies of archive members opened from the window


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
