"""Publishing a folder of this index to a shared index from the window (the index manager's
"Publish…"): on a thread of its own, so searching and indexing go on meanwhile, with its
progress said in the index manager and the status line. A publish stopped by closing the window
resumes where it stopped the next time (core.shared.publish keeps its progress)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLabel, QWidget

from app.index_manager import IndexManager
from app.shared_settings import client_installed
from app.workers import EngineRunner
from core.api import Engine
from core.settings import Settings
from core.shared.publish import PublishReport
from core.shared.target import SharedTarget, load_secret
from core.sharing import publish_folders


class PublishStopped(Exception):
    """Raised inside a publish between two batches when the window closes."""


class PublishBridge(QObject):
    """Carries a publish's progress (its own thread) onto a Qt signal; stops it on request."""

    progress = Signal(int, int)  # passages sent, passages to send

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._stop = threading.Event()

    def __call__(self, done: int, total: int) -> None:
        if self._stop.is_set():
            raise PublishStopped("publishing stopped: the window closed")
        self.progress.emit(done, total)

    def stop(self) -> None:
        self._stop.set()


class PublishMixin:
    """MainWindow's publishing (app/window.py builds the threads and seams named here)."""

    engine: Engine
    settings: Settings
    manager: IndexManager | None
    message: QLabel
    confirm: Callable[[str, str], bool]

    def _build_publishing(self) -> None:
        self.publisher = EngineRunner("spyglass-publish", self)  # type: ignore[arg-type]
        self.publisher.done.connect(self._on_published)
        self.publisher.failed.connect(self._on_publish_failed)
        self.publish_bridge = PublishBridge(self)  # type: ignore[arg-type]
        self.publish_bridge.progress.connect(self._on_publish_progress)
        self.publishing: tuple[str, SharedTarget] | None = None  # (folder, where) while it runs
        self.publish_text = ""
        # Seam: tests pick the shared index instead of a person.
        self.choose_shared: Callable[[list[SharedTarget]], SharedTarget | None] = \
            self._ask_shared
        self.publisher.start()

    def can_publish(self) -> bool:
        """A shared index is configured and its client installed (no secret is read)."""
        return bool(self.settings.shared_indexes) and client_installed()

    def publish_folder(self, folder: str) -> None:
        if self.publishing is not None:
            self._say_publishing("One publish at a time: wait for the one running to finish.")
            return
        targets = [SharedTarget.from_settings(e) for e in self.settings.shared_indexes] \
            if client_installed() else []
        if not targets:
            self._say_publishing("Add a shared index in the settings first (Shared indexes).")
            return
        target = targets[0] if len(targets) == 1 else self.choose_shared(targets)
        if target is None:
            return
        where = f"the shared index “{target.name}”" + (f" on {target.host}" if target.host
                                                       else f" ({target.uri})")
        if not self.confirm("Publish this folder?",
                            f"{folder}\n\nIts files' text, paths and vectors go to {where}. "
                            "Everyone who can search that index can read them. Later "
                            "publishes send only what changed."):
            return
        engine, bridge = self.engine, self.publish_bridge
        self.publishing = (folder, target)
        self._say_publishing(f"Publishing {folder} to “{target.name}”…")
        # The secret is read on the publishing thread, with the rest of the work.
        self.publisher.submit("publish", lambda: publish_folders(
            engine, [folder], target.with_secret(load_secret(target)), progress=bridge))

    def stop_publishing(self) -> None:
        """Stop a publish between two batches and end the thread (it resumes next time)."""
        self.publish_bridge.stop()
        self.publisher.stop()

    def _on_publish_progress(self, done: int, total: int) -> None:
        if self.publishing is not None:
            folder, target = self.publishing
            self._say_publishing(f"Publishing {folder} to “{target.name}”: {done:,} of "
                                 f"{total:,} passages sent.")

    def _on_published(self, channel: str, rid: int, report: object) -> None:
        assert isinstance(report, PublishReport)
        if self.publishing is None:
            return
        folder, target = self.publishing
        self.publishing = None
        self._say_publishing(f"Published {folder} to “{target.name}”: {report.summary()}.")

    def _on_publish_failed(self, channel: str, rid: int, error: object) -> None:
        folder = self.publishing[0] if self.publishing else "the folder"
        self.publishing = None
        self._say_publishing(f"Publishing {folder} failed: {error}")

    def _say_publishing(self, text: str) -> None:
        self.publish_text = text
        self.message.setText(text)
        if self.manager is not None:
            self.manager.show_publishing(text, self.can_publish())

    def _ask_shared(self, targets: list[SharedTarget]) -> SharedTarget | None:
        names = [f"{t.name} — {t.uri} ({t.collection})" for t in targets]
        name, ok = QInputDialog.getItem(self if isinstance(self, QWidget) else None,
                                        "Publish to which shared index?", "Shared index:",
                                        names, 0, False)
        return targets[names.index(name)] if ok and name in names else None
