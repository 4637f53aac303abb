"""Documents inside documents: archive members and e-mail attachments, read in the extraction
worker like files of their own, nested up to core.extract.archive.ARCHIVE_MAX_DEPTH.

`ingest_file` is what the keyword phase runs for each file on disk: core.ingest.ingest, then,
for a container, one MemberResult per member (a document, or the reason it is not one). The
indexer stores each as a catalog file whose path names both ("a.zip//reports/q3.pdf").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from core.extract import extract_bytes
from core.extract.archive import (
    ARCHIVE_KINDS,
    ARCHIVE_MAX_DEPTH,
    Budget,
    container_kind,
    members,
)
from core.extract.common import Source
from core.extract.types import ExtractionError, NotADocument, UnsupportedFormat
from core.ingest import IngestResult, IngestTask, ingest, passages_of
from core.pathcodec import MEMBER_SEP

ARCHIVE_FORMAT = "archive"
MAX_TEXT_CHARS = 20_000_000  # text kept from all the members of one file on disk
_UNREAD_ARCHIVES = {b"7z\xbc\xaf\x27\x1c": "7z", b"Rar!\x1a\x07": "RAR"}


@dataclass
class MemberResult:
    name: str  # inside the file on disk; nested levels joined by MEMBER_SEP
    size: int
    mtime_ns: int
    ok: bool  # as a pool's TaskResult: value is an IngestResult, or the reason it failed
    value: IngestResult | str


def ingest_file(task: IngestTask) -> IngestResult:
    result = ingest(task)
    if result.unchanged or task.ocr_text is not None:
        return result
    src = Source(name=Path(task.path).name, path=Path(task.path))
    if result.skipped is not None:
        head = src.head(8)
        for magic, name in _UNREAD_ARCHIVES.items():
            if head.startswith(magic):
                result.skipped = (f"{name} archive: not read (no permissively licensed {name} "
                                  "reader exists)")
        kind = container_kind(src, None)
        if kind is None:
            return result
        result = IngestResult(content_hash=result.content_hash, title=src.stem,
                              format=ARCHIVE_FORMAT)
    elif result.format in ("email", "mbox"):
        kind = container_kind(src, _mail_kind(result.format, src.head(8)))
        if kind is None:
            return result
    else:
        return result
    budget = Budget()
    result.members = read_members(src, kind, budget, depth=1, chars=[MAX_TEXT_CHARS])
    result.warnings.extend(budget.notes)
    return result


def read_members(src: Source, kind: str, budget: Budget, depth: int, chars: list[int],
                 prefix: str = "") -> list[MemberResult]:
    """Every member of `src`, nested containers flattened into it with their own row."""
    out: list[MemberResult] = []
    try:
        for m in members(src, kind, budget):
            name = prefix + m.name
            if m.refused is not None or m.data is None:
                out.append(MemberResult(name, m.size, m.mtime_ns, True, IngestResult(
                    content_hash="", skipped=f"refused: {m.refused or 'no data'}")))
                continue
            out.extend(_member(name, m.data, m.mtime_ns, budget, depth, chars))
    except ExtractionError as e:  # the container as a whole is refused (a bomb, too many)
        if not prefix:
            raise
        out.append(MemberResult(prefix.removesuffix(MEMBER_SEP), 0, 0, False, e.reason))
    return out


def _member(name: str, data: bytes, mtime_ns: int, budget: Budget, depth: int,
            chars: list[int]) -> list[MemberResult]:
    content_hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    base = name.rsplit(MEMBER_SEP, 1)[-1].rsplit("/", 1)[-1]
    src = Source(name=base, content=data)
    try:
        doc = extract_bytes(base, data, max(chars[0], 0) or 1)
    except (NotADocument, UnsupportedFormat) as e:
        kind = container_kind(src, None)
        if kind not in ARCHIVE_KINDS:
            return [MemberResult(name, len(data), mtime_ns, True,
                                 IngestResult(content_hash=content_hash, skipped=e.reason))]
        row = MemberResult(name, len(data), mtime_ns, True, IngestResult(
            content_hash=content_hash, title=Path(base).stem, format=ARCHIVE_FORMAT))
        if depth >= ARCHIVE_MAX_DEPTH:
            row.value = IngestResult(content_hash=content_hash, skipped="refused: archives "
                                     f"nested deeper than {ARCHIVE_MAX_DEPTH} levels")
            return [row]
        return [row, *read_members(src, kind, budget, depth + 1, chars,
                                   prefix=name + MEMBER_SEP)]
    except ExtractionError as e:
        return [MemberResult(name, len(data), mtime_ns, False, e.reason)]
    if chars[0] <= 0:
        return [MemberResult(name, len(data), mtime_ns, True, IngestResult(
            content_hash=content_hash, skipped="refused: over the archive's text limit of "
            f"{MAX_TEXT_CHARS // 1_000_000} million characters"))]
    chars[0] -= len(doc.text)
    result = IngestResult(
        content_hash=content_hash, title=doc.title, format=doc.format,
        sections=[(s.kind, s.label, s.start, s.level) for s in doc.sections],
        passages=passages_of(doc), text=doc.text, warnings=list(doc.warnings))
    if doc.ocr_pages:
        result.warnings.append("scanned pages inside an archive or attachment are not read "
                               "by OCR")
    rows = [MemberResult(name, len(data), mtime_ns, True, result)]
    mail = _mail_kind(doc.format, data[:8])
    if mail and depth < ARCHIVE_MAX_DEPTH:  # a message's attachments, inside the archive
        rows.extend(read_members(src, mail, budget, depth + 1, chars,
                                 prefix=name + MEMBER_SEP))
    return rows


def _mail_kind(fmt: str, head: bytes) -> str | None:
    if fmt == "mbox":
        return "mbox"
    if fmt == "email":
        return "msg" if head.startswith(b"\xd0\xcf\x11\xe0") else "eml"
    return None
