"""SIGKILL the indexer 20 times during one indexing run: after every kill the index is
consistent, and the finished index equals one built without interruption."""

from __future__ import annotations

from pathlib import Path

from core.reliability import scans
from core.reliability.crash import run_harness
from tests.docs import write_corpus


def test_twenty_kills_lose_nothing(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", files=400, paragraphs=2)
    for n in range(4):  # scans: the OCR phase is killed too
        scans.text_page(40 + n, dpi=200)[0].save(docs / f"scan-{n}.png")
    report = run_harness(docs, tmp_path, kills=20, seed=1)
    assert len(report.kills) == 20
    phases = {k.phase for k in report.kills}
    assert {"keyword", "semantic", "ocr"} <= phases, phases  # kills landed in every phase
    assert report.final["ocr_pages"] == 4 and report.final["ocr_waiting"] == 0
    assert max(k.vectors for k in report.kills) > 0  # and after encoding had started
    for kill in report.kills:
        assert kill.problems == [], f"kill {kill.number}: {kill.problems}"
        assert kill.orphans == 0, f"kill {kill.number}: extraction workers outlived the indexer"
    assert report.final_problems == []
    assert report.final == report.reference
    assert report.result_mismatches == []
    assert report.data_lost == 0
