"""`spyglass bench --reliability`: hostile inputs and the kill harness, summarised in
bench/results/reliability.md (inputs tried, crashes, hangs, kills survived, data lost)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.benchmark.system import PeakMemory
from core.command import COMMAND
from core.reliability.adversarial import write_adversarial_tree
from core.reliability.crash import CrashReport, run_harness

WALL_LIMIT_S = 1800  # far beyond any honest run: a run this long has hung


@dataclass
class InputOutcome:
    name: str
    kind: str
    expected: str
    outcome: str  # indexed | failed | skipped | ignored | MISSING
    reason: str


@dataclass
class ReliabilityResult:
    inputs: list[InputOutcome] = field(default_factory=list)
    crashes: int = 0  # indexer runs that ended in a traceback or a signal
    hangs: int = 0  # runs that had to be stopped at the wall-clock limit
    unaccounted: int = 0  # files neither indexed nor reported
    peak_rss_mb: float = 0.0
    index_seconds: float = 0.0
    kills: CrashReport | None = None
    corpus: str = ""

    @property
    def ok(self) -> bool:
        lost = self.kills.data_lost + self.kills.problems_after_kills if self.kills else 0
        return not (self.crashes or self.hangs or self.unaccounted or lost)

    def to_json(self) -> dict:
        k = self.kills
        return {"inputs": len(self.inputs), "crashes": self.crashes, "hangs": self.hangs,
                "unaccounted": self.unaccounted, "peak_rss_mb": round(self.peak_rss_mb, 1),
                "kills": len(k.kills) if k else 0,
                "problems_after_kills": k.problems_after_kills if k else 0,
                "data_lost": k.data_lost if k else 0, "ok": self.ok}


def _as_user() -> list[str]:
    """Root reads every file; without these capabilities it obeys file modes like a user."""
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] \
        if os.geteuid() == 0 and shutil.which("setpriv") else []


def hostile_inputs(work: Path, result: ReliabilityResult, log: Callable[[str], None]) -> None:
    tree = work / "hostile"
    cases = write_adversarial_tree(tree)
    index = work / "hostile-index"
    started = time.monotonic()
    proc = subprocess.Popen([*_as_user(), *COMMAND, "--index", str(index), "index", str(tree),
                             "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with PeakMemory(proc.pid) as peak:
        try:
            _, err = proc.communicate(timeout=WALL_LIMIT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            result.hangs += 1
    result.index_seconds = time.monotonic() - started
    result.peak_rss_mb = peak.peak / 2**20
    if proc.returncode != 0 or "Traceback" in err:
        result.crashes += 1
        log(f"indexer exit code {proc.returncode}: {err[-500:]}")
    status = json.loads(subprocess.run([*COMMAND, "--index", str(index), "status", "--json"],
                                       capture_output=True, text=True, check=True).stdout)
    reported = {f["path"]: ("failed", f["reason"]) for f in status["failed_files"]}
    reported.update({f["path"]: ("skipped", f["reason"]) for f in status["skipped_files"]})
    import sqlite3
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    from core.pathcodec import from_db
    indexed = {from_db(p) for (p,) in conn.execute(
        "SELECT path FROM files WHERE state IN ('indexed', 'text')")}
    conn.close()
    for case in cases:
        path = str(case.path)
        if path in indexed:
            outcome, reason = "indexed", ""
        elif path in reported:
            outcome, reason = reported[path]
        elif case.expect == "ignored" or not case.path.is_file() or case.path.is_symlink():
            outcome, reason = "ignored", "not a regular file, or inside an unreadable folder"
        else:
            outcome, reason = "MISSING", ""
            result.unaccounted += 1
        result.inputs.append(InputOutcome(case.name, case.kind, case.expect, outcome, reason))
    log(f"hostile inputs: {len(cases)} tried in {result.index_seconds:.0f} s, peak "
        f"{result.peak_rss_mb:.0f} MB, {result.unaccounted} unaccounted, {result.crashes} "
        f"crashes, {result.hangs} hangs")


def run(tree: Path | None = None, kills: int = 30,
        log: Callable[[str], None] = print) -> ReliabilityResult:
    work = Path(tempfile.mkdtemp(prefix="spyglass-reliability-"))
    try:
        result = ReliabilityResult()
        hostile_inputs(work, result, log)
        if tree is None:
            from core.reliability.corpus import write_prose_corpus
            tree = write_prose_corpus(work / "prose", files=1500, paragraphs=2)
            result.corpus = "1,500 generated text files"
        else:
            result.corpus = str(tree)
        result.kills = run_harness(tree, work / "kills", kills=kills, seed=7, log=log)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(r: ReliabilityResult, command: str) -> str:
    k = r.kills
    rows = "\n".join(f"| {i.name!r} | {i.kind} | {i.expected} | {i.outcome} | "
                     f"{i.reason.replace('|', '/')[:120]} |" for i in r.inputs)
    phases: dict[str, int] = {}
    for kill in (k.kills if k else []):
        phases[kill.phase] = phases.get(kill.phase, 0) + 1
    return f"""# Reliability

Measured {time.strftime('%Y-%m-%d')} with `{command}`.

| | |
|---|---|
| hostile inputs tried | {len(r.inputs)} |
| crashes (indexer died or printed a traceback) | {r.crashes} |
| hangs (stopped at the {WALL_LIMIT_S} s wall-clock limit) | {r.hangs} |
| files neither indexed nor reported | {r.unaccounted} |
| peak memory of the indexer and its workers | {r.peak_rss_mb:.0f} MB |
| SIGKILLs survived ({r.corpus}) | {len(k.kills) if k else 0} \
({", ".join(f"{n} during {p}" for p, n in sorted(phases.items()))}) |
| consistency problems found right after a kill | {k.problems_after_kills if k else 0} |
| data lost (difference from an uninterrupted index) | {k.data_lost if k else 0} |

After each kill: `PRAGMA integrity_check`, the FTS5 integrity check, every passage of an indexed
file has vectors and every other passage belongs to a queued file, per-file counts, derived
indexes not ahead of the catalog. At the end: the same counts and the same top 5 results for
fixed queries as an index built without interruption.

## Hostile inputs

| file | what it is | expected | outcome | reason |
|---|---|---|---|---|
{rows}
"""
