"""A full disk and a read-only index folder: a clear message, no corruption, nothing lost."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

from core.api import Engine
from core.store.catalog import Catalog
from core.store.consistency import check
from tests.conftest import REPO, SPYGLASS
from tests.docs import write_corpus, write_topics

# Root ignores file modes; without these capabilities it obeys them like any user.
AS_USER = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"] \
    if os.geteuid() == 0 else []


def _cli(index: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AS_USER, *SPYGLASS, "--index", str(index), *args], capture_output=True,
                          text=True, timeout=300, cwd=REPO)


def test_read_only_index_folder(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.index([docs])
    files = [index, *index.rglob("*")]
    modes = {p: p.stat().st_mode for p in files}
    try:
        for p in files:
            p.chmod(0o500 if p.is_dir() else 0o400)
        found = _cli(index, "search", "fixing a car that will not stop", "--json")
        assert found.returncode == 0, found.stderr  # searching a read-only index works
        assert json.loads(found.stdout)[0]["path"].endswith("car.txt")
        (docs / "new.txt").write_text("A note about quasars and pulsars.")
        refused = _cli(index, "index")
        assert refused.returncode == 1 and "read-only" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    assert check(Catalog(index)).findings == []
    with Engine.open(index) as engine:
        assert engine.index().new == 1  # writable again: nothing was lost, the new file comes in


def test_full_disk(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", files=60, paragraphs=40)  # ~4 MB of text
    reference = tmp_path / "reference"
    ok = subprocess.run([*SPYGLASS, "--index", str(reference), "index", str(docs), "--keyword-only",
                         "--quiet"], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert ok.returncode == 0, ok.stderr
    expected = json.loads(subprocess.run([*SPYGLASS, "--index", str(reference), "status", "--json"],
                                         capture_output=True, text=True, cwd=REPO).stdout)
    disk = tmp_path / "small-disk"
    disk.mkdir()
    index = disk / "index"
    cli = " ".join(shlex.quote(c) for c in SPYGLASS)
    steps = [
        f"mount -t tmpfs -o size=3M tmpfs {disk}",
        f"{cli} --index {index} index {docs} --keyword-only --quiet; echo exit=$? >&2",
        f"{cli} --index {index} doctor --check-only --json > {tmp_path}/check.json",
        f"mount -o remount,size=200M {disk}",  # the user frees some space
        f"{cli} --index {index} index --keyword-only --quiet",
        f"{cli} --index {index} status --json > {tmp_path}/status.json",
    ]
    # A private mount namespace: the small disk exists only for this test's processes.
    unshare = ["unshare", "-m", "--propagation", "private"] if os.geteuid() == 0 else [
        "unshare", "-rm", "--propagation", "private"]
    run = subprocess.run([*unshare, "sh", "-c", " && ".join(steps[:1]) + "; " +
                          "; ".join(steps[1:])], capture_output=True, text=True, timeout=600,
                         cwd=REPO)
    assert "exit=1" in run.stderr, run.stderr
    assert "the disk holding the index is full" in run.stderr
    assert "Traceback" not in run.stderr
    after_full = json.loads((tmp_path / "check.json").read_text())
    assert after_full["ok"] and after_full["findings"] == []  # consistent, some files queued
    assert after_full["queued_files"] > 0
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["files"] == expected["files"] and status["passages"] == expected["passages"]
