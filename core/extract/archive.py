"""Archives (zip, tar with gzip/bzip2/xz) and e-mail attachments: the documents inside.

`container_kind` says whether a file holds other documents; `members` yields them one at a time
(bytes in memory, one member at once), each with a safe name or the reason it is refused: a name
that leaves the archive's folder (`../`, absolute, a drive letter), a link, an encrypted member,
one too large, too deep a nesting. A `Budget` shared by every level of nesting caps the members,
bytes and depth of one container on disk, so a zip of zips of zips cannot multiply its way past.
7z and RAR are named as unsupported: no permissively licensed reader exists (py7zr is LGPL).
"""

from __future__ import annotations

import lzma
import posixpath
import stat
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from .common import ZIP_MEMBER_MAX, Source, check_zip, fail
from .types import ExtractionError

ARCHIVE_MAX_DEPTH = 3  # an archive in an archive in an archive; deeper is refused
ARCHIVE_MAX_MEMBERS = 10_000  # documents in one file on disk, all levels together
ARCHIVE_MAX_BYTES = 2 * 1024**3  # bytes inflated from one file on disk, all levels together
ARCHIVE_KINDS = ("zip", "tar")
MAIL_KINDS = ("eml", "mbox", "msg")


@dataclass
class Budget:
    """What one file on disk may still cost, shared by its nested containers."""

    members: int = ARCHIVE_MAX_MEMBERS
    bytes: int = ARCHIVE_MAX_BYTES
    notes: list[str] = field(default_factory=list)  # limits reached, said once each

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


@dataclass(frozen=True)
class Member:
    name: str  # normalised path inside the container ("reports/q3.pdf")
    size: int
    mtime_ns: int
    data: bytes | None = None  # None when refused
    refused: str | None = None  # why it is not read


def container_kind(src: Source, kind: str | None) -> str | None:
    """"zip" or "tar" for an archive, the mail kind for a message (its attachments), or None.
    `kind` is what core.extract.sniff.detect said, or None when it said "not a document"."""
    if kind in MAIL_KINDS:
        return kind
    head = src.head(512)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06") and kind is None:
        return "zip"  # a zip that is not an Office, ODF or EPUB package
    if head[257:262] == b"ustar":
        return "tar"
    compressed = head[:2] == b"\x1f\x8b" or head[:3] == b"BZh" or head[:6] == b"\xfd7zXZ\x00"
    name = src.name.lower()
    if compressed and (".tar." in name or name.endswith((".tgz", ".tbz", ".tbz2", ".txz"))):
        return "tar"
    return None


def safe_name(raw: str) -> str | None:
    """The member's name as a relative path, or None if it would leave the archive's folder."""
    name = raw.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or "\x00" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return posixpath.join(*parts)


def unsafe(raw: str, size: int, mtime_ns: int) -> Member:
    """A refused name, listed under a tidied form of itself: no "//", no leading "/", and ".."
    shown as "‥" so that no tool normalising the path could take it to a parent folder."""
    parts = raw.replace("\\", "/").replace("\x00", "").split("/")
    tidy = "/".join("‥" if p == ".." else p for p in parts if p not in ("", "."))
    return Member(tidy[:200] or "(no name)", size, mtime_ns,
                  refused=f"unsafe name {raw[:100]!r} (it points outside the archive)")


def members(src: Source, kind: str, budget: Budget) -> Iterator[Member]:
    if kind == "zip":
        yield from _zip_members(src, budget)
    elif kind == "tar":
        yield from _tar_members(src, budget)
    else:
        from .attachments import attachments
        yield from attachments(src, kind, budget)


def take(budget: Budget, name: str, size: int, mtime_ns: int) -> Member | None:
    """A refusal when the member would break the budget or the member size limit."""
    if budget.members <= 0:
        budget.note(f"only the first {ARCHIVE_MAX_MEMBERS:,} members are read")
        return Member(name, size, mtime_ns, refused="over the limit of "
                      f"{ARCHIVE_MAX_MEMBERS:,} members per archive")
    budget.members -= 1
    if size > ZIP_MEMBER_MAX:
        return Member(name, size, mtime_ns, refused=f"larger than {ZIP_MEMBER_MAX // 2**20} MB "
                      "uncompressed (possible bomb)")
    if size > budget.bytes:
        budget.note(f"only the first {ARCHIVE_MAX_BYTES // 2**30} GB of the archive is read")
        return Member(name, size, mtime_ns, refused="over the archive's limit of "
                      f"{ARCHIVE_MAX_BYTES // 2**30} GB uncompressed")
    return None


