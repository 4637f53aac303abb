"""Human-readable numbers, sizes, dates and durations for labels."""

from __future__ import annotations

import os
import time
from datetime import datetime

from core.pathcodec import shown_path
from core.progress import Progress


def count(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def size(n_bytes: float) -> str:
    value = float(n_bytes)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def date(epoch: float | None, now: float | None = None) -> str:
    """'14:05' today, 'Yesterday', 'Mon 3 Jun' this year, '3 Jun 2021' before."""
    if not epoch:
        return "never"
    when = datetime.fromtimestamp(epoch)
    today = datetime.fromtimestamp(now if now is not None else time.time())
    days = (today.date() - when.date()).days
    if days == 0:
        return when.strftime("%H:%M")
    if days == 1:
        return "Yesterday"
    if when.year == today.year:
        return when.strftime("%a %-d %b") if os.name == "posix" else when.strftime("%a %d %b")
    return when.strftime("%-d %b %Y") if os.name == "posix" else when.strftime("%d %b %Y")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "estimating…"
    s = int(round(seconds))
    if s < 60:
        return "less than a minute left" if s > 5 else "a few seconds left"
    if s < 3600:
        return f"about {round(s / 60)} min left"
    return f"about {s // 3600} h {round(s % 3600 / 60)} min left"


PHASE_NAMES = {
    "scan": "Looking for new and changed files",
    "keyword": "Reading files (keyword index)",
    "semantic": "Learning what passages mean (semantic index)",
    "ocr": "Reading scanned pages and images (OCR)",
    "finishing": "Finishing up",
    "done": "Up to date",
}


COUNTED_PHASES = ("keyword", "semantic", "ocr")  # phases with a total: a bar, a rate, an ETA


def phase(p: Progress) -> str:
    name = PHASE_NAMES.get(p.phase, p.phase)
    return f"Paused: {name[0].lower()}{name[1:]}" if p.paused else name


def rate_and_eta(p: Progress) -> str:
    """'12.5 files/s · about 3 min left' (empty when there is nothing to count)."""
    if p.paused or p.phase not in COUNTED_PHASES or not p.total:
        return ""
    parts = [f"{p.done:,} of {p.total:,} {p.unit}"]
    if p.rate > 0:
        parts.append(f"{p.rate:,.1f} {p.unit}/s")
        parts.append(duration(p.eta_s))
    if p.failed:
        parts.append(count(p.failed, "problem"))
    return " · ".join(parts)


def display_path(path: str) -> str:
    """The path with the home folder shown as ~ (and a member as "a.zip › q3.pdf")."""
    path = shown_path(path)
    home = os.path.expanduser("~")
    if home not in ("", "/") and (path == home or path.startswith(home + os.sep)):
        return "~" + path[len(home):]
    return path


class RateSmoother:
    """Rate and ETA measured here, over the last few seconds of one phase: the first events
    of a phase arrive in a burst, and a rate from them would be absurd."""

    WINDOW_S = 15.0
    MIN_SPAN_S = 1.0

    def __init__(self) -> None:
        self.phase = ""
        self.samples: list[tuple[float, int]] = []

    def update(self, p: Progress, now: float | None = None) -> Progress:
        from dataclasses import replace

        now = time.monotonic() if now is None else now
        if p.phase != self.phase or (self.samples and p.done < self.samples[-1][1]):
            self.phase, self.samples = p.phase, []
        if p.paused:
            self.samples = []  # a pause would drag the rate down for a while
            return replace(p, rate=0.0, eta_s=None)
        self.samples.append((now, p.done))
        while len(self.samples) > 2 and now - self.samples[0][0] > self.WINDOW_S:
            self.samples.pop(0)
        t0, d0 = self.samples[0]
        if now - t0 < self.MIN_SPAN_S or p.done <= d0:
            return replace(p, rate=0.0, eta_s=None)
        rate = (p.done - d0) / (now - t0)
        return replace(p, rate=rate, eta_s=max(0, p.total - p.done) / rate)


# The model names of resources/models/manifest.json, as a user knows them.
_DENSE_WORDS = {"dense": "English (all-MiniLM-L6-v2)",
                "multilingual": "many languages (multilingual-e5-small)"}


def models_line(dense: str, sparse: str) -> str:
    """'Meaning model: ... · Related terms: ...' for an index, or '' before any encoding."""
    parts = []
    if dense:
        parts.append(f"Meaning model: {_DENSE_WORDS.get(dense, dense)}")
    if sparse:
        parts.append(f"Related terms: {'splade-tiny' if sparse == 'sparse' else sparse}")
    return " · ".join(parts)
