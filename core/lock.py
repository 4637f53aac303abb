"""One writer per index: a second indexer (another window or a CLI) is refused, not queued."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from filelock import FileLock, Timeout


class IndexBusy(Exception):
    pass


class WriterLock:
    def __init__(self, index_dir: Path) -> None:
        self.path = Path(index_dir) / "writer.lock"
        self.owner_path = Path(index_dir) / "writer.pid"
        self._lock = FileLock(str(self.path))

    def acquire(self) -> None:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise IndexBusy(
                f"another Spyglass process is updating this index{self._owner()}; "
                "wait for it to finish or stop it first") from None
        with contextlib.suppress(OSError):
            self.owner_path.write_text(str(os.getpid()))

    def release(self) -> None:
        if self._lock.is_locked:
            with contextlib.suppress(OSError):
                self.owner_path.unlink()
            self._lock.release()

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def _owner(self) -> str:
        try:
            return f" (process {int(self.owner_path.read_text())})"
        except (OSError, ValueError):
            return ""

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
