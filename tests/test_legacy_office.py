"""Legacy binary Office: Word .doc and PowerPoint .ppt, read with olefile alone.

The .doc files are Apache Tika's test documents in the shared corpus. The corpus holds no
.ppt, but three .doc files embed a PowerPoint 97-2003 presentation: its streams, copied into
a compound file written here, make real .ppt files. Presentations built record by record
cover what those do not (slide order, incremental saves, notes, encryption, damage).
"""

from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import olefile
import pytest

from core.extract.common import Source
from core.extract.legacy_office import _read_stream, clean_word_text, extract_doc, extract_ppt
from core.extract.types import Extracted, ExtractionError
from tests.conftest import FORMATS

MS = FORMATS / "tika-parser-microsoft-module"
needs_corpus = pytest.mark.skipif(not MS.is_dir(), reason="formats corpus not available")
BIG = 10_000_000
# Files whose body really is empty (checked on the raw piece table): an empty paragraph, or
# only EMBED fields for OLE objects (their text belongs to the embedded files).
EMPTY_DOCS = {"Doc1_ole.doc", "testWORD_multi_authors.doc", "testWPSAttachment.doc"}
# (file, storage holding a PowerPoint 97-2003 presentation embedded in it)
EMBEDDED_PPT = [
    ("testWORD_2006ml.doc", "ObjectPool/_1542026122"),
    ("testWORD_embeded.doc", "ObjectPool/_1345471035"),
    ("testWPSAttachment.doc", "ObjectPool/_1234567897"),
]


def doc(name: str, max_chars: int = BIG) -> Extracted:
    return extract_doc(Source(name=name, path=MS / name), max_chars)


def ppt_bytes(data: bytes, max_chars: int = BIG) -> Extracted:
    return extract_ppt(Source(name="deck.ppt", content=data), max_chars)


def slide_texts(r: Extracted) -> list[str]:
    """The text of each slide section, in order."""
    starts = [s.start for s in r.sections if s.kind == "slide"] + [len(r.text)]
    return [r.text[a:b].strip() for a, b in zip(starts, starts[1:], strict=False)]


# --- a minimal compound-file writer ------------------------------------------------------

