"""`spyglass doctor` on real indexes damaged on purpose."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from core.api import Engine
from core.store.catalog import Catalog
from core.store.consistency import check
from tests.conftest import REPO, SPYGLASS
from tests.docs import write_topics


def _doctor(index: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*SPYGLASS, "--index", str(index), "doctor",
                           *args], capture_output=True, text=True, timeout=300, cwd=REPO)


def test_doctor_repairs_a_damaged_index(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.index([docs])
    assert check(Catalog(index)).findings == []

    cat = Catalog(index)
    with cat.transaction():
        # An indexed file loses a vector, the keyword index loses its data, a count goes wrong.
        cat.conn.execute("DELETE FROM vectors WHERE passage_id = (SELECT MIN(id) FROM passages)")
        cat.conn.execute("DELETE FROM passages_fts_data WHERE id > 1")
        cat.conn.execute("UPDATE files SET n_passages = 7 WHERE id = (SELECT MAX(id) FROM files)")
    cat.close()
    for graph in index.glob("dense.*.usearch"):
        graph.write_bytes(b"not a usearch index" * 100)

    report = json.loads(_doctor(index, "--check-only", "--json").stdout)
    problems = " / ".join(f["problem"] for f in report["findings"])
    assert not report["ok"] and "keyword index" in problems and "without vectors" in problems
    assert "passage count" in problems

    fixed = _doctor(index)
    assert fixed.returncode == 0 and "index OK" in fixed.stdout, fixed.stdout + fixed.stderr
    with Engine.open(index) as engine:
        report = engine.index()  # the requeued passage is encoded again, and only that one
        assert report.encoded == 1
        assert check(Catalog(index)).findings == []
        hits = engine.search("fixing a car that will not stop", k=1).hits
        assert hits and hits[0].path.endswith("car.txt")
        assert engine.search("sourdough", k=1, mode="keyword").hits


def test_doctor_drops_passages_nothing_owns(tmp_path: Path) -> None:
    """A failed file that still holds passages, and passages whose file row is gone: the file
    owning the newest vectors, so that dropping them leaves the old search indexes ahead of the
    catalog until the repair rebuilds them."""
    docs = write_topics(tmp_path / "docs")
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.index([docs])
    cat = Catalog(index)
    last = cat.conn.execute("SELECT p.file_id FROM vectors v JOIN passages p "
                            "ON p.id = v.passage_id ORDER BY v.seq DESC LIMIT 1").fetchone()[0]
    first = cat.conn.execute("SELECT MIN(id) FROM files WHERE id != ?", (last,)).fetchone()[0]
    cat.conn.execute("PRAGMA foreign_keys = OFF")  # as a damaged or foreign-written file might
    with cat.transaction():
        cat.conn.execute("UPDATE files SET state = 'failed' WHERE id = ?", (first,))
        cat.conn.execute("DELETE FROM files WHERE id = ?", (last,))
    problems = {f.problem for f in check(cat).findings}
    assert problems == {"failed or skipped files still hold passages",
                        "passages of files that no longer exist"}
    cat.conn.execute("PRAGMA foreign_keys = ON")
    report = check(cat, repair=True)
    assert report.ok and len(report.findings) == 2
    assert check(cat).findings == []
    assert cat.conn.execute("SELECT count(*) FROM passages WHERE file_id IN (?, ?)",
                            (first, last)).fetchone()[0] == 0
