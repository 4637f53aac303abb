"""Office Open XML: DOCX (python-docx), PPTX (python-pptx), XLSX (openpyxl, read-only)."""

from __future__ import annotations

import datetime as dt
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable
from typing import IO, Any

from lxml import etree

from .common import Source, TextBuilder, choose_title, fail, local, parse_xml, read_member
from .html import decode_html, html_into, mhtml_into
from .text import decode
from .types import Extracted, ExtractionError, UnsupportedFormat

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.I)
# Containers whose children are block content (paragraphs, tables).
_W_BLOCKS = frozenset(["body", "sdt", "sdtContent", "customXml", "ins", "moveTo", "txbxContent"])
_EXTRA_PARTS = ("footnotes", "endnotes", "comments", "header", "footer")


def _wrap(
    kind: str, src: Source, max_chars: int, fn: Callable[[Source, int], Extracted]
) -> Extracted:
    try:
        return fn(src, max_chars)
    except (ExtractionError, MemoryError, RecursionError) as e:
        if isinstance(e, RecursionError):
            raise ExtractionError(f"corrupt {kind}: nesting too deep") from e
        raise
    except Exception as e:
        raise fail(kind, e) from e


# --- DOCX ----------------------------------------------------------------------------------


class _DocxWalker:
    def __init__(
        self, b: TextBuilder, styles: dict[str, str], parts: dict[str, Any] | None = None
    ) -> None:
        self.b = b
        self.styles = styles
        self.parts = parts or {}  # relationship id -> python-docx Part, for altChunk

    def blocks(self, container: etree._Element) -> None:
        for child in container:
            if self.b.full:
                return
            tag = child.tag
            if tag == W + "p":
                self.paragraph(child)
            elif tag == W + "tbl":
                self.b.add(self.table(child))
            elif tag == W + "altChunk":
                self.alt_chunk(child.get(R + "id", ""))
            elif isinstance(tag, str) and tag.startswith(W) and local(tag) in _W_BLOCKS:
                self.blocks(child)

    def part(self, root: etree._Element) -> None:
        # footnotes/endnotes/comments wrap their paragraphs one level down; headers do not.
        self.blocks(root)
        for child in root:
            if local(child.tag) in ("footnote", "endnote", "comment"):
                self.blocks(child)

    def alt_chunk(self, rid: str) -> None:
        """Imported content (HTML, MHT, text) kept as a separate part of the package."""
        part = self.parts.get(rid)
        if part is None:
            return
        ctype, blob = part.content_type, part.blob
        if ctype in ("text/html", "application/xhtml+xml"):
            html_into(decode_html(blob), self.b)
        elif ctype == "message/rfc822":
            mhtml_into(blob, self.b)
        elif ctype == "text/plain":
            self.b.add(decode(blob))

    def paragraph(self, p: etree._Element) -> None:
        parts: list[str] = []
        boxes: list[etree._Element] = []
        self._runs(p, parts, boxes)
        text = "".join(parts)
        level = self.heading_level(p)
        if level:
            self.b.heading(text, level)
        else:
            self.b.add(text)
        for box in boxes:  # text boxes anchored in this paragraph follow it
            self.blocks(box)

    def _runs(self, el: etree._Element, parts: list[str], boxes: list[etree._Element]) -> None:
        for child in el:
            tag = child.tag
            if tag == W + "t":
                parts.append(child.text or "")
            elif tag == W + "tab":
                parts.append("\t")
            elif tag in (W + "br", W + "cr"):
                parts.append("\n")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            elif tag == W + "txbxContent":
                boxes.append(child)
            elif tag in (W + "p", MC_FALLBACK, W + "pPr", W + "rPr", W + "instrText"):
                continue  # nested paragraphs are walked on their own; Fallback duplicates Choice
            elif isinstance(tag, str):
                self._runs(child, parts, boxes)

    def table(self, tbl: etree._Element) -> str:
        rows = []
        for tr in tbl.iter(W + "tr"):
            cells = []
            for tc in tr.iterchildren(W + "tc"):
                texts: list[str] = []
                for p in tc.iter(W + "p"):
                    parts: list[str] = []
                    self._runs(p, parts, [])
                    texts.append("".join(parts))
                cells.append(" ".join(t for t in texts if t.strip()))
            rows.append("\t".join(cells))
        return "\n".join(rows)

    def heading_level(self, p: etree._Element) -> int:
        ppr = p.find(W + "pPr")
        if ppr is None:
            return 0
        style = ppr.find(W + "pStyle")
        if style is not None:
            name = self.styles.get(style.get(W + "val", ""), style.get(W + "val", ""))
            m = _HEADING_STYLE.match(name)
            if m:
                return int(m.group(1))
            if name.lower() == "title":
                return 1
        outline = ppr.find(W + "outlineLvl")
        if outline is not None and (val := outline.get(W + "val", "")).isdigit() and int(val) < 9:
            return int(val) + 1
        return 0


