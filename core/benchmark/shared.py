"""`spyglass bench --shared`: a collection published to a shared index (Milvus Lite, or the
server SPYGLASS_MILVUS_URI names) and searched through it, against the local index it came from:
nDCG@10 in every mode, how often the top 10 is the same, and the time a search and a publish
take (bench/results/shared-<collection>.md)."""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.evaluation.beir import Collection
from core.evaluation.metrics import evaluate
from core.evaluation.runner import DEPTH, prepare_index
from core.search.query import literal_query
from core.search.searcher import MODES
from core.shared.target import SharedTarget
from core.sharing import SharedSearch, publish_folders


@dataclass
class ModeParity:
    local_ndcg: float
    shared_ndcg: float
    same_top10: float  # share of queries with the same ten files in the same order
    same_set10: float  # ... the same ten files in any order
    local_ms: float  # median per query
    shared_ms: float


@dataclass
class ParityReport:
    dataset: str
    uri: str
    passages: int
    publish_s: float
    republish_s: float  # nothing changed: the incremental publish's own cost
    modes: dict[str, ModeParity] = field(default_factory=dict)

    def markdown(self, command: str) -> str:
        rows = "\n".join(
            f"| {m} | {r.local_ndcg:.4f} | {r.shared_ndcg:.4f} | "
            f"{r.shared_ndcg - r.local_ndcg:+.4f} | {r.same_top10:.1%} | {r.same_set10:.1%} | "
            f"{r.local_ms:.1f} | {r.shared_ms:.1f} |"
            for m, r in self.modes.items())
        return (f"# Shared index parity: {self.dataset}\n\n"
                f"{self.passages} passages published to `{self.uri}` in {self.publish_s:.1f} s "
                f"({self.passages / max(self.publish_s, 1e-9):.0f} passages/s); publishing again "
                f"with nothing changed: {self.republish_s:.2f} s.\n\n"
                "| mode | local nDCG@10 | shared nDCG@10 | difference | same top 10 (order) | "
                "same top 10 (set) | local median ms | shared median ms |\n"
                "|---|---|---|---|---|---|---|---|\n" + rows + "\n\n"
                f"Command: `{command}`  \nMachine: {platform.machine()}, {platform.system()} "
                f"{platform.release()}, Python {platform.python_version()}; "
                f"{time.strftime('%Y-%m-%d')}.\n")


def bench_target(work: Path, collection: str, uri: str | None = None) -> SharedTarget:
    """Where a benchmark publishes: the server SPYGLASS_MILVUS_URI names (with
    SPYGLASS_MILVUS_USER and _TOKEN, as the real-server tests), else Milvus Lite in `work`."""
    return SharedTarget(uri=uri or os.environ.get("SPYGLASS_MILVUS_URI") or str(work / "shared.db"),
                        collection=collection.replace("-", "_"),
                        user=os.environ.get("SPYGLASS_MILVUS_USER", ""),
                        secret=os.environ.get("SPYGLASS_MILVUS_TOKEN", ""))


def run(dataset: Path, uri: str | None = None, log: Callable[[str], None] = print
        ) -> ParityReport:
    collection = Collection.load(dataset)
    engine, names, _ = prepare_index(collection)
    work = tempfile.TemporaryDirectory(prefix="spyglass-shared-")
    target = bench_target(Path(work.name), f"bench_{collection.name}", uri)
    uri = target.uri
    try:
        docs = [r.path for r in engine.roots()]
        log(f"publishing {docs} to {uri}")
        report = publish_folders(engine, docs, target)
        again = publish_folders(engine, docs, target)
        result = ParityReport(collection.name, uri, report.passages_sent, report.seconds,
                              again.seconds)
        shared = SharedSearch(engine, [target], local=False)
        try:
            for mode in MODES:
                result.modes[mode] = _compare(engine, shared, collection, names, mode)
                log(f"{mode}: {result.modes[mode]}")
        finally:
            shared.close()
        return result
    finally:
        engine.close()
        work.cleanup()


def _compare(engine, shared: SharedSearch, collection: Collection, names: dict[str, str],
             mode: str) -> ModeParity:
    runs: dict[str, dict[str, dict[str, float]]] = {"local": {}, "shared": {}}
    times: dict[str, list[float]] = {"local": [], "shared": []}
    same = same_set = 0
    for qid, text in collection.queries.items():
        tops = {}
        for side, search in (("local", engine.search), ("shared", shared.search)):
            started = time.perf_counter()
            hits = search(literal_query(text), k=DEPTH + 1, mode=mode).hits
            times[side].append((time.perf_counter() - started) * 1000)
            ranked = [d for d in (names[Path(h.path).name] for h in hits) if d != qid][:DEPTH]
            runs[side][qid] = {doc: float(len(ranked) - i) for i, doc in enumerate(ranked)}
            tops[side] = ranked[:10]
        same += tops["local"] == tops["shared"]
        same_set += set(tops["local"]) == set(tops["shared"])
    n = max(len(collection.queries), 1)
    return ModeParity(evaluate(collection.qrels, runs["local"])["ndcg@10"],
                      evaluate(collection.qrels, runs["shared"])["ndcg@10"], same / n,
                      same_set / n, statistics.median(times["local"]),
                      statistics.median(times["shared"]))
