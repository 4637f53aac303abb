"""Choosing the sparse (related-terms) model: an index is never searched with vectors of two
models; a change of sparse model alone re-encodes the sparse side and keeps the dense one."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from app.entry import CLI_COMMANDS
from core import cli
from core.api import Engine, IndexOptions
from core.encode.manifest import model_digest, sparse_models
from core.evaluation.runner import run_collection
from core.model_choice import index_models
from core.resources import models_dir
from core.store.catalog import Catalog
from core.store.index_models import IndexModels, stored_models
from tests.conftest import REPO, SPYGLASS
from tests.docs import TOPICS, write_topics
from tests.test_eval import _write_collection


def _vectors(index: Path) -> dict[bytes, tuple[bytes, bytes]]:
    """Passage text hash -> (dense blob, sparse blob)."""
    cat = Catalog(index)
    try:
        return {h: (d, s) for h, d, s in cat.conn.execute(
            "SELECT p.hash, v.dense, v.sparse FROM vectors v JOIN passages p "
            "ON p.id = v.passage_id")}
    finally:
        cat.close()


@pytest.fixture
def two_sparse_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A copy of the shipped models with a second sparse entry, "sparse-copy", whose .onnx file
    differs in bytes (an unknown protobuf field appended, which onnxruntime ignores) but not in
    weights: a different model file as far as the index can tell."""
    resources = tmp_path / "resources"
    shutil.copytree(models_dir(), resources / "models")
    folder = resources / "models"
    manifest = json.loads((folder / "manifest.json").read_text())
    default = manifest["models"]["sparse"]
    data = (folder / default["file"]).read_bytes() + bytes([0x9A, 0x06, 4]) + b"copy"
    (folder / "sparse-copy.onnx").write_bytes(data)
    manifest["files"]["sparse-copy.onnx"] = {"sha256": hashlib.sha256(data).hexdigest(),
                                             "size": len(data)}
    manifest["models"]["sparse-copy"] = {**default, "file": "sparse-copy.onnx",
                                         "title": "A byte-different copy"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("SPYGLASS_RESOURCES", str(resources))
    return "sparse-copy"


def test_changing_the_sparse_model_reencodes_only_the_sparse_side(
        tmp_path: Path, two_sparse_models: str) -> None:
    assert list(sparse_models()) == ["sparse", two_sparse_models]  # the default first
    assert model_digest(two_sparse_models) != model_digest("sparse")
    docs = write_topics(tmp_path / "docs")
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        first = engine.index([docs])
        assert first.encoded == len(TOPICS) and first.resparsed == 0
        assert engine.status().sparse_model == "sparse"
        before = _vectors(index)

        switched = engine.index(options=IndexOptions(sparse_model=two_sparse_models))
        assert (switched.encoded, switched.resparsed) == (len(TOPICS), len(TOPICS))
        assert engine.status().sparse_model == two_sparse_models
        after = _vectors(index)
        assert after.keys() == before.keys()
        # the dense side was kept, byte for byte; the sparse side came from the new file (the
        # same weights, so the same expansion: the re-encode itself changed nothing else)
        assert all(after[h] == before[h] for h in before)
        cat = Catalog(index)
        assert cat.conn.execute("SELECT count(*) FROM kept_dense").fetchone()[0] == 0
        cat.close()
        hits = engine.search("patio", k=3, mode="sparse").hits
        assert hits and Path(hits[0].path).name == "garden.txt"

        again = engine.index(options=IndexOptions(sparse_model=two_sparse_models))
        assert again.encoded == 0  # nothing changed: nothing re-encoded


def test_a_setting_naming_a_model_that_does_not_ship_falls_back_to_the_default(
        tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    with Engine.open(tmp_path / "index", IndexOptions(sparse_model="gone")) as engine:
        engine.index([docs])
        assert engine.status().sparse_model == "sparse"
        assert engine.search("patio", k=3, mode="sparse").hits


def _indexed_with_models_record(tmp_path: Path, record: str) -> tuple[Path, IndexModels | None]:
    """The topics indexed, then the catalog's record of its models replaced by `record`;
    returns the index and how the record now reads."""
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.index([write_topics(tmp_path / "docs")])
    cat = Catalog(index)
    with cat.transaction():
        cat.set_meta("models", record)
    stored = stored_models(cat)
    cat.close()
    return index, stored


def test_indexes_from_before_the_choice_keep_their_vectors(tmp_path: Path) -> None:
    # what an index written by the previous release holds
    index, stored = _indexed_with_models_record(tmp_path, "570fe6ebddd0f17d")
    # the shipped files are those of that release, so nothing needs encoding again
    assert stored == index_models()
    with Engine.open(index) as engine:
        assert engine.index().encoded == 0


def test_unreadable_model_record_reencodes_everything(tmp_path: Path) -> None:
    index, stored = _indexed_with_models_record(tmp_path, "not json")
    assert stored == IndexModels("unknown", "unknown", "unknown")
    with Engine.open(index) as engine:
        report = engine.index()
        assert (report.encoded, report.resparsed) == (len(TOPICS), 0)


def test_cli_lists_models_and_refuses_an_unknown_one(tmp_path: Path, capsys) -> None:
    # the `spyglass` program sends every subcommand to the command line, not the window
    assert {*cli.COMMANDS, *cli.STANDALONE} == CLI_COMMANDS
    listed = subprocess.run([*SPYGLASS, "models"], capture_output=True, text=True, timeout=120,
                            cwd=REPO)
    assert listed.returncode == 0 and "\n  sparse: " in listed.stdout, listed.stderr
    assert cli.main(["models"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("meaning:\n  dense: ") and "\n  multilingual: " in out
    assert "\nrelated terms:\n  sparse: " in out
    docs = write_topics(tmp_path / "docs")
    code = cli.main(["--index", str(tmp_path / "index"), "index", "--sparse-model", "nope",
                     str(docs)])
    assert code == cli.EXIT_USAGE
    assert "spyglass models" in capsys.readouterr().err


def test_eval_of_another_sparse_model_encodes_only_its_sparse_side(
        tmp_path: Path, two_sparse_models: str) -> None:
    data = _write_collection(tmp_path / "mini")
    cache = tmp_path / "cache"
    default = run_collection(data, ("sparse",), cache)
    assert (default.sparse_model, default.encoded, default.resparsed) == \
        ("sparse", len(TOPICS), 0)
    other = run_collection(data, ("sparse",), cache, sparse_model=two_sparse_models)
    assert (other.sparse_model, other.encoded, other.resparsed) == \
        (two_sparse_models, len(TOPICS), len(TOPICS))
    assert other.modes["sparse"].metrics == default.modes["sparse"].metrics  # same weights
    assert 0 < other.postings_per_passage == default.postings_per_passage <= 128
    assert other.passages == default.passages  # the copy forgot the sibling's folder
    assert len(list(cache.iterdir())) == 2  # the default's index is still there, untouched
    assert run_collection(data, ("sparse",), cache).encoded == 0
