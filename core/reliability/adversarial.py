"""A folder of hostile inputs, and files that change under the indexer's feet.

`write_adversarial_tree(dest)` writes documents that crash, hang or balloon naive parsers (zip and
gzip bombs, absurd nesting, a 100 MB line, lying headers, broken encodings, evil file names,
unreadable files, symlink loops) and returns one `AdversarialCase` per entry saying what it is
and what an indexer should make of it. `ScanMutator` deletes, rewrites, truncates and swaps files
right after a scan, before their contents are read.

Everything is generated here, deterministically, from the standard library (plus python-pptx for
one valid presentation); nothing is downloaded. Bombs are built from a deflate stream of zeros
that is computed once and repeated, so a 3 GiB member costs milliseconds and 3 MB of disk.
"""

from __future__ import annotations

import functools
import io
import os
import random
import stat
import struct
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.reliability.pdf import pdf_bytes

# "indexed": searchable afterwards; "failed"/"skipped": reported with a reason; "either": any
# of those three (the point is surviving it); "ignored": never indexed and never followed
# (symlinks, files inside a folder the indexer may not read).
Expectation = Literal["indexed", "failed", "skipped", "either", "ignored"]

BOMB_BYTES = 3 * 1024**3  # what one bomb member inflates to (fits a plain, non-zip64 header)
_MIB = 1024 * 1024


@dataclass(frozen=True)
class AdversarialCase:
    name: str  # path relative to the tree's folder (os.fsdecode form for undecodable names)
    kind: str  # what it is, in a few words
    expect: Expectation
    path: Path  # absolute path of the entry
    probe: str | None = None  # a word that a keyword search finds if the file is indexed right


