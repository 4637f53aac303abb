"""Qt objects are destroyed on the GUI thread only: cyclic garbage is collected there, by timer.

Python's cyclic garbage collector runs in whichever thread happens to allocate when a generation
fills up. The window's worker threads (search, status, indexing) allocate a lot, so a Qt object
that ended up in a reference cycle (a parentless QTimer or widget held by a closure, a window
kept by a traceback) was finalised on a worker thread. Qt objects may only be destroyed on the
thread they live on: `~QObject` off-thread prints "Timers cannot be stopped from another thread"
and leaves the GUI thread's timer list pointing at freed memory, and the process segfaults later
in a search (the faulting Python frame is whatever the worker was running when the collector
kicked in, e.g. USearch's `Index.search`) or in `QTimerInfoList::activateTimers`.

So while a window exists, automatic collection is off and the GUI thread collects instead, with
the collector's own thresholds, a few times a second (the same scheme calibre uses). Reference
counting still frees everything that is not in a cycle at once, on any thread, as before.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

CHECK_MS = 250  # how often the GUI thread looks at the collector's counters
# A full collection walks every object (121 ms measured in the window during an indexing run,
# the longest event-loop gap of that run). CPython itself runs one only when the objects promoted
# since the last one reach a quarter of those that survived it, which Python does not expose;
# spacing them out bounds the cost instead. The younger generations take a few ms.
FULL_COLLECTION_EVERY_S = 60.0


class GuiThreadCollector(QObject):
    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer = QTimer(self, interval=CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()
        self.collections = 0
        self._last_full = time.monotonic()

    def check(self) -> None:
        """Collect the generations the automatic collector would have collected by now."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        generation = -1
        for gen in range(3):
            if thresholds[gen] and counts[gen] > thresholds[gen]:
                generation = gen
        if generation == 2 and time.monotonic() - self._last_full < FULL_COLLECTION_EVERY_S:
            generation = 1
        if generation >= 0:
            gc.collect(generation)
            self.collections += 1
            if generation == 2:
                self._last_full = time.monotonic()

    def uninstall(self) -> None:
        """Collect everything on this (the GUI) thread, then hand collection back to Python.
        Only once no window and no worker thread is left (the tests do this between windows)."""
        self.timer.stop()
        gc.collect()
        if self._was_enabled:
            gc.enable()
        global _collector
        if _collector is self:
            _collector = None
        self.setParent(None)


_collector: GuiThreadCollector | None = None  # one application per process


def install(app: QCoreApplication | None = None) -> GuiThreadCollector:
    """Start collecting on the GUI thread (once per application; later calls return it)."""
    app = app or QCoreApplication.instance()
    if app is None:
        raise RuntimeError("create the QApplication first")
    if QThread.currentThread() != app.thread():
        raise RuntimeError("install the collector from the GUI thread")
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(app)
    return _collector


def installed() -> GuiThreadCollector | None:
    return _collector
