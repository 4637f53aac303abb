"""`spyglass publish FOLDER --to URI`: a folder's passages, as the local index holds them, sent
to a shared index, incrementally: files whose index entry changed since the last publish are
sent again, files gone from the index are deleted there (a rename is both), and a kill at any
point leaves a state the next run completes (core.shared.publish_state).

Nothing is encoded here: the passages' vectors are the local index's own, so the shared index
answers exactly as the local one would. A shared index holds vectors of one pair of models; a
publisher with other models is refused.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.encode.manifest import model_dims
from core.model_choice import resolve_dense_model
from core.pathcodec import to_db
from core.shared import bm25_terms
from core.shared.layout import (
    PIECE_OFFSET,
    STAT_KEYWORD_TOKENS,
    STAT_PASSAGES,
    STAT_SPARSE_PASSAGES,
    TEXT_BYTES,
    Names,
    clip_utf8,
    create_collections,
    has_field,
    quote,
)
from core.shared.milvus import connect, explain, upsert_columns
from core.shared.publish_state import FileRecord, PublishState
from core.shared.target import SharedIndexError, SharedTarget
from core.store.catalog import Catalog
from core.store.codec import DENSE_DTYPE, binary_codes, blob_to_sparse
from core.store.index_models import stored_models

TEXT_MODES = ("full", "excerpt", "none")
EXCERPT_CHARS = 400  # "excerpt": the passage's beginning, enough for a snippet
# Passages per batch (a few MB a round trip); each batch is a step a killed publish resumes from.
BATCH_PASSAGES = int(os.environ.get("SPYGLASS_PUBLISH_BATCH", "2000"))
INSERT_ROWS = 500
# The passages collection's fields: those filled row by row, then the vectors, per batch.
_ROW_COLUMNS = ("id", "file_id", "path", "source", "title", "format", "ext", "mtime", "size",
                "start", "end", "page", "section", "text", "keyword", "sparse")
_COLUMNS = (*_ROW_COLUMNS, "dense", "binary", "encoded")
_NO_TERMS = (np.zeros(0, np.int64), np.zeros(0, np.float32))


@dataclass
class PublishReport:
    files_sent: int = 0
    passages_sent: int = 0
    files_removed: int = 0
    files_unchanged: int = 0
    files_waiting: int = 0  # not encoded yet: sent by a later publish
    seconds: float = 0.0

    @property
    def passages_per_s(self) -> float:
        return self.passages_sent / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        parts = [f"{self.files_sent} files ({self.passages_sent} passages) sent",
                 f"{self.files_removed} removed", f"{self.files_unchanged} unchanged"]
        if self.files_waiting:
            parts.append(f"{self.files_waiting} still being indexed (publish again later)")
        return ", ".join(parts) + f" in {self.seconds:.1f} s"


@dataclass
class _Prepared:
    columns: dict[str, list[Any]]
    old: dict[str, FileRecord]  # what the state held for the batch's paths
    new: list[FileRecord]
    rows: int


@dataclass
class _LocalFile:
    file_id: int
    path: str
    signature: str
    source: str
    passages: int


def state_path(index_dir: Path, target: SharedTarget) -> Path:
    return Path(index_dir) / "shared" / f"{target.key()}.sqlite"


def models_record(catalog: Catalog) -> dict[str, Any]:
    models = stored_models(catalog)
    if models is None:
        raise SharedIndexError("this index has no vectors yet: index the folder first")
    dense_name = resolve_dense_model(models.dense_name)
    return {"dense": models.dense, "sparse": models.sparse, "dense_name": dense_name,
            "sparse_name": models.sparse_name, "dims": model_dims(dense_name)}


def same_models(ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    return (ours["dense"], ours["sparse"]) == (theirs.get("dense"), theirs.get("sparse"))


def mismatch_message(target: SharedTarget, ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    return (f"the shared index {target.name!r} holds vectors of other models (meaning "
            f"{theirs.get('dense_name')} {theirs.get('dense')}, related terms "
            f"{theirs.get('sparse_name')} {theirs.get('sparse')}) than this index (meaning "
            f"{ours['dense_name']} {ours['dense']}, related terms {ours['sparse_name']} "
            f"{ours['sparse']}): its results cannot be mixed; use another collection or the "
            "same models")


def read_meta(client: Any, names: Names) -> dict[str, Any]:
    rows = client.query(names.meta, filter='key != ""', output_fields=["key", "value"])
    return {r["key"]: json.loads(r["value"]) for r in rows}


def publish(catalog: Catalog, index_dir: Path, folders: Sequence[str | Path],
            target: SharedTarget, text: str = "full",
            progress: Callable[[int, int], None] | None = None) -> PublishReport:
    if text not in TEXT_MODES:
        raise ValueError(f"text must be one of {TEXT_MODES}")
    started = time.perf_counter()
    ours = models_record(catalog)
    names = Names.of(target.collection)
    client = connect(target)
    try:
        return _Publisher(catalog, client, names, target, ours, text, index_dir).run(
            [str(Path(f).expanduser().resolve()) for f in folders], progress, started)
    except SharedIndexError:
        raise
    except Exception as e:  # Milvus and transport errors: a sentence, the local index untouched
        raise SharedIndexError(explain(e, target)) from e
    finally:
        client.close()


class _Publisher:
    def __init__(self, catalog: Catalog, client: Any, names: Names, target: SharedTarget,
                 ours: dict[str, Any], text: str, index_dir: Path) -> None:
        self.catalog, self.client, self.names, self.target = catalog, client, names, target
        self.ours, self.text = ours, text
        self.state = PublishState(state_path(index_dir, target))
        self.tokenizer = bm25_terms.Tokenizer()
        self.schema: dict[str, Any] = {}

    def run(self, folders: list[str], progress: Callable[[int, int], None] | None,
            started: float) -> PublishReport:
        try:
            avgdl = self._prepare()
            report = PublishReport()
            local, waiting = self._local_files(folders)
            published = {p: s for p, s in self.state.signatures().items()
                         if any(_under(p, to_db(f)) for f in folders)}
            report.files_waiting = len(waiting)
            gone = [p for p in published if p not in local and p not in waiting]
            todo = [f for p, f in local.items() if published.get(p) != f.signature]
            report.files_unchanged = len(local) - len(todo)
            self._push_frequencies()  # left over from a killed run
            self._remove(gone)
            report.files_removed = len(gone)
            total = sum(f.passages for f in todo)
            # A batch is sent while the next one is gathered (SQLite, the tokenizer and the
            # server do not hold the interpreter), and recorded only once it is in.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="publish") as sender:
                in_flight: tuple[_Prepared, Future[None]] | None = None
                for files in self._batches(todo):
                    batch = self._gather(files, avgdl)
                    if in_flight is not None:
                        self._landed(*in_flight, report, progress, total)
                    in_flight = (batch, sender.submit(self._upload, batch))
                if in_flight is not None:
                    self._landed(*in_flight, report, progress, total)
            self._push_frequencies()
            report.seconds = time.perf_counter() - started
            return report
        finally:
            self.tokenizer.close()
            self.state.close()

    # -- the collection and its models ---------------------------------------------------------

    def _prepare(self) -> float:
        """Collections in place, models checked, and BM25's average length fixed for the
        collection (the first publisher's index sets it)."""
        create_collections(self.client, self.names, int(self.ours["dims"]))
        self.schema = self.client.describe_collection(self.names.passages)
        missing = [f for f in ("binary", "encoded") if not has_field(self.schema, f)]
        if missing:
            raise SharedIndexError(
                f"the collection {self.target.collection!r} was made by an earlier version of "
                f"Spyglass (it has no {' or '.join(missing)} field): publish to a new "
                "collection, or drop this one and publish again")
        meta = read_meta(self.client, self.names)
        theirs = meta.get("models")
        if theirs is not None and not same_models(self.ours, theirs):
            raise SharedIndexError(mismatch_message(self.target, self.ours, theirs))
        epoch = meta.get("epoch")
        if epoch is None:  # a new collection: whatever this machine sent before is not there
            epoch = uuid.uuid4().hex
            self.state.forget()
        elif self.state.get_meta("epoch") != epoch:
            self.state.forget()
        avgdl = meta.get("avgdl") or _local_average_length(self.catalog)
        self._put_meta({"models": self.ours, "epoch": epoch, "avgdl": avgdl})
        self.state.set_meta("epoch", epoch)
        return float(avgdl)

    def _put_meta(self, values: dict[str, Any]) -> None:
        self.client.upsert(self.names.meta, [{"key": k, "value": json.dumps(v), "v": [0.0, 0.0]}
                                             for k, v in values.items()])

    # -- what to send ------------------------------------------------------------------------

    def _local_files(self, folders: list[str]) -> tuple[dict[str, _LocalFile], set[str]]:
        """Files under the folders ready to publish, by catalog path; and those the local
        indexer has not finished. The catalog's state says which: a file is `indexed` once the
        passages the encoders see (its first SEMANTIC_PASSAGES_PER_FILE) have their vectors."""
        ready: dict[str, _LocalFile] = {}
        waiting: set[str] = set()
        for folder in folders:
            prefix = to_db(folder.rstrip("/")) + "/"
            rows = self.catalog.conn.execute(
                "SELECT f.id, f.path, f.state, f.mtime_ns, f.size, f.hash, count(p.id), "
                "min(p.id), max(p.id) FROM files f LEFT JOIN passages p ON p.file_id = f.id "
                "WHERE substr(f.path, 1, ?) = ? GROUP BY f.id", (len(prefix), prefix))
            for fid, path, state, mtime, size, digest, n, lo, hi in rows:
                if state in ("pending", "text", "ocr"):
                    waiting.add(path)
                elif state == "indexed" and n:
                    ready[path] = _LocalFile(fid, path, f"{mtime}:{size}:{digest}:{n}:{lo}:{hi}:"
                                             f"{self.text}", folder, n)
        return ready, waiting

    @staticmethod
    def _batches(files: list[_LocalFile]) -> list[list[_LocalFile]]:
        out: list[list[_LocalFile]] = [[]]
        size = 0
        for f in files:
            if size >= BATCH_PASSAGES:
                out.append([])
                size = 0
            out[-1].append(f)
            size += f.passages
        return [b for b in out if b]

    # -- sending -----------------------------------------------------------------------------

    def _gather(self, batch: list[_LocalFile], avgdl: float) -> _Prepared:
        """A batch's rows, column by column, and what the state will record once they are in."""
        by_id = {f.file_id: f for f in batch}
        ids = list(by_id)
        rows = self.catalog.conn.execute(
            "SELECT p.id, p.file_id, p.start, p.end, p.page, p.section, p.text, "
            "COALESCE(p.fts_body, p.text), f.title, COALESCE(f.fts_title, f.title), f.format, "
            "f.mtime_ns, f.size, v.dense, v.scale, v.sparse FROM passages p "
            "CROSS JOIN files f ON f.id = p.file_id LEFT JOIN vectors v ON v.passage_id = p.id "
            f"WHERE p.file_id IN ({','.join('?' * len(ids))}) ORDER BY p.id", ids).fetchall()
        counts = self.tokenizer.counts((r[0], r[9] or "", r[7] or "") for r in rows)
        columns: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        per_file: dict[int, dict[int, int]] = {fid: {} for fid in ids}
        passages: dict[int, list[int]] = {fid: [] for fid in ids}
        for (pid, fid, start, end, page, section, text, _, title, _, fmt, mtime, size,
             _, _, sparse) in rows:
            f = by_id[fid]
            terms, length = counts.get(pid, ({}, 0))
            keyword = bm25_terms.document_weights(terms, length, avgdl)
            piece_ids, weights = blob_to_sparse(sparse) if sparse is not None else _NO_TERMS
            tally = per_file[fid]
            for key in keyword:
                tally[key] = tally.get(key, 0) + 1
            for piece in piece_ids.tolist():
                tally[PIECE_OFFSET + piece] = tally.get(PIECE_OFFSET + piece, 0) + 1
            tally[STAT_PASSAGES] = tally.get(STAT_PASSAGES, 0) + 1
            tally[STAT_KEYWORD_TOKENS] = tally.get(STAT_KEYWORD_TOKENS, 0) + length
            if len(piece_ids):
                tally[STAT_SPARSE_PASSAGES] = tally.get(STAT_SPARSE_PASSAGES, 0) + 1
            passages[fid].append(pid)
            for name, value in zip(_ROW_COLUMNS, (
                    pid, fid, clip_utf8(f.path, 4096), clip_utf8(to_db(f.source), 4096),
                    clip_utf8(title or "", 1024), (fmt or "")[:64], _extension(f.path),
                    mtime / 1e9, int(size), int(start), int(end),
                    -1 if page is None else int(page), clip_utf8(section or "", 1024),
                    self._text(text), keyword,
                    dict(zip(piece_ids.tolist(), weights.tolist(), strict=True))), strict=True):
                columns[name].append(value)
        # The meaning vectors of the whole batch at once: int8 x scale, and their sign bits;
        # zeros for passages past what the encoders see, flagged to be left out of their list.
        zero = bytes(int(self.ours["dims"]))
        q = np.frombuffer(b"".join(r[13] or zero for r in rows), DENSE_DTYPE).reshape(
            len(rows), -1)
        scales = np.fromiter((r[14] or 0.0 for r in rows), np.float32, len(rows))
        columns["encoded"] = [r[13] is not None for r in rows]
        columns["dense"] = list(q.astype(np.float32) * scales[:, None])
        columns["binary"] = [code.tobytes() for code in binary_codes(q)]
        new = []
        for fid in ids:
            tally = per_file[fid]
            keys = np.fromiter(tally, np.int64, len(tally))
            new.append(FileRecord(by_id[fid].path, by_id[fid].signature,
                                  np.asarray(passages[fid], np.int64), keys,
                                  np.fromiter(tally.values(), np.int32, len(tally))))
        old = self.state.records(by_id[fid].path for fid in ids)
        return _Prepared(columns, old, new, len(rows))

    def _upload(self, batch: _Prepared) -> None:
        """Whatever the batch's paths had there before goes (rows of a killed run included),
        then its rows go in. Runs on the sending thread, while the next batch is gathered."""
        if batch.old:
            self._delete_paths(list(batch.old))
        for i in range(0, batch.rows, INSERT_ROWS):
            upsert_columns(self.client, self.names.passages,
                           {k: v[i:i + INSERT_ROWS] for k, v in batch.columns.items()},
                           self.schema)

    def _landed(self, batch: _Prepared, upload: Future[None], report: PublishReport,
                progress: Callable[[int, int], None] | None, total: int) -> None:
        """Once the batch is in Milvus (its upload's error, if any, raised here), the state
        records it."""
        upload.result()
        self.state.replace(batch.old.values(), batch.new, {})
        report.passages_sent += batch.rows
        report.files_sent += len(batch.new)
        if progress:
            progress(report.passages_sent, total)

    def _text(self, text: str) -> str:
        if self.text == "none":
            return ""
        if self.text == "excerpt":
            return text[:EXCERPT_CHARS]
        return clip_utf8(text, TEXT_BYTES)

    def _remove(self, paths: list[str]) -> None:
        for i in range(0, len(paths), 200):
            chunk = paths[i:i + 200]
            old = self.state.records(chunk)
            self._delete_paths(chunk)
            self.state.replace(old.values(), [], {})

    def _delete_paths(self, paths: list[str]) -> None:
        for i in range(0, len(paths), 200):
            chunk = paths[i:i + 200]
            self.client.delete(self.names.passages,
                               filter=f"path in [{', '.join(quote(p) for p in chunk)}]")

    def _push_frequencies(self) -> None:
        dirty = self.state.dirty()
        for i in range(0, len(dirty), 5000):
            chunk = dirty[i:i + 5000]
            self.client.upsert(self.names.terms, [{"key": k, "df": d, "v": [0.0, 0.0]}
                                                  for k, d in chunk])
            self.state.mark_clean([k for k, _ in chunk])


def _under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def _extension(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower()[:64] if "." in name else ""


def _local_average_length(catalog: Catalog) -> float:
    """FTS5's own average passage length in tokens, from its averages record (row 1 of the
    _data table: varints, the row count then each column's total), so the published weights
    are the local index's BM25 weights."""
    row = catalog.conn.execute("SELECT block FROM passages_fts_data WHERE id = 1").fetchone()
    if row is None or not row[0]:
        return 1.0
    values, pos, block = [], 0, bytes(row[0])
    while pos < len(block):
        value, pos = _varint(block, pos)
        values.append(value)
    rows, tokens = values[0], sum(values[1:])
    return tokens / rows if rows else 1.0


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """An SQLite varint: 7 bits a byte, high bit set on all but the last; a 9th byte gives 8."""
    value = 0
    for i in range(9):
        byte = data[pos + i]
        if i == 8:
            return (value << 8) | byte, pos + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, pos + i + 1
    return value, pos + 9
