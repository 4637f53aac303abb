"""What the user does with a result: open it (or its folder; an archive member is copied out on
the reader thread first), copy its path, exclude its folder, and the result's context menu."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu

from app import formatting
from app.search_view import ResultItem, ResultsModel, ResultsView
from app.workers import EngineRunner, IndexJob, IndexWorker
from core.api import RootStatus, Status
from core.open_member import OpenedMembers
from core.pathcodec import split_member


class ResultActionsMixin:
    """MainWindow's actions on results (app/window.py builds the widgets and seams named here)."""

    reader: EngineRunner
    indexer: IndexWorker
    model: ResultsModel
    results: ResultsView
    message: QLabel
    status: Status | None
    opened_members: OpenedMembers
    open_url: Callable[[QUrl], bool]
    confirm: Callable[[str, str], bool]

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

    def _root_of(self, path: str) -> RootStatus | None:
        roots = self.status.roots if self.status else []
        owners = [r for r in roots if path == r.path or path.startswith(r.path + os.sep)]
        return max(owners, key=lambda r: len(r.path)) if owners else None

    # -- the context menu ----------------------------------------------------------------------

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
        if item.hit.source:  # a shared index's result: its passages are not on this machine
            actions = actions[:3]
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
