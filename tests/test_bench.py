"""`spyglass bench` end to end on a small tree: every figure the performance issue names is there,
plausible, and written to the results folder (the real numbers come from `make bench`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from core.api import Engine
from tests.conftest import REPO, SPYGLASS
from tests.docs import write_corpus

MODES = ("fts5", "bm25s", "dense-fp32-rrf", "sparse", "dense", "hybrid", "hybrid-prf")


def test_bench_tree_json_and_tables(tmp_path: Path) -> None:
    tree = write_corpus(tmp_path / "tree", files=40, paragraphs=3)
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.index([tree])
    results = tmp_path / "results"
    run = subprocess.run(
        [*SPYGLASS, "bench", "--tree", str(tree), "--index", str(index),
         "--queries", "12", "--semantic-seconds", "3", "--no-polite", "--json",
         "--results", str(results)],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    for mode in MODES:
        p50, p95 = report["latency_ms"][mode]["p50"], report["latency_ms"][mode]["p95"]
        assert 0 < p50 <= p95 < 5000, (mode, p50, p95)
    ix = report["indexing"]
    assert ix["keyword_files_per_s"] > 0 and ix["semantic_passages_per_s"] > 0
    assert ix["encoder_passages_per_s"] > 0
    assert 0 < report["memory_mb"]["idle"] <= report["memory_mb"]["peak"] + 1000
    size = report["index_bytes_per_passage"]
    assert 0 < size["without_text"] < size["total"]
    assert report["passages"] >= 40 and report["queries"] == 12
    table = (results / "perf-tree.md").read_text(encoding="utf-8")
    assert "## Targets" in table and "hybrid p50 <= 30 ms" in table
    assert "perf-tree" not in (results / "perf.md").read_text(encoding="utf-8")  # merged body
    assert table.split("\n", 1)[1].strip()[:40] in (results / "perf.md").read_text(
        encoding="utf-8")
