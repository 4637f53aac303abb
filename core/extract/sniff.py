"""Which extractor reads a file: by magic bytes first, then by extension, then by content."""

from __future__ import annotations

import re
import zipfile

from .common import Source, check_zip, fail, read_member, words, zip_names
from .man import is_troff
from .text import decode, looks_textual
from .types import ExtractionError, NotADocument, UnsupportedFormat

# Extension -> extractor kind for formats read by content type rather than by structure.
_CODE = words(
    "py pyw pyi c h cc cpp cxx hpp hh hxx java kt kts scala go rs js mjs cjs jsx tsx rb "
    "php pl pm lua sh bash zsh fish ps1 psm1 bat cmd r jl swift m mm cs fs fsx vb sql css "
    "scss sass less vue svelte dart ex exs erl hrl hs ml mli clj cljs el lisp scm tcl asm "
    "s f f90 f95 pas d nim zig groovy gradle cmake mk proto thrift graphql awk sed vim ts"
)
_TEXT = words(
    "txt text log csv tsv tab json jsonl ndjson yaml yml toml ini cfg conf properties env "
    "tex bib sty cls org adoc asciidoc textile wiki srt vtt sub ics vcs vcf nfo diz me "
    "readme license changes patch diff po pot lst out err ipynb"
)
EXT_KIND: dict[str, str] = {
    **{f".{e}": "code" for e in _CODE},
    **{f".{e}": "text" for e in _TEXT},
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".rst": "rst", ".rest": "rst",
    ".html": "html", ".htm": "html", ".xhtml": "html", ".xht": "html", ".shtml": "html",
    ".mht": "mhtml", ".mhtml": "mhtml",
    ".xml": "xml", ".xmp": "xml", ".rdf": "xml", ".opf": "xml", ".fb2": "xml",
    ".fodt": "xml", ".fods": "xml", ".fodp": "xml", ".fodg": "xml", ".xsl": "xml", ".xslt": "xml",
    ".xsd": "xml", ".rss": "xml", ".atom": "xml", ".kml": "xml", ".gpx": "xml", ".plist": "xml",
    ".eml": "eml", ".mbox": "mbox", ".mbx": "mbox", ".msg": "msg",
    ".pdf": "pdf", ".rtf": "rtf", ".epub": "epub", ".ibooks": "epub",
    ".docx": "docx", ".docm": "docx", ".dotx": "docx", ".dotm": "docx",
    ".pptx": "pptx", ".pptm": "pptx", ".potx": "pptx", ".ppsx": "pptx", ".ppsm": "pptx",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xltx": "xlsx", ".xltm": "xlsx",
    ".odt": "odf", ".ods": "odf", ".odp": "odf", ".odg": "odf", ".ott": "odf", ".ots": "odf",
    ".otp": "odf", ".odf": "odf", ".odm": "odf",
    ".man": "man", ".mdoc": "man",
    ".doc": "doc", ".dot": "doc", ".xls": "xls", ".xlt": "xls",
    ".ppt": "ppt", ".pps": "ppt", ".pot": "ppt",
    ".gz": "gz",
}  # fmt: skip
# Kinds whose files are binary containers: text content under such a name is suspect.
BINARY_KINDS = frozenset({"pdf", "epub", "docx", "pptx", "xlsx", "odf", "msg", "gz", "doc",
                          "xls", "ppt"})
_LABELS = {"odf": "OpenDocument", "msg": "Outlook message", "gz": "gzip"}
for _k in ("pdf", "epub", "docx", "pptx", "xlsx", "doc", "xls", "ppt"):
    _LABELS[_k] = _k.upper()
MAN_EXT = re.compile(r"^\.[1-9][a-z]{0,4}$|^\.[ln]$")

