"""Text extraction: generated documents of every family, misnamed and hostile files, and a sweep
over the Apache Tika test corpus (many files there are malformed on purpose)."""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import gzip
import hashlib
import io
import mailbox
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.extract import (
    Extracted,
    ExtractionError,
    NotADocument,
    UnsupportedFormat,
    document_format,
    extract,
)
from core.reliability.pdf import pdf_bytes

CORPUS = Path(__file__).parent.parent.parent / "shared" / "corpora" / "formats"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="formats corpus not available")


def check_sections(r: Extracted) -> None:
    for s in r.sections:
        assert 0 <= s.start <= len(r.text), s
    starts = [s.start for s in r.sections]
    assert starts == sorted(starts)


def run(path: Path, **kw: int) -> Extracted:
    r = extract(path, **kw)
    check_sections(r)
    return r


def section_text(r: Extracted, kind: str) -> dict[str, str]:
    """label -> text from the section's start to the next section of the same kind."""
    marks = [s for s in r.sections if s.kind == kind]
    out = {}
    for i, s in enumerate(marks):
        end = marks[i + 1].start if i + 1 < len(marks) else len(r.text)
        out[s.label] = r.text[s.start : end]
    return out


# --- generated documents --------------------------------------------------------------------


def test_pdf_pages_and_title(tmp_path: Path) -> None:
    p = tmp_path / "report.pdf"
    p.write_bytes(pdf_bytes(["alpha page one", "beta page two", "", "delta page four"],
                            title="My Report"))
    r = run(p)
    assert r.format == "pdf" and r.title == "My Report"
    pages = section_text(r, "page")
    assert list(pages) == ["1", "2", "3", "4"]  # the empty page keeps its number
    assert pages["1"].strip() == "alpha page one"
    assert pages["2"].strip() == "beta page two"
    assert pages["4"].strip() == "delta page four"


def test_pdf_title_falls_back_to_first_line(tmp_path: Path) -> None:
    p = tmp_path / "untitled.pdf"
    p.write_bytes(pdf_bytes(["7", "Quarterly figures"]))  # a bare page number is no title
    assert run(p).title == "Quarterly figures"


def test_pdf_truncated_is_an_extraction_error(tmp_path: Path) -> None:
    data = pdf_bytes(["some text"])
    p = tmp_path / "broken.pdf"
    p.write_bytes(data[:60])
    with pytest.raises(ExtractionError) as e:
        extract(p)
    assert "PDF" in e.value.reason


