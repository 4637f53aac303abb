"""Archive members and e-mail attachments indexed as documents of their own: found by search
under a path naming both, re-read when the archive changes, gone when it goes, opened from a
private copy; hostile archives refused member by member with a reason, never followed."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core.api import Engine
from core.extract.archive import ARCHIVE_MAX_DEPTH
from core.indexer import IndexOptions
from core.open_member import OpenedMembers, member_bytes
from core.pathcodec import MEMBER_SEP, display, split_member
from core.reliability.archives import write_archive_library, zip_bytes

KEYWORD = IndexOptions(semantic=False, ocr=False)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("archives")
    root = write_archive_library(base / "docs")
    engine = Engine.open(base / "index")
    report = engine.index([root], options=KEYWORD)
    yield engine, root, report
    engine.close()


def _rows(engine: Engine) -> dict[str, tuple[str, str]]:
    prefix = engine._catalog.roots()[0].path + "/"
    return {p.removeprefix(prefix): (state, error or "")
            for p, state, error in engine._catalog.conn.execute(
                "SELECT path, state, error FROM files")}


def test_members_and_attachments_are_documents(indexed) -> None:  # type: ignore[no-untyped-def]
    engine, root, _ = indexed
    cases = {
        "quartz crystals mountain caves": "bundle.zip//inner.zip//deep/quartz.txt",
        "lighthouse tourism": "bundle.zip//reports/q3.txt",
        "sourdough rye": "backup.tar.gz//recipes/bread.txt",
        "blue garden fence": "plain.tar//todo.md",
        "copper kettles": "invoice.eml//invoice.txt",
        "saffron harvests": "letters.mbox//message 1/notes.txt",
        "tidal mills": "letters.mbox//message 2/notes.txt",
        "survivor beside the bomb": "bomb-inside.zip//fine.txt",
    }
    for query, member in cases.items():
        hits = engine.search(query, k=3, mode="keyword").hits
        assert hits and hits[0].path == f"{root}/{member}", (query, hits[:1])
    # The message itself stays a document, and its text names the attachment.
    hits = engine.search("invoice attached", k=3, mode="keyword").hits
    assert hits[0].path == str(root / "invoice.eml")
    shown = display(f"{root}/bundle.zip//inner.zip//deep/quartz.txt")
    assert shown.endswith("bundle.zip › inner.zip › deep/quartz.txt")
    assert split_member(f"{root}/bundle.zip//inner.zip//deep/quartz.txt") == (
        str(root / "bundle.zip"), ["inner.zip", "deep/quartz.txt"])


def test_hostile_members_are_refused_with_reasons(indexed) -> None:  # type: ignore[no-untyped-def]
    engine, root, report = indexed
    rows = _rows(engine)
    expect = {
        "bundle.zip//‥/escape.txt": "unsafe name '../escape.txt'",
        "bundle.zip//etc/absolute.txt": "unsafe name '/etc/absolute.txt'",
        "bundle.zip//C:/windows/drive.txt": "unsafe name 'C:/windows/drive.txt'",
        "bundle.zip//link-to-passwd": "a link (not followed)",
        "bundle.zip//secret.txt": "encrypted",
        "backup.tar.gz//docs/shadow-link": "a link (not followed)",
        "backup.tar.gz//docs/pipe": "not a regular file",
        "backup.tar.gz//‥/‥/outside.txt": "unsafe name '../../outside.txt'",
        "invoice.eml//evil.txt": "",  # an attachment's name is only ever a file name
        "bomb-inside.zip//bomb.zip": "possible zip bomb",
    }
    for member, reason in expect.items():
        state, error = rows[member]
        assert reason in error, (member, state, error)
    assert "copper" not in rows["invoice.eml//evil.txt"][1]
    nested = "deep.zip//" + "//".join(f"level{n}.zip" for n in range(ARCHIVE_MAX_DEPTH, 0, -1))
    assert rows[nested] == ("skipped", f"refused: archives nested deeper than "
                            f"{ARCHIVE_MAX_DEPTH} levels")
    assert not any("bottom" in p for p in rows)
    assert rows["bomb.zip"][0] == "failed" and "zip bomb" in rows["bomb.zip"][1]
    assert rows["many.zip"][0] == "failed" and "10,001 members" in rows["many.zip"][1]
    assert "no permissively licensed 7z reader" in rows["old.7z"][1]
    # Every row is accounted for: searchable, or skipped/failed with a reason.
    for path, (state, error) in rows.items():
        assert state in ("indexed", "text") or error, path
    # Nothing was written next to the documents.
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*")}
    assert on_disk == {"bundle.zip", "deep.zip", "many.zip", "bomb.zip", "bomb-inside.zip",
                       "backup.tar.gz", "plain.tar", "invoice.eml", "letters.mbox", "old.7z"}
    assert report.failed == 3  # bomb.zip, many.zip and the bomb inside bomb-inside.zip


def test_changed_renamed_and_deleted_archives(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    archive = root / "notes.zip"
    archive.write_bytes(zip_bytes({"a.txt": "The heron stands in the marsh at dawn.",
                              "b.txt": "Walnut trees need deep soil."}))
    with Engine.open(tmp_path / "index") as engine:
        engine.index([root], options=KEYWORD)
        assert engine.search("heron marsh", k=1, mode="keyword").hits
        archive.write_bytes(zip_bytes({"b.txt": "Walnut trees need deep soil.",
                                  "c.txt": "Kingfishers nest in river banks."}))
        os.utime(archive, ns=(1, 2 * 10**18))
        report = engine.index(options=KEYWORD)
        assert report.changed == 1
        assert not engine.search("heron marsh", k=3, mode="keyword").hits  # member removed
        assert engine.search("kingfishers river", k=1, mode="keyword").hits[0].path == \
            f"{archive}{MEMBER_SEP}c.txt"
        archive.rename(root / "renamed.zip")
        assert engine.index(options=KEYWORD).renamed == 1
        hits = engine.search("walnut soil", k=3, mode="keyword").hits
        assert [h.path for h in hits] == [f"{root / 'renamed.zip'}{MEMBER_SEP}b.txt"]
        (root / "renamed.zip").unlink()
        engine.index(options=KEYWORD)
        assert not engine.search("walnut soil", k=3, mode="keyword").hits
        assert engine._catalog.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 0


def test_opening_a_member_copies_only_it_privately(indexed) -> None:  # type: ignore[no-untyped-def]
    _, root, _ = indexed
    path = f"{root}/bundle.zip//inner.zip//deep/quartz.txt"
    name, data = member_bytes(path)
    assert (name, data) == ("quartz.txt", b"Notes on quartz crystals found in mountain caves.")
    opened = OpenedMembers()
    copy = opened.extract(path)
    assert copy.read_bytes() == data and copy.name == "quartz.txt"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(copy.parent.parent.stat().st_mode) == 0o700
    with pytest.raises(Exception, match="a link"):
        opened.extract(f"{root}/bundle.zip//link-to-passwd")
    opened.cleanup()
    assert not copy.parent.parent.exists()


def test_doctor_forgets_members_whose_archive_is_gone(tmp_path: Path) -> None:
    from core.store.catalog import Catalog
    from core.store.consistency import check
    root = tmp_path / "docs"
    root.mkdir()
    (root / "notes.zip").write_bytes(zip_bytes({"a.txt": "The heron stands in the marsh."}))
    with Engine.open(tmp_path / "index") as engine:
        engine.index([root], options=KEYWORD)
    cat = Catalog(tmp_path / "index")
    cat.conn.execute("PRAGMA foreign_keys = OFF")  # as a damaged or foreign-written file might
    with cat.transaction():
        cat.conn.execute("DELETE FROM files WHERE parent_id IS NULL")
    cat.conn.execute("PRAGMA foreign_keys = ON")
    problems = {f.problem for f in check(cat).findings}
    assert "documents from archives or messages that are no longer indexed" in problems
    assert check(cat, repair=True).ok and check(cat).findings == []
    assert cat.conn.execute("SELECT count(*) FROM files").fetchone()[0] == 0
    cat.close()
