"""Checks that the catalog is whole and consistent, and the repairs `spyglass doctor` can make.

The invariants: SQLite's own integrity; the FTS index matches the passages; every passage of a
fully indexed file has vectors (up to the per-file cap) and every other passage belongs to a file
still queued; failed and skipped files hold no passages; per-file passage counts are right; the
derived indexes are readable and not ahead of the catalog.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from core.store import segments
from core.store.catalog import SEMANTIC_PASSAGES_PER_FILE, Catalog
from core.store.schema import FTS_OPTIONS
from core.store.sparse_index import STEM as SPARSE_STEM
from core.store.sparse_index import publish_sparse_segment
from core.store.vectors import STEM as DENSE_STEM
from core.store.vectors import SUFFIX as DENSE_SUFFIX
from core.store.vectors import publish_dense_index, stored_dim


@dataclass
class Finding:
    problem: str
    count: int = 1
    repaired: bool = False


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)
    queued_files: int = 0  # waiting for extraction or encoding: fine, not a problem
    queued_passages: int = 0

    @property
    def ok(self) -> bool:
        return all(f.repaired for f in self.findings)


def check(catalog: Catalog, repair: bool = False) -> CheckReport:
    """What is wrong with the index; with `repair`, fix what can be fixed in place and rebuild
    the derived search indexes from SQLite."""
    report = CheckReport()
    conn = catalog.conn
    result = conn.execute("PRAGMA integrity_check").fetchall()
    if [r[0] for r in result] != ["ok"]:
        # Not repairable in place: the fix is to rebuild the index from the files.
        report.findings.append(Finding("SQLite integrity check failed: " +
                                       "; ".join(r[0] for r in result[:5]), len(result)))
        return report
    _check_fts(catalog, report, repair)
    _check_states(catalog, report, repair)
    if repair:  # after the repairs above, which may have dropped vectors the old ones hold
        rebuild_derived(catalog)
    _check_derived(catalog, report)
    report.queued_files = conn.execute(
        "SELECT count(*) FROM files WHERE state IN ('pending', 'text')").fetchone()[0]
    report.queued_passages = catalog.count_to_encode()
    return report


def _check_fts(catalog: Catalog, report: CheckReport, repair: bool) -> None:
    try:
        catalog.conn.execute("INSERT INTO passages_fts(passages_fts) VALUES('integrity-check')")
    except sqlite3.DatabaseError as e:
        finding = Finding(f"the keyword index does not match the passages ({e})")
        if repair:
            _rebuild_fts(catalog)
            finding.repaired = True
        report.findings.append(finding)


def _rebuild_fts(catalog: Catalog) -> None:
    """Empty the keyword index's storage and refill it from the passages. Its storage is reset
    from a new empty twin first: a damaged structure record stops even FTS5's own 'rebuild'."""
    conn = catalog.conn
    with catalog.transaction():
        conn.execute(f"CREATE VIRTUAL TABLE fts_reset USING fts5({FTS_OPTIONS})")
        for shadow in ("data", "idx", "docsize"):
            conn.execute(f"DELETE FROM passages_fts_{shadow}")
        conn.execute("INSERT INTO passages_fts_data SELECT * FROM fts_reset_data")
        conn.execute("DROP TABLE fts_reset")
        conn.execute("INSERT INTO passages_fts(passages_fts) VALUES('rebuild')")


def _count(catalog: Catalog, sql: str) -> int:
    return int(catalog.conn.execute(sql).fetchone()[0])


