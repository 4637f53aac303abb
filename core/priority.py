"""Polite indexing: the lowest CPU and I/O priority, so the user's own work comes first."""

from __future__ import annotations

import os
import sys
import threading


def lower_current_thread() -> None:
    """Lower the CPU priority of the calling thread (and of threads it starts later, such as
    onnxruntime's pool) and its I/O priority. Best effort on every platform."""
    try:
        if sys.platform.startswith("linux"):
            # On Linux a nice value belongs to a thread; new threads inherit it.
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        elif hasattr(os, "nice"):
            os.nice(19 - os.nice(0))
    except OSError:
        pass
    try:
        import psutil

        if sys.platform.startswith("linux"):
            # I/O priority belongs to a thread too: lower this one's, not the main thread's
            # (in the window, the main thread is the UI thread).
            psutil.Process(threading.get_native_id()).ionice(psutil.IOPRIO_CLASS_IDLE)
        elif sys.platform == "win32":
            psutil.Process().nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)
    except Exception:  # not permitted or not supported here
        pass
