"""OpenDocument (ODT/ODS/ODP/ODG, zipped or flat XML .fodt/.fods/.fodp) via lxml."""

from __future__ import annotations

from lxml import etree

from .common import (
    Source,
    TextBuilder,
    choose_title,
    fail,
    local,
    open_zip,
    parse_xml,
    read_member,
    zip_names,
)
from .types import Extracted, ExtractionError, UnsupportedFormat

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
MIME_PREFIX = "application/vnd.oasis.opendocument."
_ROWS_PER_BLOCK = 200
# Not content: styles, scripts, form definitions, deleted text of tracked changes.
_SKIP = frozenset(
    OFFICE + n for n in ("forms", "scripts", "font-face-decls", "automatic-styles", "styles")
) | {TEXT + "tracked-changes", TEXT + "sequence-decls", TEXT + "variable-decls"}
_KINDS = {
    "text": "odt",
    "text-template": "odt",
    "text-master": "odt",
    "text-web": "odt",
    "spreadsheet": "ods",
    "spreadsheet-template": "ods",
    "presentation": "odp",
    "presentation-template": "odp",
    "graphics": "odg",
    "graphics-template": "odg",
    "formula": "odf",
    "chart": "odc",
}


class _Walker:
    def __init__(self, b: TextBuilder) -> None:
        self.b = b
        self.slide = 0

    def blocks(self, el: etree._Element) -> None:
        for child in el:
            if self.b.full:
                return
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == TEXT + "h":
                level = child.get(TEXT + "outline-level", "1")
                later: list[etree._Element] = []
                self.b.heading(self.inline(child, later), int(level) if level.isdigit() else 1)
                self.after(later)
            elif tag == TEXT + "p":
                later = []
                self.b.add(self.inline(child, later))
                self.after(later)
            elif tag == TABLE + "table":
                self.table(child)
            elif tag == DRAW + "page":
                self.slide += 1
                self.b.section("slide", str(self.slide))
                self.blocks(child)
            else:  # lists, sections, frames, text boxes, shapes: containers of paragraphs
                self.blocks(child)

    def after(self, later: list[etree._Element]) -> None:
        """Notes, annotations and frames found inside a paragraph follow it."""
        for el in later:
            self.blocks(el)

    def inline(self, el: etree._Element, later: list[etree._Element]) -> str:
        parts: list[str] = [el.text or ""]
        for child in el:
            tag = child.tag
            if tag == TEXT + "s":
                c = child.get(TEXT + "c", "1")
                parts.append(" " * min(int(c) if c.isdigit() else 1, 100))
            elif tag == TEXT + "tab":
                parts.append("\t")
            elif tag == TEXT + "line-break":
                parts.append("\n")
            elif tag in (TEXT + "note", OFFICE + "annotation", DRAW + "frame", DRAW + "a"):
                later.append(child)
            elif isinstance(tag, str) and tag not in _SKIP and tag != TEXT + "note-citation":
                parts.append(self.inline(child, later))
            parts.append(child.tail or "")
        return "".join(parts)

    def cell_text(self, cell: etree._Element) -> str:
        texts = [self.inline(p, []) for p in cell.iter(TEXT + "p", TEXT + "h")]
        return " ".join(t.strip() for t in texts if t.strip())

    def table(self, table: etree._Element, as_sheet: bool = False) -> None:
        if as_sheet:
            self.b.section("sheet", table.get(TABLE + "name") or "Sheet")
        lines: list[str] = []
        for row in table.iter(TABLE + "table-row"):
            cells = [self.cell_text(c) for c in row.iterchildren(TABLE + "table-cell")]
            line = "\t".join(cells).strip()  # repeated empty cells/rows are never expanded
            if line:
                lines.append(line)
            if len(lines) >= _ROWS_PER_BLOCK:
                self.b.add("\n".join(lines))
                lines = []
                if self.b.full:
                    return
        self.b.add("\n".join(lines))


def body_into(root: etree._Element, b: TextBuilder) -> None:
    body = root.find(OFFICE + "body")
    if body is None:  # e.g. a formula (MathML) document: keep whatever text there is
        b.add(" ".join(t.strip() for t in root.itertext() if t.strip()))
        return
    walker = _Walker(b)
    for kind in body:
        if local(kind.tag) == "spreadsheet":
            for child in kind:
                if child.tag == TABLE + "table":
                    walker.table(child, as_sheet=True)
                elif child.tag not in _SKIP:
                    walker.blocks(child)
        else:
            walker.blocks(kind)


def _meta_title(root: etree._Element | None) -> str | None:
    if root is None:
        return None
    node = root.find(f"{OFFICE}meta/{DC}title")
    return node.text if node is not None else None


def format_of(mimetype: str) -> str:
    return _KINDS.get(mimetype.removeprefix(MIME_PREFIX).strip(), "odf")


def extract_odf(src: Source, max_chars: int) -> Extracted:
    zf = open_zip(src, "OpenDocument")
    with zf:
        names = zip_names(zf)
        mimetype = ""
        if "mimetype" in names:
            mimetype = read_member(zf, "mimetype", "OpenDocument", 1024).decode("ascii", "replace")
        fmt = format_of(mimetype) if mimetype else src.suffix.lstrip(".") or "odt"
        if mimetype.endswith(".base"):
            raise UnsupportedFormat("unsupported format: LibreOffice Base database (.odb)")
        if "META-INF/manifest.xml" in names:
            manifest = read_member(zf, "META-INF/manifest.xml", "OpenDocument")
            if b"encryption-data" in manifest:
                raise ExtractionError("OpenDocument file is encrypted (password-protected)")
        if "content.xml" not in names:
            raise ExtractionError("corrupt OpenDocument: no content.xml")
        try:
            content = parse_xml(read_member(zf, "content.xml", "OpenDocument"), recover=True)
            meta = (
                parse_xml(read_member(zf, "meta.xml", "OpenDocument"), recover=True)
                if "meta.xml" in names
                else None
            )
        except ExtractionError:
            raise
        except Exception as e:
            raise fail("OpenDocument", e) from e
    b = TextBuilder(max_chars)
    body_into(content, b)
    return b.build(choose_title(_meta_title(meta), b, src.stem, use_text=fmt != "ods"), fmt)


def extract_flat_odf(root: etree._Element, src: Source, max_chars: int) -> Extracted:
    """A flat ODF document (.fodt/.fods/.fodp): one XML file with meta and body."""
    fmt = format_of(root.get(OFFICE + "mimetype", ""))
    if fmt == "odf":
        fmt = {".fodt": "odt", ".fods": "ods", ".fodp": "odp", ".fodg": "odg"}.get(src.suffix, fmt)
    b = TextBuilder(max_chars)
    body_into(root, b)
    return b.build(choose_title(_meta_title(root), b, src.stem, use_text=fmt != "ods"), fmt)
