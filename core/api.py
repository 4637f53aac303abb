"""The engine's one facade: the command line and the window both go through it.

    engine = Engine.open("~/.local/share/spyglass/index")
    engine.add_root("~/Documents")
    engine.index(progress=print)
    for hit in engine.search("tax return 2023", k=10).hits: ...
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.indexer import (
    OCR_NOTE,
    IndexControl,
    Indexer,
    IndexOptions,
    IndexReport,
    ProgressCallback,
)
from core.lock import IndexBusy, WriterLock
from core.model_choice import ensure_models
from core.pathcodec import to_db
from core.scan import normalise_root
from core.search.query import Filters, Query
from core.search.results import SearchResult
from core.search.searcher import DEFAULT_MODE, Explanation, Searcher, SearchOptions
from core.settings import default_index_dir
from core.store.catalog import Catalog, Root
from core.store.consistency import CheckReport, check
from core.store.index_models import stored_models
from core.store.schema import SchemaError
from core.store.sparse_index import publish_sparse_segment

__all__ = ["Engine", "EngineError", "IndexBusy", "IndexControl", "IndexOptions", "Filters",
           "Status", "RootStatus", "SearchResult", "IndexReport", "PreviewText"]


class EngineError(Exception):
    """A problem the user can act on; the message says what and what to do."""


@dataclass
class RootStatus:
    path: str
    exists: bool
    files: int
    indexed: int
    pending: int
    failed: int
    passages: int
    last_scan: float | None
    excludes: list[str] = field(default_factory=list)


@dataclass
class Status:
    index_dir: str
    files: dict[str, int]
    passages: int
    passages_to_encode: int
    failed_files: list[dict[str, str]]
    skipped_files: list[dict[str, str]]
    roots: list[RootStatus]
    size_bytes: int
    sparse_model: str = ""  # the sparse model its vectors come from ("" before any encoding)
    dense_model: str = ""  # the dense (meaning) model, likewise
    ocr_pages_waiting: int = 0  # scanned pages and images the OCR phase has not read yet
    # Pages OCR could not read in files that are otherwise indexed: {"path", "reason"}
    page_problems: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class PreviewText:
    """A file's extracted text for a preview. Passage offsets index into `text` directly."""
    path: str
    title: str
    format: str | None
    text: str
    passages: list[tuple[int, int, int, int | None]]  # (passage id, start, end, page)
    # Structure marks (kind, label, start), e.g. ("page", "3", 5120): a page runs until the
    # next mark of its kind. Starts are offsets into `text` too.
    sections: list[tuple[str, str, int]] = field(default_factory=list)
    recognised: str = ""  # e.g. "text recognised by OCR (pages 1-3)": not the file's own text


