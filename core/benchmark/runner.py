"""`spyglass bench`: run the measurements on a corpus and write bench/results/perf-<name>.md."""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import platformdirs

from core.api import Engine
from core.benchmark import perf
from core.benchmark.system import machine
from core.evaluation.beir import Collection
from core.evaluation.runner import prepare_index
from core.indexer import IndexOptions
from core.model_choice import index_models

LARGE_INDEX = 300_000  # passages from which the scale targets (the 30,000-file tree) apply


def targets(report: perf.PerfReport) -> list[tuple[str, float, bool, str]]:
    """(label, figure, met, format) for each target; a large index has its own latency, memory
    and keyword-rate targets."""
    large = report.passages >= LARGE_INDEX
    lat, ix = report.latency_ms, report.indexing
    p50, p95, idle, files_s = (40, 100, 500, 300) if large else (30, 80, 400, 200)
    rows = [
        ("inference-free sparse query latency <= 1.3x FTS5 BM25 (p50)",
         lat["sparse"]["p50"] / max(lat["fts5"]["p50"], 1e-9), 1.3, "{:.2f}x", "<="),
        (f"hybrid p50 <= {p50} ms (query encoding included)", lat["hybrid"]["p50"], p50,
         "{:.1f} ms", "<="),
        (f"hybrid p95 <= {p95} ms", lat["hybrid"]["p95"], p95, "{:.1f} ms", "<="),
        ("semantic indexing >= 90% of the encoders alone", ix.get("semantic_vs_encoder", 0.0),
         0.9, "{:.0%}", ">="),
        ("semantic indexing with 2 CPU-bound programs competing >= 35% of its quiet rate",
         ix.get("busy_share", 0.0), 0.35, "{:.0%}", ">="),
        (f"keyword phase >= {files_s} files/s", ix.get("keyword_files_per_s", 0.0), files_s,
         "{:.0f} files/s", ">="),
        ("index size without stored text <= 1.2 KB per passage",
         report.index_bytes_per_passage["without_text"], 1229, "{:.0f} B", "<="),
        (f"idle RSS with the index open <= {idle} MB", report.memory_mb["idle"], idle,
         "{:.0f} MB", "<="),
    ]
    return [(label, figure, figure <= limit if op == "<=" else figure >= limit, fmt)
            for label, figure, limit, fmt, op in rows]


def cache_root() -> Path:
    return Path(platformdirs.user_cache_dir("spyglass", appauthor=False)) / "bench"


def full_index_for_tree(tree: Path, log: Callable[[str], None]) -> Path:
    """The complete index of a tree (built once, then kept up to date incrementally)."""
    key = hashlib.sha256(f"{tree.resolve()}|{index_models().to_meta()}".encode()).hexdigest()[:12]
    index = cache_root() / f"{tree.name}-{key}"
    started = time.monotonic()
    with Engine.open(index, IndexOptions(low_priority=False)) as engine:
        report = engine.index([tree])
    log(f"full index of {tree}: {index} (updated in {time.monotonic() - started:.0f} s, "
        f"{report.encoded} passages encoded now)")
    return index


