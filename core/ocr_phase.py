"""The OCR phase: after the keyword and semantic phases, read the pages that are only pixels.

OCR costs seconds a page, so it comes last: the rest of a folder is searchable first, and a scan
becomes searchable when its pages are read. Every page's result is committed as it arrives (by
content hash: a copy or a renamed scan is never read twice), so a kill loses at most the pages
in flight. When all of a file's pages are read, the file is extracted again with the recognised
text in place of the pixels, and stored like any other document (then the semantic phase runs).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.extract.pool import WorkerPool
from core.ingest import IngestResult, IngestTask, ingest
from core.ocr.task import OcrOutcome, OcrTask, read_page
from core.progress import Progress, RateMeter
from core.store.catalog import Catalog, OcrJob

if TYPE_CHECKING:
    from core.indexer import IndexControl, IndexOptions, IndexReport

OCR_MEMORY_MB = 2048  # the models and one page's tensors (peak ~400 MB) inside the address space
OCR_COMMIT_S = 1.0  # results are committed at least this often


def ocr_worker(task: OcrTask | IngestTask) -> OcrOutcome | IngestResult:
    """One pool runs both jobs: reading a page, and extracting a file with its pages read."""
    return read_page(task) if isinstance(task, OcrTask) else ingest(task)


@dataclass
class _File:
    job: OcrJob
    kind: str  # "pdf" or "image"
    left: set[int]  # pages not read yet


class OcrPhase:
    def __init__(self, catalog: Catalog, options: IndexOptions,
                 store: Callable[[int, str, bool, object, IndexReport], None]) -> None:
        self.catalog = catalog
        self.options = options
        self._store = store  # Indexer._store_result: how an extracted file is saved

    def run(self, emit: Callable[[Progress], None], control: IndexControl,
            report: IndexReport) -> None:
        files = {job.file_id: self._plan(job) for job in self.catalog.ocr_jobs()}
        if not files:
            return
        total = sum(len(f.left) for f in files.values())
        done = failed = 0
        meter = RateMeter()
        pages = deque((fid, page) for fid, f in files.items() for page in sorted(f.left))
        ready = deque(fid for fid, f in files.items() if not f.left)  # every page read before
        in_flight: set[tuple[str, int, int]] = set()
        window = self._processes() * 2
        buffer: list[tuple[tuple[str, int, int], bool, object]] = []
        last_commit = time.monotonic()
        emit(Progress("ocr", 0, total, 0.0, None))
        with WorkerPool(ocr_worker, processes=self._processes(),
                        timeout_s=self.options.ocr_page_timeout_s, memory_mb=OCR_MEMORY_MB,
                        low_priority=self.options.low_priority) as pool:
            while (pages or ready or in_flight) and not control.cancelled:
                if control.paused:
                    self._flush(buffer, files, report)
                    paused = Progress("ocr", done, total, 0.0, None, None, failed, paused=True)
                    control.wait_while_paused(lambda p=paused: emit(p))
                if ready and buffer:
                    self._flush(buffer, files, report)  # the pages' text must be in the catalog
                while ready and not control.paused:
                    fid = ready.popleft()
                    job = files[fid].job
                    texts = {p: t for p, (t, _) in self.catalog.ocr_results(job.hash).items()}
                    in_flight.add(("file", fid, 0))
                    pool.submit(("file", fid, 0),
                                IngestTask(job.path, ocr_text=texts, ocr_hash=job.hash))
                while pages and len(in_flight) < window and not control.paused:
                    fid, page = pages.popleft()
                    f = files[fid]
                    in_flight.add(("page", fid, page))
                    pool.submit(("page", fid, page), OcrTask(
                        f.job.path, f.job.size, f.job.mtime_ns, page, f.kind,
                        self.options.ocr_max_megapixels))
                for result in pool.results(timeout=0.25):
                    in_flight.discard(result.key)
                    buffer.append((result.key, result.ok,
                                   result.value if result.ok else result.error))
                    what, fid, page = result.key
                    if what == "page":
                        f = files[fid]
                        f.left.discard(page)
                        if not f.left:
                            ready.append(fid)
                        done += 1
                        failed += 0 if result.ok else 1
                        meter.add(1)
                        emit(Progress("ocr", done, total, meter.rate(),
                                      meter.eta(total - done), f.job.path, failed))
                    break  # keep the workers fed
                if buffer and time.monotonic() - last_commit > OCR_COMMIT_S:
                    self._flush(buffer, files, report)
                    last_commit = time.monotonic()
            self._flush(buffer, files, report)
        emit(Progress("ocr", done, total, meter.rate(), 0.0, None, failed))

    def _flush(self, buffer: list[tuple[tuple[str, int, int], bool, object]],
               files: dict[int, _File], report: IndexReport) -> None:
        """Commit what came back: page results to the OCR cache, finished files as documents
        (a file's pages are always committed before the file itself: they came back first)."""
        if not buffer:
            return
        with self.catalog.transaction():
            for (what, fid, page), ok, value in buffer:
                job = files[fid].job
                if what == "file":
                    self.catalog.ocr_done(fid)  # before storing: a changed file queues anew
                    self._store(fid, job.path, ok, value, report)
                elif ok:
                    assert isinstance(value, OcrOutcome)
                    self.catalog.store_ocr_page(job.hash, page, value.text, value.note,
                                                value.seconds)
                    report.ocr_pages += 1
                else:
                    self.catalog.store_ocr_page(job.hash, page, "", str(value), 0.0)
                    report.ocr_failed += 1
        buffer.clear()

    def _plan(self, job: OcrJob) -> _File:
        read = self.catalog.ocr_results(job.hash)
        kind = "pdf" if job.format == "pdf" else "image"  # as the keyword phase found it
        return _File(job, kind, {p for p in job.pages if p not in read})

    def _processes(self) -> int:
        from core.encode.models import physical_cores
        return max(1, min(self.options.workers, physical_cores()))
