"""Indexing throughput, encoder throughput, query latency, memory and index size, with the
lexical and dense baselines (bm25s, SQLite FTS5 alone, exact fp32 dense + FTS5 by RRF) measured
on the same corpus and queries in the same run."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from core.api import Engine
from core.benchmark.system import PeakMemory
from core.command import COMMAND
from core.encode.passages import PassageEncoder
from core.indexer import IndexControl, IndexOptions, passage_input
from core.progress import Progress
from core.search import lexical
from core.search.query import literal_query

OUR_MODES = ("keyword", "sparse", "dense", "hybrid", "hybrid-prf")
PEERS = ("fts5", "bm25s", "dense-fp32-rrf")


@dataclass
class PerfReport:
    corpus: str
    files: int = 0
    passages: int = 0
    queries: int = 0
    indexing: dict[str, float] = field(default_factory=dict)
    latency_ms: dict[str, dict[str, float]] = field(default_factory=dict)
    first_query_s: float = 0.0
    memory_mb: dict[str, float] = field(default_factory=dict)
    index_bytes_per_passage: dict[str, float] = field(default_factory=dict)
    disk_parts: dict[str, int] = field(default_factory=dict)  # bytes by part of the index
    build: dict = field(default_factory=dict)  # the complete index's build (timed_index.py)
    polite: dict[str, float] = field(default_factory=dict)
    machine: str = ""

    def to_json(self) -> dict:
        return asdict(self)


# -- indexing ----------------------------------------------------------------------------------

def measure_indexing(source: Path, work: Path, semantic_seconds: float,
                     log: Callable[[str], None]) -> tuple[dict[str, float], float]:
    """A fresh index of `source`: the whole keyword phase, then the semantic phase for at most
    `semantic_seconds`; then both encoders alone on the same passages. Returns the figures and
    the peak resident memory of the indexing (MB)."""
    index = work / "fresh-index"
    control = IndexControl()
    semantic_started: list[float] = []

    def watch(p: Progress) -> None:
        if p.phase == "semantic":
            if not semantic_started:
                semantic_started.append(time.monotonic())
            elif time.monotonic() - semantic_started[0] > semantic_seconds:
                control.cancel()

    with Engine.open(index, IndexOptions(low_priority=False)) as engine, PeakMemory() as peak:
        report = engine.index([source], progress=watch, control=control)
    keyword_s = report.phase_s.get("keyword", 0.0)
    semantic_s = report.phase_s.get("semantic", 0.0)
    figures = {
        "keyword_files": float(report.extracted + report.failed + report.skipped),
        "keyword_seconds": keyword_s,
        "keyword_files_per_s": (report.extracted + report.failed + report.skipped) / max(
            keyword_s, 1e-9),
        "encoded_passages": float(report.encoded),
        "semantic_seconds": semantic_s,
        "semantic_passages_per_s": report.encoded / max(semantic_s, 1e-9),
    }
    log(f"indexing: {figures['keyword_files']:.0f} files in {keyword_s:.1f} s "
        f"({figures['keyword_files_per_s']:.0f} files/s); {report.encoded} passages encoded in "
        f"{semantic_s:.1f} s ({figures['semantic_passages_per_s']:.1f}/s)")
    figures["encoder_passages_per_s"] = measure_encoder(index, log)
    figures["semantic_vs_encoder"] = figures["semantic_passages_per_s"] / max(
        figures["encoder_passages_per_s"], 1e-9)
    figures.update(measure_busy_machine(source, index, semantic_seconds / 2, log,
                                        quiet_rate=figures["semantic_passages_per_s"]))
    return figures, peak.peak / 2**20


BUSY_PROCESSES = 2  # other programs keeping the cores busy (this machine has 2)
_BUSY_LOOP = "while True: pass"


def continue_semantic(source: Path, index: Path, seconds: float) -> tuple[int, float]:
    """Go on encoding the passages of a partly encoded index for about `seconds`, as a rerun of
    `spyglass index` does (normal priority); returns (passages encoded, seconds of the phase)."""
    control = IndexControl()
    started: list[float] = []

    def watch(p: Progress) -> None:
        if p.phase == "semantic":
            if not started:
                started.append(time.monotonic())
            elif time.monotonic() - started[0] > seconds:
                control.cancel()

    with Engine.open(index, IndexOptions(low_priority=False)) as engine:
        report = engine.index([source], progress=watch, control=control)
    return report.encoded, report.phase_s.get("semantic", 0.0)


def measure_busy_machine(source: Path, index: Path, seconds: float, log: Callable[[str], None],
                         quiet_rate: float) -> dict[str, float]:
    """The semantic phase while BUSY_PROCESSES CPU-bound programs at normal priority compete
    (started and stopped here), then quiet again; the share is the busy rate over the mean of
    the two quiet ones of this run (the first is the fresh index's own semantic phase)."""
    hogs = [subprocess.Popen([sys.executable, "-c", _BUSY_LOOP]) for _ in range(BUSY_PROCESSES)]
    try:
        busy_n, busy_s = continue_semantic(source, index, seconds)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    after_n, after_s = continue_semantic(source, index, seconds)
    busy = busy_n / max(busy_s, 1e-9)
    after = after_n / max(after_s, 1e-9)
    quiet = (quiet_rate + after) / 2 if after_n else quiet_rate
    log(f"semantic phase with {BUSY_PROCESSES} busy processes: {busy_n} passages in "
        f"{busy_s:.1f} s ({busy:.1f}/s); quiet again: {after:.1f}/s; share "
        f"{busy / max(quiet, 1e-9):.0%} of the quiet rate")
    return {"busy_passages": float(busy_n), "busy_passages_per_s": busy,
            "quiet_after_passages_per_s": after, "busy_share": busy / max(quiet, 1e-9)}


def measure_encoder(index: Path, log: Callable[[str], None], sample: int = 384,
                    repeats: int = 3) -> float:
    """Both models alone, in this process, on a sample of the passages just encoded: the median
    rate of `repeats` passes (one short pass is at the mercy of a noisy neighbour)."""
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    rows = conn.execute("SELECT f.title, p.text FROM vectors v JOIN passages p "
                        "ON p.id = v.passage_id JOIN files f ON f.id = p.file_id").fetchall()
    conn.close()
    rng = random.Random(0)
    texts = [passage_input(t, x) for t, x in rng.sample(rows, min(sample, len(rows)))]
    if not texts:
        return 0.0
    encoder = PassageEncoder()
    encoder.encode(texts[:4])  # warm up
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        encoder.encode(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    encoder.close()
    rate = float(np.median(rates))
    log(f"encoders alone: {rate:.1f} passages/s (median of {repeats} passes: "
        f"{', '.join(f'{r:.1f}' for r in rates)}) on {len(texts)} of the same passages")
    return rate


# -- queries -----------------------------------------------------------------------------------

def tree_queries(index: Path, n: int, seed: int = 0) -> list[str]:
    """Queries made of 2-6 consecutive words from random passages of the corpus."""
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    texts = [r[0] for r in conn.execute(
        "SELECT text FROM passages WHERE length(text) > 200 ORDER BY id")]
    conn.close()
    rng = random.Random(seed)
    out: list[str] = []
    while texts and len(out) < n:
        words = [w for w in rng.choice(texts).split() if w.isalpha() and len(w) > 2]
        if len(words) >= 8:
            i = rng.randrange(0, len(words) - 6)
            out.append(" ".join(words[i:i + rng.randint(2, 6)]))
    return out


def percentiles(samples: list[float]) -> dict[str, float]:
    a = np.asarray(samples)
    return {"p50": round(float(np.percentile(a, 50)), 2),
            "p95": round(float(np.percentile(a, 95)), 2)}


def measure_latency(index: Path, queries: Sequence[str], log: Callable[[str], None]
                    ) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    with Engine.open(index) as engine:
        engine.search(queries[0], k=10)  # models and derived indexes loaded: steady state
        for mode in OUR_MODES:
            lat = []
            for q in queries:
                started = time.perf_counter()
                engine.search(literal_query(q), k=10, mode=mode)
                lat.append((time.perf_counter() - started) * 1000)
            out[mode] = percentiles(lat)
            log(f"{mode}: p50 {out[mode]['p50']} ms, p95 {out[mode]['p95']} ms")
        encoder = engine.searcher.encoder
        out.update(_peer_latency(index, queries, encoder, log))
    return out


def _peer_latency(index: Path, queries: Sequence[str], encoder, log: Callable[[str], None]  # type: ignore[no-untyped-def]
                  ) -> dict[str, dict[str, float]]:
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    out: dict[str, dict[str, float]] = {}

    def fts(q: str, k: int) -> list[tuple[int, float]]:
        expr = lexical.match_expression(literal_query(q))
        return lexical.keyword_search(conn, expr, k) if expr else []

    lat = []
    for q in queries:
        started = time.perf_counter()
        fts(q, 10)
        lat.append((time.perf_counter() - started) * 1000)
    out["fts5"] = percentiles(lat)
    log(f"fts5 alone: p50 {out['fts5']['p50']} ms, p95 {out['fts5']['p95']} ms")

    pids, texts = [], []
    for pid, text in conn.execute("SELECT id, text FROM passages ORDER BY id"):
        pids.append(pid)
        texts.append(text)
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False),
                    show_progress=False)
    del texts
    lat = []
    for q in queries:
        started = time.perf_counter()
        tokens = bm25s.tokenize([q], stopwords="en", show_progress=False)
        if tokens.ids and tokens.ids[0]:
            retriever.retrieve(tokens, k=10, show_progress=False)
        lat.append((time.perf_counter() - started) * 1000)
    out["bm25s"] = percentiles(lat)
    log(f"bm25s: p50 {out['bm25s']['p50']} ms, p95 {out['bm25s']['p95']} ms")
    del retriever

    rows = conn.execute("SELECT passage_id, dense, scale FROM vectors ORDER BY passage_id")
    vec_pids, matrix = [], []
    for pid, blob, scale in rows:
        vec_pids.append(pid)
        matrix.append(np.frombuffer(blob, dtype=np.int8).astype(np.float32) * scale)
    full = np.stack(matrix) if matrix else np.zeros((0, 384), np.float32)
    del matrix
    ids = np.asarray(vec_pids)
    lat = []
    for q in queries:
        started = time.perf_counter()
        vector = encoder.dense(q)
        scores = full @ vector
        top = np.argpartition(-scores, min(100, len(scores) - 1))[:100]
        fused: dict[int, float] = {}
        for rank, i in enumerate(top[np.argsort(-scores[top])], 1):
            fused[int(ids[i])] = 1 / (60 + rank)
        for rank, (pid, _) in enumerate(fts(q, 100), 1):
            fused[pid] = fused.get(pid, 0.0) + 1 / (60 + rank)
        sorted(fused.items(), key=lambda kv: -kv[1])[:10]
        lat.append((time.perf_counter() - started) * 1000)
    out["dense-fp32-rrf"] = percentiles(lat)
    log(f"dense-fp32-rrf: p50 {out['dense-fp32-rrf']['p50']} ms, "
        f"p95 {out['dense-fp32-rrf']['p95']} ms")
    conn.close()
    return out