def admit(budget: Budget, name: str, data: bytes, mtime_ns: int = 0) -> Member:
    """A member whose bytes are in hand (an attachment): read, or refused by the budget."""
    refused = take(budget, name, len(data), mtime_ns)
    if refused:
        return refused
    budget.bytes -= len(data)
    return Member(name, len(data), mtime_ns, data)


def _zip_members(src: Source, budget: Budget) -> Iterator[Member]:
    with src.open() as raw:
        try:
            zf = zipfile.ZipFile(raw)
        except Exception as e:
            raise fail("zip archive", e) from e
        with zf:
            yield from _zip_entries(zf, budget)


def _zip_entries(zf: zipfile.ZipFile, budget: Budget) -> Iterator[Member]:
    infos = [i for i in zf.infolist() if not i.is_dir()]
    if len(infos) > ARCHIVE_MAX_MEMBERS:
        raise ExtractionError(f"zip archive has {len(infos):,} members (more than "
                              f"{ARCHIVE_MAX_MEMBERS:,}: refused)")
    check_zip(zf, "zip archive")  # bombs: sizes that lie, absurd ratios and totals
    for info in infos:
        mtime_ns = _zip_time(info)
        name = safe_name(info.filename)
        if name is None:
            yield unsafe(info.filename, info.file_size, mtime_ns)
            continue
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            yield Member(name, info.file_size, mtime_ns, refused="a link (not followed)")
            continue
        if info.flag_bits & 0x1:
            yield Member(name, info.file_size, mtime_ns,
                         refused="encrypted (password-protected)")
            continue
        refused = take(budget, name, info.file_size, mtime_ns)
        if refused:
            yield refused
            continue
        try:
            with zf.open(info) as f:
                data = f.read(ZIP_MEMBER_MAX + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError, ValueError) as e:
            yield Member(name, info.file_size, mtime_ns,
                         refused=f"damaged member: {type(e).__name__}: {e}"[:200])
            continue
        budget.bytes -= len(data)
        yield Member(name, len(data), mtime_ns, data)


def _zip_time(info: zipfile.ZipInfo) -> int:
    try:
        return int(time.mktime((*info.date_time, 0, 0, -1))) * 10**9
    except (OverflowError, ValueError):
        return 0


def _tar_members(src: Source, budget: Budget) -> Iterator[Member]:
    with src.open() as raw:
        # Stream mode ("r|*"): one pass, nothing seeks, a member is read only when reached.
        try:
            tf = tarfile.open(fileobj=raw, mode="r|*")  # noqa: SIM115 (closed by the with below)
        except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as e:
            raise fail("tar archive", e) from e
        with tf:
            yield from _tar_entries(tf, budget)


def _tar_entries(tf: tarfile.TarFile, budget: Budget) -> Iterator[Member]:
    try:
        for info in tf:
            mtime_ns = int(max(info.mtime, 0)) * 10**9
            name = safe_name(info.name)
            if info.isdir():
                continue
            if name is None:
                yield unsafe(info.name, info.size, mtime_ns)
            elif info.issym() or info.islnk():
                yield Member(name, 0, mtime_ns, refused="a link (not followed)")
            elif not info.isfile():
                yield Member(name, 0, mtime_ns, refused="not a regular file (device or pipe)")
            elif refused := take(budget, name, info.size, mtime_ns):
                yield refused
            else:
                f = tf.extractfile(info)
                data = f.read(ZIP_MEMBER_MAX + 1) if f is not None else b""
                budget.bytes -= len(data)
                yield Member(name, len(data), mtime_ns, data)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError,
            ValueError) as e:  # truncated or corrupt: what was read so far stays
        budget.note(f"damaged after the members read so far ({type(e).__name__}: {e})"[:200])