def run(*, dataset: Path | None = None, tree: Path | None = None, index: Path | None = None,
        queries: int = 300, semantic_seconds: float = 120.0, polite: bool = True,
        log: Callable[[str], None] = print) -> perf.PerfReport:
    work = perf.temp_work()
    try:
        if dataset is not None:
            collection = Collection.load(dataset)
            engine, _, _ = prepare_index(collection)
            engine.close()
            source = next(engine.index_dir.parent.glob("docs"))
            full = index or engine.index_dir
            query_texts = list(collection.queries.values())[:queries]
            name = collection.name
        else:
            assert tree is not None
            source = tree
            full = index or full_index_for_tree(tree, log)
            query_texts = perf.tree_queries(full, queries)
            name = tree.name
        report = perf.PerfReport(corpus=name, machine=machine(), queries=len(query_texts))
        report.indexing, peak = perf.measure_indexing(source, work, semantic_seconds, log)
        report.passages, report.index_bytes_per_passage = perf.measure_size(full)
        report.disk_parts = perf.measure_parts(full)
        report.build = perf.build_record(full)
        with Engine.open(full) as engine:
            report.files = engine.status(list_limit=0).files["indexed"]
        report.latency_ms = perf.measure_latency(full, query_texts, log)
        report.first_query_s, idle = perf.measure_open_and_idle(full, query_texts)
        report.memory_mb = {"peak": round(peak, 1), "idle": round(idle, 1)}
        if polite:
            report.polite = perf.measure_polite(source, work, log)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def markdown(report: perf.PerfReport, command: str) -> str:
    lat = report.latency_ms
    rows = "\n".join(
        f"| {mode} | {lat[mode]['p50']:.1f} | {lat[mode]['p95']:.1f} | "
        f"{lat[mode]['p50'] / max(lat['fts5']['p50'], 1e-9):.2f}x | "
        f"{lat[mode]['p50'] / max(lat['bm25s']['p50'], 1e-9):.2f}x | "
        f"{lat[mode]['p50'] / max(lat['dense-fp32-rrf']['p50'], 1e-9):.2f}x |"
        for mode in (*perf.PEERS, *perf.OUR_MODES) if mode in lat)
    target_rows = "\n".join(f"| {label} | {fmt.format(figure)} | {'met' if ok else 'MISSED'} |"
                            for label, figure, ok, fmt in targets(report))
    ix = report.indexing
    polite = report.polite
    polite_text = ""
    if polite:
        polite_text = (
            "\n## Polite indexing\n\nA fixed single-threaded task (hashing 384 MB) takes "
            f"{polite['foreground_alone_s']:.2f} s alone; while Spyglass indexes at normal "
            f"priority it takes {polite['foreground_normal_slowdown']:.2f}x as long, at low "
            f"priority (the window's default) {polite['foreground_low_priority_slowdown']:.2f}x."
            f" Meanwhile the indexer finished {polite['indexer_normal_units']:.0f} files and "
            f"passages at normal priority and {polite['indexer_low_priority_units']:.0f} at low "
            "priority: low priority only yields when something else wants the CPU.\n")
    return f"""# Performance: {report.corpus}

{report.files} files, {report.passages} passages in the measured index; {report.queries} queries.
Machine: {report.machine}. Measured {time.strftime('%Y-%m-%d')} with `{command}`.
The machine is shared and noisy: latencies are medians and 95th percentiles over all queries,
and ratios compare figures from the same run.

## Targets

| target | measured | |
|---|---|---|
{target_rows}

## Query latency (ms, k = 10, one query at a time)

Our modes return files with snippets; the peers return passage ids only. `fts5` is SQLite FTS5
BM25 alone, `bm25s` the bm25s library over the same passages, `dense-fp32-rrf` an exhaustive
fp32 search over all vectors fused with FTS5 by reciprocal rank (today's usual desktop semantic
search).

| mode | p50 | p95 | p50 vs fts5 | p50 vs bm25s | p50 vs dense-fp32-rrf |
|---|---|---|---|---|---|
{rows}

First query after opening the index (fresh process, models loaded then): \
{report.first_query_s:.2f} s.

## Indexing (a fresh index of the same corpus)

| | |
|---|---|
| keyword phase | {ix.get('keyword_files', 0):.0f} files in {ix.get('keyword_seconds', 0):.1f} s: \
{ix.get('keyword_files_per_s', 0):.0f} files/s |
| semantic phase | {ix.get('encoded_passages', 0):.0f} passages in \
{ix.get('semantic_seconds', 0):.1f} s: {ix.get('semantic_passages_per_s', 0):.1f} passages/s |
| both encoders alone, same passages (median of 3 passes) | \
{ix.get('encoder_passages_per_s', 0):.1f} passages/s |
| semantic phase / encoders alone | {ix.get('semantic_vs_encoder', 0):.0%} |
| busy machine: semantic phase while {perf.BUSY_PROCESSES} CPU-bound programs run at normal \
priority | {ix.get('busy_passages_per_s', 0):.1f} passages/s, {ix.get('busy_share', 0):.0%} of \
the quiet rate (quiet again after: {ix.get('quiet_after_passages_per_s', 0):.1f}/s) |
| peak RSS while indexing (with extraction workers) | {report.memory_mb['peak']:.0f} MB |
| idle RSS, index open after searches of every mode | {report.memory_mb['idle']:.0f} MB |
| index size per passage | {report.index_bytes_per_passage['total']:.0f} B, \
{report.index_bytes_per_passage['without_text']:.0f} B without the stored text |
{_parts_text(report)}{_build_text(report)}{polite_text}"""