UNSUPPORTED_EXT: dict[str, str] = {
    ".xlsb": "Excel binary workbook (.xlsb)",
    ".hwp": "Hangul word processor (.hwp)", ".wpd": "WordPerfect document",
    ".wp": "WordPerfect document", ".wp5": "WordPerfect document", ".wp6": "WordPerfect document",
    ".wps": "Microsoft Works document", ".wks": "Microsoft Works spreadsheet",
    ".pub": "Microsoft Publisher document", ".vsd": "Visio drawing", ".vsdx": "Visio drawing",
    ".one": "OneNote notebook", ".pst": "Outlook data file (.pst)", ".ost": "Outlook data file",
    ".mpp": "Microsoft Project file", ".dbf": "dBASE database", ".dbase3": "dBASE database",
    ".mdb": "Access database", ".accdb": "Access database",
    ".mif": "Adobe FrameMaker MIF", ".idml": "Adobe InDesign IDML", ".indd": "Adobe InDesign",
    ".qpw": "Quattro Pro spreadsheet", ".wb1": "Quattro Pro spreadsheet",
    ".wb2": "Quattro Pro spreadsheet", ".wb3": "Quattro Pro spreadsheet",
    ".wq1": "Quattro Pro spreadsheet", ".wq2": "Quattro Pro spreadsheet",
    ".wk1": "Lotus 1-2-3 spreadsheet", ".wk3": "Lotus 1-2-3 spreadsheet",
    ".wk4": "Lotus 1-2-3 spreadsheet", ".123": "Lotus 1-2-3 spreadsheet",
    ".pages": "Apple Pages document", ".numbers": "Apple Numbers spreadsheet",
    ".key": "Apple Keynote presentation", ".odb": "LibreOffice Base database (.odb)",
    ".sxw": "OpenOffice.org 1.x document", ".sxc": "OpenOffice.org 1.x spreadsheet",
    ".sxi": "OpenOffice.org 1.x presentation", ".bau": "OpenOffice autotext (.bau)",
    ".chm": "compiled HTML help (.chm)", ".djvu": "DjVu document", ".ps": "PostScript",
    ".xps": "XPS document", ".oxps": "XPS document", ".mobi": "Kindle e-book (.mobi)",
    ".azw": "Kindle e-book", ".azw3": "Kindle e-book", ".lit": "Microsoft Reader e-book",
}  # fmt: skip
_NOT_DOC_GROUPS = {
    "image": "jpg jpeg jpe jfif png gif bmp tif tiff webp heic heif avif ico icns svg svgz psd "
    "xcf raw cr2 cr3 nef arw dng orf rw2 tga jp2 jxl eps emf wmf",
    "audio": "mp3 wav flac ogg oga opus m4a aac wma aiff aif mid midi ape amr",
    "video": "mp4 m4v mkv avi mov wmv webm flv mpg mpeg 3gp m2ts mts vob ogv",
    "executable or library": "exe dll so dylib o obj a lib msi com sys class pyc pyo pyd wasm "
    "apk ipa dmg app deb rpm",
    "font": "ttf otf woff woff2 eot fon pfb pfm ttc",
    "archive": "zip 7z rar tar tgz tbz tbz2 txz bz2 xz zst lz lzma cab jar war ear iso img oxt "
    "crx xpi",
    "database": "sqlite sqlite3 db kdbx",
}
NOT_DOC_EXT: dict[str, str] = {
    f".{ext}": group for group, exts in _NOT_DOC_GROUPS.items() for ext in exts.split()
}
# Magic bytes -> ("kind" to extract) or ("!" reason for UnsupportedFormat / "-" for NotADocument)
_MAGIC: list[tuple[int, bytes, str]] = [
    (0, b"{\\rtf", "rtf"),
    (0, b"\x1f\x8b", "gz"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (0, b"\xffWPC", "!WordPerfect document"),
    (0, b"HWP Document File", "!Hangul word processor (.hwp)"),
    (0, b"<MIFFile", "!Adobe FrameMaker MIF"),
    (0, b"<MakerFile", "!Adobe FrameMaker document"),
    (0, b"%!PS", "!PostScript"),
    (0, b"AT&TFORM", "!DjVu document"),
    (0, b"\x89PNG", "image"),
    (0, b"\xff\xd8\xff", "image"),
    (0, b"GIF87a", "image"),
    (0, b"GIF89a", "image"),
    (0, b"II*\x00", "image"),
    (0, b"MM\x00*", "image"),
    (0, b"8BPS", "-image"),
    (0, b"\x00\x00\x00\x0cjP  ", "-image"),
    (0, b"ID3", "-audio"),
    (0, b"fLaC", "-audio"),
    (0, b"OggS", "-audio or video"),
    (0, b"\x1aE\xdf\xa3", "-video"),
    (0, b"\x7fELF", "-executable or library"),
    (0, b"MZ", "-executable or library"),
    (0, b"\xcf\xfa\xed\xfe", "-executable or library"),
    (0, b"\xce\xfa\xed\xfe", "-executable or library"),
    (0, b"\xca\xfe\xba\xbe", "-executable or library"),
    (0, b"\x00asm", "-executable or library"),
    (0, b"wOFF", "-font"),
    (0, b"wOF2", "-font"),
    (0, b"OTTO", "-font"),
    (0, b"7z\xbc\xaf\x27\x1c", "-archive"),
    (0, b"Rar!\x1a\x07", "-archive"),
    (0, b"\xfd7zXZ\x00", "-archive"),
    (0, b"BZh", "-archive"),
    (0, b"\x28\xb5\x2f\xfd", "-archive"),
    (0, b"MSCF", "-archive"),
    (257, b"ustar", "-archive"),
    (0, b"SQLite format 3\x00", "-database"),
]
_MAIL_HEADER = re.compile(
    r"^(from|to|cc|subject|date|received|return-path|message-id|mime-version|delivered-to|"
    r"reply-to|sender|newsgroups|x-[\w-]+|dkim-signature|arc-[\w-]+|content-type|"
    r"in-reply-to|references|thread-\w+|authentication-results|sent)\s*:",
    re.I,
)


def unsupported(what: str) -> UnsupportedFormat:
    return UnsupportedFormat(f"unsupported format: {what}")


def not_a_document(what: str) -> NotADocument:
    return NotADocument(f"not a document: {what}")


def kind_from_magic(head: bytes) -> str | None:
    if b"%PDF-" in head[:1024]:  # PDF readers accept junk before the header
        return "pdf"
    for offset, magic, kind in _MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if kind.startswith("!"):
                raise unsupported(kind[1:])
            if kind.startswith("-"):
                raise not_a_document(kind[1:])
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image"
    if head[:4] == b"RIFF" and head[8:12] in (b"WAVE", b"AVI "):
        raise not_a_document({b"WAVE": "audio", b"AVI ": "video"}[head[8:12]])
    # BMP: "BM", file size, four zero bytes, then the size of a known info header.
    if (head[:2] == b"BM" and head[6:10] == b"\0\0\0\0"
            and head[14:18] in (b"\x0c\0\0\0", b"(\0\0\0", b"8\0\0\0", b"l\0\0\0", b"|\0\0\0")):
        return "image"
    if head[4:8] == b"ftyp":
        raise not_a_document("image, audio or video (ISO media)")
    return None


def kind_of_zip(src: Source) -> str:
    """Look inside a zip: OOXML by its folders, ODF/EPUB by their mimetype member."""
    try:
        zf = zipfile.ZipFile(src.open())
    except Exception as e:
        raise fail(_LABELS.get(EXT_KIND.get(src.suffix, ""), "zip container"), e) from e
    with zf:
        check_zip(zf, "zip container")
        names = zip_names(zf)
        if "mimetype" in names:
            mime = read_member(zf, "mimetype", "zip container", 1024)
            mime = mime.decode("ascii", "replace").strip()
            if mime.startswith("application/vnd.oasis.opendocument."):
                if mime.endswith(".base"):
                    raise unsupported("LibreOffice Base database (.odb)")
                return "odf"
            if mime in ("application/epub+zip", "application/x-ibooks+zip"):
                return "epub"
            if "indesign" in mime:
                raise unsupported("Adobe InDesign IDML")
            if mime.startswith("application/vnd.sun.xml."):
                raise unsupported("OpenOffice.org 1.x document")
        lower = {n.lower() for n in names}
        if "[content_types].xml" in lower:
            tops = {n.split("/", 1)[0] for n in lower}
            for folder, kind in (("word", "docx"), ("ppt", "pptx"), ("xl", "xlsx")):
                if folder in tops:
                    return kind
            if "visio" in tops:
                raise unsupported("Visio drawing")
            raise unsupported("Office Open XML package of an unknown kind")
        if "meta-inf/container.xml" in lower:
            return "epub"
        if "content.xml" in lower and "meta-inf/manifest.xml" in lower:
            return "odf"
    if src.suffix in UNSUPPORTED_EXT:
        raise unsupported(UNSUPPORTED_EXT[src.suffix])
    raise not_a_document("archive (zip)")


def kind_of_ole(src: Source) -> str:
    """OLE2 compound files: legacy Office, encrypted OOXML, Outlook .msg, HWP..."""
    import olefile

    try:
        with olefile.OleFileIO(src.open()) as ole:
            entries = {e[0].lower() for e in ole.listdir(streams=True, storages=True)}
    except Exception as e:
        label = "OLE2 file" if src.suffix not in UNSUPPORTED_EXT else src.suffix.lstrip(".").upper()
        raise fail(label, e) from e
    if "encryptedpackage" in entries:
        raise ExtractionError("document is encrypted (password-protected Office file)")
    if "__properties_version1.0" in entries and any(e.startswith("__substg1.0_") for e in entries):
        return "msg"
    for stream, kind in (("worddocument", "doc"), ("workbook", "xls"), ("book", "xls"),
                         ("powerpoint document", "ppt")):
        if stream in entries:
            return kind
    for stream, what in (
        ("hwpsummaryinformation", "Hangul word processor (.hwp)"),
        ("visiodocument", "Visio drawing"),
        ("quill", "Microsoft Publisher document"),
        ("nativecontent_main", "Quattro Pro spreadsheet"),
        ("perfectoffice_main", "Quattro Pro spreadsheet"),
        ("matost", "Microsoft Works document"),
    ):
        if stream in entries:
            raise unsupported(what)
    if src.suffix in UNSUPPORTED_EXT:
        raise unsupported(UNSUPPORTED_EXT[src.suffix])
    raise unsupported("OLE2 compound file of an unknown kind")


def _is_mhtml(low: str) -> bool:
    """A web page saved as MIME (no recipients, parts with Content-Location), not a letter."""
    header_block = low.split("\n\n", 1)[0]
    return (
        "multipart/related" in header_block
        and "content-location:" in low
        and not re.search(r"^(to|received|delivered-to):", header_block, re.M)
    )


def kind_from_text(head: bytes) -> str:
    """What a text-like file is: HTML, XML, mail, mbox, man page, or plain text."""
    text = decode(head).lstrip("\ufeff \t\r\n")
    low = text[:2048].lower()
    if low.startswith(("<!doctype html", "<html", "<head", "<body")) or (
        low.startswith(("<?xml", "<!doctype", "<!--")) and "<html" in low
    ):
        return "html"
    if low.startswith("<?xml") or re.match(r"<[a-z_][\w:.-]*[\s>/]", low):
        return "xml"
    lines = text[:4096].splitlines()
    if lines and lines[0].startswith("From ") and len(lines) > 1 and _MAIL_HEADER.match(lines[1]):
        return "mbox"
    headers = 0
    for line in lines[:40]:
        if not line.strip():
            break
        if line[0] in " \t":
            continue  # folded header continuation
        if not _MAIL_HEADER.match(line):
            headers = -99 if headers < 2 else headers
            break
        headers += 1
    if headers >= 2:
        if _is_mhtml(text[:65536].lower()):
            return "mhtml"
        return "eml"
    if is_troff(text):
        return "man"
    return "text"


def detect(src: Source) -> str:
    """The extractor kind for `src`; raises UnsupportedFormat / NotADocument / ExtractionError."""
    head = src.head(8192)
    ext = src.suffix
    kind = kind_from_magic(head)
    if kind == "zip":
        return kind_of_zip(src)
    if kind == "ole":
        return kind_of_ole(src)
    if kind:
        return kind
    by_ext = EXT_KIND.get(ext)
    if by_ext in ("text", "code", "markdown", "rst", "eml", "mbox", "mhtml", "html", "xml"):
        return by_ext
    if by_ext == "man" or MAN_EXT.match(ext):
        return "man" if is_troff(decode(head)) else "text"
    textual = looks_textual(head)
    if ext in NOT_DOC_EXT:
        raise not_a_document(NOT_DOC_EXT[ext])
    if ext in UNSUPPORTED_EXT:
        # Word happily saves HTML, XML or text under .doc: read those.
        if textual and (sniffed := kind_from_text(head)) in ("html", "xml"):
            return sniffed
        raise unsupported(UNSUPPORTED_EXT[ext])
    if textual:
        return kind_from_text(head)
    if by_ext in ("doc", "xls", "ppt"):  # named so, but older than Office 97 or another program's
        raise unsupported(f"a .{by_ext} file that is not Office 97-2003 (no OLE2 header: an "
                          "older version, or another program's file)")
    if by_ext in BINARY_KINDS:
        label = _LABELS.get(by_ext, by_ext.upper())
        raise ExtractionError(f"corrupt {label}: not a {label} file (unrecognised header)")
    raise unsupported(f"unrecognised binary file ({ext or 'no extension'})")
