"""Kill the indexer with SIGKILL at random moments, check the index after every kill, and compare
the finished index with one built without interruption.

Used by tests/test_crash_consistency.py (a small corpus) and `spyglass bench --reliability`.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from core.command import COMMAND
from core.store.catalog import Catalog
from core.store.consistency import check

QUERIES = ("copper violin harbor", "enzyme receptor membrane", "invoice payroll budget",
           "compiler parser syntax", "glacier fjord tundra")


@dataclass
class Kill:
    number: int
    after_s: float
    phase: str  # what the indexer was doing when it was killed
    vectors: int
    problems: list[str]  # consistency findings right after the kill (must be none)
    orphans: int  # extraction workers still alive 3 s after their parent died


@dataclass
class CrashReport:
    kills: list[Kill] = field(default_factory=list)
    reference: dict[str, int] = field(default_factory=dict)
    final: dict[str, int] = field(default_factory=dict)
    result_mismatches: list[str] = field(default_factory=list)
    final_problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def problems_after_kills(self) -> int:
        return sum(len(k.problems) for k in self.kills)

    @property
    def data_lost(self) -> int:
        """Differences between the interrupted and the uninterrupted index."""
        keys = set(self.reference) | set(self.final)
        return sum(abs(self.reference.get(k, 0) - self.final.get(k, 0)) for k in keys) + len(
            self.result_mismatches)


ORPHAN_LIMIT_S = 120.0  # a hang limit, not a timing: workers normally go within a second


def counts(index: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        out = {f"files_{state}": n for state, n in conn.execute(
            "SELECT state, count(*) FROM files GROUP BY state")}
        out["passages"] = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
        out["vectors"] = conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
        out["ocr_pages"] = conn.execute("SELECT count(*) FROM ocr_pages").fetchone()[0]
        out["ocr_waiting"] = conn.execute("SELECT count(*) FROM ocr_queue").fetchone()[0]
        return out
    finally:
        conn.close()


def top_results(index: Path, queries: tuple[str, ...] = QUERIES) -> dict[str, list[str]]:
    """The top 5 files of each query (in this process: the models load once, not per query)."""
    from core.api import Engine

    with Engine.open(index) as engine:
        return {q: [hit.path for hit in engine.search(q, k=5).hits] for q in queries}


def _phase(c: dict[str, int]) -> str:
    if not c:
        return "starting"
    if c.get("files_pending"):
        return "keyword"
    if c.get("files_text"):
        return "semantic"
    if c.get("ocr_waiting"):
        return "ocr"
    return "finishing"


def run_harness(docs: Path, work: Path, kills: int = 20, seed: int = 1, min_delay: float = 0.3,
                max_delay: float = 2.5, log=print) -> CrashReport:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    rng = random.Random(seed)
    report = CrashReport()
    reference = work / "reference"
    subprocess.run([*COMMAND, "--index", str(reference), "index", str(docs), "--quiet"], check=True,
                   capture_output=True, timeout=3600)
    report.reference = counts(reference)
    index = work / "killed"
    for number in range(1, kills + 1):
        vectors_before = _vectors(index)
        pages_before = _counts_or_empty(index).get("ocr_pages", 0)
        proc = subprocess.Popen([*COMMAND, "--index", str(index), "index", str(docs), "--quiet"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started_at = time.monotonic()
        if number > kills - 2:
            # The last two wait for a page read by OCR in this run (scans are read last, after
            # the semantic phase: waiting earlier would skip the kills that land in it).
            _wait_for(proc, lambda n=pages_before: _counts_or_empty(index).get(
                "ocr_pages", 0) > n)
            time.sleep(rng.uniform(0.0, min_delay))
        elif number == 1 or number % 3 == 0:
            # The first kill and every third wait for a state, not a time, so kills land in
            # both phases on a machine of any speed or load: the first, for the scan's commit
            # (files pending: the keyword phase has begun); the others, for the first batch of
            # vectors this run commits (or the run's end). Then a little more, to hit the next
            # batch anywhere in its course.
            if number == 1:
                _wait_for(proc, lambda: _counts_or_empty(index).get("files_pending", 0) > 0)
            else:
                _wait_for(proc, lambda n=vectors_before: _vectors(index) > n)
            time.sleep(rng.uniform(0.0, min_delay))
        else:
            time.sleep(rng.uniform(min_delay, max_delay))
        delay = time.monotonic() - started_at
        children = _children(proc.pid)
        before = _counts_or_empty(index)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # A worker still starting (spawn re-imports Python: seconds on a loaded machine) checks
        # its parent once it runs and goes; only one alive after the hang limit is orphaned.
        orphans = _wait_gone(children, ORPHAN_LIMIT_S)
        problems = _problems(index) if (index / "catalog.sqlite").exists() else []
        kill = Kill(number, round(delay, 2), _phase(before), before.get("vectors", 0), problems,
                    orphans)
        report.kills.append(kill)
        log(f"kill {number:2}: after {delay:.2f} s during {kill.phase}, {kill.vectors} vectors, "
            f"problems: {problems or 'none'}, orphaned workers: {orphans}")
    subprocess.run([*COMMAND, "--index", str(index), "index", str(docs), "--quiet"], check=True,
                   capture_output=True, timeout=3600)
    report.final = counts(index)
    report.final_problems = _problems(index)
    ref_results, final_results = top_results(reference), top_results(index)
    report.result_mismatches = [q for q in QUERIES if ref_results[q] != final_results[q]]
    report.seconds = time.monotonic() - started
    return report


def _counts_or_empty(index: Path) -> dict[str, int]:
    try:
        return counts(index)
    except sqlite3.Error:  # not created yet
        return {}


def _wait_for(proc: subprocess.Popen, state: Callable[[], bool]) -> None:
    """Until `state()` holds or the indexer has exited (then there is nothing left to hit)."""
    while proc.poll() is None and not state():
        time.sleep(0.05)


def _vectors(index: Path) -> int:
    return _counts_or_empty(index).get("vectors", 0)


def _problems(index: Path) -> list[str]:
    catalog = Catalog(index)
    try:
        return [f.problem for f in check(catalog).findings]
    finally:
        catalog.close()


def _children(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _wait_gone(procs: list[psutil.Process], timeout: float) -> int:
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    for p in alive:  # do not leave them behind for the next round
        with contextlib.suppress(psutil.Error):
            p.kill()
    return len(alive)
