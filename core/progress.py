"""Progress events shared by the command line and the window."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    phase: str  # "scan" | "keyword" | "semantic" | "ocr" | "finishing" | "done"
    done: int  # files (keyword phase), passages (semantic phase) or pages (ocr) finished
    total: int
    rate: float  # per second, smoothed: files/s or passages/s
    eta_s: float | None  # seconds left in this phase, None while unknown
    current: str | None = None  # the file being worked on
    failed: int = 0
    paused: bool = False

    @property
    def unit(self) -> str:
        return {"semantic": "passages", "ocr": "pages"}.get(self.phase, "files")

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


class RateMeter:
    """Items per second over a sliding window, robust to bursty batches."""

    def __init__(self, window_s: float = 20.0) -> None:
        self.window_s = window_s
        self.samples: list[tuple[float, int]] = []
        self.count = 0

    def add(self, n: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if not self.samples:
            self.samples.append((now, 0))
        self.count += n
        self.samples.append((now, self.count))
        while len(self.samples) > 2 and now - self.samples[1][0] > self.window_s:
            self.samples.pop(0)

    def rate(self, now: float | None = None) -> float:
        if len(self.samples) < 2:
            return 0.0
        now = time.monotonic() if now is None else now
        t0, c0 = self.samples[0]
        elapsed = now - t0
        if elapsed < 0.5:  # too early to tell: a batch finishing at once is not a rate
            return 0.0
        return (self.count - c0) / elapsed

    def eta(self, remaining: int) -> float | None:
        rate = self.rate()
        return remaining / rate if rate > 0 else None
