"""scan -> diff -> extract -> chunk -> store text (keyword-searchable) -> encode -> store vectors.

Incremental and resumable: the catalog records every file's state, each batch commits on its own,
and a rerun after a kill picks up exactly the files and passages that are not finished.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from core.encode.manifest import DEFAULT_DENSE, resolve_sparse_model
from core.encode.passages import Cancelled, PassageEncoder
from core.extract.pool import WorkerPool
from core.ingest import IngestResult, IngestTask
from core.members import ARCHIVE_FORMAT, MemberResult, ingest_file
from core.model_choice import ensure_models
from core.ocr_phase import OcrPhase
from core.pathcodec import member_path
from core.progress import Progress, RateMeter
from core.scan import ScannedFile, ScanOptions, is_excluded, scan_root
from core.store.catalog import Catalog, FileRow, NewPassage, Root, VectorRow
from core.store.codec import dense_to_blob, quantize_dense, sparse_to_blob
from core.store.index_models import stored_models
from core.store.sparse_index import publish_sparse_segment
from core.store.vectors import publish_dense_index, stored_dim

ProgressCallback = Callable[[Progress], None]
OCR_NOTE = "text recognised by OCR"  # the preview looks for it in a file's notes

KEYWORD_COMMIT_FILES = 200  # files per transaction in the keyword phase
KEYWORD_COMMIT_S = 1.0  # ... or this many seconds, whichever comes first
# Passages per encoding batch and per transaction: sized from the rate so far to take about
# SEMANTIC_COMMIT_S, whatever the machine and its load, so that a kill loses at most that much
# encoding and the progress bar moves smoothly.
SEMANTIC_COMMIT_S = 1.0
SEMANTIC_BATCH_MIN, SEMANTIC_BATCH_MAX = 8, 64
PUBLISH_EVERY_S = 600.0  # refresh the published derived indexes during long encodes


@dataclass(frozen=True)
class IndexOptions:
    workers: int = max(1, min(4, (os.cpu_count() or 2)))  # extraction processes
    threads: int | None = None  # passages encoded at once (None: one per physical core)
    low_priority: bool = False
    max_file_mb: float = 200.0
    timeout_s: float = 60.0  # per-file extraction time limit
    memory_mb: int = 1024  # per-worker extraction memory limit
    include_hidden: bool = False
    excludes: Sequence[str] = ()  # gitignore-style patterns applied to every root
    file_types: Sequence[str] = ()  # extensions to index; empty: every file
    semantic: bool = True  # run the encoding phase after the keyword phase
    sparse_model: str = ""  # a sparse model of resources/models (empty: the shipped default)
    dense_model: str = ""  # a dense model of resources/models (empty: chosen by the content)
    ocr: bool = True  # read scanned PDF pages and images (core.ocr_phase)
    ocr_max_pages: int = 100  # pages of one document read by OCR; later ones are listed as not read
    ocr_page_timeout_s: float = 60.0  # processor time one page may take
    ocr_max_megapixels: float = 40.0  # larger images are not read (PDF pages are rendered smaller)


@dataclass
class IndexReport:
    new: int = 0
    changed: int = 0
    deleted: int = 0
    renamed: int = 0
    unchanged: int = 0
    extracted: int = 0
    failed: int = 0
    skipped: int = 0
    encoded: int = 0  # passages that went through the models
    reused: int = 0  # passages whose identical text was encoded before
    resparsed: int = 0  # of the encoded, those whose dense vector was kept (sparse model change)
    ocr_pages: int = 0  # pages read by OCR
    ocr_failed: int = 0  # pages OCR could not read (time or memory limit, broken image)
    cancelled: bool = False
    elapsed_s: float = 0.0
    # Wall-clock seconds of each phase (for the benchmark's throughput figures).
    phase_s: dict[str, float] = field(default_factory=dict)
    scan_errors: list[tuple[str, str]] = field(default_factory=list)


class IndexControl:
    """Pause, resume and cancel a running indexer from another thread."""

    def __init__(self) -> None:
        self._cancel = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def cancel(self) -> None:
        self._cancel.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, on_wait: Callable[[], None] | None = None) -> None:
        while not self._running.wait(0.2):
            if on_wait:
                on_wait()


def _pages(pages: Sequence[int]) -> str:
    """'page 3', 'pages 1-4', 'pages 1-2, 5' """
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    text = ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)
    return f"page {text}" if len(pages) == 1 else f"pages {text}"


def passage_input(title: str, text: str) -> str:
    """What the encoders see: the passage, with the document's title in front for context."""
    return _titled(_one_line_title(title), text)