# -- opening, memory, size -----------------------------------------------------------------------

_PROBE = """
import gc, json, sys, time
import psutil
from core.api import Engine
index, queries = sys.argv[1], json.loads(sys.argv[2])
started = time.perf_counter()
engine = Engine.open(index)
engine.search(queries[0], k=10)
first = time.perf_counter() - started
for q in queries[1:]:
    for mode in ("keyword", "sparse", "dense", "hybrid", "hybrid-prf"):
        engine.search(q, k=10, mode=mode)
gc.collect()
time.sleep(1)
print(json.dumps({"first_query_s": first, "idle_rss": psutil.Process().memory_info().rss}))
"""


def measure_open_and_idle(index: Path, queries: Sequence[str]) -> tuple[float, float]:
    """In a fresh process: seconds from opening the index to the first result (models load
    then), and resident memory once searches of every mode have run (MB). Median of 3."""
    firsts, idles = [], []
    for _ in range(3):
        run = subprocess.run([sys.executable, "-c", _PROBE, str(index),
                              json.dumps(list(queries[:10]))], capture_output=True, text=True,
                             timeout=600, check=True)
        data = json.loads(run.stdout.strip().splitlines()[-1])
        firsts.append(data["first_query_s"])
        idles.append(data["idle_rss"] / 2**20)
    return float(np.median(firsts)), float(np.median(idles))


