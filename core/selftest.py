"""`spyglass --selftest`: index the bundled sample folder into a temporary index and check that
keyword, semantic and hybrid searches put the expected document first."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from core.api import Engine
from core.indexer import IndexOptions
from core.resources import resources_dir

# (mode, query, expected first file). The semantic queries share no content word with their
# document: only meaning connects them.
CHECKS = (
    ("keyword", "lighthouse lenses", "lighthouse-keepers.md"),
    ("keyword", '"lost luggage"', "travel-insurance.docx"),
    ("dense", "falling ill during a holiday overseas", "travel-insurance.docx"),
    ("dense", "baking bread with wild yeast", "sourdough.txt"),
    ("hybrid", "company earnings went up", "quarterly-report.html"),
    ("hybrid-prf", "staying safe on a trek", "hiking-safety.pdf"),
    ("sparse", "exception", "python-exceptions.rst"),
)


class SelftestFailed(Exception):
    pass


def run_selftest(out: TextIO = sys.stdout) -> float:
    """Raise SelftestFailed with the reason, or return the total seconds taken."""
    sample = resources_dir() / "sample"
    if not sample.is_dir():
        raise SelftestFailed(f"the sample folder is missing: {sample}")
    expected_files = sorted(p.name for p in sample.iterdir() if p.is_file())
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="spyglass-selftest-"))
    try:
        with Engine.open(tmp / "index", IndexOptions(workers=1)) as engine:
            t0 = time.perf_counter()
            report = engine.index([sample])
            index_s = time.perf_counter() - t0
            status = engine.status()
            if status.files["indexed"] != len(expected_files) or status.files["failed"]:
                raise SelftestFailed(f"indexed {status.files['indexed']} of "
                                     f"{len(expected_files)} sample files; failed: "
                                     f"{status.failed_files}")
            print(f"indexed {len(expected_files)} files ({report.encoded} passages encoded) "
                  f"in {index_s:.2f} s", file=out)
            for mode, query, expected in CHECKS:
                t0 = time.perf_counter()
                hits = engine.search(query, k=3, mode=mode).hits
                ms = (time.perf_counter() - t0) * 1000
                first = Path(hits[0].path).name if hits else "no results"
                if first != expected:
                    raise SelftestFailed(f"{mode} search {query!r}: expected {expected}, "
                                         f"got {first}")
                print(f"  {mode:<10} {query!r:<42} -> {first}  ({ms:.0f} ms)", file=out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return time.perf_counter() - started