def test_docx_headings_tables_and_title(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.core_properties.title = "Annual Plan"
    d.add_heading("Introduction", level=1)
    d.add_paragraph("The marmalade budget grows.")
    d.add_heading("Details", level=2)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "apples"
    table.cell(1, 1).text = "pears"
    section = d.sections[0]
    section.header.paragraphs[0].text = "Confidential header"
    p = tmp_path / "plan.docx"
    d.save(str(p))
    r = run(p)
    assert r.format == "docx" and r.title == "Annual Plan"
    assert "marmalade" in r.text and "apples" in r.text and "pears" in r.text
    assert "Confidential header" in r.text
    heads = [(s.label, s.level) for s in r.sections if s.kind == "heading"]
    assert heads == [("Introduction", 1), ("Details", 2)]
    for s in r.sections:
        assert r.text[s.start :].startswith(s.label)


def test_docx_title_from_first_heading(tmp_path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("")
    d.add_heading("Travel Notes", level=1)
    d.add_paragraph("Lisbon in spring.")
    p = tmp_path / "notes.docx"
    d.save(str(p))
    assert run(p).title == "Travel Notes"


def test_pptx_slides_and_notes(tmp_path: Path) -> None:
    import pptx

    prs = pptx.Presentation()
    for i, (title, body) in enumerate(
        [("Roadmap", "ship the walrus"), ("Budget", "seven pelicans"), ("Risks", "tide")], 1
    ):
        slide = prs.slides.add_slide(prs.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        slide.notes_slide.notes_text_frame.text = f"speaker note {i}"
    p = tmp_path / "deck.pptx"
    prs.save(str(p))
    r = run(p)
    assert r.format == "pptx" and r.title == "Roadmap"
    slides = section_text(r, "slide")
    assert list(slides) == ["1", "2", "3"]
    assert "Budget" in slides["2"] and "seven pelicans" in slides["2"]
    assert "speaker note 3" in slides["3"]


def test_xlsx_sheets(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Fruit"
    ws.append(["name", "count"])
    ws.append(["quince", 3.0])
    ws2 = wb.create_sheet("Dates")
    ws2.append(["due", dt.datetime(2024, 5, 17)])
    p = tmp_path / "book.xlsx"
    wb.save(str(p))
    r = run(p)
    assert r.format == "xlsx"
    sheets = section_text(r, "sheet")
    assert list(sheets) == ["Fruit", "Dates"]
    assert "quince 3" in sheets["Fruit"]  # 3.0 is shown as 3
    assert "2024-05-17" in sheets["Dates"]
    assert r.title == "book"  # no metadata title: the file name, not the first cell


def make_epub(path: Path, encrypted: bool = False) -> None:
    opf = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Sea Stories</dc:title></metadata>
  <manifest>
    <item id="a" href="text/ch%201.xhtml" media-type="application/xhtml+xml"/>
    <item id="b" href="text/ch2.xhtml" media-type="application/xhtml+xml"/>
    <item id="css" href="style.css" media-type="text/css"/>
  </manifest>
  <spine><itemref idref="b"/><itemref idref="a"/></spine>
</package>"""
    chapter = (
        '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>{t}'
        "</title></head><body><h1>{t}</h1><p>{body}</p></body></html>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        z.writestr("OEBPS/content.opf", opf)
        z.writestr("OEBPS/text/ch 1.xhtml", chapter.format(t="The Storm", body="waves broke"))
        z.writestr("OEBPS/text/ch2.xhtml", chapter.format(t="The Harbour", body="calm water"))
        z.writestr("OEBPS/style.css", "p { color: red }")
        if encrypted:
            z.writestr(
                "META-INF/encryption.xml",
                '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
                'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
                '<enc:CipherData><enc:CipherReference URI="OEBPS/text/ch 1.xhtml"/>'
                "</enc:CipherData></enc:EncryptedData><enc:EncryptedData><enc:CipherData>"
                '<enc:CipherReference URI="OEBPS/text/ch2.xhtml"/></enc:CipherData>'
                "</enc:EncryptedData></encryption>",
            )


def test_epub_spine_order_and_chapters(tmp_path: Path) -> None:
    p = tmp_path / "book.epub"
    make_epub(p)
    r = run(p)
    assert r.format == "epub" and r.title == "Sea Stories"
    chapters = [s.label for s in r.sections if s.kind == "chapter"]
    assert chapters == ["The Harbour", "The Storm"]  # spine order, not manifest order
    assert r.text.index("calm water") < r.text.index("waves broke")
    assert "color" not in r.text


def test_epub_drm(tmp_path: Path) -> None:
    p = tmp_path / "drm.epub"
    make_epub(p, encrypted=True)
    with pytest.raises(ExtractionError, match="DRM"):
        extract(p)


def make_message(subject: str, plain: str | None, html: str | None) -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Ann Example <ann@example.org>"
    m["To"] = "bob@example.org"
    m["Subject"] = subject
    m["Date"] = "Tue, 07 May 2024 10:00:00 +0000"
    if plain is not None:
        m.set_content(plain)
        if html is not None:
            m.add_alternative(html, subtype="html")
    elif html is not None:
        m.set_content(html, subtype="html")
    return m


def test_mbox_messages(tmp_path: Path) -> None:
    p = tmp_path / "archive.mbox"
    box = mailbox.mbox(str(p))
    box.add(make_message("Lunch plans", "Soup at noon.", "<p>HTML twin of soup</p>"))
    box.add(make_message("Ferry times", None, "<h1>Timetable</h1><p>Boats at 9&amp;10</p>"))
    box.flush()
    box.close()
    r = run(p)
    assert r.format == "mbox"
    msgs = section_text(r, "message")
    assert list(msgs) == ["Lunch plans", "Ferry times"]
    assert "From: Ann Example <ann@example.org>" in msgs["Lunch plans"]
    assert "Date: Tue, 07 May 2024" in msgs["Lunch plans"]
    assert "Soup at noon." in msgs["Lunch plans"]
    assert "HTML twin" not in r.text  # text/plain preferred in an alternative
    assert "Boats at 9&10" in msgs["Ferry times"] and "<p>" not in r.text


def test_eml_with_attachment(tmp_path: Path) -> None:
    m = make_message("Invoice 42", "Please find the invoice attached.", None)
    m.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="inv.pdf")
    p = tmp_path / "mail.eml"
    p.write_bytes(m.as_bytes())
    r = run(p)
    assert r.format == "email" and r.title == "Invoice 42"
    assert "Subject: Invoice 42" in r.text and "To: bob@example.org" in r.text
    assert "invoice attached" in r.text and "inv.pdf" in r.text


def test_eml_without_extension_is_sniffed(tmp_path: Path) -> None:
    p = tmp_path / "message_0001"
    p.write_bytes(make_message("Sniffed", "body words", None).as_bytes())
    r = run(p)
    assert r.format == "email" and r.title == "Sniffed"


MAN_PAGE = r""".\" a comment that must not appear
.TH LS 1 "2024-01-01" "GNU coreutils" "User Commands"
.SH NAME
ls \- list directory contents
.SH SYNOPSIS
.B ls
[\fIOPTION\fR]... [\fIFILE\fR]...
.SH DESCRIPTION
List information about the FILEs (the current directory by default).
.TP
\fB\-a\fR, \fB\-\-all\fR
do not ignore entries starting with .
.SS Exit status
.BR ls (1)
returns 0 if OK\(em mostly.
"""


def test_gz_man_page(tmp_path: Path) -> None:
    p = tmp_path / "ls.1.gz"
    p.write_bytes(gzip.compress(MAN_PAGE.encode()))
    r = run(p)
    assert r.format == "man" and r.title == "LS(1)"
    assert "ls - list directory contents" in r.text
    assert "-a, --all" in r.text and "returns 0 if OK— mostly." in r.text
    assert "\\f" not in r.text and "comment" not in r.text and ".TH" not in r.text
    heads = [(s.label, s.level) for s in r.sections if s.kind == "heading"]
    assert heads == [("NAME", 1), ("SYNOPSIS", 1), ("DESCRIPTION", 1), ("Exit status", 2)]


def test_gz_inner_format_and_cap(tmp_path: Path) -> None:
    p = tmp_path / "notes.md.gz"
    p.write_bytes(gzip.compress(b"# Heading\n\n" + b"lorem ipsum dolor\n" * 200_000))
    r = run(p, max_chars=5_000)
    assert r.format == "markdown" and r.title == "Heading"
    assert len(r.text) <= 5_000 and any("truncated" in w or "capped" in w for w in r.warnings)
    bad = tmp_path / "broken.txt.gz"
    bad.write_bytes(gzip.compress(b"hello " * 1000)[:40])
    with pytest.raises(ExtractionError, match="gzip"):
        extract(bad)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Grüße aus Köln, naïve café".encode("utf-16-le"), "Grüße aus Köln"),  # no BOM
        ("Grüße aus Köln, naïve café".encode("utf-16-be"), "Grüße aus Köln"),
        ("\ufeffZürich liegt am See".encode("utf-16"), "Zürich liegt am See"),
        ("Le garçon a mangé une crème brûlée très sucrée.".encode("latin-1"), "crème brûlée"),
        ("“Smart quotes” – and a dash … in cp1252".encode("cp1252"), "“Smart quotes”"),
        ("Привет, мир! Это проверка кодировки текста.".encode("cp1251"), "Привет, мир!"),
        ("plain utf-8: 東京 and ß".encode(), "東京"),
    ],
)
def test_text_encodings(tmp_path: Path, data: bytes, expected: str) -> None:
    p = tmp_path / "sample.txt"
    p.write_bytes(data)
    r = run(p)
    assert r.format == "text" and expected in r.text


def test_text_whitespace_and_truncation(tmp_path: Path) -> None:
    p = tmp_path / "spaces.txt"
    p.write_bytes(b"first   line\t\twith  tabs\r\n\r\n\r\n\r\nsecond\x00 paragraph  \n")
    r = run(p)
    assert r.text == "first line with tabs\n\nsecond paragraph"
    assert r.title == "first line with tabs"
    long = tmp_path / "long.log"
    long.write_text("word " * 10_000)
    r = run(long, max_chars=1000)
    assert len(r.text) == 1000 and r.warnings == ["truncated to 1,000 chars"]


def test_markdown_and_rst_headings(tmp_path: Path) -> None:
    md = tmp_path / "readme.md"
    md.write_text("Project Kite\n============\n\nIntro.\n\n## Install\n\n```\n# no heading\n```\n")
    r = run(md)
    assert r.title == "Project Kite"
    assert [(s.label, s.level) for s in r.sections] == [("Project Kite", 1), ("Install", 2)]
    rst = tmp_path / "guide.rst"
    rst.write_text("=====\nGuide\n=====\n\nUsage\n-----\n\nRun.\n\nAdvanced\n--------\n\nMore.\n")
    r = run(rst)
    assert r.format == "rst" and r.title == "Guide"
    assert [(s.label, s.level) for s in r.sections] == [
        ("Guide", 1),
        ("Usage", 2),
        ("Advanced", 2),
    ]


def test_source_code_is_text(tmp_path: Path) -> None:
    p = tmp_path / "tool.py"
    p.write_text('def greet():\n    return "hello walrus"\n')
    r = run(p)
    assert r.format == "code" and "hello walrus" in r.text


def test_html(tmp_path: Path) -> None:
    p = tmp_path / "page.html"
    p.write_bytes(
        b"<!DOCTYPE html><html><head><meta charset='windows-1252'><title>Caf\xe9 menu</title>"
        b"<style>p{color:red}</style><script>var secret=1;</script></head><body>"
        b"<h1>Starters</h1><p>Soup &amp; bread</p><h2>Mains</h2><ul><li>Fish</li><li>Pie</li>"
        b"</ul><table><tr><td>tea</td><td>2</td></tr></table></body></html>"
    )
    r = run(p)
    assert r.format == "html" and r.title == "Café menu"
    assert "Soup & bread" in r.text and "Fish\nPie" in r.text and "tea 2" in r.text
    assert "secret" not in r.text and "color" not in r.text
    assert [(s.label, s.level) for s in r.sections] == [("Starters", 1), ("Mains", 2)]


def test_odt_generated(tmp_path: Path) -> None:
    content = (
        '<?xml version="1.0"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
        '<text:h text:outline-level="1">Minutes</text:h><text:p>Agreed on'
        '<text:s text:c="3"/>lighthouse<text:note><text:note-citation>1</text:note-citation>'
        "<text:note-body><text:p>a footnote</text:p></text:note-body></text:note> repairs.</text:p>"
        "</office:text></office:body></office:document-content>"
    )
    p = tmp_path / "minutes.odt"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", content)
    r = run(p)
    assert r.format == "odt" and r.title == "Minutes"
    assert "Agreed on lighthouse repairs." in r.text and "a footnote" in r.text
    assert [(s.kind, s.label) for s in r.sections] == [("heading", "Minutes")]


# --- misnamed, unsupported and hostile files ------------------------------------------------


def test_misnamed_files_use_content(tmp_path: Path) -> None:
    pdf = tmp_path / "really_a_pdf.txt"
    pdf.write_bytes(pdf_bytes(["hidden pdf words"]))
    assert run(pdf).format == "pdf"
    import docx

    d = docx.Document()
    d.add_paragraph("docx in disguise")
    buf = io.BytesIO()
    d.save(buf)
    odd = tmp_path / "attachment.bin"
    odd.write_bytes(buf.getvalue())
    r = run(odd)
    assert r.format == "docx" and "docx in disguise" in r.text
    html_doc = tmp_path / "export.doc"  # Word happily saves HTML as .doc
    html_doc.write_text("<html><body><p>html saved as doc</p></body></html>")
    assert "html saved as doc" in run(html_doc).text
    noext = tmp_path / "README"
    noext.write_text("just some notes\nwithout an extension\n")
    assert run(noext).format == "text"


def test_unsupported_and_not_documents(tmp_path: Path) -> None:
    ole = tmp_path / "old.doc"
    ole.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    with pytest.raises(ExtractionError):  # a broken OLE header: corrupt or unsupported
        extract(ole)
    wp = tmp_path / "letter.wpd"
    wp.write_bytes(b"\xffWPC" + bytes(range(256)) * 4)
    with pytest.raises(UnsupportedFormat, match="WordPerfect"):
        extract(wp)
    png = tmp_path / "photo.dat"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(ExtractionError, match="corrupt image"):
        extract(png)
    from PIL import Image
    Image.new("RGB", (16, 300), "white").save(png, "PNG")
    with pytest.raises(NotADocument, match="too small to hold text"):
        extract(png)
    Image.new("RGB", (400, 300), "white").save(png, "PNG")  # misnamed: read by its magic
    assert (extract(png).format, extract(png).ocr_pages) == ("image", [1])
    mp3 = tmp_path / "song.mp3"
    mp3.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(NotADocument, match="audio"):
        extract(mp3)
    blob = tmp_path / "mystery.xyz"
    blob.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(UnsupportedFormat, match="unrecognised binary"):
        extract(blob)
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.txt", "hello")
    with pytest.raises(NotADocument, match="archive"):
        extract(archive)
    with pytest.raises(ExtractionError, match="not found"):
        extract(tmp_path / "missing.txt")
    with pytest.raises(ExtractionError, match="not a regular file"):
        extract(tmp_path)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "bomb.docx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x00" * (30 * 1024 * 1024))  # ratio ~1000
    with pytest.raises(ExtractionError, match="zip bomb"):
        extract(p)


def test_xml_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    p = tmp_path / "evil.xml"
    p.write_text(
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY ext SYSTEM "file://{secret}">]>'
        "<r><a>&ext;</a><c>visible text</c></r>"
    )
    r = run(p)
    assert "TOP-SECRET-VALUE" not in r.text and "visible text" in r.text
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = tmp_path / "laughs.xml"
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "lol">{laughs}]><r>&l9;</r>')
    with contextlib.suppress(ExtractionError):  # libxml2 may refuse the amplification
        assert "lollollol" not in run(bomb).text


def test_input_is_not_modified(tmp_path: Path) -> None:
    p = tmp_path / "deck.mbox"
    box = mailbox.mbox(str(p))
    box.add(make_message("Hello", "body", None))
    box.close()
    before = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    run(p)
    assert (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["deck.mbox"]


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.md"
    p.write_bytes(b"")
    r = run(p)
    assert r.text == "" and r.title == "empty" and r.format == "markdown"


def test_document_format() -> None:
    cases = {
        "a.pdf": "pdf",
        "b.DOCX": "docx",
        "c.md": "markdown",
        "d.htm": "html",
        "e.eml": "email",
        "f.msg": "email",
        "g.mbox": "mbox",
        "h.txt": "text",
        "i.py": "code",
        "j.ods": "ods",
        "k.fodt": "odt",
        "ls.1.gz": "man",
        "notes.txt.gz": "text",
        "l.doc": "doc",
        "m.jpg": "image",
        "n.unknownext": None,
    }
    for name, fmt in cases.items():
        assert document_format(Path(name)) == fmt, name


# --- the Apache Tika corpus ------------------------------------------------------------------

KNOWN = {
    "tika-parser-microsoft-module/testWORD.docx": ("Sample Word Document", "docx"),
    "tika-parser-microsoft-module/testPPT.pptx": ("Attachment Test", "pptx"),
    "tika-parser-microsoft-module/testEXCEL.xlsx": ("Numbers and their Squares", "xlsx"),
    "tika-parser-microsoft-module/testRTF.rtf": ("indexation Word", "rtf"),
    "tika-parser-microsoft-module/testMSG.msg": ("MIME registry use cases", "email"),
    "tika-parser-microsoft-module/testRTFJapanese.rtf": ("ゾルゲ", "rtf"),
    "tika-parser-miscoffice-module/testODFwithOOo3.odt": ("Tika is part of the Lucene", "odt"),
    "tika-parser-miscoffice-module/testEPUB.epub": ("This is the text for chapter One", "epub"),
    "tika-parser-miscoffice-module/testODTMacro.fodt": ("Click the smiley", "odt"),
    "tika-parser-miscoffice-module/testODTBodyListOpenClose.xml.gz": ("exercice 1", "odt"),
    "tika-parser-pdf-module/testPDF.pdf": ("Apache Tika", "pdf"),
    "tika-parser-html-module/testHTML_utf8.html": ("åäö", "html"),
    "tika-parser-html-module/testHTML_charset_utf16le.html": ("This is a sample text", "html"),
    "tika-parser-mail-module/testRFC822_i18nheaders": ("Keld Jørn Simonsen", "email"),
    "tika-parser-mail-module/complex.mbox": ("shuffle/sort", "mbox"),
    "tika-parser-text-module/russian.cp866.txt": ("Однажды", "text"),
    "tika-parser-text-module/testTXT_win-1252.txt": ("These smart quotes", "text"),
}


@needs_corpus
@pytest.mark.parametrize("rel", sorted(KNOWN))
def test_corpus_known_content(rel: str) -> None:
    word, fmt = KNOWN[rel]
    r = run(CORPUS / rel)
    assert r.format == fmt
    assert word in r.text or word in r.title


@needs_corpus
def test_corpus_expected_failures() -> None:
    micro = CORPUS / "tika-parser-microsoft-module"
    assert "Sample Word Document" in extract(micro / "testWORD.doc").text  # legacy, now read
    with pytest.raises(UnsupportedFormat, match="not Office 97-2003"):
        extract(CORPUS / "tika-parser-miscoffice-module" / "testWordPerfect_42.doc")
    with pytest.raises(ExtractionError, match="encrypted"):
        extract(micro / "testWORD_protected_passtika.docx")
    pdf = CORPUS / "tika-parser-pdf-module"
    with pytest.raises(ExtractionError, match="PDF is encrypted"):
        extract(pdf / "testPDF_no_extract_no_accessibility_owner_user.pdf")
    pages = [s.label for s in run(pdf / "testPDF_bookmarks.pdf").sections if s.kind == "page"]
    assert pages == ["1", "2"]


@needs_corpus
def test_every_corpus_file_extracts_or_fails_cleanly() -> None:
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "NOTICE")
    assert len(files) > 300
    outcomes: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    for path in files:
        try:
            r = extract(path)
        except ExtractionError as e:  # anything else escaping fails the test
            outcomes[type(e).__name__] += 1
            reasons[e.reason] += 1
            assert e.reason and len(e.reason) <= 200
            continue
        assert isinstance(r.text, str) and isinstance(r.title, str) and r.title
        check_sections(r)
        r.text.encode("utf-8")  # no lone surrogates that the database would refuse
        outcomes["text" if r.text.strip() else "empty"] += 1
    print(f"\nformats corpus: {len(files)} files: {dict(outcomes)}")
    for reason, n in reasons.most_common():
        print(f"  {n:4d}  {reason}")
    assert outcomes["text"] > 250


def test_normalise_shortcuts_change_nothing() -> None:
    """normalise() (and the HTML walker's whitespace collapsing) skip substitutions a cheap
    test shows cannot match: the result is that of running them all, on text made of what they
    look for."""
    import random

    from core.extract import common, html

    def every_step(text: str) -> str:
        for pattern, by in ((common._NEWLINES, "\n"), (common._CONTROL, ""),
                            (common._HSPACE, " "), (common._EDGE_SPACE, "\n"),
                            (common._BLANKS, "\n\n")):
            text = pattern.sub(by, text)
        return text.strip()

    atoms = ["a", "b", "é", " ", "  ", "\n", "\n\n", "\n\n\n", "\r", "\r\n", "\t", "\f", "\v",
             "\xa0", "\u2028", "\u2029", "\x85", "\x00", "\x1f", "\x7f", "\ufeff", "\uf020",
             "\ud800", " \n", "\n ", "\u3000", "\u2003", "\u200b", "中"]
    rng = random.Random(3)
    for _ in range(20_000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 30)))
        assert common.normalise(text) == every_step(text), repr(text)
        if text.isprintable() and "  " not in text:  # the walker's shortcut
            assert html._WS.sub(" ", text) == text, repr(text)