def _check_states(catalog: Catalog, report: CheckReport, repair: bool) -> None:
    cap = SEMANTIC_PASSAGES_PER_FILE
    conn = catalog.conn

    def finding(problem: str, rows: str, fix: Callable[[str], None]) -> None:
        """Count what `rows` ("FROM ... WHERE ...") selects; with `repair`, fix it in one
        transaction (`fix` gets `rows` back to select what it changes)."""
        n = _count(catalog, "SELECT count(*) " + rows)
        if n:
            found = Finding(problem, n)
            if repair:
                with catalog.transaction():
                    fix(rows)
                found.repaired = True
            report.findings.append(found)

    def drop_passages_of_files(rows: str) -> None:
        for (fid,) in conn.execute("SELECT f.id " + rows).fetchall():
            catalog._delete_passages_of(fid)

    def drop_orphans(rows: str) -> None:
        ids = [r[0] for r in conn.execute("SELECT p.id " + rows)]
        catalog._fts_delete(ids)
        catalog._drop_passages(ids)

    finding("files marked indexed have passages without vectors",
            "FROM files f WHERE f.state = 'indexed' AND EXISTS (SELECT 1 FROM passages p "
            "LEFT JOIN vectors v ON v.passage_id = p.id WHERE p.file_id = f.id "
            f"AND p.ord < {cap} AND v.seq IS NULL)",
            lambda rows: conn.execute(
                "UPDATE files SET state = 'text' WHERE id IN (SELECT f.id " + rows + ")"))
    finding("failed or skipped files still hold passages",
            "FROM files f WHERE f.state IN ('failed', 'skipped') AND EXISTS "
            "(SELECT 1 FROM passages p WHERE p.file_id = f.id)",
            drop_passages_of_files)
    finding("files with a wrong passage count",
            "FROM files f WHERE f.state IN ('text', 'indexed') AND f.n_passages != "
            "(SELECT count(*) FROM passages p WHERE p.file_id = f.id)",
            lambda rows: conn.execute(
                "UPDATE files SET n_passages = (SELECT count(*) FROM passages p "
                "WHERE p.file_id = files.id) WHERE id IN (SELECT f.id " + rows + ")"))
    finding("passages of files that no longer exist",
            "FROM passages p WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = p.file_id)",
            drop_orphans)
    finding("documents from archives or messages that are no longer indexed",
            "FROM files f WHERE f.parent_id IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM files c WHERE c.id = f.parent_id AND c.state != 'failed')",
            lambda rows: catalog.delete_files(
                [r[0] for r in conn.execute("SELECT f.id " + rows).fetchall()]))
    finding("pages queued for OCR of files that are not waiting for it",
            "FROM ocr_queue q WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.id = q.file_id "
            "AND f.state IN ('ocr', 'text', 'indexed'))",
            lambda rows: conn.execute(
                "DELETE FROM ocr_queue WHERE file_id NOT IN (SELECT id FROM files "
                "WHERE state IN ('ocr', 'text', 'indexed'))"))


def rebuild_derived(catalog: Catalog) -> None:
    """Throw the derived search indexes away and build them again from SQLite."""
    for stem, suffix in ((SPARSE_STEM, ""), (DENSE_STEM, DENSE_SUFFIX)):
        seg = segments.latest(catalog.index_dir, stem, suffix)
        while seg is not None:
            segments._remove(seg.path)
            seg = segments.latest(catalog.index_dir, stem, suffix)
    publish_sparse_segment(catalog, catalog.index_dir)
    publish_dense_index(catalog, catalog.index_dir, dim=stored_dim(catalog))


def _check_derived(catalog: Catalog, report: CheckReport) -> None:
    """Derived indexes may lag behind (readers catch up) but never run ahead of the catalog."""
    vec = _count(catalog, "SELECT COALESCE(MAX(seq), 0) FROM vectors")
    tomb = _count(catalog, "SELECT COALESCE(MAX(seq), 0) FROM tombstones")
    for stem, suffix in ((SPARSE_STEM, ""), (DENSE_STEM, DENSE_SUFFIX)):
        seg = segments.latest(catalog.index_dir, stem, suffix)
        if seg is not None and (seg.vector_seq > vec or seg.tombstone_seq > tomb):
            report.findings.append(Finding(
                f"the {stem} search index is newer than the catalog (it will be rebuilt)"))
