"""Incremental and resumable indexing, through the real CLI where it matters."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from core.api import Engine
from tests.conftest import SPYGLASS
from tests.docs import write_corpus, write_topics

REPO = Path(__file__).resolve().parent.parent


def _cli(index: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*SPYGLASS, "--index", str(index), *args], capture_output=True,
                          text=True, timeout=timeout, cwd=REPO)


def _db_counts(index: Path) -> dict[str, int]:
    conn = sqlite3.connect(index / "catalog.sqlite")
    try:
        return {
            "files": conn.execute("SELECT count(*) FROM files").fetchone()[0],
            "indexed": conn.execute(
                "SELECT count(*) FROM files WHERE state = 'indexed'").fetchone()[0],
            "passages": conn.execute("SELECT count(*) FROM passages").fetchone()[0],
            "vectors": conn.execute("SELECT count(*) FROM vectors").fetchone()[0],
        }
    finally:
        conn.close()


def test_modify_delete_rename_reprocesses_only_those(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    with Engine.open(tmp_path / "index") as engine:
        first = engine.index([docs])
        assert first.new == 6 and first.encoded == 6
        (docs / "bread.txt").write_text((docs / "bread.txt").read_text() +
                                        "\n\nAdd walnuts and raisins to the dough.")
        os.utime(docs / "bread.txt", ns=(time.time_ns(), time.time_ns() + 10**9))
        (docs / "taxes.txt").unlink()
        (docs / "garden.txt").rename(docs / "balcony-garden.txt")
        second = engine.index()
        assert (second.changed, second.deleted, second.renamed, second.new) == (1, 1, 1, 0)
        assert second.unchanged == 3
        assert second.extracted == 1  # only the modified file was read again
        assert second.encoded == 1  # and only its changed passage met the models
        gone = engine.search("revenue office deadline salary").hits
        assert gone and all("taxes" not in h.path for h in gone)
        hits = engine.search("tomatoes balcony", k=1).hits
        assert hits and hits[0].path.endswith("balcony-garden.txt")
        hits = engine.search("walnuts raisins", k=1, mode="keyword").hits
        assert hits and hits[0].path.endswith("bread.txt")
        third = engine.index()  # nothing changed: nothing is read or encoded
        assert (third.extracted, third.encoded, third.unchanged) == (0, 0, 5)


def test_touch_without_change_is_not_reprocessed(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    with Engine.open(tmp_path / "index") as engine:
        engine.index([docs])
        os.utime(docs / "car.txt", ns=(time.time_ns(), time.time_ns() + 5 * 10**9))
        report = engine.index()
        assert report.changed == 1 and report.extracted == 0 and report.encoded == 0
        assert engine.status().files["indexed"] == 6


def test_kill_during_indexing_then_resume(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", files=120)
    # Reference: one uninterrupted run.
    ref = tmp_path / "ref"
    done = _cli(ref, "index", str(docs), "--quiet")
    assert done.returncode == 0, done.stderr
    expected = _db_counts(ref)
    assert expected["files"] == 120 and expected["vectors"] == expected["passages"]

    # Interrupted run: SIGKILL once the semantic phase has stored some vectors.
    idx = tmp_path / "idx"
    proc = subprocess.Popen([*SPYGLASS, "--index", str(idx), "index", str(docs), "--quiet"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    killed_at = None
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            counts = _db_counts(idx)
        except sqlite3.Error:
            counts = {"vectors": 0}
        if counts["vectors"] >= expected["passages"] // 4:
            os.kill(proc.pid, signal.SIGKILL)
            killed_at = counts
            break
        time.sleep(0.05)
    proc.wait(timeout=30)
    assert killed_at is not None, "the indexer finished before it could be killed"
    before = _db_counts(idx)
    assert before["vectors"] < expected["passages"]

    conn = sqlite3.connect(idx / "catalog.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    rerun = _cli(idx, "index", "--quiet")
    assert rerun.returncode == 0, rerun.stderr
    # Only what was missing was encoded again.
    encoded = int(rerun.stdout.split("encoded ")[1].split()[0])
    assert encoded == expected["passages"] - before["vectors"]
    assert _db_counts(idx) == expected

    # Same answers as the uninterrupted index.
    for query in ("copper violin harbor", "enzyme receptor", "unique42x"):
        a = json.loads(_cli(ref, "search", query, "--json").stdout)
        b = json.loads(_cli(idx, "search", query, "--json").stdout)
        assert [r["path"] for r in a][:5] == [r["path"] for r in b][:5]


def test_bad_path_and_corrupt_file_give_clear_messages(tmp_path: Path) -> None:
    missing = _cli(tmp_path / "idx", "index", str(tmp_path / "does-not-exist"))
    assert missing.returncode == 2
    assert "no such file or folder" in missing.stderr and "Traceback" not in missing.stderr
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nthis is not")
    (docs / "broken.docx").write_bytes(b"PK\x03\x04 definitely not a zip")
    (docs / "fine.txt").write_text("A perfectly readable note about lighthouses.")
    result = _cli(tmp_path / "idx", "index", str(docs), "--quiet")
    assert result.returncode == 0 and "Traceback" not in result.stderr
    status = json.loads(_cli(tmp_path / "idx", "status", "--json").stdout)
    assert status["files"]["indexed"] == 1 and status["files"]["failed"] == 2
    reasons = {Path(f["path"]).name: f["reason"] for f in status["failed_files"]}
    assert set(reasons) == {"broken.pdf", "broken.docx"} and all(reasons.values())
    bad_index = tmp_path / "a-file"
    bad_index.write_text("not a folder")
    bad = _cli(bad_index, "status")
    assert bad.returncode == 1 and "cannot open the index" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    secret = docs / "secret.txt"
    secret.write_text("Nobody may read this.")
    secret.chmod(0)
    index = tmp_path / "idx"
    # Root reads everything: without its file-permission capabilities it obeys them like a user.
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] \
        if os.geteuid() == 0 else []
    run = subprocess.run([*prefix, *SPYGLASS, "--index", str(index), "index", str(docs),
                          "--quiet"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    status = json.loads(_cli(index, "status", "--json").stdout)
    assert status["files"]["indexed"] == 6
    assert status["failed_files"] == [{"path": str(secret),
                                       "reason": "cannot read the file: Permission denied"}]


def test_missing_vector_index_is_rebuilt(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    with Engine.open(tmp_path / "index") as engine:
        engine.index([docs])
    graphs = list((tmp_path / "index").glob("dense.*.usearch"))
    assert len(graphs) == 1
    graphs[0].unlink()
    with Engine.open(tmp_path / "index") as engine:
        # Searching still works from SQLite alone while the graph is missing ...
        hits = engine.search("fixing a car that will not stop", k=1, mode="dense").hits
        assert hits and hits[0].path.endswith("car.txt")
        report = engine.index()  # ... and the next update rebuilds it
        assert report.encoded == 0
    assert len(list((tmp_path / "index").glob("dense.*.usearch"))) == 1