class Engine:
    def __init__(self, index_dir: Path, options: IndexOptions | None = None) -> None:
        self.index_dir = Path(index_dir).expanduser().resolve()
        self.options = options or IndexOptions()
        self._lock = threading.RLock()  # guards the admin connection
        try:
            _make_private_dir(self.index_dir)
            self._catalog = Catalog.open(self.index_dir)
        except SchemaError as e:
            raise EngineError(str(e)) from e
        except OSError as e:
            raise EngineError(f"cannot open the index at {self.index_dir}: "
                              f"{e.strerror or e}") from e
        except Exception as e:  # sqlite3.DatabaseError: not a database, disk I/O error...
            raise EngineError(f"cannot open the index at {self.index_dir}: {e}") from e
        self.readonly = self._catalog.readonly
        self._searcher: Searcher | None = None
        self._closed = False
        self._writer = WriterLock(self.index_dir)
        if self._catalog.migrated_from is not None and self._catalog.migrated_from < 5:
            self._publish_upgraded_postings()

    def _publish_upgraded_postings(self) -> None:
        """Schema v5 renamed the posting segments: write them now, once, so that no searcher
        has to hold every upgraded vector in memory until the next indexing run."""
        if not self._catalog.conn.execute("SELECT 1 FROM vectors LIMIT 1").fetchone():
            return
        try:
            self._writer.acquire()
        except IndexBusy:
            return  # an indexer holds the index: it publishes them itself
        try:
            publish_sparse_segment(self._catalog, self.index_dir)
            # The rewritten vectors left their pages a third empty; new rows never fill them
            # (they go at the end), so give the space back once.
            self._catalog.conn.execute("VACUUM")
            self._catalog.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._writer.release()

    @classmethod
    def open(cls, index_dir: str | Path | None = None,
             options: IndexOptions | None = None) -> Engine:
        return cls(Path(index_dir) if index_dir else default_index_dir(), options)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
            self._catalog.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- roots ----------------------------------------------------------------------------------

    def add_root(self, path: str | Path, excludes: Sequence[str] = ()) -> Root:
        raw = str(path)
        resolved = normalise_root(raw)
        if not os.path.exists(resolved):
            raise EngineError(f"no such file or folder: {raw}")
        if not os.access(resolved, os.R_OK):
            raise EngineError(f"cannot read {raw}: permission denied")
        if Path(resolved).is_relative_to(self.index_dir):
            raise EngineError("the index folder itself cannot be indexed")
        self._check_writable()
        with self._lock:
            existing = self._catalog.root_by_path(resolved)
            if existing is not None and not excludes:
                return existing
            return self._catalog.add_root(resolved, excludes)

    def remove_root(self, path: str | Path) -> int:
        """Forget a folder and everything indexed from it; returns how many files were removed.
        Files on disk are never touched."""
        resolved = normalise_root(str(path))
        with self._lock, self._writing():
            root = self._catalog.root_by_path(resolved) or self._catalog.root_by_path(str(path))
            if root is None:
                raise EngineError(f"not an indexed folder: {path}")
            removed = self._catalog.remove_root(root.id)
            Indexer(self._catalog, self.options).publish()
            return removed

    def set_excludes(self, path: str | Path, patterns: Sequence[str]) -> None:
        self._check_writable()
        with self._lock:
            root = self._catalog.root_by_path(normalise_root(str(path)))
            if root is None:
                raise EngineError(f"not an indexed folder: {path}")
            self._catalog.set_root_excludes(root.id, patterns)

    def roots(self) -> list[RootStatus]:
        with self._lock:
            out = []
            for root in self._catalog.roots():
                counts = dict.fromkeys(("indexed", "text", "pending", "failed", "skipped"), 0)
                for state, n in self._catalog.conn.execute(
                        "SELECT state, count(*) FROM files WHERE root_id = ? GROUP BY state",
                        (root.id,)):
                    counts[state] = n
                passages = self._catalog.conn.execute(
                    "SELECT COALESCE(SUM(n_passages), 0) FROM files WHERE root_id = ?",
                    (root.id,)).fetchone()[0]
                out.append(RootStatus(
                    path=root.path, exists=os.path.exists(root.path),
                    files=sum(counts.values()), indexed=counts["indexed"] + counts["text"],
                    pending=counts["pending"] + counts["text"] + counts.get("ocr", 0),
                    failed=counts["failed"],
                    passages=int(passages), last_scan=root.last_scan, excludes=root.excludes))
            return out

    # -- indexing -------------------------------------------------------------------------------

    def index(self, paths: Sequence[str | Path] | None = None,
              progress: ProgressCallback | None = None, control: IndexControl | None = None,
              options: IndexOptions | None = None) -> IndexReport:
        """Add `paths` as roots (if given) and bring the index up to date with the disk.
        With no paths, every root is rescanned."""
        with self._writing():
            roots = [self.add_root(p) for p in paths] if paths else None
            catalog = Catalog(self.index_dir)  # this thread's own connection
            try:
                indexer = Indexer(catalog, options or self.options)
                self._check_models(catalog, indexer.options)
                return indexer.run(roots, progress, control)
            finally:
                catalog.close()

    def update_paths(self, paths: Sequence[str], progress: ProgressCallback | None = None,
                     control: IndexControl | None = None) -> IndexReport:
        """Re-check just these files or folders (created, changed, deleted or renamed), as
        reported by the file watcher, without rescanning whole roots."""
        with self._writing():
            catalog = Catalog(self.index_dir)
            try:
                self._check_models(catalog, self.options)
                return Indexer(catalog, self.options).run(progress=progress, control=control,
                                                          paths=list(paths))
            finally:
                catalog.close()

    def doctor(self, repair: bool = True) -> CheckReport:
        """Check the index; with `repair`, fix what can be fixed and rebuild the derived search
        indexes (USearch graph, sparse postings) from SQLite."""
        with self._writing():
            catalog = Catalog(self.index_dir)
            try:
                return check(catalog, repair=repair)
            finally:
                catalog.close()

    def retry_failed(self, paths: Sequence[str] | None = None) -> int:
        """Queue failed files again (e.g. after installing a fix); returns how many."""
        self._check_writable()
        with self._lock, self._catalog.transaction():
            # A document inside an archive or message is read again with its container.
            which = "" if paths is None else "AND path = ?"
            params = [()] if paths is None else [(to_db(p),) for p in paths]
            n = 0
            for args in params:
                n += self._catalog.conn.execute(
                    "UPDATE files SET state = 'pending', error = NULL WHERE id IN (SELECT "
                    "COALESCE(parent_id, id) FROM files WHERE state = 'failed' "
                    f"{which})", args).rowcount
            return n

    def _writing(self) -> _WriterSession:
        self._check_writable()
        return _WriterSession(self._writer)

    def _check_writable(self) -> None:
        if self.readonly:
            raise EngineError(f"the index folder {self.index_dir} is read-only: searching works, "
                              "but nothing can be added or updated")

    def _check_models(self, catalog: Catalog, options: IndexOptions) -> None:
        """Vectors from other model files are useless, and never mixed with new ones: re-encode
        everything if the dense model changed, only the sparse side if only that changed."""
        # Before the keyword phase the new documents are not in yet: an automatic index decides
        # on its language in the indexer's semantic phase, not here.
        ensure_models(catalog, options.sparse_model, options.dense_model, look=False)

    # -- search ---------------------------------------------------------------------------------

    @property
    def searcher(self) -> Searcher:
        with self._lock:
            if self._closed:
                raise EngineError("the index was closed")
            if self._searcher is None:
                from core.encode.query import QueryEncoder
                searcher = Searcher(self.index_dir, lambda: QueryEncoder(
                    threads=1, sparse_model=searcher.sparse_model(),
                    dense_model=searcher.dense_model()), readonly=self.readonly)
                self._searcher = searcher
            return self._searcher

    def search(self, query: str | Query, k: int = 20, mode: str = DEFAULT_MODE,
               filters: Filters | None = None) -> SearchResult:
        try:
            return self.searcher.search(query, SearchOptions(k=k, mode=mode,
                                                             filters=filters or Filters()))
        except ValueError as e:
            raise EngineError(str(e)) from e

    def explain(self, query: str, passage_id: int) -> Explanation:
        return self.searcher.explain(query, passage_id)

    def more_like_this(self, passage_id: int, k: int = 20, query: str | None = None
                       ) -> SearchResult:
        """Files like the one this passage comes from; with `query`, that search refined
        towards the passage (relevance feedback)."""
        return self.searcher.similar(passage_id, k, query)

    def expansion_terms(self, query: str, passage_ids: Sequence[int]
                        ) -> dict[int, list[tuple[str, float]]]:
        """For each passage, the query terms only its sparse expansion has (not its text):
        the semantic matches a result list shows next to the snippet. Cheap: no model run."""
        return self.searcher.expansion_terms(query, list(passage_ids))

    # -- status ---------------------------------------------------------------------------------

    def status(self, list_limit: int = 1000) -> Status:
        with self._lock:
            counts = self._catalog.state_counts()
            failed = self._catalog.failed_files(("failed",))
            skipped = self._catalog.failed_files(("skipped",))
            return Status(
                index_dir=str(self.index_dir),
                files={"indexed": counts["indexed"] + counts["text"],
                       "failed": counts["failed"],
                       "pending": counts["pending"] + counts["text"],
                       "keyword_only": counts["text"], "skipped": counts["skipped"],
                       "ocr": counts["ocr"]},
                passages=self._catalog.passage_count(),
                passages_to_encode=self._catalog.count_to_encode(),
                ocr_pages_waiting=self._catalog.ocr_pages_waiting(),
                page_problems=[{"path": p, "reason": r} for p, r in
                               self._catalog.ocr_problems()[:list_limit]],
                failed_files=[{"path": p, "reason": r} for p, r, _ in failed[:list_limit]],
                skipped_files=[{"path": p, "reason": r} for p, r, _ in skipped[:list_limit]],
                roots=self.roots(),
                size_bytes=_folder_size(self.index_dir),
                sparse_model=models.sparse_name if (models := stored_models(self._catalog))
                else "",
                dense_model=models.dense_name if models else "")

    def file_text(self, path: str) -> tuple[str, list[tuple[int, int, int]]]:
        """A file's stored passages joined back into text, for the preview."""
        with self._lock:
            row = self._catalog.file_by_path(path)
            if row is None:
                raise EngineError(f"not in the index: {path}")
            rows = self._catalog.conn.execute(
                "SELECT id, start, end, text FROM passages WHERE file_id = ? ORDER BY ord",
                (row.id,)).fetchall()
        text, spans, pos = [], [], 0
        for pid, start, end, body in rows:
            # Overlapping passages: keep only the part past what is already there.
            skip = max(0, pos - start)
            piece = body[skip:]
            text.append(piece)
            spans.append((pid, start, end))
            pos = max(pos, end)
        return "".join(text), spans


    def preview_text(self, path: str) -> PreviewText:
        """A file's text rebuilt from its passages so that every passage's (start, end) are
        offsets into the returned text (file_text drops the gaps between passages, so its
        offsets drift). Gaps are whitespace between tokens: they become blank lines/spaces."""
        with self._lock:
            row = self._catalog.file_by_path(path)
            if row is None:
                raise EngineError(f"not in the index: {path}")
            meta = self._catalog.conn.execute(
                "SELECT title, format, sections, error FROM files WHERE id = ?",
                (row.id,)).fetchone()
            rows = self._catalog.conn.execute(
                "SELECT id, start, end, page, text FROM passages WHERE file_id = ? ORDER BY ord",
                (row.id,)).fetchall()
        parts: list[str] = []
        passages: list[tuple[int, int, int, int | None]] = []
        pos = 0
        for pid, start, end, page, body in rows:
            if start > pos:
                gap = start - pos
                parts.append("\n\n" + " " * (gap - 2) if gap >= 2 else " ")
                pos = start
            if end > pos:
                parts.append(body[pos - start:])
                pos = end
            passages.append((pid, start, end, page))
        sections: list[tuple[str, str, int]] = []
        try:
            for entry in json.loads(meta[2] or "[]") if meta else []:
                sections.append((str(entry[0]), str(entry[1]), int(entry[2])))
        except (ValueError, TypeError, IndexError):
            sections = []  # structure is a nicety; the text is what matters
        notes = (meta[3] or "").split("; ") if meta else []
        return PreviewText(path=path, title=meta[0] if meta else "",
                           format=meta[1] if meta else None, text="".join(parts),
                           passages=passages, sections=sections,
                           recognised=next((n for n in notes if n.startswith(OCR_NOTE)), ""))


class _WriterSession:
    """Holds the writer lock for the duration of a write, re-entrantly."""

    def __init__(self, lock: WriterLock) -> None:
        self.lock = lock
        self.owned = False

    def __enter__(self) -> None:
        if not self.lock.held:
            self.lock.acquire()
            self.owned = True

    def __exit__(self, *exc: object) -> None:
        if self.owned:
            self.lock.release()


def _make_private_dir(path: Path) -> None:
    """The index holds the text of private documents: only its owner may read it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if os.name == "posix":
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:  # take group and others away; leave the owner's bits as they are
            os.chmod(path, mode & 0o700)


def _folder_size(path: Path) -> int:
    total = 0
    for entry in os.scandir(path):
        try:
            if entry.is_file(follow_symlinks=False):
                total += entry.stat().st_size
            elif entry.is_dir(follow_symlinks=False):
                total += _folder_size(Path(entry.path))
        except OSError:
            continue
    return total


