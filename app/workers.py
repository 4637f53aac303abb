"""Threads that run engine calls away from the UI thread and report back through signals.

- EngineRunner: one thread for reads (search, preview, explanations, status). Requests go to
  named channels; a new request on a channel replaces the one still waiting there, and a result
  whose request id is no longer the newest is dropped, so stale searches never reach the screen.
- IndexWorker: the one writer thread. Every engine call that writes (index, live updates,
  remove, retry, exclusions) runs here in order, because the index's writer lock belongs to the
  thread that takes it. Changes reported by the file watcher are coalesced and applied after
  the job in progress.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QThread, Signal

from core.api import Engine, IndexControl, IndexOptions
from core.progress import Progress


class EngineRunner(QThread):
    """Runs callables in order on its own thread; per channel only the newest request counts."""

    done = Signal(str, int, object)  # channel, request id, result
    failed = Signal(str, int, object)  # channel, request id, exception

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._cond = threading.Condition()
        self._queue: dict[str, tuple[int, Callable[[], object]]] = {}  # insertion-ordered
        self._latest: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._stopping = False

    def submit(self, channel: str, fn: Callable[[], object]) -> int:
        with self._cond:
            rid = next(self._ids)
            self._queue.pop(channel, None)  # a newer request supersedes the waiting one
            self._queue[channel] = (rid, fn)
            self._latest[channel] = rid
            self._cond.notify()
        return rid

    def cancel(self, channel: str) -> None:
        """Forget a channel's waiting request and make any running one stale."""
        with self._cond:
            self._queue.pop(channel, None)
            self._latest[channel] = next(self._ids)

    def is_current(self, channel: str, rid: int) -> bool:
        with self._cond:
            return self._latest.get(channel) == rid

    def stop(self) -> None:
        """Drop waiting requests and return once the thread has ended (after the call in
        progress, if any): a thread must never outlive the window that owns it."""
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._cond.notify()
        self.wait()

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                channel = next(iter(self._queue))
                rid, fn = self._queue.pop(channel)
            try:
                result = fn()
            except Exception as e:  # reported to the window; a worker never dies of it
                if self.is_current(channel, rid):
                    self.failed.emit(channel, rid, e)
                continue
            if self.is_current(channel, rid):
                self.done.emit(channel, rid, result)


@dataclass
class IndexJob:
    kind: str  # "index" | "add" | "update" | "remove" | "retry" | "excludes"
    paths: list[str] = field(default_factory=list)
    patterns: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return {
            "index": "Updating the index",
            "add": "Adding a folder",
            "update": "Applying file changes",
            "remove": "Removing a folder",
            "retry": "Retrying failed files",
            "excludes": "Applying exclusions",
        }.get(self.kind, self.kind)


class IndexWorker(QThread):
    """The writer thread: runs IndexJobs one after the other."""

    progress = Signal(object)  # Progress, at most ~10 per second
    job_started = Signal(object)  # IndexJob
    job_finished = Signal(object, object)  # IndexJob, IndexReport | int | None | Exception
    idle = Signal()  # nothing left to do

    PROGRESS_INTERVAL_S = 0.1

    def __init__(self, engine: Engine, options: Callable[[], IndexOptions],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("spyglass-index")
        self.engine = engine
        self.options = options  # read at the start of each job, so settings apply next time
        self._cond = threading.Condition()
        self._jobs: deque[IndexJob] = deque()
        self._updates: set[str] = set()
        self._control = IndexControl()
        self._stopping = False
        self._running: IndexJob | None = None
        self._last_emit = 0.0
        self._last_key: tuple[str, bool] | None = None

    # -- called from the UI thread -----------------------------------------------------------

    def submit(self, job: IndexJob) -> None:
        with self._cond:
            if job.kind == "update":
                self._updates.update(job.paths)
            elif not any(j == job for j in self._jobs):
                self._jobs.append(job)
            self._cond.notify()

    def update_paths(self, paths: Sequence[str]) -> None:
        self.submit(IndexJob("update", list(paths)))

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    @property
    def paused(self) -> bool:
        return self._control.paused

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._running is not None or bool(self._jobs or self._updates)

    @property
    def current_job(self) -> IndexJob | None:
        return self._running

    def cancel_current(self) -> None:
        """Stop the job in progress (what is stored so far stays; a rescan resumes)."""
        self._control.cancel()

    def stop(self) -> None:
        """Cancel the job in progress (what is stored stays) and return once the thread has
        ended. Cancelling is prompt: the indexer checks between files and between passages."""
        with self._cond:
            self._stopping = True
            self._jobs.clear()
            self._updates.clear()
            self._cond.notify()
            self._control.cancel()
        self.wait()

    # -- the thread --------------------------------------------------------------------------

    def run(self) -> None:
        while True:
            with self._cond:
                while not (self._jobs or self._updates or self._stopping):
                    self._cond.wait()
                if self._stopping:
                    return
                if self._jobs:
                    job = self._jobs.popleft()
                else:  # watcher changes wait until explicit work is done
                    job = IndexJob("update", sorted(self._updates))
                    self._updates.clear()
                self._running = job
                paused = self._control.paused
                self._control = IndexControl()
                if paused:
                    self._control.pause()  # a pause holds across jobs until resumed
            self.job_started.emit(job)
            try:
                result: object = self._execute(job)
            except Exception as e:  # IndexBusy, EngineError, disk full...: shown, not fatal
                result = e
            with self._cond:
                self._running = None
                more = bool(self._jobs or self._updates)
            self.job_finished.emit(job, result)
            if not more:
                self.idle.emit()

    def _execute(self, job: IndexJob) -> object:
        engine = self.engine
        options = self.options()
        engine.options = options  # update_paths and remove_root read the engine's options
        control = self._control
        if job.kind == "index":
            return engine.index(job.paths or None, self._emit, control, options)
        if job.kind == "add":
            return engine.index(job.paths, self._emit, control, options)
        if job.kind == "update":
            return engine.update_paths(job.paths, self._emit, control)
        if job.kind == "remove":
            return sum(engine.remove_root(p) for p in job.paths)
        if job.kind == "retry":
            n = engine.retry_failed(job.paths or None)
            if job.paths:
                engine.update_paths(job.paths, self._emit, control)
            else:
                engine.index(None, self._emit, control, options)
            return n
        if job.kind == "excludes":
            root = job.paths[0]
            engine.set_excludes(root, job.patterns)
            return engine.index([root], self._emit, control, options)
        raise ValueError(f"unknown index job {job.kind!r}")

    def _emit(self, p: Progress) -> None:
        # Throttled: a flood of queued signals would make the UI thread the bottleneck. A new
        # phase and a phase's last event always go out, so a bar always ends at its total.
        now = time.monotonic()
        key = (p.phase, p.paused)
        finished = p.total > 0 and p.done >= p.total
        if key != self._last_key or p.phase == "done" or finished or (
                now - self._last_emit >= self.PROGRESS_INTERVAL_S):
            self._last_key = key
            self._last_emit = now
            self.progress.emit(p)


class WatchBridge(QObject):
    """Carries the file watcher's callback (its own thread) onto a Qt signal."""

    changed = Signal(object)  # set[str]

    def __call__(self, paths: set[str]) -> None:
        self.changed.emit(set(paths))
