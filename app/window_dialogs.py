"""The windows the main window opens: the index manager (folders, progress, problems), the
settings dialog, the folder chooser and the confirmation question."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox

from app.index_manager import IndexManager
from app.settings_dialog import SettingsDialog
from app.workers import IndexWorker
from core.api import Status
from core.progress import Progress
from core.settings import Settings
from core.shared.target import configured_targets
from core.sharing import SharedSearches


class WindowDialogsMixin:
    """MainWindow's dialogs (app/window.py builds the widgets and seams named here)."""

    settings: Settings
    shared: SharedSearches
    indexer: IndexWorker
    manager: IndexManager | None
    status: Status | None
    progress: Progress | None
    message: QLabel
    choose_folder: Callable[[], str | None]
    confirm: Callable[[str, str], bool]

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
            self.manager.publish_requested.connect(self.publish_folder)
            self.manager.show_publishing(self.publish_text, self.can_publish())
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
        shared = list(self.settings.shared_indexes)
        dialog = self.settings_dialog()
        if dialog.exec():
            if self.settings.shared_indexes != shared or dialog.secrets_changed:
                self.shared.configure(configured_targets(self.settings.shared_indexes))
                self.refresh_results()
                if self.manager is not None:
                    self.manager.show_publishing(self.publish_text, self.can_publish())
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