# --- deflate streams of zeros --------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _zero_deflate_chunk() -> tuple[bytes, bytes]:
    """Raw deflate of 1 MiB of zeros ending in a full flush (so it can be repeated), and the
    end-of-stream block."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = c.compress(bytes(_MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(bytes(_MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    assert chunk == again  # after a full flush the compressor state repeats exactly
    return chunk, c.flush(zlib.Z_FINISH)


@functools.lru_cache(maxsize=8)
def _zeros_crc(n_mib: int) -> int:
    crc, block = 0, bytes(_MIB)
    for _ in range(n_mib):
        crc = zlib.crc32(block, crc)
    return crc


@dataclass(frozen=True)
class Zeros:
    """A zip member of `mib` MiB of zeros, optionally with headers lying about its size."""

    mib: int
    declared_size: int | None = None  # claim this uncompressed size (and its CRC) instead


def _zeros_stream(mib: int) -> bytes:
    chunk, end = _zero_deflate_chunk()
    return chunk * mib + end


def zip_bytes(members: Sequence[tuple[str, bytes | Zeros]]) -> bytes:
    """A plain zip built by hand: deflated members, "mimetype" stored first as ODF/EPUB
    want, and `Zeros` members spliced in from the precomputed stream (no zip64: < 4 GiB)."""
    out = io.BytesIO()
    central: list[bytes] = []
    dos_time, dos_date = 0, (2024 - 1980) << 9 | 1 << 5 | 1
    for name, content in members:
        raw_name = name.encode("utf-8")
        flags = 0x800 if not name.isascii() else 0
        if isinstance(content, Zeros):
            method, data = 8, _zeros_stream(content.mib)
            size = content.mib * _MIB
            crc = _zeros_crc(content.mib)
            if content.declared_size is not None:
                size = content.declared_size
                crc = zlib.crc32(bytes(size))
        elif name == "mimetype":
            method, data, size, crc = 0, content, len(content), zlib.crc32(content)
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            method, data = 8, c.compress(content) + c.flush()
            size, crc = len(content), zlib.crc32(content)
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, method, dos_time,
                              dos_date, crc, len(data), size, len(raw_name), 0))
        out.write(raw_name)
        out.write(data)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, method,
                                   dos_time, dos_date, crc, len(data), size, len(raw_name),
                                   0, 0, 0, 0, 0o644 << 16, offset) + raw_name)
    cd_start = out.tell()
    for entry in central:
        out.write(entry)
    cd_size = out.tell() - cd_start
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), cd_size,
                          cd_start, 0))
    return out.getvalue()


def write_zip(path: Path, members: Sequence[tuple[str, bytes | Zeros]]) -> None:
    path.write_bytes(zip_bytes(members))


def write_gzip_bomb(path: Path, mib: int) -> None:
    """A gzip member of `mib` MiB of zeros (RFC 1952 around the precomputed deflate stream)."""
    header = b"\x1f\x8b\x08\x00" + struct.pack("<I", 0) + b"\x02\xff"
    trailer = struct.pack("<II", _zeros_crc(mib), (mib * _MIB) & 0xFFFFFFFF)
    path.write_bytes(header + _zeros_stream(mib) + trailer)


# --- small valid documents -----------------------------------------------------------------

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_PKG_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def docx_members(body_xml: str | Zeros, extra: Sequence[tuple[str, bytes | Zeros]] = (),
                 rels: str = "") -> list[tuple[str, bytes | Zeros]]:
    """The parts of a minimal DOCX whose word/document.xml is `body_xml`."""
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
             '.org/package/2006/content-types"><Default Extension="rels" ContentType="application'
             '/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
             'ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>'
             '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats'
             '-officedocument.wordprocessingml.document.main+xml"/></Types>')
    root_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                 'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
                 f'{_PKG_RELS}/officeDocument" Target="word/document.xml"/></Relationships>')
    doc_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
                f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
    document: bytes | Zeros = body_xml if isinstance(body_xml, Zeros) else (
        f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}" '
        f'xmlns:r="{_PKG_RELS}"><w:body>{body_xml}</w:body></w:document>').encode()
    return [("[Content_Types].xml", types.encode()), ("_rels/.rels", root_rels.encode()),
            ("word/document.xml", document),
            ("word/_rels/document.xml.rels", doc_rels.encode()), *extra]


def docx_paragraphs(paragraphs: Sequence[str]) -> str:
    return "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)


_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')


def odt_members(content: str | Zeros) -> list[tuple[str, bytes | Zeros]]:
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:'
                'oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:'
                'full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/'
                'xml"/></manifest:manifest>')
    body: bytes | Zeros = content if isinstance(content, Zeros) else (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
        f"<office:body><office:text>{content}</office:text></office:body>"
        "</office:document-content>").encode()
    return [("mimetype", b"application/vnd.oasis.opendocument.text"),
            ("META-INF/manifest.xml", manifest.encode()), ("content.xml", body)]


def epub_members(chapter: str | Zeros, title: str = "Hostile Book") -> list[tuple[str,
                                                                                   bytes | Zeros]]:
    container = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:'
                 'opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.'
                 'opf" media-type="application/oebps-package+xml"/></rootfiles></container>')
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
           f"<dc:title>{title}</dc:title></metadata><manifest>"
           '<item id="c1" href="ch1.xhtml" media-type="application/xhtml+xml"/></manifest>'
           '<spine><itemref idref="c1"/></spine></package>')
    body: bytes | Zeros = chapter if isinstance(chapter, Zeros) else (
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>Chapter'
        f"</title></head><body>{chapter}</body></html>").encode()
    return [("mimetype", b"application/epub+zip"), ("META-INF/container.xml", container.encode()),
            ("OEBPS/content.opf", opf.encode()), ("OEBPS/ch1.xhtml", body)]


def xlsx_members(sheet: str | Zeros) -> list[tuple[str, bytes | Zeros]]:
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
             '.org/package/2006/content-types"><Default Extension="rels" ContentType="application'
             '/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
             'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
             '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
             '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
             'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
    rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{_PKG_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{ns}" xmlns:r="'
                f'{_PKG_RELS}"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets>'
                "</workbook>")
    wb_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
               'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
               f'{_PKG_RELS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
    data: bytes | Zeros = sheet if isinstance(sheet, Zeros) else (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{ns}"><sheetData>{sheet}'
        "</sheetData></worksheet>").encode()
    return [("[Content_Types].xml", types.encode()), ("_rels/.rels", rels.encode()),
            ("xl/workbook.xml", workbook.encode()), ("xl/_rels/workbook.xml.rels",
                                                     wb_rels.encode()),
            ("xl/worksheets/sheet1.xml", data)]


def xlsx_rows(rows: Sequence[Sequence[str]]) -> str:
    out = []
    for r, row in enumerate(rows, 1):
        cells = "".join(f'<c r="{chr(65 + c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                        for c, v in enumerate(row))
        out.append(f'<row r="{r}">{cells}</row>')
    return "".join(out)


def pptx_bytes(lines: Sequence[str]) -> bytes:
    from pptx import Presentation  # a runtime dependency already; builds the parts we need

    prs = Presentation()
    for line in lines:
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = line
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# --- the tree ------------------------------------------------------------------------------

EMPTY_EXTS = ("pdf", "docx", "odt", "epub", "html", "txt", "eml", "rtf", "xlsx", "pptx", "md",
              "gz", "xml", "txt.gz")
RANDOM_EXTS = ("pdf", "docx", "odt", "epub", "html", "txt", "eml", "rtf", "xlsx", "pptx", "md",
               "gz", "xml", "msg")
# Formats that are binary containers: random bytes under these names cannot be read.
_BINARY_RANDOM = frozenset({"pdf", "docx", "odt", "epub", "xlsx", "pptx", "gz", "msg"})
_BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
""" + "".join(
    f' <!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">\n'
    for i in range(1, 10)) + """]>
<lolz><title>Laughing matters</title><p>billionlaughs &lol9; survived</p></lolz>
"""