def measure_size(index: Path) -> tuple[int, dict[str, float]]:
    total = sum(p.stat().st_size for p in index.rglob("*") if p.is_file())
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    passages, text_bytes = conn.execute(
        "SELECT count(*), COALESCE(SUM(length(CAST(text AS BLOB))), 0) FROM passages").fetchone()
    conn.close()
    n = max(passages, 1)
    return passages, {"total": round(total / n, 1),
                      "without_text": round((total - text_bytes) / n, 1)}


TEXT_PART = "stored passage text (inside the passages table)"
# SQLite tables (and their indexes) by the part of the index they hold, for measure_parts.
_TABLE_PARTS = (("passages_fts", "FTS5 keyword index"),
                ("vectors", "vectors: int8 dense + sparse levels (SQLite)"),
                ("passages", "passages: text, offsets, hashes"),
                ("files", "files"))


def measure_parts(index: Path) -> dict[str, int]:
    """Bytes on disk by part: SQLite tables grouped by purpose (dbstat), the stored passage
    text within them, the posting segments and the dense graph."""
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    parts: dict[str, int] = {}
    try:
        rows = conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall()
    except sqlite3.OperationalError:  # SQLite built without dbstat
        rows = []
    tables = {name: tbl for name, tbl in conn.execute(
        "SELECT name, tbl_name FROM sqlite_schema WHERE name IS NOT NULL")}
    for name, size in rows:
        table = tables.get(name, name)
        label = next((lab for prefix, lab in _TABLE_PARTS if table.startswith(prefix)),
                     "other SQLite (roots, meta, queues, free pages)")
        parts[label] = parts.get(label, 0) + int(size)
    parts[TEXT_PART] = int(conn.execute(
        "SELECT COALESCE(SUM(length(CAST(text AS BLOB))), 0) FROM passages").fetchone()[0])
    conn.close()
    for path in index.iterdir():
        if path.name.startswith("catalog.sqlite-"):
            label = "SQLite write-ahead log"
        elif path.name.startswith("postings."):
            label = "sparse postings (memory-mapped segments)"
        elif path.name.startswith("dense."):
            label = "dense binary graph (USearch)"
        else:
            continue
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        parts[label] = parts.get(label, 0) + sum(p.stat().st_size for p in files)
    return parts


