"""Archives with known contents for tests and benchmarks: ordinary ones (zip, tar.gz, tar,
e-mail and mailbox attachments, nesting) and every hostile kind the indexer must refuse with a
reason (path traversal, absolute and drive names, links, encrypted members, bombs, nesting past
the depth limit, more members than allowed, formats without a permissive reader)."""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
from email.message import EmailMessage
from pathlib import Path

from core.extract.archive import ARCHIVE_MAX_DEPTH, ARCHIVE_MAX_MEMBERS
from core.extract.common import words


def zip_bytes(members: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def write_tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> None:
    with tarfile.open(path, mode) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("docs/shadow-link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/shadow"
        t.addfile(link)
        fifo = tarfile.TarInfo("docs/pipe")
        fifo.type = tarfile.FIFOTYPE
        t.addfile(fifo)
        evil = tarfile.TarInfo("../../outside.txt")
        evil.size = 4
        t.addfile(evil, io.BytesIO(b"evil"))


def mail_bytes(subject: str, body: str, attachments: dict[str, bytes]) -> bytes:
    m = EmailMessage()
    m["Subject"], m["From"], m["To"] = subject, "ann@example.org", "bob@example.org"
    m.set_content(body)
    for name, data in attachments.items():
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(m)


def mark_encrypted(path: Path, name: str) -> None:
    """Set a member's 'encrypted' flag, in its local and central headers (zipfile cannot write
    encrypted members)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        local = z.getinfo(name).header_offset
    data[local + 6] |= 0x1
    central = data.index(b"PK\x01\x02")
    while data[central + 46:central + 46 + len(name)] != name.encode():
        central = data.index(b"PK\x01\x02", central + 4)
    data[central + 8] |= 0x1
    path.write_bytes(bytes(data))


def write_archive_library(root: Path) -> Path:
    """The hostile and ordinary archives of tests/test_archives.py, in a new folder `root`."""
    root.mkdir()
    nested = zip_bytes({"deep/quartz.txt": "Notes on quartz crystals found in mountain caves."})
    with zipfile.ZipFile(root / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("reports/q3.txt", "Third quarter revenue grew with lighthouse tourism.")
        z.writestr("inner.zip", nested)
        z.writestr("../escape.txt", "path traversal")
        z.writestr("/etc/absolute.txt", "absolute name")
        z.writestr("C:/windows/drive.txt", "drive letter")
        link = zipfile.ZipInfo("link-to-passwd")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr("secret.txt", "password protected")
    mark_encrypted(root / "bundle.zip", "secret.txt")
    deep: bytes = zip_bytes({"bottom.txt": "the bottom of a well of archives"})
    for level in range(ARCHIVE_MAX_DEPTH + 1):
        deep = zip_bytes({f"level{level}.zip": deep})
    (root / "deep.zip").write_bytes(deep)
    with zipfile.ZipFile(root / "many.zip", "w") as z:
        for i in range(ARCHIVE_MAX_MEMBERS + 1):
            z.writestr(f"m{i}.txt", "x")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.txt", b"\0" * (210 * 1024 * 1024))  # past the 200 MB member limit
    (root / "bomb.zip").write_bytes(bomb.getvalue())
    (root / "bomb-inside.zip").write_bytes(zip_bytes({"bomb.zip": bomb.getvalue(),
                                                  "fine.txt": "a survivor beside the bomb"}))
    write_tar(root / "backup.tar.gz", {"recipes/bread.txt": b"Sourdough bread with rye flour."})
    write_tar(root / "plain.tar", {"todo.md": b"# Todo\n\nRepaint the blue garden fence."}, "w")
    (root / "invoice.eml").write_bytes(mail_bytes(
        "Invoice attached", "Please find the invoice attached.",
        {"invoice.txt": b"Invoice 4471 for seventeen copper kettles.",
         "../../evil.txt": b"an attachment whose name is a path"}))
    box = b"".join(b"From someone@example.org Mon Jan  1 00:00:00 2024\n" + mail_bytes(
        f"Letter {n}", "See attachment.", {"notes.txt": f"Letter {n} speaks of {word}.".encode()})
        + b"\n" for n, word in ((1, "saffron harvests"), (2, "tidal mills")))
    (root / "letters.mbox").write_bytes(box)
    (root / "old.7z").write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(64))
    return root


def write_ordinary_archives(root: Path, count: int) -> dict[str, str]:
    """`count` ordinary archives of every kind read: member path -> a sentence only it holds."""
    root.mkdir(parents=True, exist_ok=True)
    known: dict[str, str] = {}
    kinds = ("zip", "tar.bz2", "tar.xz", "mail-in-zip", "nested-zip")
    for n in range(count):
        kind = kinds[n % len(kinds)]
        sentence = f"Archive {n} keeps the ledger of harbour {_WORDS[n % len(_WORDS)]} number {n}."
        name = f"archive-{n:02}"
        if kind == "zip":
            (root / f"{name}.zip").write_bytes(zip_bytes({
                "notes/readme.md": f"# Notes\n\n{sentence}",
                "notes/page.html": "<html><body><p>An ordinary page.</p></body></html>"}))
            known[f"{name}.zip//notes/readme.md"] = sentence
        elif kind.startswith("tar."):
            suffix = kind.split(".")[1]
            with tarfile.open(root / f"{name}.{kind}", f"w:{suffix}") as t:
                data = sentence.encode()
                info = tarfile.TarInfo("letters/letter.txt")
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
            known[f"{name}.{kind}//letters/letter.txt"] = sentence
        elif kind == "mail-in-zip":
            mail = mail_bytes(f"Ledger {n}", "The ledger is attached.",
                              {"ledger.txt": sentence.encode()})
            (root / f"{name}.zip").write_bytes(zip_bytes({"mail/ledger.eml": mail}))
            known[f"{name}.zip//mail/ledger.eml//ledger.txt"] = sentence
        else:
            inner = zip_bytes({"deeper/fact.txt": sentence})
            (root / f"{name}.zip").write_bytes(zip_bytes({"inner.zip": inner}))
            known[f"{name}.zip//inner.zip//deeper/fact.txt"] = sentence
    return known


_WORDS = words("gulls anchors lanterns ropes tides barrels sails nets masts buoys")
