"""Every real-world document in ../shared/corpora/formats is indexed or reported with a reason."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from core.pathcodec import split_member
from tests.conftest import FORMATS, REPO, SPYGLASS


def test_formats_corpus_is_fully_accounted_for(tmp_path: Path) -> None:
    on_disk = {str(p.resolve()) for p in FORMATS.rglob("*") if p.is_file()}
    assert len(on_disk) > 400
    index = tmp_path / "index"
    # Extraction is what is tested here: the semantic phase would only add minutes of the same
    # encoder calls (tests/test_privacy.py and tests/test_semantic.py run the models).
    run = subprocess.run([*SPYGLASS, "--index", str(index), "index",
                          str(FORMATS.resolve()), "--keyword-only", "--quiet"],
                         capture_output=True, text=True, timeout=600, cwd=REPO)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    status = json.loads(subprocess.run(
        [*SPYGLASS, "--index", str(index), "status", "--json"],
        capture_output=True, text=True, timeout=120, cwd=REPO).stdout)
    files = status["files"]
    assert files["pending"] == files["keyword_only"]  # nothing left to extract
    # Archives and messages add their members and attachments as documents of their own.
    conn = sqlite3.connect(index / "catalog.sqlite")
    on_disk_rows, member_rows = conn.execute(
        "SELECT sum(parent_id IS NULL), sum(parent_id IS NOT NULL) FROM files").fetchone()
    conn.close()
    assert on_disk_rows == len(on_disk)
    assert files["indexed"] + files["failed"] + files["skipped"] == len(on_disk) + member_rows
    reported = {f["path"] for f in status["failed_files"] + status["skipped_files"]}
    assert len(reported) == files["failed"] + files["skipped"]
    assert all(f["reason"].strip() for f in status["failed_files"] + status["skipped_files"])
    assert {split_member(p)[0] for p in reported} <= on_disk
    assert files["indexed"] > 250  # most of the corpus has readable text
    assert status["passages"] > 1000
