"""`spyglass --selftest`: index the bundled sample folder into a temporary index and check that
keyword, semantic and hybrid searches put the expected document first, a scanned receipt is
found by the words OCR read in it, and a letter inside a zip by its own words. Then a second
sample, documents in five languages: the index must choose the multilingual model by itself,
find Chinese and Japanese words by keyword, and documents in one language from queries in
another."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

from core.api import Engine
from core.encode.manifest import MULTILINGUAL_DENSE
from core.indexer import IndexOptions
from core.pathcodec import shown_path
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
    ("keyword", "brass ship lanterns", "scanned-receipt.png"),
    ("hybrid", "mooring buoys drifted", "letters.zip//letters/harbour-master.txt"),
)
# In resources/sample-languages (Chinese, German, Arabic, Japanese and English documents).
LANGUAGE_CHECKS = (
    ("keyword", "普洱茶", "chaye.txt"),
    ("keyword", "露天風呂", "onsen.txt"),
    ("dense", "brewing tea in a clay teapot", "chaye.txt"),
    ("dense", "repairing a punctured bike tyre", "fahrrad.txt"),
    ("hybrid", "Bienen im Garten halten", "beekeeping.txt"),
    ("hybrid-prf", "تربية نحل العسل", "beekeeping.txt"),
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
            # Every sample file is indexed, and so is the letter inside letters.zip.
            if status.files["indexed"] != len(expected_files) + 1 or status.files["failed"] \
                    or status.files["skipped"]:
                raise SelftestFailed(f"indexed {status.files['indexed']} of "
                                     f"{len(expected_files) + 1} sample documents; failed: "
                                     f"{status.failed_files}; skipped: {status.skipped_files}")
            print(f"indexed {len(expected_files)} files ({report.encoded} passages encoded, "
                  f"{report.ocr_pages} page read by OCR) in {index_s:.2f} s", file=out)
            _search_checks(engine, sample, CHECKS, out)
        languages = resources_dir() / "sample-languages"
        with Engine.open(tmp / "languages", IndexOptions(workers=1)) as engine:
            engine.index([languages])
            model = engine.status().dense_model
            if model != MULTILINGUAL_DENSE:
                raise SelftestFailed(f"documents in five languages were encoded with the {model} "
                                     "model, not the multilingual one")
            print(f"documents in five languages: the index chose the {model} model", file=out)
            _search_checks(engine, languages, LANGUAGE_CHECKS, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return time.perf_counter() - started


def _search_checks(engine: Engine, folder: Path, checks: tuple[tuple[str, str, str], ...],
                   out: TextIO) -> None:
    for mode, query, expected in checks:
        t0 = time.perf_counter()
        hits = engine.search(query, k=3, mode=mode).hits
        ms = (time.perf_counter() - t0) * 1000
        first = hits[0].path.replace(str(folder) + "/", "") if hits else "no results"
        if first != expected:
            raise SelftestFailed(f"{mode} search {query!r}: expected {expected}, got {first}")
        print(f"  {mode:<10} {query!r:<42} -> {shown_path(first)}  ({ms:.0f} ms)", file=out)
