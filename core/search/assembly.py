"""From fused scores to the hits shown: which file each candidate passage belongs to, and the
top files with their best passage, its snippet, page and the file's details."""

from __future__ import annotations

import json
import sqlite3

from core.pathcodec import from_db
from core.search.fusion import Fused
from core.search.query import Query
from core.search.results import Hit
from core.search.snippets import make_snippet, match_spans, query_stems


def owners(conn: sqlite3.Connection, lists: dict[str, dict[int, float]],
           known: dict[int, int] | None = None) -> dict[int, int]:
    """passage id -> file id for every passage in the lists (deleted ones are left out)."""
    known = known or {}
    wanted = {pid for scores in lists.values() for pid in scores} - known.keys()
    return {**known, **passage_files(conn, sorted(wanted))}


def passage_files(conn: sqlite3.Connection, pids: list[int]) -> dict[int, int]:
    """passage id -> file id, by primary key (passages of failed files do not exist)."""
    out: dict[int, int] = {}
    for i in range(0, len(pids), 900):
        chunk = pids[i:i + 900]
        marks = ",".join("?" * len(chunk))
        out.update(conn.execute(
            f"SELECT id, file_id FROM passages WHERE id IN ({marks})", chunk).fetchall())
    return out


def group(conn: sqlite3.Connection, query: Query, fused: Fused, k: int,
          blocked_files: set[int]) -> list[Hit]:
    """The top k files with their best passage and details."""
    by_file = {f: pids for f, pids in fused.best_passages().items()
               if f not in blocked_files and f in fused.files}
    ranked = sorted(by_file, key=lambda f: -fused.files[f])
    if len(ranked) > k:  # the top k, and any file tied with the k-th (usually none)
        ranked = [f for f in ranked if fused.files[f] >= fused.files[ranked[k - 1]]]
    meta = passage_meta(conn, [by_file[f][0] for f in ranked])

    def rank(fid: int) -> tuple[float, str]:
        # equal scores by path, not by row id: ids follow the order files happened to be indexed
        return -fused.files[fid], meta.get(by_file[fid][0], {}).get("path", "")

    files = sorted(ranked, key=rank)[:k]
    hits = []
    for fid in files:
        pids = by_file[fid]
        best = meta.get(pids[0])
        if best is None:
            continue
        snippet = make_snippet(best["text"], [*query.words, *query.phrases])
        hits.append(Hit(
            file_id=fid, path=from_db(best["path"]), title=best["title"],
            format=best["format"], mtime=best["mtime_ns"] / 1e9, size=best["size"],
            score=float(fused.files[fid]), passage_id=pids[0], passage_start=best["start"],
            passage_end=best["end"], page=match_page(best, [*query.words, *query.phrases]),
            section=best["section"],
            snippet=snippet, more_passages=len(pids) - 1,
            contributions=fused.parts.get(fid, {}), passage_ids=pids))
    return hits


def passage_meta(conn: sqlite3.Connection, pids: list[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    cols = ("id", "file_id", "start", "end", "page", "section", "text", "path", "title",
            "format", "mtime_ns", "size", "sections")
    for i in range(0, len(pids), 900):
        chunk = pids[i:i + 900]
        marks = ",".join("?" * len(chunk))
        # CROSS JOIN keeps SQLite on the passages' primary key (it would otherwise scan
        # files first: 400 ms instead of 1 ms on a 10,000-passage index).
        for row in conn.execute(
                "SELECT p.id, p.file_id, p.start, p.end, p.page, p.section, p.text, f.path, "
                "f.title, f.format, f.mtime_ns, f.size, f.sections FROM passages p "
                f"CROSS JOIN files f ON f.id = p.file_id WHERE p.id IN ({marks})", chunk):
            out[row[0]] = dict(zip(cols, row, strict=True))
    return out


def match_page(passage: dict, terms: list[str]) -> int | None:
    """The page the first matched word is on: a passage can run across a page break, and the
    reader wants the page with the words. Without a word match, the passage's own page."""
    page, sections = passage["page"], passage["sections"]
    if page is None or not sections or not terms or '"page"' not in sections:
        return page
    spans = match_spans(passage["text"], query_stems(terms))
    if not spans:
        return page
    at = passage["start"] + spans[0][0]
    try:
        starts = [(int(m[2]), int(m[1])) for m in json.loads(sections)
                  if m[0] == "page" and str(m[1]).isdigit()]
    except (ValueError, TypeError, IndexError):
        return page
    before = [label for start, label in starts if start <= at]
    return before[-1] if before else page
