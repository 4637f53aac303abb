"""Watch the indexed folders and report changed paths in debounced batches.

    watcher = RootWatcher(on_changes, ignore=[index_dir])
    watcher.start()
    watcher.set_roots(["/home/me/Documents"])
    ...
    watcher.stop()

`on_changes(paths)` is called from the watcher's own thread with a set of paths (files or
folders) that were created, changed, deleted or moved (a move gives both paths), once the file
system has been quiet for `quiet_s` (or at the latest `max_delay_s` after the first event, so a
steady trickle of writes cannot postpone updates forever). Hand the set to
`Engine.update_paths`.

No Qt here: the window bridges the callback to its indexing thread. A root that does not exist
(an unplugged drive, a deleted folder) is skipped and watched again once it reappears.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

log = logging.getLogger(__name__)

ChangeCallback = Callable[[set[str]], None]

# Events that say nothing about content: reading a file must not trigger a reindex.
_IGNORED_EVENTS = frozenset({"opened", "closed_no_write", "closed"})


class RootWatcher:
    def __init__(self, on_changes: ChangeCallback, *, quiet_s: float = 1.0,
                 max_delay_s: float = 5.0, recheck_s: float = 2.0,
                 ignore: Sequence[str | os.PathLike[str]] = (),
                 observer_factory: Callable[[], BaseObserver] = Observer) -> None:
        self.on_changes = on_changes
        self.quiet_s = quiet_s
        self.max_delay_s = max_delay_s
        self.recheck_s = recheck_s
        self.ignore = tuple(os.path.abspath(p) for p in ignore)
        self.errors: dict[str, str] = {}  # root -> why it is not watched (last attempt)
        self._observer_factory = observer_factory
        self._observer: BaseObserver | None = None
        self._handler = _Handler(self)
        self._cond = threading.Condition()
        self._wanted: set[str] = set()
        self._watches: dict[str, tuple[ObservedWatch, int]] = {}  # root -> (watch, inode)
        self._pending: set[str] = set()
        self._first_event = 0.0
        self._last_event = 0.0
        self._stopping = False
        self._thread: threading.Thread | None = None

    # -- public ---------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._observer = self._observer_factory()
        self._observer.daemon = True
        self._observer.start()
        self._thread = threading.Thread(target=self._run, name="spyglass-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._observer is not None:
            try:
                self._observer.stop()
                self._observer.join(timeout)
            except Exception:  # an emitter that died with its root: nothing left to stop
                log.debug("observer stop failed", exc_info=True)
            self._observer = None

    def set_roots(self, roots: Iterable[str | os.PathLike[str]]) -> None:
        """Watch exactly these folders. Scheduling walks the whole tree (one inotify watch
        per folder), so it happens on the watcher's thread, never the caller's."""
        with self._cond:
            self._wanted = {os.path.abspath(r) for r in roots}
            self._cond.notify_all()

    @property
    def watched(self) -> set[str]:
        with self._cond:
            return set(self._watches)

    def flush(self) -> None:
        """Deliver pending changes now (tests, shutdown)."""
        with self._cond:
            self._first_event = self._last_event = 0.0
            self._cond.notify_all()

    # -- events ---------------------------------------------------------------------------------

    def _event(self, event: FileSystemEvent) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        if event.is_directory and event.event_type == "modified":
            return  # a folder's mtime changes with its entries, which have their own events
        paths = [event.src_path]
        dest = getattr(event, "dest_path", "")
        if dest:
            paths.append(dest)
        now = time.monotonic()
        with self._cond:
            for p in paths:
                p = os.fsdecode(p)
                if not self._ignored(p):
                    if not self._pending:
                        self._first_event = now
                    self._pending.add(p)
                    self._last_event = now
            self._cond.notify_all()

    def _ignored(self, path: str) -> bool:
        return any(path == i or path.startswith(i + os.sep) for i in self.ignore)

    # -- the watcher's thread -------------------------------------------------------------------

    def _run(self) -> None:
        next_check = 0.0
        while True:
            batch: set[str] = set()
            with self._cond:
                if self._stopping:
                    return
                now = time.monotonic()
                if self._pending and (now - self._last_event >= self.quiet_s
                                      or now - self._first_event >= self.max_delay_s):
                    batch, self._pending = self._pending, set()
                wait = self.recheck_s if now >= next_check else next_check - now
                if self._pending:
                    wait = min(wait, max(0.05, min(self._last_event + self.quiet_s,
                                                   self._first_event + self.max_delay_s) - now))
            if batch:
                batch = self._within_live_roots(batch)
            if batch:
                try:
                    self.on_changes(batch)
                except Exception:  # the callback's problem must not stop the watching
                    log.exception("change callback failed")
            if time.monotonic() >= next_check:
                self._reconcile()
                next_check = time.monotonic() + self.recheck_s
            with self._cond:
                if not self._stopping and not self._due():
                    self._cond.wait(wait)

    def _due(self) -> bool:
        if not self._pending:
            return False
        now = time.monotonic()
        return (now - self._last_event >= self.quiet_s
                or now - self._first_event >= self.max_delay_s)

    def _within_live_roots(self, paths: set[str]) -> set[str]:
        """Drop events under a root that is gone as a whole: an unmounted drive must not
        empty the index (the index manager shows the root as missing instead)."""
        with self._cond:
            roots = set(self._wanted)
        live = {r for r in roots if os.path.isdir(r)}
        out = set()
        for p in paths:
            owner = [r for r in roots if p == r or p.startswith(r.rstrip(os.sep) + os.sep)]
            if not owner or any(r in live for r in owner):
                out.add(p)
        return out

    def _reconcile(self) -> None:
        """Schedule wanted roots that exist, drop watches of roots that vanished or were
        removed. Called regularly, so a root that comes back is watched again."""
        observer = self._observer
        if observer is None:
            return
        with self._cond:
            wanted = set(self._wanted)
            current = dict(self._watches)
        for root, (watch, inode) in current.items():
            # A folder deleted and made again has a new inode and needs a new watch.
            if root not in wanted or _inode(root) != inode:
                try:
                    observer.unschedule(watch)
                except Exception:  # its emitter already stopped with the folder
                    log.debug("unschedule %s failed", root, exc_info=True)
                if root in wanted and _inode(root) is None:
                    self.errors[root] = "folder not found"
                with self._cond:
                    self._watches.pop(root, None)
        for root in sorted(wanted - set(current)):
            inode = _inode(root)
            if inode is None:
                self.errors[root] = "folder not found"
                continue
            try:
                watch = observer.schedule(self._handler, root, recursive=True)
            except Exception as e:  # e.g. the inotify watch limit, permission denied
                self.errors[root] = str(e) or type(e).__name__
                log.warning("cannot watch %s: %s", root, e)
                continue
            self.errors.pop(root, None)
            with self._cond:
                self._watches[root] = (watch, inode)


def _inode(path: str) -> int | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino if os.path.isdir(path) else None


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: RootWatcher) -> None:
        super().__init__()
        self.watcher = watcher

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.watcher._event(event)
