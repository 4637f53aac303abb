"""What the numbers were measured on, and memory sampling of a process tree."""

from __future__ import annotations

import contextlib
import os
import platform
import threading
import time
from importlib.metadata import PackageNotFoundError, version

import psutil


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    libs = []
    for name in ("onnxruntime", "usearch", "tokenizers", "numpy", "bm25s"):
        try:
            libs.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            continue
    import sqlite3
    return (f"{cpu}, {os.cpu_count()} logical cores, {mem:.0f} GiB RAM; {platform.system()} "
            f"{platform.release()}; Python {platform.python_version()}, SQLite "
            f"{sqlite3.sqlite_version}, " + ", ".join(libs))


def tree_memory(pid: int) -> tuple[int, int, int]:
    """Resident bytes of a process tree: (total, the process itself, its largest descendant)."""
    try:
        proc = psutil.Process(pid)
        children = proc.children(recursive=True)
        main = proc.memory_info().rss
    except psutil.Error:
        return 0, 0, 0
    sizes = []
    for child in children:
        with contextlib.suppress(psutil.Error):  # a worker that just exited
            sizes.append(child.memory_info().rss)
    return main + sum(sizes), main, max(sizes, default=0)


class PeakMemory:
    """Samples a process tree's resident memory every `interval` seconds in a thread."""

    def __init__(self, pid: int | None = None, interval: float = 0.1) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak = 0
        self.peak_child = 0  # the largest single descendant (a worker process)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.interval)

    def _sample(self) -> None:
        total, _, child = tree_memory(self.pid)
        self.peak = max(self.peak, total)
        self.peak_child = max(self.peak_child, child)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
