"""`spyglass bench --ocr`: what reading scans and archives costs, and that nothing goes missing.

One folder of 50 generated scans with known text (image-only PDFs, clean and noisy photos of
pages, skewed and turned pages, screenshots, textless photos) and 20 archives (ordinary ones of
every kind read, and every hostile kind), indexed by the real command line in a child process
whose HOME and TMPDIR are private folders. Measured: processor seconds per page (median, from the
OCR workers), the OCR phase's wall time, peak memory of the largest worker, character error rate
by kind of scan, and whether a sentence from each scan finds it first in keyword and hybrid mode.
Checked: every file, member and page accounted for (searchable, or skipped/failed with a
reason), the documents untouched, HOME and TMPDIR empty afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.benchmark.system import PeakMemory, machine
from core.command import COMMAND
from core.pathcodec import from_db, split_member
from core.reliability import scans
from core.reliability.archives import write_archive_library, write_ordinary_archives

HOSTILE = 10  # write_archive_library's archives (and the old.7z it adds)
WALL_LIMIT_S = 3600


@dataclass
class Scan:
    name: str
    kind: str
    text: str


@dataclass
class OcrBenchResult:
    machine: str = ""
    scans: int = 0
    pages: int = 0
    archives: int = 0
    members: int = 0
    seconds_per_page: float = 0.0  # median processor seconds in an OCR worker
    seconds_per_page_by_kind: dict[str, float] = field(default_factory=dict)
    ocr_wall_s: float = 0.0
    index_wall_s: float = 0.0
    workers: int = 0
    peak_worker_mb: float = 0.0
    peak_total_mb: float = 0.0
    cer_by_kind: dict[str, float] = field(default_factory=dict)  # median per kind, %
    worst_cer_by_kind: dict[str, float] = field(default_factory=dict)  # %
    found: dict[str, str] = field(default_factory=dict)  # mode -> "k of n first"
    unaccounted: list[str] = field(default_factory=list)
    written_outside: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unaccounted or self.written_outside)

    def to_json(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def write_scans(root: Path) -> list[Scan]:
    """The 50 scans (54 pages): known text for each file, by kind."""
    root.mkdir(parents=True)
    out: list[Scan] = []

    def page(seed: int, dpi: int = 300) -> tuple[object, str]:
        return scans.text_page(seed, dpi=dpi)

    seed = 100
    for n in range(16):
        img, text = page(seed := seed + 1, 200)
        scans.save_pdf([img], root / f"scan-{n:02}.pdf", dpi=200)
        out.append(Scan(f"scan-{n:02}.pdf", "image-only PDF, 200 dpi", text))
    for n in range(4):
        (a, ta), (b, tb) = page(seed := seed + 1, 200), page(seed := seed + 1, 200)
        scans.save_pdf([a, b], root / f"letter-{n}.pdf", dpi=200)
        out.append(Scan(f"letter-{n}.pdf", "image-only PDF, 200 dpi", f"{ta}\n\n{tb}"))
    for n in range(8):
        img, text = page(seed := seed + 1)
        img.save(root / f"page-{n}.png")
        out.append(Scan(f"page-{n}.png", "clean 300-dpi PNG", text))
    for n in range(8):
        img, text = page(seed := seed + 1)
        scans.noisy(img, seed).save(root / f"photo-of-page-{n}.jpg", quality=80)
        out.append(Scan(f"photo-of-page-{n}.jpg", "noisy 300-dpi JPEG", text))
    for n, angle in enumerate((2, -3, 90, 180, 270, -2)):
        img, text = page(seed := seed + 1)
        scans.rotated(img, angle).save(root / f"turned-{n}.png")
        out.append(Scan(f"turned-{n}.png", "skewed or turned PNG", text))
    for n in range(6):
        img, text = scans.screenshot(seed := seed + 1)
        img.save(root / f"screenshot-{n}.png")
        out.append(Scan(f"screenshot-{n}.png", "screenshot", text))
    for n in range(2):
        scans.photo(seed := seed + 1).save(root / f"beach-{n}.jpg", quality=85)
        out.append(Scan(f"beach-{n}.jpg", "photo without text", ""))
    return out


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*")}


def run(log: Callable[[str], None] = print) -> OcrBenchResult:
    result = OcrBenchResult(machine=machine())
    work = Path(tempfile.mkdtemp(prefix="spyglass-ocr-bench-"))
    try:
        docs, index, home, tmp = (work / n for n in ("docs", "index", "home", "tmp"))
        home.mkdir()
        tmp.mkdir()
        log("writing 50 scans and 20 archives ...")
        truth = write_scans(docs / "scans")
        write_archive_library(docs / "archives")
        ordinary = write_ordinary_archives(docs / "archives", 20 - HOSTILE)
        result.scans = len(truth)
        result.archives = len(list((docs / "archives").iterdir()))
        before = _snapshot(docs)
        env = {**os.environ, "HOME": str(home), "TMPDIR": str(tmp),
               "SPYGLASS_CONFIG": str(work / "settings.json")}
        log("indexing (keyword, semantic, OCR) ...")
        started = time.monotonic()
        proc = subprocess.Popen([*COMMAND, "--index", str(index), "index", str(docs),
                                 "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, env=env)
        with PeakMemory(proc.pid) as peak:
            out, err = proc.communicate(timeout=WALL_LIMIT_S)
        result.index_wall_s = time.monotonic() - started
        result.workers = _ocr_workers()
        if proc.returncode != 0:
            raise RuntimeError(f"indexing failed ({proc.returncode}): {err[-2000:]}")
        phases = re.search(r"\bocr ([\d.]+) s", out)  # the command's "phases:" line
        result.ocr_wall_s = float(phases.group(1)) if phases else 0.0
        result.peak_worker_mb = peak.peak_child / 2**20
        result.peak_total_mb = peak.peak / 2**20
        _account(result, index, docs)
        _quality(result, index, docs, truth, ordinary, env, log)
        result.written_outside = sorted(
            {k for k in set(before) ^ set(_snapshot(docs))}
            | {k for k, v in _snapshot(docs).items() if before.get(k) not in (None, v)}
            | {f"HOME/{p.name}" for p in home.iterdir()}
            | {f"TMPDIR/{p.name}" for p in tmp.iterdir()})
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _account(result: OcrBenchResult, index: Path, docs: Path) -> None:
    conn = sqlite3.connect(index / "catalog.sqlite")
    try:
        rows = [(from_db(p), s, e) for p, s, e in conn.execute(
            "SELECT path, state, error FROM files")]
        on_disk = {str(p) for p in docs.rglob("*") if p.is_file()}
        listed = {p for p, _, _ in rows}
        result.unaccounted += sorted(on_disk - listed)
        result.unaccounted += [f"{p}: {s} without a reason" for p, s, e in rows
                               if s not in ("indexed", "text") and not (e or "").strip()]
        result.unaccounted += [p for p in listed if split_member(p)[0] not in on_disk]
        result.members = sum(1 for p in listed if split_member(p)[1])
        waiting = conn.execute("SELECT count(*) FROM ocr_queue").fetchone()[0]
        if waiting:
            result.unaccounted.append(f"{waiting} pages still queued for OCR")
        pages = conn.execute("SELECT page, seconds, note FROM ocr_pages").fetchall()
        result.pages = len(pages)
        seconds = [s for _, s, _ in pages if s > 0]
        result.seconds_per_page = statistics.median(seconds) if seconds else 0.0
    finally:
        conn.close()


def _quality(result: OcrBenchResult, index: Path, docs: Path, truth: list[Scan],
             ordinary: dict[str, str], env: dict[str, str], log: Callable[[str], None]) -> None:
    from core.api import Engine

    cer: dict[str, list[float]] = defaultdict(list)
    seconds: dict[str, list[float]] = defaultdict(list)
    found: dict[str, int] = defaultdict(int)
    queries = 0
    with Engine.open(index) as engine:
        conn = engine._catalog.conn
        for scan in truth:
            path = str(docs / "scans" / scan.name)
            for (s,) in conn.execute(
                    "SELECT o.seconds FROM ocr_pages o JOIN files f ON f.hash = o.hash "
                    "WHERE f.path = ?", (path,)):
                seconds[scan.kind].append(s)
            if not scan.text:
                continue
            text = engine.preview_text(path).text if _has_text(conn, path) else ""
            cer[scan.kind].append(scans.cer(scan.text, text))
            sentence = max(scan.text.replace("\n", " ").split(". "), key=len)
            queries += 1
            for mode in ("keyword", "hybrid"):
                hits = engine.search(sentence, k=1, mode=mode).hits
                found[mode] += bool(hits and hits[0].path == path)
        members_found = sum(
            bool((hits := engine.search(s, k=1, mode="keyword").hits)
                 and hits[0].path == f"{docs / 'archives'}/{member}")
            for member, s in ordinary.items())
    result.cer_by_kind = {k: round(statistics.median(v) * 100, 3) for k, v in cer.items()}
    result.worst_cer_by_kind = {k: round(max(v) * 100, 3) for k, v in cer.items()}
    result.seconds_per_page_by_kind = {k: round(statistics.median(v), 2)
                                       for k, v in seconds.items() if v}
    result.found = {mode: f"{found[mode]} of {queries}" for mode in ("keyword", "hybrid")}
    result.found["archive members (keyword)"] = f"{members_found} of {len(ordinary)}"
    log(json.dumps(result.found))


def _ocr_workers() -> int:
    from core.encode.models import physical_cores
    from core.indexer import IndexOptions
    return max(1, min(IndexOptions().workers, physical_cores()))


def _has_text(conn: sqlite3.Connection, path: str) -> bool:
    return conn.execute("SELECT n_passages FROM files WHERE path = ?",
                        (path,)).fetchone()[0] > 0


def markdown(r: OcrBenchResult, command: str) -> str:
    lines = [
        "# OCR and archives", "",
        f"Command: `{command}`  ", f"Machine: {r.machine}", "",
        f"{r.scans} scans ({r.pages} pages) and {r.archives} archives ({r.members} members and "
        "attachments), indexed by the command line (keyword, semantic and OCR phases, "
        f"{r.workers} OCR workers, low priority off).", "",
        "| measure | value |", "|---|---|",
        f"| processor seconds per page, median (OCR worker) | {r.seconds_per_page:.2f} |",
        f"| OCR phase, wall seconds | {r.ocr_wall_s:.1f} |",
        f"| whole index run, wall seconds | {r.index_wall_s:.1f} |",
        f"| peak memory of the largest worker | {r.peak_worker_mb:.0f} MB |",
        f"| peak memory of the whole process tree | {r.peak_total_mb:.0f} MB |",
        f"| files, members or pages unaccounted for | {len(r.unaccounted)} |",
        f"| written outside the index (documents, HOME, TMPDIR) | {len(r.written_outside)} |",
        "", "| kind of scan | median CER % | worst CER % | median s/page |", "|---|---|---|---|"]
    for kind, value in sorted(r.cer_by_kind.items()):
        lines.append(f"| {kind} | {value:.3f} | {r.worst_cer_by_kind.get(kind, 0):.3f} | "
                     f"{r.seconds_per_page_by_kind.get(kind, 0):.2f} |")
    if "photo without text" in r.seconds_per_page_by_kind:
        lines.append(f"| photo without text | (no text) | | "
                     f"{r.seconds_per_page_by_kind['photo without text']:.2f} |")
    lines += ["", "A sentence from each scan, top result:", ""]
    lines += [f"- {mode}: {value}" for mode, value in r.found.items()]
    for title, items in (("Unaccounted", r.unaccounted), ("Written outside", r.written_outside)):
        if items:
            lines += ["", f"{title}:", ""] + [f"- {i}" for i in items[:50]]
    return "\n".join(lines) + "\n"