class _Tree:
    def __init__(self, dest: Path) -> None:
        self.dest = dest
        self.cases: list[AdversarialCase] = []

    def add(self, name: str, kind: str, expect: Expectation, data: bytes | None = None,
            probe: str | None = None) -> Path:
        path = self.dest / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if data is not None:
            path.write_bytes(data)
        self.cases.append(AdversarialCase(name, kind, expect, path, probe))
        return path


def write_adversarial_tree(dest: Path, *, big_mb: int = 100,
                           bomb_mib: int = BOMB_BYTES // _MIB) -> list[AdversarialCase]:
    """Write hostile inputs under `dest` (created) and describe each entry.

    Run as root, the unreadable file and folder are only unreadable to a process without
    CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH (e.g. under `setpriv --bounding-set=-dac_override,
    -dac_read_search`). Names never start with "." (hidden files are not indexed by default).
    """
    dest.mkdir(parents=True, exist_ok=True)
    t = _Tree(dest)
    rng = random.Random(20240517)

    # Empty files under every document extension: nothing to read, reported as empty.
    for ext in EMPTY_EXTS:
        t.add(f"empty/empty.{ext}", f"empty .{ext}", "skipped", b"")

    # Random bytes under document extensions: binary containers fail, text kinds may index junk
    # (8 KiB: junk decodes to ~30 passages per file, each a full-length encoder input).
    for ext in RANDOM_EXTS:
        expect: Expectation = "failed" if ext in _BINARY_RANDOM else "either"
        t.add(f"random/random.{ext}", f"8 KiB of random bytes as .{ext}", expect,
              rng.randbytes(8 * 1024))

    # Valid documents cut in half.
    words = [f"truncated sample paragraph number {i} with ordinary words" for i in range(200)]
    pdf = pdf_bytes(words[:40])
    t.add("truncated/half.pdf", "PDF cut in half", "either", pdf[: len(pdf) // 2])
    for ext, members in (("docx", docx_members(docx_paragraphs(words))),
                         ("odt", odt_members("".join(f"<text:p>{w}</text:p>" for w in words))),
                         ("epub", epub_members("".join(f"<p>{w}</p>" for w in words))),
                         ("xlsx", xlsx_members(xlsx_rows([[w, "x"] for w in words])))):
        whole = zip_bytes(members)
        t.add(f"truncated/half.{ext}", f"{ext.upper()} cut in half", "failed",
              whole[: len(whole) // 2])
    whole = pptx_bytes(words[:20])
    t.add("truncated/half.pptx", "PPTX cut in half", "failed", whole[: len(whole) // 2])

    # Zip bombs: one member that inflates to gigabytes, in each container family.
    bomb = Zeros(bomb_mib)
    for name, members, kind in (
            ("bombs/bomb.docx", docx_members(bomb), "DOCX whose document.xml inflates to"),
            ("bombs/bomb.odt", odt_members(bomb), "ODT whose content.xml inflates to"),
            ("bombs/bomb.epub", epub_members(bomb), "EPUB whose chapter inflates to"),
            ("bombs/bomb.xlsx", xlsx_members(bomb), "XLSX whose sheet inflates to")):
        write_zip(t.add(name, f"{kind} {bomb_mib / 1024:g} GiB", "failed"), members)
    # Headers claiming 4 KiB for the same stream: a reader must stop at the declared size.
    write_zip(t.add("bombs/lying-sizes.docx", "DOCX bomb whose headers claim 4 KiB", "failed"),
              docx_members(Zeros(bomb_mib, declared_size=4096)))
    # Under the per-member guards (19 MiB each, 48 of them, ~900 MiB) but referenced as images,
    # so a loader that reads every part pulls them all into memory.
    media = [(f"word/media/image{i}.png", Zeros(19)) for i in range(48)]
    rels = "".join(f'<Relationship Id="rIdM{i}" Type="{_PKG_RELS}/image" '
                   f'Target="media/image{i}.png"/>' for i in range(48))
    write_zip(t.add("bombs/many-members.docx", "DOCX with 48 x 19 MiB images (~900 MiB)",
                    "either"),
              docx_members(docx_paragraphs(["manymembers probe text"]), media, rels))
    # Zips inside zips (the 42.zip idea, one level per step), the innermost a bomb.
    inner = zip_bytes(docx_members(bomb))
    for _ in range(3):
        inner = zip_bytes([("inner.zip", inner)])
    # The archive is read (its members are documents); the levels past the depth limit and
    # the bomb are refused member by member.
    t.add("bombs/nested.zip", "zip in zip in zip around a DOCX bomb", "indexed", inner)
    write_gzip_bomb(t.add("bombs/bomb.txt.gz", f"gzip bomb: {bomb_mib / 1024:g} GiB of zeros",
                          "skipped"), bomb_mib)

    # Absurd nesting.
    depth = 100_000
    t.add("nesting/deep.html", f"{depth:,} nested <div>s", "indexed",
          ("<html><head><title>Deep</title></head><body>" + "<div>" * depth
           + "deephtmlprobe words at the bottom" + "</div>" * depth + "</body></html>").encode(),
          probe="deephtmlprobe")
    t.add("nesting/deep.xml", f"{depth:,} nested XML elements", "failed",
          ('<?xml version="1.0"?><root>' + "<a>" * depth + "deepxmlprobe" + "</a>" * depth
           + "</root>").encode())
    deep_body = ("<w:sdt><w:sdtContent>" * 20_000 + docx_paragraphs(["deepdocxprobe"])
                 + "</w:sdtContent></w:sdt>" * 20_000)
    write_zip(t.add("nesting/deep.docx", "DOCX with 20,000 nested content controls", "failed"),
              docx_members(deep_body))
    write_zip(t.add("nesting/deep.epub", f"EPUB chapter with {depth:,} nested <div>s",
                    "indexed", probe="deepepubprobe"),
              epub_members("<div>" * depth + "deepepubprobe" + "</div>" * depth))
    t.add("nesting/deep.rtf", f"RTF with {depth:,} nested groups", "indexed",
          b"{\\rtf1 " + b"{" * depth + b"deeprtfprobe" + b"}" * depth + b"}", probe="deeprtfprobe")
    t.add("nesting/billion-laughs.xml", "XML entity expansion (billion laughs)", "indexed",
          _BILLION_LAUGHS.encode(), probe="billionlaughs")

    # One line of `big_mb` MB (no newline at all), and one 8 MB "word" without any space.
    big = t.add("big/one-line.txt", f"{big_mb} MB on a single line", "indexed",
                probe="onelineprobe")
    sentence = b"the quick brown fox jumps over the lazy dog and keeps running; "
    block = sentence * (_MIB // len(sentence))
    with open(big, "wb") as f:
        f.write(b"onelineprobe ")
        written = 13
        while written < big_mb * 1_000_000:
            piece = block[: big_mb * 1_000_000 - written]
            f.write(piece)
            written += len(piece)
    alnum = b"abcdefghijklmnopqrstuvwxyz0123456789"
    t.add("big/one-word.txt", "an 8 MB word without spaces", "indexed",
          b"onewordprobe " + bytes(rng.choice(alnum) for _ in range(8 * 1024))
          * 1024, probe="onewordprobe")
    pages = ["hugepagesprobe: the only real page"]
    t.add("big/page-count-claim.pdf", "PDF whose page tree claims 2,000,000,000 pages",
          "indexed", pdf_bytes(pages, count=2_000_000_000), probe="hugepagesprobe")
    t.add("big/same-page-50k.pdf", "PDF listing one page 50,000 times", "either",
          pdf_bytes(["samepageprobe repeated page"], kids=50_000))

    # Encodings.
    t.add("encoding/invalid-utf8.txt", "invalid UTF-8 sequences between words", "indexed",
          b"invalidutf8probe begins \xc3\x28 lone \xa0\xa1 overlong \xc0\xaf surrogate "
          b"\xed\xa0\x80 five-byte \xf8\x88\x80\x80\x80 ff \xff fe \xfe cut \xe2\x82 end\n" * 50,
          probe="invalidutf8probe")
    utf16 = ("utf16probe: a letter written in UTF-16 without a byte order mark. "
             "Grüße aus Köln, ünïcödé everywhere.\n") * 20
    t.add("encoding/utf16-le-nobom.txt", "UTF-16 LE without BOM", "indexed",
          utf16.encode("utf-16-le"), probe="utf16probe")
    t.add("encoding/utf16-be-nobom.txt", "UTF-16 BE without BOM", "indexed",
          utf16.encode("utf-16-be"), probe="utf16probe")
    t.add("encoding/utf16-odd-length.txt", "UTF-16 LE cut mid-character", "indexed",
          utf16.encode("utf-16-le")[:-1], probe="utf16probe")
    t.add("encoding/meta-lies-utf16.html", "<meta charset=utf-16> on a UTF-8 page", "indexed",
          ('<html><head><meta charset="utf-16"><title>Liar</title></head><body><p>'
           "metaliesprobe Grüße, naïve café</p></body></html>").encode(),
          probe="metaliesprobe")
    t.add("encoding/meta-lies-utf8.html", "<meta charset=utf-8> on a windows-1252 page",
          "indexed",
          ('<html><head><meta charset="utf-8"><title>Liar</title></head><body><p>'
           "metautf8probe Gr\xfc\xdfe, na\xefve caf\xe9</p></body></html>").encode("cp1252"),
          probe="metautf8probe")
    t.add("encoding/meta-bogus.html", "<meta charset> naming no real encoding", "indexed",
          b'<html><head><meta charset="x-no-such-charset-\xff"></head><body>'
          b"<p>metabogusprobe text \xe9\xe8</p></body></html>", probe="metabogusprobe")
    t.add("encoding/nul-riddled.txt", "text with NUL bytes between the words", "either",
          b"nulprobe\x00text\x00with\x00nuls\x00" * 500)

    # Hostile file names (each a small readable note with its own probe word).
    names = {
        "names/new\nline.txt": "newlineprobe",
        os.fsdecode(b"names/bad-\xff\xfe-name.txt"): "undecodableprobe",
        "names/" + "l" * 251 + ".txt": "longnameprobe",
        "names/" + "\u00fc" * 125 + ".txt": "multibytenameprobe",
        "names/-rf --help.txt": "dashprobe",
        "names/[a-z]*?!#.txt": "globprobe",
        "names/invoice-\u202egpj.txt": "rtlprobe",
        "names/emoji-\U0001f600-\u0301.txt": "emojiprobe",
        "names/back\\slash 'quote\" $(echo x).txt": "shellprobe",
    }
    for name, probe in names.items():
        t.add(name, f"file name {name[6:][:40]!r}", "indexed",
              f"{probe} a note with a hostile name\n".encode(), probe=probe)
    deep_dir = "names/" + "/".join(["d" * 100] * 30)  # a path of ~3,000 bytes
    t.add(deep_dir + "/deep-path.txt", "path of about 3,000 bytes", "indexed",
          b"deeppathprobe at the end of a very long path\n", probe="deeppathprobe")

    # Permissions and links.
    locked = t.add("perm/unreadable.txt", "mode 000 file", "failed",
                   b"unreadableprobe you must not see this\n")
    locked.chmod(0)
    folder = dest / "perm" / "locked-folder"
    t.add("perm/locked-folder/inside.txt", "file in a mode 000 folder", "ignored",
          b"lockedprobe you must not see this\n")
    folder.chmod(0)
    links = dest / "links"
    links.mkdir()
    os.symlink("b", links / "a")
    os.symlink("a", links / "b")
    t.add("links/a", "symlink loop a -> b", "ignored")
    t.add("links/b", "symlink loop b -> a", "ignored")
    os.symlink("..", links / "parent")
    t.add("links/parent", "symlink to its own parent folder", "ignored")
    os.symlink("/etc/hostname", links / "outside")
    t.add("links/outside", "symlink to a file outside the tree", "ignored")
    os.mkfifo(links / "fifo")
    t.add("links/fifo", "named pipe (reading it would block)", "ignored")

    # Hostile archives (core.reliability.archives): read member by member, each bad member
    # refused with its reason; the archives refused as a whole fail with theirs.
    from core.reliability.archives import write_archive_library
    archives = write_archive_library(dest / "archives")
    kinds = {"bundle.zip": ("zip with ../, absolute and drive names, a link, an encrypted "
                            "member", "indexed"),
             "deep.zip": ("zip nested past the depth limit", "indexed"),
             "many.zip": ("zip of 10,001 members", "failed"),
             "bomb.zip": ("zip holding a 210 MiB member", "failed"),
             "bomb-inside.zip": ("zip holding a zip bomb", "indexed"),
             "backup.tar.gz": ("tar.gz with a symlink, a pipe and ../../ names", "indexed"),
             "plain.tar": ("tar with a symlink, a pipe and ../../ names", "indexed"),
             "invoice.eml": ("e-mail whose attachment is named ../../evil.txt", "indexed"),
             "letters.mbox": ("mailbox with attachments", "indexed"),
             "old.7z": ("7z archive (no permissive reader)", "skipped")}
    for name, (kind, expect) in kinds.items():
        assert (archives / name).exists(), name
        t.add(f"archives/{name}", kind, expect)  # type: ignore[arg-type]
    return t.cases


# --- files that change between the scan and the read ---------------------------------------


@dataclass
class Mutation:
    name: str  # relative path of the file the scan saw
    action: str  # what happens to it
    before: str  # probe word of the content the scan saw
    after: str | None  # probe word of the final content (None: no such file at the end)
    renamed_to: str | None = None


@dataclass
class ScanMutator:
    """Files that are deleted, rewritten, truncated, renamed, swapped for a symlink or folder,
    or kept growing, once the indexer has scanned them.

    Write the files with `prepare()`, start the indexer, then `start(scanned)`: a thread that
    waits until `scanned()` is true (e.g. the catalog lists the files) and mutates at once,
    before the extraction workers have started. `join()` waits for it (and the appender)."""

    folder: Path
    secret: Path  # a file outside `folder` that a symlink is swapped in for
    append_s: float = 3.0  # how long the growing file keeps growing
    mutations: list[Mutation] = field(default_factory=list)
    mutated_at: float | None = None
    error: BaseException | None = None
    _thread: threading.Thread | None = None

    def prepare(self) -> list[Mutation]:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.secret.write_text("secretprobe: outside the indexed folder\n", encoding="utf-8")
        plan = [
            Mutation("vanish.txt", "deleted", "vanishprobe", None),
            Mutation("rewrite.txt", "rewritten (longer)", "oldprobe", "newprobe"),
            Mutation("shrink.txt", "rewritten (shorter)", "bigoldprobe", "smallnewprobe"),
            Mutation("emptied.txt", "truncated to 0 bytes", "emptiedprobe", None),
            Mutation("renamed.txt", "renamed", "renameprobe", "renameprobe",
                     renamed_to="renamed-later.txt"),
            Mutation("swapped.txt", "replaced by a symlink to a file outside", "swapprobe",
                     None),
            Mutation("became-dir.txt", "replaced by a folder", "dirprobe", None),
            Mutation("growing.log", "appended to while indexing", "growprobe", "growprobe"),
        ]
        for m in plan:
            body = f"{m.before} original content of {m.name}\n"
            if m.name == "shrink.txt":
                body *= 200
            (self.folder / m.name).write_text(body, encoding="utf-8")
        for i in range(20):  # bystanders, so that extraction takes a moment
            (self.folder / f"steady-{i:02}.txt").write_text(
                f"steadyprobe{i} an unchanging note number {i}\n" * 20, encoding="utf-8")
        self.mutations = plan
        return plan

    def start(self, scanned: Callable[[], bool], timeout_s: float = 120.0) -> None:
        self._thread = threading.Thread(target=self._run, args=(scanned, timeout_s),
                                        name="scan-mutator", daemon=True)
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error

    def _run(self, scanned: Callable[[], bool], timeout_s: float) -> None:
        try:
            deadline = time.monotonic() + timeout_s
            while not scanned():
                if time.monotonic() > deadline:
                    raise TimeoutError("the scan never finished")
                time.sleep(0.005)
            self.mutated_at = time.monotonic()
            f = self.folder
            (f / "vanish.txt").unlink()
            (f / "rewrite.txt").write_text("newprobe the final content, longer than before "
                                           "so that the size changes too\n" * 3,
                                           encoding="utf-8")
            (f / "shrink.txt").write_text("smallnewprobe short\n", encoding="utf-8")
            (f / "emptied.txt").write_bytes(b"")
            (f / "renamed.txt").rename(f / "renamed-later.txt")
            (f / "swapped.txt").unlink()
            os.symlink(self.secret, f / "swapped.txt")
            (f / "became-dir.txt").unlink()
            (f / "became-dir.txt").mkdir()
            (f / "became-dir.txt" / "inside.txt").write_text("insidedirprobe\n",
                                                             encoding="utf-8")
            end = time.monotonic() + self.append_s
            with open(f / "growing.log", "a", encoding="utf-8") as log:
                n = 0
                while time.monotonic() < end:
                    log.write(f"growprobe line {n} appended while the indexer reads\n")
                    log.flush()
                    n += 1
                    time.sleep(0.01)
        except BaseException as e:  # reported by join() in the test's thread
            self.error = e


def is_regular(path: str) -> bool:
    """A regular file, not following symlinks (what an indexer should consider at all)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
