"""The main window: search field, filters, results and preview; indexing status at the bottom.
This module assembles the window and its threads; its parts are mixed in from searching.py
(searches), result_preview.py (selection, preview, explanation), result_actions.py (open,
copy, exclude, context menu), index_status.py (indexing jobs, progress, status),
window_dialogs.py (index manager, settings) and publishing.py (a folder to a shared index).

Nothing here calls the engine directly: reads go to `self.reader` (search, preview,
explanations, status), writes to `self.indexer` (the writer thread), and publishing to a
shared index to `self.publisher`. Results come back as
signals tagged with request ids, and anything stale is dropped.

Seams for tests (plain attributes): `open_url(QUrl) -> bool`, `choose_folder() -> str | None`,
`confirm(title, text) -> bool`.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
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
from app.index_status import IndexStatusMixin
from app.preview import PreviewData, PreviewPane
from app.publishing import PublishMixin
from app.result_actions import ResultActionsMixin
from app.result_preview import ResultPreviewMixin
from app.search_field import SearchField
from app.search_view import ResultItem, ResultsModel, ResultsView
from app.searching import SearchMixin, SearchOutcome
from app.settings_dialog import index_options
from app.theme import apply_style
from app.window_dialogs import WindowDialogsMixin
from app.workers import EngineRunner, IndexWorker, WatchBridge
from core.api import Engine, Status
from core.open_member import OpenedMembers
from core.progress import Progress
from core.search.explain import Explanation
from core.settings import Settings
from core.shared.target import configured_targets
from core.sharing import SharedSearches
from core.watch import RootWatcher


class MainWindow(SearchMixin, ResultPreviewMixin, ResultActionsMixin, IndexStatusMixin,
                 WindowDialogsMixin, PublishMixin, QMainWindow):
    def __init__(self, engine: Engine, settings: Settings | None = None,
                 watch: bool = True) -> None:
        super().__init__()
        # Before any worker thread starts: Qt objects must never be garbage-collected on one.
        gc_guard.install()
        self.engine = engine
        self.settings = settings or Settings.load()
        # The settings' shared indexes: searched with this one; opened by the first search.
        self.shared = SharedSearches(engine, configured_targets(self.settings.shared_indexes))
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
        self._build_publishing()
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

        self._build_status_bar()  # app/index_status.py

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
        self.stop_publishing()  # between two batches; the next publish resumes
        self.reader.stop()
        self.info.stop()
        self.shared.close()  # the reader has stopped: nothing searches them any more
        self.opened_members.cleanup()  # copies of archive members opened from the window