_END, _FREE, _FATSECT, _NONE = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) with `streams` at its root."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # CFB's sibling order
    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        if not data:
            return _END
        first, count = len(sectors), -(-len(data) // 512)
        for i in range(count):
            sectors.append(data[i * 512 : (i + 1) * 512].ljust(512, b"\0"))
            fat.append(first + i + 1 if i < count - 1 else _END)
        return first

    # Streams under 4096 bytes live in the mini stream, in 64-byte sectors.
    mini, minifat, starts = bytearray(), [], {}
    for name in names:
        data = streams[name]
        if len(data) >= 4096:
            starts[name] = chain(data)
        elif data:
            first, count = len(mini) // 64, -(-len(data) // 64)
            mini += data.ljust(64 * count, b"\0")
            minifat += [first + i + 1 if i < count - 1 else _END for i in range(count)]
            starts[name] = first
        else:
            starts[name] = _END
    mini_start = chain(bytes(mini))
    minifat_raw = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_sectors = -(-len(minifat_raw) // 512)
    minifat_start = chain(minifat_raw.ljust(512 * minifat_sectors, b"\xff"))

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le")
        head = struct.pack("<HBBIII", len(raw) + 2 if name else 0, kind, 1, _NONE, right, child)
        return raw.ljust(64, b"\0") + head + b"\0" * 36 + struct.pack("<III", start, size, 0)

    entries = [entry("Root Entry", 5, _NONE, 1 if names else _NONE, mini_start, len(mini))]
    for i, name in enumerate(names, 1):  # siblings as a chain of right children
        right = i + 1 if i < len(names) else _NONE
        entries.append(entry(name, 2, right, _NONE, starts[name], len(streams[name])))
    while len(entries) % 4:
        entries.append(entry("", 0, _NONE, _NONE, 0, 0))
    dir_start = chain(b"".join(entries))
    n_fat = 1
    while 128 * n_fat < len(sectors) + n_fat:
        n_fat += 1
    assert n_fat <= 109, "no DIFAT sectors in this writer"
    fat_start = len(sectors)
    fat += [_FATSECT] * n_fat
    fat += [_FREE] * (128 * n_fat - len(fat))
    raw_fat = struct.pack(f"<{len(fat)}I", *fat)
    sectors += [raw_fat[i * 512 : (i + 1) * 512] for i in range(n_fat)]
    first_minifat = minifat_start if minifat else _END
    # Directory sectors (0 in version 3), FAT sectors, first directory sector, transaction,
    # mini stream cutoff, first mini FAT sector, mini FAT sectors, first DIFAT sector, DIFATs.
    counts = (0, n_fat, dir_start, 0, 4096, first_minifat, minifat_sectors, _END, 0)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<9I", *counts)
        + struct.pack("<109I", *[fat_start + i for i in range(n_fat)], *[_FREE] * (109 - n_fat))
    )
    return header + b"".join(sectors)


def embedded_ppt(doc_name: str, storage: str) -> bytes:
    """The presentation embedded in a .doc, as a .ppt file of its own."""
    with olefile.OleFileIO(str(MS / doc_name)) as ole:
        parts = storage.split("/")
        return build_cfb(
            {
                e[-1]: ole.openstream(e).read()
                for e in ole.listdir()
                if e[: len(parts)] == parts and len(e) == len(parts) + 1
            }
        )


def test_cfb_writer_is_read_back_by_olefile_without_defects() -> None:
    streams = {"PowerPoint Document": bytes(range(256)) * 20, "Current User": b"cu" * 10}
    ole = olefile.OleFileIO(io.BytesIO(build_cfb(streams)), raise_defects=olefile.DEFECT_INCORRECT)
    assert {k: ole.openstream(k).read() for k in streams} == streams


# --- PowerPoint records --------------------------------------------------------------------


def rec(rtype: int, body: bytes = b"", inst: int = 0, ver: int = 0) -> bytes:
    return struct.pack("<HHI", inst << 4 | ver, rtype, len(body)) + body


def box(rtype: int, *children: bytes, inst: int = 0) -> bytes:
    return rec(rtype, b"".join(children), inst, 0xF)


def chars(text: str, kind: int = 4) -> bytes:
    """TextHeaderAtom + TextCharsAtom (kind 0 = title, 1 = body, 4 = other)."""
    return rec(0x0F9F, struct.pack("<I", kind)) + rec(0x0FA0, text.encode("utf-16-le"))


def tbytes(text: str, kind: int = 4) -> bytes:
    return rec(0x0F9F, struct.pack("<I", kind)) + rec(0x0FA8, text.encode("cp1252"))


def persist_atom(ref: int, slide_id: int) -> bytes:
    return rec(0x03F3, struct.pack("<IIiII", ref, 0, 0, slide_id, 0))


def slide(*texts: bytes, notes_id: int = 0, rtype: int = 0x03EE) -> bytes:
    """A slide: its SlideAtom, then a drawing with one text box per text."""
    shapes = [box(0xF004, box(0xF00D, t)) for t in texts]
    drawing = box(0x040C, box(0xF002, box(0xF003, *shapes)))
    atom = rec(0x03EF, b"\0" * 12 + struct.pack("<IIHH", 0, notes_id, 0, 0), ver=2)
    return box(rtype, atom, drawing)


def document(*lists: bytes) -> bytes:
    return box(0x03E8, rec(0x03E9, b"\0" * 40, ver=1), *lists)


def slide_list(*items: bytes, inst: int = 0) -> bytes:
    return box(0x0FF0, *items, inst=inst)


class Deck:
    """A PowerPoint Document stream with a persist directory and its edit chain."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.last_edit = 0

    def put(self, record: bytes) -> int:
        offset = len(self.data)
        self.data += record
        return offset

    def save(self, offsets: dict[int, int], doc_ref: int = 1, encrypted: bool = False) -> int:
        """A PersistDirectoryAtom for `offsets` and a UserEditAtom after it (one save)."""
        body = b""
        for pid, off in sorted(offsets.items()):  # one entry per id: simple, and valid
            body += struct.pack("<II", pid | 1 << 20, off)
        dir_off = self.put(rec(0x1772, body))
        user = struct.pack("<IHBBIIIIHH", 0, 0, 0, 3, self.last_edit, dir_off, doc_ref, 9, 1, 0)
        self.last_edit = self.put(rec(0x0FF5, user + (b"\0" * 4 if encrypted else b"")))
        return self.last_edit

    def current_user(self, token: int = 0xE391C05F) -> bytes:
        body = struct.pack("<IIIHHBBH", 20, token, self.last_edit, 0, 0x03F4, 3, 0, 0)
        return rec(0x0FF6, body)

    def file(self, **extra: bytes) -> bytes:
        return build_cfb(
            {"PowerPoint Document": bytes(self.data), "Current User": self.current_user(), **extra}
        )


# --- Word .doc: the corpus ---------------------------------------------------------------


@needs_corpus
def test_tika_sample_word_document() -> None:
    r = doc("testWORD.doc")
    assert r.format == "doc"
    assert r.title == "Sample Word Document"  # SummaryInformation
    for text in (
        "Sample Word Document Title",
        "This document includes text that is BOLD and ITALIC.",
        "Apache Tika: http://tika.apache.org/",
        "Nested table",
        "This links to The Main Heading Bookmark and The Level 3 Bookmark. That’s it!",
        "This is the header for our document",  # header story
        "This is the footer for our document",
    ):
        assert text in r.text
    # Field instructions are not text: only their results.
    assert "HYPERLINK" not in r.text and "PAGEREF" not in r.text and "\x13" not in r.text


@needs_corpus
def test_stories_tables_fields_and_astral_characters() -> None:
    r = doc("testWORD_various.doc")
    text = r.text
    # Table cells become cells of a line; a row is a line.
    assert "Row 1 Col 1 Row 1 Col 2 Row 1 Col 3\nRow 2 Col 1" in text
    assert "This is a hyperlink" in text and "HYPERLINK" not in text
    assert "Figure 1 This is a caption for Figure 1" in text  # SEQ field result kept
    assert "ゾルゲと尾崎、淡々と最期" in text
    assert "𐌲𐌿𐍄𐌹𐍃𐌺" in text  # surrogate pairs: stories still split at the right CP
    # Footnotes, headers, footers and text boxes follow the main text, each whole.
    for story in (
        "This is a footnote.",
        "This is the header text.",
        "This is the footer text.",
        "Here is a text box",
    ):
        assert story in text
    assert text.index("Row 2 column 2") < text.index("This is a footnote.")
    assert "\x07" not in text and "\x02" not in text


@needs_corpus
def test_comments_code_pages_and_phonetic_guides() -> None:
    assert "Here is a comment" in doc("testComment.doc").text
    r = doc("testWORD_tabular_symbol.doc")
    assert r.title == "Информационный бюллетень новых поступлений"  # UTF-8 property set
    assert r.text == "one\ntwo"
    assert "Administration och övervakning" in doc("testWORD_no_format.doc").text
    # An EQ field has no result: the ruby text and its base are what the reader sees.
    assert doc("testWORD_phonetic.doc").text == "とうきょう 東京"
    assert "TIKA-1512" in doc("testWORD_closingSmartQInHyperLink.doc").text
    assert "Ansvar- og oppgavefordeling" in doc("test_TIKA-1251.doc").text


@needs_corpus
def test_word6_and_odd_stream_names() -> None:
    r = doc("testWORD6.doc")  # Word 6: no piece table, 8-bit text from fcMin
    assert r.text == "The quick brown fox jumps over the lazy dog"
    for case in ("lower", "normal", "upper"):  # stream names in any case
        name = f"casing/simple_{case}_case.doc"
        assert doc(name).text == "This is a sample Word document"


@needs_corpus
def test_doc_from_memory_and_truncated_to_max_chars() -> None:
    data = (MS / "testWORD.doc").read_bytes()
    whole = extract_doc(Source(name="x.doc", content=data), BIG)
    assert whole.text == doc("testWORD.doc").text
    short = extract_doc(Source(name="x.doc", content=data), 60)
    assert short.text == whole.text[:60] and any("truncated" in w for w in short.warnings)


@needs_corpus
@pytest.mark.parametrize("name", ["testWORD_protected_passtika.doc", "testWORD_protected_drm.doc"])
def test_protected_documents_are_refused_as_encrypted(name: str) -> None:
    with pytest.raises(ExtractionError, match="encrypted"):
        doc(name)
    if "passtika" in name:
        with pytest.raises(ExtractionError) as e:
            doc(name)
        assert e.value.reason == "document is encrypted (password-protected Office file)"


@needs_corpus
def test_not_word_binary_files_named_doc() -> None:
    for name in (
        "testWORDML_tableInsideParagraph.doc",
        "../tika-parser-miscoffice-module/testWordPerfect_42.doc",
    ):
        with pytest.raises(ExtractionError, match="no OLE2 header"):
            doc(name)


@needs_corpus
def test_every_doc_and_ppt_in_the_corpus_gives_text_or_a_reason() -> None:
    files = sorted(p for p in FORMATS.rglob("*") if p.suffix.lower() in (".doc", ".ppt"))
    assert len(files) >= 40
    texts, errors = {}, {}
    for p in files:
        fn = extract_doc if p.suffix.lower() == ".doc" else extract_ppt
        try:
            texts[p.name] = fn(Source(name=p.name, path=p), BIG).text
        except ExtractionError as e:  # anything else fails the test
            errors[p.name] = e.reason
    assert all(reason.strip() for reason in errors.values())
    assert {n for n, t in texts.items() if not t.strip()} == EMPTY_DOCS
    assert len(texts) - len(EMPTY_DOCS) == 33, sorted(errors)
    assert set(errors) == {
        "testWORDML_tableInsideParagraph.doc",
        "testWordPerfect_42.doc",
        "testWORD_protected_passtika.doc",
        "testWORD_protected_drm.doc",
    }


def damage(data: bytes, rng: random.Random, head: int = 0) -> bytes:
    """A few bytes or 32-bit values overwritten, within the first `head` bytes if given."""
    bad = bytearray(data)
    for _ in range(rng.randrange(1, 8)):
        pos = rng.randrange(min(head or len(bad), len(bad)))
        if rng.random() < 0.5:
            bad[pos] = rng.randrange(256)
        else:
            value = rng.choice([0, 0xFFFFFFFF, 0x7FFFFFFF, rng.randrange(1 << 32), len(bad)])
            bad[pos : pos + 4] = struct.pack("<I", value)
    return bytes(bad)


def root_streams(name: str) -> dict[str, bytes]:
    with olefile.OleFileIO(str(MS / name)) as ole:
        return {e[0]: ole.openstream(e).read() for e in ole.listdir() if len(e) == 1}


@needs_corpus
def test_damaged_copies_of_a_doc_give_text_or_a_reason() -> None:
    base = root_streams("testWORD_various.doc")
    data = build_cfb(base)
    rng = random.Random(7)
    outcomes = set()
    for n in range(150):
        if n % 5 == 0:
            bad = data[: rng.randrange(512, len(data))]  # truncated
        else:  # the FIB above all, the piece table, the text
            name = rng.choice(["WordDocument", "1Table"])
            head = 0x200 if name == "WordDocument" and n % 2 else 0
            bad = build_cfb({**base, name: damage(base[name], rng, head)})
        try:
            extract_doc(Source(name="bad.doc", content=bad), 100_000)
            outcomes.add("text")
        except ExtractionError as e:  # anything else fails the test
            assert e.reason.strip()
            outcomes.add("reason")
    assert outcomes == {"text", "reason"}


@needs_corpus
def test_damaged_copies_of_a_ppt_give_text_or_a_reason() -> None:
    with olefile.OleFileIO(io.BytesIO(embedded_ppt(*EMBEDDED_PPT[0]))) as ole:
        base = {e[0]: ole.openstream(e).read() for e in ole.listdir()}
    rng = random.Random(11)
    for _ in range(150):
        name = rng.choice(["PowerPoint Document", "Current User"])
        try:
            ppt_bytes(build_cfb({**base, name: damage(base[name], rng)}))
        except ExtractionError as e:
            assert e.reason.strip()


@needs_corpus
def test_capped_stream_read_keeps_the_first_bytes() -> None:
    with olefile.OleFileIO(str(MS / "testWORD.doc")) as ole:
        whole, cut = _read_stream(ole, "WordDocument")
        head, cut_short = _read_stream(ole, "WordDocument", 5000)
    assert not cut and cut_short and head == whole[:5000] and len(whole) > 5000


def test_clean_word_text_marks() -> None:
    raw = (
        'a\x13 HYPERLINK "x" \x14link\x15 b\x13 PAGE \x14\x13 NESTED \x14 7\x15\x15'
        "\x07c\x07\x07d\x0be\x0cf\x01\x08g\x1eh\x1fi\r"
    )
    assert clean_word_text(raw) == "alink b 7\tc\nd\ne\nfg-hi\n"
    assert clean_word_text('\x13 XE "index entry" \x15kept') == "kept"  # no result: dropped


# --- PowerPoint .ppt -----------------------------------------------------------------------


@needs_corpus
@pytest.mark.parametrize("doc_name,storage", EMBEDDED_PPT)
def test_real_presentations_embedded_in_the_corpus(doc_name: str, storage: str) -> None:
    r = ppt_bytes(embedded_ppt(doc_name, storage))
    assert r.format == "ppt"
    assert [s.label for s in r.sections if s.kind == "slide"] == ["1"]
    assert "Click to edit Master" not in r.text and "*" not in r.text  # masters are not slides
    expected = {
        "testWORD_2006ml.doc": "Sample Powerpoint Slide\nCreated with Microsoft\n"
        "Powerpoint X for Mac\nService Release 1",  # Tika's testPPT.ppt
        "testWORD_embeded.doc": "The quick brown fox jumps over the lazy dog",
        "testWPSAttachment.doc": "ppt_content",
    }[doc_name]
    assert slide_texts(r) == [expected]
    assert r.title == expected.split("\n")[0]


def test_slides_follow_the_slide_list_and_the_last_save() -> None:
    deck = Deck()
    lists = slide_list(
        persist_atom(3, 0x101),
        chars("Agenda", 0),  # placeholder text in the list
        persist_atom(2, 0x100),
        chars("Results", 0),
        chars("Growth\rup\x0bthree", 1),
    )
    notes_list = slide_list(persist_atom(4, 0x200), inst=2)
    doc_off = deck.put(document(lists, notes_list))
    old3 = deck.put(slide(chars("Old draft text"), rtype=0x03EE))
    s2 = deck.put(slide(chars("Results"), notes_id=0x200))  # the title again, in the drawing
    notes = deck.put(slide(chars("Say this out loud", 2), rtype=0x03F0))
    deck.save({1: doc_off, 2: s2, 3: old3, 4: notes})
    new3 = deck.put(slide(tbytes("Box on the agenda – café")))  # an incremental save
    deck.save({3: new3})
    r = ppt_bytes(deck.file())
    assert [s.label for s in r.sections] == ["1", "2"]
    assert slide_texts(r) == [
        "Agenda\nBox on the agenda – café",
        "Results\nGrowth\nup\nthree\n\nSay this out loud",  # notes after the slide's text
    ]
    assert "Old draft" not in r.text
    assert r.title == "Agenda"


def test_without_current_user_slides_are_read_in_stream_order() -> None:
    lists = slide_list(persist_atom(2, 0x100), chars("One", 0), persist_atom(3, 0x101))
    data = document(lists) + slide(chars("One"), chars("Extra box")) + slide(chars("Two"))
    r = ppt_bytes(build_cfb({"PowerPoint Document": data}))
    assert slide_texts(r) == ["One\nExtra box", "Two"]


def test_damaged_records_stop_their_container_not_the_file() -> None:
    broken = rec(0x0FA0, "lost".encode("utf-16-le"))[:8] + b"x"  # length past the end
    deep = chars("too deep")
    for _ in range(200):
        deep = box(0xF004, deep)
    data = (
        document(slide_list(persist_atom(2, 0x100)))
        + slide(chars("Kept"))
        + box(0x03EE, deep)
        + box(0x03EE, chars("Before"), broken)
        + struct.pack("<HHI", 0xF, 0x03EE, 2**31)  # a record claiming 2 GB
    )
    r = ppt_bytes(build_cfb({"PowerPoint Document": data}))
    assert slide_texts(r) == ["Kept", "", "Before"]
    assert "lost" not in r.text and "too deep" not in r.text


@pytest.mark.parametrize("how", ["token", "user edit", "crypt session", "summary"])
def test_encrypted_presentations_are_refused(how: str) -> None:
    deck = Deck()
    doc_off = deck.put(document(slide_list(persist_atom(2, 0x100))))
    s = deck.put(slide(chars("secret")))
    if how == "crypt session":
        deck.put(box(0x2F14, rec(0x2F15, b"\0" * 16)))
    deck.save({1: doc_off, 2: s}, encrypted=how == "user edit")
    streams = {
        "PowerPoint Document": bytes(deck.data),
        "Current User": deck.current_user(0xF3D1C4DF if how == "token" else 0xE391C05F),
    }
    if how == "summary":
        streams["EncryptedSummary"] = b"\0" * 64
    with pytest.raises(ExtractionError) as e:
        ppt_bytes(build_cfb(streams))
    assert e.value.reason == "document is encrypted (password-protected Office file)"


def test_ppt_without_presentation_stream_or_ole_header() -> None:
    with pytest.raises(ExtractionError, match="no PowerPoint Document stream"):
        ppt_bytes(build_cfb({"Other": b"x" * 10}))
    with pytest.raises(ExtractionError, match="PowerPoint 95"):
        ppt_bytes(build_cfb({"PP40": b"x" * 10}))
    with pytest.raises(ExtractionError, match="no OLE2 header"):
        ppt_bytes(b"PK\x03\x04 a pptx, not a ppt")
    with pytest.raises(ExtractionError, match="corrupt PPT"):
        ppt_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)


def test_ppt_max_chars_and_random_damage() -> None:
    items = [persist_atom(i, 0x100 + i) for i in range(2, 40)]
    data = document(slide_list(*items)) + b"".join(
        slide(chars(f"Slide number {i} " * 5)) for i in range(2, 40)
    )
    r = ppt_bytes(build_cfb({"PowerPoint Document": data}), max_chars=500)
    assert len(r.text) == 500 and any("truncated" in w for w in r.warnings)
    assert r.sections[0].label == "1" and 3 < len(r.sections) < 10
    rng = random.Random(3)
    for _ in range(60):
        try:
            ppt_bytes(build_cfb({"PowerPoint Document": damage(data, rng)}))
        except ExtractionError as e:
            assert e.reason.strip()


def test_missing_file_is_an_extraction_error(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match="cannot read file"):
        extract_doc(Source(name="gone.doc", path=tmp_path / "gone.doc"), BIG)


# --- legacy Excel (.xls) via xlrd, on workbooks written by xlwt -------------------------------


def test_xls_sheets_cells_and_dates(tmp_path: Path) -> None:
    import datetime as dt

    import xlwt

    from core.extract import extract

    book = xlwt.Workbook()
    sheet = book.add_sheet("Budget 2019")
    rows = [("Item", "Cost", "Due"), ("Copper kettles", 17, dt.date(2019, 3, 4)),
            ("Lighthouse lamp oil", 2.5, dt.date(2019, 11, 30))]
    dates = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            style = dates if isinstance(value, dt.date) else xlwt.Style.default_style
            sheet.write(r, c, value, style)
    book.add_sheet("Notes").write(0, 0, "Ask the harbour master about the moorings")
    path = tmp_path / "budget.xls"
    book.save(str(path))
    doc = extract(path)
    assert doc.format == "xls"
    assert [s.label for s in doc.sections if s.kind == "sheet"] == ["Budget 2019", "Notes"]
    assert "Copper kettles 17 2019-03-04" in doc.text  # cells apart, dates as dates
    assert "Lighthouse lamp oil 2.5 2019-11-30" in doc.text
    assert "harbour master about the moorings" in doc.text
    (tmp_path / "misnamed.dat").write_bytes(path.read_bytes())  # found by its OLE streams
    assert extract(tmp_path / "misnamed.dat").format == "xls"
    broken = tmp_path / "broken.xls"
    broken.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(ExtractionError):
        extract(broken)