def build_record(index: Path) -> dict:
    """What bench/timed_index.py recorded while building this index, if it did."""
    record = index.with_name(index.name + ".build.json")
    return json.loads(record.read_text()) if record.exists() else {}


# -- polite indexing -------------------------------------------------------------------------------

def _foreground_task() -> float:
    """A fixed piece of the user's own work (single-threaded CPU): seconds it takes."""
    import hashlib
    data = b"x" * (64 * 2**20)
    started = time.perf_counter()
    for _ in range(6):
        hashlib.sha256(data).digest()
    return time.perf_counter() - started


def measure_polite(source: Path, work: Path, log: Callable[[str], None],
                   seconds: float = 25.0) -> dict[str, float]:
    """What the user's own work costs while Spyglass indexes, at normal and at low priority,
    and what low priority costs the indexer."""
    alone = float(np.median([_foreground_task() for _ in range(3)]))
    out = {"foreground_alone_s": alone}
    for label, flags in (("normal", []), ("low_priority", ["--low-priority"])):
        index = work / f"polite-{label}"
        proc = subprocess.Popen([*COMMAND, "--index", str(index),
                                 "index", str(source), "--quiet", *flags],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(4)  # past start-up, into extraction and encoding
        started = time.monotonic()
        runs = []
        while time.monotonic() - started < seconds:
            runs.append(_foreground_task())
        progress = _indexed_units(index)
        proc.kill()
        proc.wait()
        out[f"foreground_{label}_s"] = float(np.median(runs))
        out[f"foreground_{label}_slowdown"] = out[f"foreground_{label}_s"] / alone
        out[f"indexer_{label}_units"] = float(progress)
        log(f"foreground work while indexing at {label} priority: "
            f"{out[f'foreground_{label}_slowdown']:.2f}x its time alone; the indexer did "
            f"{progress} files+passages meanwhile")
    return out


def _indexed_units(index: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
        files = conn.execute("SELECT count(*) FROM files WHERE state != 'pending'").fetchone()[0]
        vectors = conn.execute("SELECT count(*) FROM vectors").fetchone()[0]
        conn.close()
        return int(files + vectors)
    except sqlite3.Error:
        return 0


def temp_work() -> Path:
    return Path(tempfile.mkdtemp(prefix="spyglass-bench-"))
