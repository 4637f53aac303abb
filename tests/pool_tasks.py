"""Task functions for tests/test_extract_pool.py: module-level so that workers can import them."""

from __future__ import annotations

import os
import signal
import time

from core.extract.types import ExtractionError


def echo(x: object) -> object:
    return x


def square(x: int) -> int:
    return x * x


def hang(seconds: float) -> None:
    """Blocked: uses no processor time (a parser waiting on something that never comes)."""
    time.sleep(seconds)


def spin(seconds: float) -> None:
    """Busy: uses `seconds` of processor time (a parser in an endless loop)."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def balloon(megabytes: int) -> int:
    block = bytearray(megabytes * 1024 * 1024)  # RLIMIT_AS turns this into MemoryError
    return len(block)


def grow(megabytes: int) -> int:
    """Allocate step by step, touching the pages (the RSS-polling path sees this too)."""
    chunks = []
    for _ in range(megabytes // 16):
        chunks.append(b"x" * (16 * 1024 * 1024))
    return len(chunks)


def segfault(_: object) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def abort(_: object) -> None:
    os.abort()


def hard_exit(code: int) -> None:
    os._exit(code)


def kill_self(_: object) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def raise_value_error(msg: str) -> None:
    raise ValueError(msg)


def raise_extraction_error(reason: str) -> None:
    raise ExtractionError(reason)


def pid(_: object) -> int:
    return os.getpid()


def nice_value(_: object) -> int:
    return os.nice(0)


def dispatch(task: tuple[str, object]) -> object:
    """One entry point for a mixed workload: ("square", 3), ("segfault", None), ..."""
    name, arg = task
    return globals()[name](arg)


def unpicklable(_: object) -> object:
    return (x for x in range(3))  # generators cannot be pickled


def bad_init() -> None:
    raise RuntimeError("no model here")