def _parts_text(report: perf.PerfReport) -> str:
    if not report.disk_parts:
        return ""
    n = max(report.passages, 1)
    parts = dict(report.disk_parts)
    text = parts.pop(perf.TEXT_PART, 0)
    rows = "\n".join(f"| {label} | {size / 2**20:.1f} | {size / n:.0f} |"
                     for label, size in sorted(parts.items(), key=lambda kv: -kv[1]))
    return ("\n## Disk use by part (the measured index)\n\n| part | MB | bytes/passage |\n"
            f"|---|---|---|\n{rows}\n\nOf the passages table, the stored text itself is "
            f"{text / 2**20:.1f} MB ({text / n:.0f} B a passage).\n")


def _build_text(report: perf.PerfReport) -> str:
    """The measured index's own build by `spyglass index` (bench/timed_index.py), run by run:
    a build that was interrupted and resumed shows every run."""
    runs = report.build.get("runs", [])
    if not runs:
        return ""
    rows = []
    for run in runs:
        phases = ", ".join(f"{k} {v:.0f} s" for k, v in run["phases_s"].items() if v >= 0.5)
        rows.append(f"| {run['started']} | {run['wall_s'] / 60:.1f} min | {phases} | "
                    f"{run['encoded']} | {run['peak_rss_mb']} MB ({run['peak_worker_mb']} MB) |"
                    f" {run['returncode']} |")
    wall = sum(r["wall_s"] for r in runs)
    # A killed run records no phases: its passages count in all, not in the rate.
    timed = [r for r in runs if "semantic" in r["phases_s"]]
    sem = sum(r["phases_s"]["semantic"] for r in timed)
    timed_encoded = sum(r["encoded"] for r in timed)
    untimed = sum(r["encoded"] for r in runs) - timed_encoded
    rest = f"; {untimed} more in interrupted runs, whose phases are not recorded" if untimed else ""
    return ("\n## The measured index's own build (`python bench/timed_index.py TREE INDEX`)\n\n"
            "| started (UTC) | wall | phases | passages encoded | peak RSS, indexer + workers "
            "(largest worker) | exit |\n|---|---|---|---|---|---|\n" + "\n".join(rows) +
            f"\n\nIn all: {wall / 3600:.2f} h; semantic phase {timed_encoded} passages in "
            f"{sem / 60:.0f} min ({timed_encoded / max(sem, 1.0):.1f} passages/s){rest}.\n")


def write_summary(folder: Path) -> None:
    """bench/results/perf.md: every corpus measured so far, one after the other."""
    parts = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("perf-*.md"))]
    body = "\n\n---\n\n".join(part.replace("# Performance:", "## Performance:", 1)
                                 .replace("\n## ", "\n### ") for part in parts)
    (folder / "perf.md").write_text(
        "# Performance\n\nWritten by `spyglass bench` (`make bench` runs every corpus). "
        "Each section is one corpus; docs/scaling.md has the plan beyond these sizes.\n\n"
        + body, encoding="utf-8")