def _docx(src: Source, max_chars: int) -> Extracted:
    import docx  # imported lazily: worker start-up stays cheap for other formats

    with src.open() as f:
        document = docx.Document(f)
    styles = {s.style_id: s.name or "" for s in document.styles if s.style_id}
    b = TextBuilder(max_chars)
    walker = _DocxWalker(b, styles, dict(document.part.related_parts))
    walker.blocks(document.element.body)
    seen: set[str] = set()
    for part in document.part.package.iter_parts():
        ctype = part.content_type
        if not any(f".{kind}+xml" in ctype for kind in _EXTRA_PARTS) or b.full:
            continue
        extra = TextBuilder(max_chars)
        _DocxWalker(extra, styles).part(parse_xml(part.blob, recover=True))
        text = extra.text()
        if text and text not in seen:  # the same header is often repeated per section
            seen.add(text)
            b.add(text, raw=True)
    title = choose_title(document.core_properties.title, b, src.stem)
    return b.build(title, "docx")


def extract_docx(src: Source, max_chars: int) -> Extracted:
    return _wrap("DOCX", src, max_chars, _docx)


# --- PPTX ----------------------------------------------------------------------------------


def _a_paragraphs(root: etree._Element) -> Iterable[str]:
    for p in root.iter(A + "p"):
        parts = []
        for el in p.iter(A + "t", A + "br"):
            parts.append("\n" if el.tag == A + "br" else (el.text or ""))
        yield "".join(parts)


def _pptx(src: Source, max_chars: int) -> Extracted:
    import pptx

    with src.open() as f:
        prs = pptx.Presentation(f)
    b = TextBuilder(max_chars)
    first_title: str | None = None
    for n, slide in enumerate(prs.slides, 1):
        if b.full:
            break
        b.section("slide", str(n))
        if first_title is None:
            try:
                shape = slide.shapes.title
                first_title = shape.text_frame.text if shape is not None else None
            except Exception:  # an odd placeholder must not cost the slide
                first_title = None
        b.add("\n".join(_a_paragraphs(slide.element)))
        if slide.has_notes_slide:
            b.add("\n".join(_a_paragraphs(slide.notes_slide.element)))
    meta = prs.core_properties.title
    title = choose_title(meta or first_title, b, src.stem)
    return b.build(title, "pptx")


def extract_pptx(src: Source, max_chars: int) -> Extracted:
    return _wrap("PPTX", src, max_chars, _pptx)


# --- XLSX ----------------------------------------------------------------------------------

_ROWS_PER_BLOCK = 200


def cell_str(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time() else v.isoformat(sep=" ")
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    return str(v)


def _xlsx(src: Source, max_chars: int) -> Extracted:
    import openpyxl

    with src.open() as f, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about every unknown extension
        wb = openpyxl.load_workbook(f, read_only=True, data_only=True, keep_links=False)
        if not wb.worksheets and _is_strict(f):
            raise UnsupportedFormat("unsupported format: Strict Open XML spreadsheet")
        try:
            b = TextBuilder(max_chars)
            for ws in wb.worksheets:
                if b.full:
                    break
                b.section("sheet", ws.title)
                ws.reset_dimensions()  # bogus <dimension> tags would pad rows to 16k columns
                lines: list[str] = []
                for row in ws.iter_rows(values_only=True):
                    line = "\t".join(cell_str(v) for v in row).strip()
                    if line:
                        lines.append(line)
                    if len(lines) >= _ROWS_PER_BLOCK:
                        b.add("\n".join(lines))
                        lines = []
                        if b.full:
                            break
                b.add("\n".join(lines))
            meta = wb.properties.title if wb.properties else None
        finally:
            wb.close()
    # A spreadsheet's first cell is a poor title: metadata or the file name.
    return b.build(choose_title(meta, b, src.stem, use_text=False), "xlsx")


def _is_strict(f: IO[bytes]) -> bool:
    """ISO "Strict" OOXML uses other namespaces, which openpyxl silently reads as empty."""
    with zipfile.ZipFile(f) as zf:
        try:
            return b"purl.oclc.org/ooxml" in read_member(zf, "xl/workbook.xml", "XLSX", 1 << 20)
        except ExtractionError:
            return False


def extract_xlsx(src: Source, max_chars: int) -> Extracted:
    return _wrap("XLSX", src, max_chars, _xlsx)