def _one_line_title(title: str) -> str:
    return " ".join(title.split())[:200]


def _titled(title: str, text: str) -> str:
    """passage_input with the title already made one line (once per file, not per passage)."""
    # A title taken from the first line ends in "…" when cut; the text already holds it.
    if not title or text.lstrip().startswith(title.rstrip("…")):
        return text
    return f"{title}\n{text}"


def passage_hash(encoder_input: str) -> bytes:
    return hashlib.blake2b(encoder_input.encode("utf-8", "surrogatepass"), digest_size=12).digest()


class Indexer:
    def __init__(self, catalog: Catalog, options: IndexOptions = IndexOptions(),
                 encoder_factory: Callable[[], PassageEncoder] | None = None) -> None:
        self.catalog = catalog
        self.options = options
        self._encoder_factory = encoder_factory or self._default_encoder
        self._encoder: PassageEncoder | None = None

    def _default_encoder(self) -> PassageEncoder:
        models = stored_models(self.catalog)
        return PassageEncoder(self.options.threads, resolve_sparse_model(self.options.sparse_model),
                              models.dense_name if models else DEFAULT_DENSE)

    # -- entry point -------------------------------------------------------------------------

    def run(self, roots: Sequence[Root] | None = None, progress: ProgressCallback | None = None,
            control: IndexControl | None = None, paths: Sequence[str] | None = None
            ) -> IndexReport:
        """Index everything under `roots` (default: all), or only `paths` when given."""
        started = time.monotonic()
        control = control or IndexControl()
        emit = progress or (lambda p: None)
        report = IndexReport()
        if self.options.low_priority:
            from core.priority import lower_current_thread
            lower_current_thread()
        emit(Progress("scan", 0, 0, 0.0, None))
        clock = time.monotonic()

        def lap(phase: str) -> None:
            nonlocal clock
            now = time.monotonic()
            report.phase_s[phase] = now - clock
            clock = now

        if paths is not None:
            self.scan_paths(paths, report)
        else:
            self.scan(list(roots) if roots is not None else self.catalog.roots(), report)
        lap("scan")
        if not control.cancelled:
            self.keyword_phase(emit, control, report)
        lap("keyword")
        if self.options.semantic and not control.cancelled:
            try:
                self.semantic_phase(emit, control, report)
            finally:
                self.close_encoder()
        lap("semantic")
        if self.options.ocr and not control.cancelled:
            OcrPhase(self.catalog, self.options, self._store_result).run(emit, control, report)
            if self.options.semantic and not control.cancelled and self.catalog.count_to_encode():
                try:  # the recognised text, encoded like any other
                    self.semantic_phase(emit, control, report)
                finally:
                    self.close_encoder()
        lap("ocr")
        emit(Progress("finishing", 0, 0, 0.0, None))
        self.publish()
        lap("publish")
        report.cancelled = control.cancelled
        report.elapsed_s = time.monotonic() - started
        emit(Progress("done", 0, 0, 0.0, 0.0))
        return report

    # -- scan and diff ------------------------------------------------------------------------

    def scan_options(self, root: Root) -> ScanOptions:
        return ScanOptions(
            excludes=[*self.options.excludes, *root.excludes],
            include_hidden=self.options.include_hidden,
            skip_dirs=frozenset({str(self.catalog.index_dir)}),
            extensions=frozenset(e.lower().lstrip(".") for e in self.options.file_types))

    def scan(self, roots: Sequence[Root], report: IndexReport) -> None:
        """Walk the roots and bring the catalog's file list in line with the disk."""
        found: dict[str, tuple[Root, ScannedFile]] = {}
        for root in roots:
            scanned = scan_root(root.path, self.scan_options(root))
            report.scan_errors.extend(scanned.errors)
            for f in scanned.files:
                found.setdefault(f.path, (root, f))  # nested roots: the first one owns a file
        known = {}
        for root in roots:
            known.update(self.catalog.files_under_root(root.id))
        with self.catalog.transaction():
            self._reconcile(found, known, report)
            for root in roots:
                self.catalog.conn.execute("UPDATE roots SET last_scan = ? WHERE id = ?",
                                          (time.time(), root.id))

    def scan_paths(self, paths: Sequence[str], report: IndexReport) -> None:
        """Like scan, for just these paths (files or folders, present or gone): what the file
        watcher reports."""
        roots = sorted(self.catalog.roots(), key=lambda r: len(r.path), reverse=True)
        found: dict[str, tuple[Root, ScannedFile]] = {}
        known: dict[str, FileRow] = {}
        for path in dict.fromkeys(os.path.abspath(p) for p in paths):
            root = next((r for r in roots if path == r.path or path.startswith(
                r.path.rstrip(os.sep) + os.sep)), None)
            if root is None:
                continue
            options = self.scan_options(root)
            known.update(self.catalog.files_under_prefix(path))
            if is_excluded(root.path, path, options):
                continue  # and anything known under it is dropped below
            scanned = scan_root(path, options)  # a file, or a folder that appeared
            report.scan_errors.extend(e for e in scanned.errors if os.path.exists(e[0]))
            for f in scanned.files:
                found.setdefault(f.path, (root, f))
        with self.catalog.transaction():
            self._reconcile(found, known, report)

    def _reconcile(self, found: dict[str, tuple[Root, ScannedFile]], known: dict[str, FileRow],
                   report: IndexReport) -> None:
        """Queue new and changed files, record renames, delete what is gone (in a transaction)."""
        max_bytes = self.options.max_file_mb * 1024 * 1024
        gone = {p: row for p, row in known.items() if p not in found}
        by_stat = {(row.inode, row.size, row.mtime_ns): row for row in gone.values()}
        for path, (root, f) in found.items():
            row = known.get(path) or self.catalog.file_by_path(path)
            if row is None:
                moved = by_stat.pop((f.inode, f.size, f.mtime_ns), None)
                if moved is not None:
                    # Same inode, size and mtime: a rename or move, nothing to reprocess...
                    self.catalog.rename_file(moved.id, path, root.id)
                    gone.pop(moved.path, None)
                    report.renamed += 1
                    if moved.state not in ("failed", "pending"):
                        continue
                    # ... unless it never got processed (it may have moved mid-read).
                else:
                    report.new += 1
            elif (row.size, row.mtime_ns, row.inode) != (f.size, f.mtime_ns, f.inode):
                report.changed += 1
            elif row.root_id != root.id:
                self.catalog.rename_file(row.id, path, root.id)
                continue
            else:
                report.unchanged += 1
                continue
            file_id = self.catalog.queue_file(root.id, path, f.size, f.mtime_ns, f.inode)
            if f.size > max_bytes:
                self.catalog.mark_failed(
                    file_id, f"larger than the {self.options.max_file_mb:g} MB limit "
                    "(see settings)", state="skipped")
        if gone:
            self.catalog.delete_files(row.id for row in gone.values())
            report.deleted += len(gone)

    # -- keyword phase: extraction in isolated workers -------------------------------------

    def keyword_phase(self, emit: ProgressCallback, control: IndexControl,
                      report: IndexReport) -> None:
        pending = self.catalog.pending_files()
        if not pending:
            return
        previous = self._previous_hashes([fid for fid, _ in pending])
        meter = RateMeter()
        total, done, failed = len(pending), 0, 0
        buffer: list[tuple[int, str, bool, object]] = []
        last_commit = time.monotonic()
        queue = list(reversed(pending))
        in_flight: dict[int, str] = {}
        window = self.options.workers * 16  # tasks in flight: workers never wait for a commit
        with WorkerPool(ingest_file, processes=self.options.workers,
                        timeout_s=self.options.timeout_s, memory_mb=self.options.memory_mb,
                        low_priority=self.options.low_priority) as pool:
            while (queue or in_flight) and not control.cancelled:
                if control.paused:
                    self._flush(buffer, report)
                    paused = Progress("keyword", done, total, 0.0, None, None, failed, paused=True)
                    control.wait_while_paused(lambda p=paused: emit(p))
                while queue and len(in_flight) < window and not control.paused:
                    fid, path = queue.pop()
                    in_flight[fid] = path
                    pool.submit(fid, IngestTask(path, previous.get(fid)))
                for result in pool.results(timeout=0.25):
                    path = in_flight.pop(result.key)
                    buffer.append((result.key, path, result.ok,
                                   result.value if result.ok else result.error))
                    done += 1
                    failed += 0 if result.ok and result.value.skipped is None else 1
                    meter.add(1)
                    if len(in_flight) < window // 2:
                        break  # refill the workers
                if len(buffer) >= KEYWORD_COMMIT_FILES or (
                        buffer and time.monotonic() - last_commit > KEYWORD_COMMIT_S):
                    self._flush(buffer, report)
                    last_commit = time.monotonic()
                    emit(Progress("keyword", done, total, meter.rate(),
                                  meter.eta(total - done), path if done else None, failed))
            self._flush(buffer, report)
        emit(Progress("keyword", done, total, meter.rate(), 0.0, None, failed))

    def _previous_hashes(self, file_ids: list[int]) -> dict[int, str]:
        out = {}
        for i in range(0, len(file_ids), 900):
            chunk = file_ids[i:i + 900]
            marks = ",".join("?" * len(chunk))
            for fid, h in self.catalog.conn.execute(
                    f"SELECT id, hash FROM files WHERE id IN ({marks}) AND hash IS NOT NULL "
                    "AND n_passages > 0", chunk):
                out[fid] = h
        return out

    def _flush(self, buffer: list[tuple[int, str, bool, object]], report: IndexReport) -> None:
        if not buffer:
            return
        with self.catalog.transaction():
            for fid, path, ok, value in buffer:
                self._store_result(fid, path, ok, value, report)
        buffer.clear()

    def _store_result(self, fid: int, path: str, ok: bool, value: object,
                      report: IndexReport) -> None:
        if not ok:
            self.catalog.mark_failed(fid, str(value))
            report.failed += 1
            return
        assert isinstance(value, IngestResult)
        if value.format == ARCHIVE_FORMAT and value.skipped is None:
            self.catalog.store_container(fid, content_hash=value.content_hash,
                                         title=value.title, fmt=value.format,
                                         note="; ".join(value.warnings) or None)
            self._store_members(fid, path, value.members, report)
            report.extracted += 1
            return
        if value.skipped is not None:
            self.catalog.mark_failed(fid, value.skipped, state="skipped",
                                     content_hash=value.content_hash)
            report.skipped += 1
            return
        if value.unchanged:
            try:
                st = os.stat(path)
                self.catalog.touch_file(fid, st.st_size, st.st_mtime_ns, st.st_ino)
            except OSError:
                pass
            self.catalog.restore_state(fid)
            return
        warnings = list(value.warnings)
        scanned = value.ocr_pages[:self.options.ocr_max_pages] if self.options.ocr else []
        if value.ocr_applied:
            warnings.extend(self._ocr_notes(value))
            scanned = []  # pages left are those over the page limit: never queued again
        elif len(value.ocr_pages) > len(scanned) and self.options.ocr:
            warnings.append(f"OCR reads the first {len(scanned)} of {len(value.ocr_pages)} "
                            "scanned pages (page limit in settings)")
        if not value.passages and scanned:
            self.catalog.wait_for_ocr(fid, content_hash=value.content_hash, title=value.title,
                                      fmt=value.format, pages=scanned)
            return
        if not value.passages:
            if value.ocr_applied:
                reason = "; ".join(["no text found: OCR recognised no text in its pages",
                                    *warnings])
            elif value.ocr_pages:
                reason = "no text found: only scanned pages or images, and OCR is off in settings"
            else:
                reason = "no text found (an empty document)"
            self.catalog.mark_failed(fid, reason, state="skipped",
                                     content_hash=value.content_hash)
            report.skipped += 1
            return
        passages = []
        title = _one_line_title(value.title)
        for i, (start, end, page, section) in enumerate(value.passages):
            text = value.text[start:end]
            passages.append(NewPassage(i, start, end, page, section,
                                       passage_hash(_titled(title, text)), text))
        self.catalog.store_text(fid, content_hash=value.content_hash, title=value.title,
                                fmt=value.format, sections=value.sections, passages=passages,
                                error="; ".join(warnings) or None)
        if scanned:  # searchable by its text layer now, by its scanned pages after OCR
            self.catalog.queue_ocr(fid, scanned)
        report.extracted += 1
        if value.members:  # an e-mail's attachments
            self._store_members(fid, path, value.members, report)

    def _store_members(self, fid: int, path: str, members: Sequence[MemberResult],
                       report: IndexReport) -> None:
        """Each document inside the container `fid` as a file of its own; members it no longer
        holds are forgotten, unchanged ones keep their passages and vectors."""
        stored = self.catalog.member_hashes(fid)
        keep: list[int] = []
        for m in members:
            mpath = member_path(path, m.name)
            old = stored.get(mpath)
            new_hash = m.value.content_hash if m.ok and isinstance(m.value, IngestResult) else ""
            if old is not None and new_hash and old[1] == new_hash and old[2] > 0:
                keep.append(old[0])
                continue
            mid = self.catalog.upsert_member(fid, mpath, m.size, m.mtime_ns)
            keep.append(mid)
            self._store_result(mid, mpath, m.ok, m.value, report)
        self.catalog.delete_members(fid, keep)

    def _ocr_notes(self, value: IngestResult) -> list[str]:
        """What the preview and the problems list say about recognised text."""
        results = self.catalog.ocr_results(value.content_hash)
        read = sorted(p for p, (text, _) in results.items() if text.strip())
        notes = [f"{OCR_NOTE} ({_pages(read)})"] if read else []
        notes += [f"page {p}: {note}" for p, (text, note) in sorted(results.items())
                  if note and not text.strip() and note != "no text recognised"]
        if value.ocr_pages:
            notes.append(f"{len(value.ocr_pages)} scanned pages not read (OCR page limit of "
                         f"{self.options.ocr_max_pages} in settings)")
        return notes

    # -- semantic phase: both encoders over the passages of keyword-only files ---------------------

    @property
    def encoder(self) -> PassageEncoder:
        if self._encoder is None:
            self._encoder = self._encoder_factory()
        return self._encoder

    def semantic_phase(self, emit: ProgressCallback, control: IndexControl,
                       report: IndexReport) -> None:
        if not self.catalog.count_to_encode():
            return
        # The keyword phase may have brought the first documents in another language: an
        # automatic index then becomes multilingual before anything is encoded (and everything
        # encoded before waits to be encoded again).
        ensure_models(self.catalog, self.options.sparse_model, self.options.dense_model)
        total = self.catalog.count_to_encode()
        meter = RateMeter()
        done, after = 0, 0
        size = SEMANTIC_BATCH_MIN
        last_publish = time.monotonic()
        emit(Progress("semantic", 0, total, 0.0, None))
        while not control.cancelled:
            if control.paused:
                paused = Progress("semantic", done, total, 0.0, None, None, 0, paused=True)
                control.wait_while_paused(lambda p=paused: emit(p))
                continue
            batch = self.catalog.passages_to_encode(size, after_id=after)
            if not batch:
                break
            after = batch[-1].id
            started = time.monotonic()
            try:
                rows, encoded, resparsed = self._encode_batch(batch, lambda: control.cancelled)
            except Cancelled:  # stop within a passage; this batch is encoded again next time
                break
            with self.catalog.transaction():
                self.catalog.store_vectors(rows)
            rate = len(batch) / max(time.monotonic() - started, 1e-3)
            size = max(SEMANTIC_BATCH_MIN, min(SEMANTIC_BATCH_MAX, int(rate * SEMANTIC_COMMIT_S)))
            report.encoded += encoded
            report.resparsed += resparsed
            report.reused += len(batch) - encoded
            done += len(batch)
            meter.add(len(batch))
            emit(Progress("semantic", done, total, meter.rate(), meter.eta(total - done),
                          None))
            if time.monotonic() - last_publish > PUBLISH_EVERY_S:
                self.publish()
                last_publish = time.monotonic()
        if not control.cancelled and not self.catalog.count_to_encode():
            with self.catalog.transaction():
                self.catalog.clear_kept_dense()

    def close_encoder(self) -> None:
        if self._encoder is not None:
            self._encoder.close()
            self._encoder = None

    def _encode_batch(self, batch: Sequence, cancelled: Callable[[], bool] = lambda: False
                      ) -> tuple[list[VectorRow], int, int]:
        """Encode each distinct passage text once; reuse vectors already in the catalog.
        Returns the rows, how many texts were encoded, and of those how many sparse alone."""
        known = self.catalog.vectors_by_hash([p.hash for p in batch])
        todo: dict[bytes, str] = {}
        for p in batch:
            if p.hash not in known:
                todo.setdefault(p.hash, passage_input(p.title, p.text))
        # After a change of sparse model only, the dense encodings wait in the catalog: the
        # sparse model alone runs for those texts (it is the cheaper of the two by far).
        kept = self.catalog.kept_dense(list(todo)) if todo else {}
        both = [h for h in todo if h not in kept]
        if both:
            dense, sparse = self.encoder.encode([todo[h] for h in both], cancelled)
            q, scales = quantize_dense(dense)
            for i, h in enumerate(both):
                known[h] = (dense_to_blob(q[i]), float(scales[i]), sparse_to_blob(*sparse[i]))
        if kept:
            alone = list(kept)
            for h, vector in zip(alone, self.encoder.encode_sparse([todo[h] for h in alone],
                                                                   cancelled), strict=True):
                known[h] = (*kept[h], sparse_to_blob(*vector))
        rows = [VectorRow(p.id, *known[p.hash]) for p in batch]
        return rows, len(todo), len(kept)

    def publish(self) -> None:
        """Bring the published sparse segment and USearch graph up to the catalog."""
        index_dir = self.catalog.index_dir
        if self._derived_current():
            return
        publish_sparse_segment(self.catalog, index_dir)
        publish_dense_index(self.catalog, index_dir, dim=stored_dim(self.catalog))

    def _derived_current(self) -> bool:
        from core.store import segments, sparse_index, vectors
        vec = self.catalog.conn.execute("SELECT COALESCE(MAX(seq), 0) FROM vectors").fetchone()[0]
        tomb = self.catalog.conn.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM tombstones").fetchone()[0]
        for stem, suffix in ((sparse_index.STEM, ""), (vectors.STEM, vectors.SUFFIX)):
            seg = segments.latest(self.catalog.index_dir, stem, suffix)
            if seg is None or (seg.vector_seq, seg.tombstone_seq) != (vec, tomb):
                return False
        return True


