"""The index manager: which folders are indexed and how far along, exclusions, the progress of
the current job with pause and resume, the files that could not be read, and the size on disk.

It only displays what the window gives it (Status, Progress) and asks the window to act through
signals: all engine work happens on the window's indexing thread.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app import formatting, icons
from app.workers import IndexJob
from core.api import RootStatus, Status
from core.progress import Progress

PathRole = Qt.ItemDataRole.UserRole + 1


def root_state(root: RootStatus, busy_paths: set[str]) -> str:
    if not root.exists:
        return "Missing (drive unplugged or folder moved?)"
    if root.path in busy_paths:
        return "Indexing…"
    if root.last_scan is None:
        return "Waiting"
    if root.pending:
        return f"{root.pending:,} waiting for the semantic index"
    state = "Up to date"
    if root.failed:
        state += f" · {formatting.count(root.failed, 'problem')}"
    return state


class IndexManager(QDialog):
    add_requested = Signal(str)
    remove_requested = Signal(str)
    rescan_requested = Signal(object)  # a root, or None for all
    excludes_requested = Signal(str, list)
    retry_requested = Signal(list)  # paths; empty: every failed file
    pause_requested = Signal(bool)  # True: pause, False: resume
    stop_requested = Signal()
    publish_requested = Signal(str)  # a root, to the shared index the window asks for

    def __init__(self, parent: QWidget | None, choose_folder: Callable[[], str | None],
                 confirm: Callable[[str, str], bool]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Folders and index — Spyglass")
        self.setObjectName("indexManager")
        self.choose_folder = choose_folder
        self.confirm = confirm
        self.status: Status | None = None
        self.busy_paths: set[str] = set()
        self.resize(920, 620)

        # -- folders tab --
        self.roots = QTreeWidget()
        self.roots.setHeaderLabels(["Folder", "Files", "Passages", "State", "Last update"])
        self.roots.setRootIsDecorated(False)
        self.roots.setUniformRowHeights(True)
        self.roots.setAlternatingRowColors(True)
        header = self.roots.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2, 3, 4):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.add_button = QPushButton(icons.icon("add"), "Add folder…")
        self.remove_button = QPushButton("Remove…")
        self.rescan_button = QPushButton("Rescan")
        self.rescan_all_button = QPushButton("Rescan all")
        self.publish_button = QPushButton("Publish…")
        self.publish_button.setToolTip("Send the selected folder's index to a shared index "
                                       "(Settings, Shared indexes), for a team to search")
        self.can_publish = False  # set by the window: a shared index is configured
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.rescan_button,
                  self.publish_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.rescan_all_button)

        self.excludes = QPlainTextEdit()
        self.excludes.setPlaceholderText("One pattern per line, like .gitignore:\n"
                                         "*.log\ndrafts/\n/Archive/2019/")
        self.excludes.setMaximumHeight(96)
        self.apply_excludes = QPushButton("Apply and rescan")
        ex_box = QGroupBox("Exclusions for the selected folder")
        ex_layout = QHBoxLayout(ex_box)
        ex_layout.addWidget(self.excludes, 1)
        ex_side = QVBoxLayout()
        hint = QLabel("Files matching these patterns are left out of the index. "
                      "Hidden files, .git and node_modules are always skipped.")
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        ex_side.addWidget(hint)
        ex_side.addWidget(self.apply_excludes, 0, Qt.AlignmentFlag.AlignRight)
        ex_layout.addLayout(ex_side, 1)

        folders = QWidget()
        fl = QVBoxLayout(folders)
        fl.addWidget(self.roots, 1)
        fl.addLayout(buttons)
        self.publish_status = QLabel()  # the last or running publish, said in words
        self.publish_status.setObjectName("hint")
        self.publish_status.setWordWrap(True)
        self.publish_status.hide()
        fl.addWidget(self.publish_status)
        fl.addWidget(ex_box)

        # -- problems tab --
        self.problems = QTreeWidget()
        self.problems.setHeaderLabels(["File", "Reason", "Folder"])
        self.problems.setRootIsDecorated(False)
        self.problems.setUniformRowHeights(True)
        self.problems.setAlternatingRowColors(True)
        self.problems.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.problems.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.problems.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.problems.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.problems.header().setStretchLastSection(False)
        self.problems.header().resizeSection(0, 200)
        self.problems.header().resizeSection(2, 240)
        self.problems_hint = QLabel()
        self.problems_hint.setWordWrap(True)
        self.problems_hint.setObjectName("hint")
        self.retry_button = QPushButton("Retry selected")
        self.retry_all_button = QPushButton("Retry all failed")
        pl = QVBoxLayout()
        pl.addWidget(self.problems_hint)
        pl.addWidget(self.problems, 1)
        pb = QHBoxLayout()
        pb.addStretch(1)
        pb.addWidget(self.retry_button)
        pb.addWidget(self.retry_all_button)
        pl.addLayout(pb)
        problems = QWidget()
        problems.setLayout(pl)

        self.tabs = QTabWidget()
        self.tabs.addTab(folders, "Folders")
        self.tabs.addTab(problems, "Problems")

        # -- progress --
        self.phase = QLabel("Up to date")
        self.phase.setObjectName("phase")
        self.bar = QProgressBar()
        self.bar.setTextVisible(True)
        self.current_file = QLabel()
        self.current_file.setObjectName("hint")
        self.current_file.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.rate = QLabel()
        self.rate.setObjectName("hint")
        self.pause_button = QPushButton(icons.icon("pause"), "Pause")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("Stop")
        progress_box = QGroupBox("Indexing")
        prl = QVBoxLayout(progress_box)
        top = QHBoxLayout()
        top.addWidget(self.phase, 1)
        top.addWidget(self.pause_button)
        top.addWidget(self.stop_button)
        prl.addLayout(top)
        prl.addWidget(self.bar)
        bottom = QHBoxLayout()
        bottom.addWidget(self.current_file, 1)
        bottom.addWidget(self.rate)
        prl.addLayout(bottom)

        self.footer = QLabel()
        self.footer.setObjectName("hint")
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.close)
        foot = QHBoxLayout()
        foot.addWidget(self.footer, 1)
        foot.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(progress_box)
        layout.addLayout(foot)

        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.rescan_button.clicked.connect(self._rescan)
        self.publish_button.clicked.connect(self._publish)
        self.rescan_all_button.clicked.connect(lambda: self.rescan_requested.emit(None))
        self.apply_excludes.clicked.connect(self._apply_excludes)
        self.retry_button.clicked.connect(self._retry_selected)
        self.retry_all_button.clicked.connect(self._retry_all)
        self.pause_button.toggled.connect(self._pause_toggled)
        self.stop_button.clicked.connect(self.stop_requested)
        self.roots.currentItemChanged.connect(lambda *_: self._selection_changed())
        self.show_progress(None, None)
        self._selection_changed()

    # -- data in ---------------------------------------------------------------------------

    def show_status(self, status: Status) -> None:
        self.status = status
        selected = self.selected_root()
        self.roots.clear()
        for root in status.roots:
            item = QTreeWidgetItem([
                formatting.display_path(root.path), f"{root.files:,}", f"{root.passages:,}",
                root_state(root, self.busy_paths), formatting.date(root.last_scan)])
            item.setData(0, PathRole, root.path)
            item.setIcon(0, icons.icon("folders"))
            item.setToolTip(0, root.path)
            for col in (1, 2):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight
                                      | Qt.AlignmentFlag.AlignVCenter)
            self.roots.addTopLevelItem(item)
            if root.path == selected or (selected is None and self.roots.topLevelItemCount() == 1):
                self.roots.setCurrentItem(item)
        self.problems.clear()
        rows = [(e, e["reason"], e["path"]) for e in status.failed_files]
        # Skipped files have nothing to retry: they are not readable documents.
        rows += [(e, f"Skipped: {e['reason']}", "") for e in status.skipped_files]
        rows += [(e, f"Not read by OCR: {e['reason']}", "") for e in status.page_problems]
        for entry, reason, retry_path in rows:
            path = entry["path"]
            item = QTreeWidgetItem([os.path.basename(path), reason,
                                    formatting.display_path(os.path.dirname(path))])
            item.setData(0, PathRole, retry_path)
            item.setIcon(0, icons.file_icon(None, path))
            for col in range(3):
                item.setToolTip(col, f"{path}\n{entry['reason']}")
            self.problems.addTopLevelItem(item)
        n_failed = len(status.failed_files)
        n_skipped = len(status.skipped_files) + len(status.page_problems)
        self.tabs.setTabText(1, f"Problems ({n_failed + n_skipped:,})"
                             if n_failed + n_skipped else "Problems")
        self.problems_hint.setText(
            f"{formatting.count(n_failed, 'file')} could not be read; "
            f"{formatting.count(n_skipped, 'file')} skipped (not documents, empty, or too "
            "large). Files that failed are tried again when they change, or now with Retry."
            if n_failed + n_skipped else "Every file was read without trouble.")
        self.retry_all_button.setEnabled(n_failed > 0)
        files = status.files
        models = formatting.models_line(status.dense_model, status.sparse_model)
        self.footer.setText(
            f"{formatting.count(files.get('indexed', 0), 'file')} indexed · "
            f"{formatting.count(status.passages, 'passage')} · "
            f"{formatting.size(status.size_bytes)} on disk · {status.index_dir}"
            + (f"\n{models}" if models else ""))
        self._selection_changed()

    def show_progress(self, p: Progress | None, job: IndexJob | None) -> None:
        active = p is not None and p.phase != "done"
        self.pause_button.setEnabled(active)
        self.stop_button.setEnabled(active)
        if not active:
            self.phase.setText("Up to date" if job is None else f"{job.describe()}: done")
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.bar.setFormat("")
            self.current_file.setText("")
            self.rate.setText("")
            return
        assert p is not None
        title = formatting.phase(p)
        if job is not None and job.kind in ("update", "remove"):
            title = f"{job.describe()} — {title[0].lower()}{title[1:]}"
        self.phase.setText(title)
        if p.total and p.phase in formatting.COUNTED_PHASES:
            self.bar.setRange(0, p.total)
            self.bar.setValue(p.done)
            self.bar.setFormat(f"{p.fraction:.0%}")
        else:
            self.bar.setRange(0, 0)  # busy, amount unknown
        current = p.current or ""
        self.current_file.setText(self.current_file.fontMetrics().elidedText(
            current, Qt.TextElideMode.ElideMiddle, max(self.current_file.width(), 200)))
        self.current_file.setToolTip(current)
        self.rate.setText(formatting.rate_and_eta(p))
        self.pause_button.blockSignals(True)
        self.pause_button.setChecked(p.paused)
        self.pause_button.setText("Resume" if p.paused else "Pause")
        self.pause_button.setIcon(icons.icon("resume" if p.paused else "pause"))
        self.pause_button.blockSignals(False)

    # -- actions ---------------------------------------------------------------------------

    def selected_root(self) -> str | None:
        item = self.roots.currentItem()
        return item.data(0, PathRole) if item is not None else None

    def _root_status(self, path: str | None) -> RootStatus | None:
        if self.status is None or path is None:
            return None
        return next((r for r in self.status.roots if r.path == path), None)

    def _selection_changed(self) -> None:
        root = self._root_status(self.selected_root())
        for b in (self.remove_button, self.rescan_button, self.apply_excludes, self.excludes):
            b.setEnabled(root is not None)
        self.publish_button.setEnabled(root is not None and self.can_publish)
        if root is not None and not self.excludes.hasFocus():
            self.excludes.setPlainText("\n".join(root.excludes))

    def _add(self) -> None:
        path = self.choose_folder()
        if path:
            self.add_requested.emit(path)

    def _remove(self) -> None:
        root = self._root_status(self.selected_root())
        if root is None:
            return
        if self.confirm("Remove this folder from the index?",
                        f"{root.path}\n\n{formatting.count(root.files, 'file')} will be "
                        "forgotten by Spyglass. The files on disk are not touched."):
            self.remove_requested.emit(root.path)

    def _rescan(self) -> None:
        path = self.selected_root()
        if path:
            self.rescan_requested.emit(path)

    def _publish(self) -> None:
        path = self.selected_root()
        if path:
            self.publish_requested.emit(path)

    def show_publishing(self, text: str, can_publish: bool) -> None:
        """What publishing is doing (or did); whether a shared index is there to publish to."""
        self.can_publish = can_publish
        self.publish_status.setText(text)
        self.publish_status.setVisible(bool(text))
        self._selection_changed()

    def _apply_excludes(self) -> None:
        root = self._root_status(self.selected_root())
        if root is None:
            return
        patterns = [line.strip() for line in self.excludes.toPlainText().splitlines()
                    if line.strip()]
        added = [p for p in patterns if p not in root.excludes]
        if added and not self.confirm(
                "Apply the exclusions?",
                "Indexed files that match the new patterns will be removed from the index "
                "(not from the disk):\n\n" + "\n".join(added)):
            return
        self.excludes_requested.emit(root.path, patterns)

    def _retry_selected(self) -> None:
        paths = [i.data(0, PathRole) for i in self.problems.selectedItems()]
        paths = [p for p in paths if p]
        if paths:
            self.retry_requested.emit(paths)

    def _retry_all(self) -> None:
        self.retry_requested.emit([])

    def _pause_toggled(self, on: bool) -> None:
        self.pause_requested.emit(on)
        self.pause_button.setText("Resume" if on else "Pause")
