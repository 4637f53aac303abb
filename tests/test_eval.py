"""`spyglass eval` end to end on a small BEIR-layout collection written by the test."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from core import cli
from core.evaluation import metrics
from core.evaluation.beir import Collection
from core.evaluation.metrics import evaluate, missing_eval_packages
from tests.conftest import REPO, SPYGLASS
from tests.docs import TOPICS
from tests.test_semantic import PARAPHRASES


def _write_collection(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "qrels").mkdir()
    with open(folder / "corpus.jsonl", "w") as f:
        for name, text in TOPICS.items():
            title, body = text.split("\n\n", 1)
            f.write(json.dumps({"_id": name.removesuffix(".txt"), "title": title,
                                "text": body}) + "\n")
    with open(folder / "queries.jsonl", "w") as f, open(folder / "qrels" / "test.tsv", "w") as q:
        q.write("query-id\tcorpus-id\tscore\n")
        for i, (query, name) in enumerate(sorted(PARAPHRASES.items())):
            f.write(json.dumps({"_id": f"q{i}", "text": query}) + "\n")
            q.write(f"q{i}\t{name.removesuffix('.txt')}\t1\n")
        f.write(json.dumps({"_id": "unjudged", "text": "not in the qrels"}) + "\n")
    return folder


def test_metrics_follow_beir_conventions() -> None:
    qrels = {"a": {"d1": 1}, "b": {"d2": 1}}
    scores = evaluate(qrels, {"a": {"d1": 2.0, "d3": 1.0}})  # b has no results: it scores 0
    assert scores["ndcg@10"] == 0.5 and scores["mrr@10"] == 0.5 and scores["recall@100"] == 0.5


def test_eval_command_on_a_small_collection(tmp_path: Path) -> None:
    data = _write_collection(tmp_path / "mini")
    assert len(Collection.load(data).queries) == len(PARAPHRASES)  # the unjudged one is left out
    cmd = [*SPYGLASS, "eval", str(data), "--json",
           "--cache", str(tmp_path / "cache"), "--results", str(tmp_path / "results")]
    first = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["dataset"] == "mini" and report["queries"] == len(PARAPHRASES)
    assert set(report["modes"]) == {"bm25", "sparse", "sparse-siamese", "dense-exact", "dense",
                                    "hybrid", "hybrid-prf"}
    assert report["index"]["encoded_now"] == len(TOPICS)
    # Paraphrases share no word with their documents: meaning wins, words alone cannot.
    assert report["modes"]["dense"]["ndcg@10"] > 0.9
    assert report["modes"]["hybrid-prf"]["ndcg@10"] > report["modes"]["bm25"]["ndcg@10"]
    table = (tmp_path / "results" / "quality-mini.md").read_text()
    assert "| hybrid-prf |" in table
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=REPO)
    assert json.loads(second.stdout)["index"]["encoded_now"] == 0  # cached by content hash
    assert json.loads(second.stdout)["modes"] == report["modes"]


def test_eval_checks_its_extra_before_indexing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Without the extra, `spyglass eval` stops at once with a usage error naming what is
    missing: no index is built first (that took minutes on a real collection)."""
    assert missing_eval_packages() == []  # the test environment has the extra
    data = _write_collection(tmp_path / "mini")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # the default cache
    monkeypatch.setattr(metrics, "EVAL_EXTRA_MODULES",
                        {**metrics.EVAL_EXTRA_MODULES, "no_such_module_x": "no-such-package-x"})
    for cache in ([], ["--cache", str(tmp_path / "cache")]):
        code = cli.main(["eval", str(data), "--mode", "bm25", *cache,
                         "--results", str(tmp_path / "results")])
        err = capsys.readouterr().err
        assert code == cli.EXIT_USAGE
        assert "needs the eval extra" in err and "no-such-package-x is not installed" in err
        assert "pip install -e '.[eval]'" in err
    assert not (tmp_path / "cache").exists() and not (tmp_path / "xdg-cache").exists()
    assert not (tmp_path / "results").exists() and not (tmp_path / "default-index").exists()
