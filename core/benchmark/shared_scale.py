"""`spyglass bench --shared --tree DIR --index INDEX`: a complete index of a document tree
published to a fresh shared index (Milvus Lite, or the server SPYGLASS_MILVUS_URI names) at the
scale of a real folder: the publish rate, an unchanged and a one-file incremental publish, and
the latency of searching the shared index against the local one, query by query
(bench/results/shared-<tree>.md)."""

from __future__ import annotations

import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.api import Engine
from core.benchmark.perf import OUR_MODES, percentiles, tree_queries
from core.benchmark.shared import bench_target
from core.pathcodec import from_db
from core.search.query import literal_query
from core.shared.target import SharedTarget
from core.sharing import SharedSearch, publish_folders

HYBRID_RATIO_TARGET = 3.0
PUBLISH_RATE_TARGET = 500.0
INCREMENTAL_TARGET_S = 2.0


@dataclass
class ScaleReport:
    tree: str
    uri: str
    passages: int = 0
    publish_s: float = 0.0
    republish_s: float = 0.0
    changed_file: str = ""
    incremental_s: float = 0.0  # one changed file, re-indexed, then published
    incremental_passages: int = 0
    queries: int = 0
    latency_ms: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)

    @property
    def publish_rate(self) -> float:
        return self.passages / max(self.publish_s, 1e-9)

    def ratio(self, mode: str) -> float:
        ms = self.latency_ms[mode]
        return ms["shared"]["p50"] / max(ms["local"]["p50"], 1e-9)

    def markdown(self, command: str) -> str:
        rows = "\n".join(
            f"| {m} | {v['local']['p50']:.1f} | {v['local']['p95']:.1f} | "
            f"{v['shared']['p50']:.1f} | {v['shared']['p95']:.1f} | {self.ratio(m):.2f}x |"
            for m, v in self.latency_ms.items())
        checks = [
            ("publish rate", f"{self.publish_rate:.0f} passages/s",
             f">= {PUBLISH_RATE_TARGET:.0f}", self.publish_rate >= PUBLISH_RATE_TARGET),
            ("incremental publish of one changed file", f"{self.incremental_s:.2f} s",
             f"< {INCREMENTAL_TARGET_S:.0f} s", self.incremental_s < INCREMENTAL_TARGET_S),
            ("hybrid p50, shared / local", f"{self.ratio('hybrid'):.2f}x",
             f"<= {HYBRID_RATIO_TARGET:.0f}x", self.ratio("hybrid") <= HYBRID_RATIO_TARGET),
        ]
        check_rows = "\n".join(f"| {name} | {value} | {goal} | {'met' if ok else 'missed'} |"
                               for name, value, goal, ok in checks)
        return (f"# Shared index at scale: {self.tree}\n\n"
                f"{self.passages} passages published to `{self.uri}` in {self.publish_s:.1f} s "
                f"({self.publish_rate:.0f} passages/s); publishing again with nothing changed: "
                f"{self.republish_s:.2f} s; `{self.changed_file}` changed (a line appended), "
                f"re-indexed and published: {self.incremental_passages} passages in "
                f"{self.incremental_s:.2f} s.\n\n"
                "| target | measured | goal | |\n|---|---|---|---|\n" + check_rows + "\n\n"
                f"Latency of {self.queries} queries (2-6 words from the corpus, query encoding "
                "included), local and shared asked in turn, ms:\n\n"
                "| mode | local p50 | local p95 | shared p50 | shared p95 | shared / local p50 |\n"
                "|---|---|---|---|---|---|\n" + rows + "\n\n"
                f"Command: `{command}`  \nMachine: {platform.machine()}, {platform.system()} "
                f"{platform.release()}, Python {platform.python_version()}, {os.cpu_count()} "
                f"cores; {time.strftime('%Y-%m-%d')}.\n")


def run(tree: Path, index: Path, queries: int = 200, uri: str | None = None,
        log: Callable[[str], None] = print) -> ScaleReport:
    work = Path(tempfile.mkdtemp(prefix="spyglass-shared-scale-"))
    target = bench_target(work, f"scale_{tree.name}", uri)
    report = ScaleReport(tree.name, target.uri)
    try:
        with Engine.open(index) as engine:
            roots = [r.path for r in engine.roots()]
            log(f"publishing {roots} to {target.uri}")
            first = publish_folders(engine, roots, target)
            report.passages, report.publish_s = first.passages_sent, first.seconds
            log(first.summary())
            report.republish_s = publish_folders(engine, roots, target).seconds
            _incremental(engine, roots, target, _changeable_file(engine), report, log)
            _latency(engine, target, tree_queries(index, queries), report, log)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _changeable_file(engine: Engine) -> Path:
    """A plain-text file of the index, of a few passages: the kind of edit people make."""
    rows = engine.searcher.catalog.conn.execute(
        "SELECT f.path FROM files f JOIN passages p ON p.file_id = f.id "
        "WHERE f.state = 'indexed' AND f.path LIKE '%.txt' GROUP BY f.id "
        "HAVING count(*) BETWEEN 2 AND 8 ORDER BY f.id LIMIT 50")
    for (stored,) in rows:
        path = Path(from_db(stored))
        if path.is_file():  # not a member of an archive
            return path
    raise RuntimeError("the index has no plain-text file to change")


def _incremental(engine: Engine, roots: list[str], target: SharedTarget, path: Path,
                 report: ScaleReport, log: Callable[[str], None]) -> None:
    """Append a line to one file, re-index it as the file watcher would, and time the publish
    that follows; then put the file back as it was (and the index and the share with it)."""
    original = path.read_bytes()
    stat = path.stat()
    report.changed_file = path.name
    try:
        with path.open("ab") as f:
            f.write(b"\nA line added by the shared-index benchmark.\n")
        engine.update_paths([str(path)])
        changed = publish_folders(engine, roots, target)
        report.incremental_s, report.incremental_passages = changed.seconds, changed.passages_sent
        log(f"one file changed: {changed.summary()}")
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        engine.update_paths([str(path)])
        publish_folders(engine, roots, target)


def _latency(engine: Engine, target: SharedTarget, queries: list[str], report: ScaleReport,
             log: Callable[[str], None]) -> None:
    shared = SharedSearch(engine, [target], local=False)
    try:
        engine.search(queries[0], k=10)  # models and derived indexes loaded: steady state
        shared.search(queries[0], k=10)
        report.queries = len(queries)
        for mode in OUR_MODES:
            times: dict[str, list[float]] = {"local": [], "shared": []}
            for q in queries:
                for side, search in (("local", engine.search), ("shared", shared.search)):
                    started = time.perf_counter()
                    search(literal_query(q), k=10, mode=mode)
                    times[side].append((time.perf_counter() - started) * 1000)
            report.latency_ms[mode] = {side: percentiles(t) for side, t in times.items()}
            log(f"{mode}: {report.latency_ms[mode]}")
    finally:
        shared.close()
