"""XML documents: flat ODF, ODF content, Word 2003 XML, XHTML, else the text of every element."""

from __future__ import annotations

from lxml import etree

from .common import (
    XML_MAX_DEPTH,
    XML_TOO_DEEP,
    Source,
    TextBuilder,
    choose_title,
    fail,
    local,
    one_line,
    xml_parser,
)
from .html import extract_html
from .odf import OFFICE, body_into, extract_flat_odf
from .text import bytes_per_char_limit
from .types import Extracted, ExtractionError

WORDML = "{http://schemas.microsoft.com/office/word/2003/wordml}"
_META_ELEMENTS = frozenset({"style", "script", "styles", "fonts", "lists", "docPr", "binData"})


def _generic_into(root: etree._Element, b: TextBuilder) -> None:
    """Leaf-ish text of every element, one line each; paragraphs where WordML has them."""
    lines: list[str] = []
    stack = [root]
    while stack and not b.full:
        el = stack.pop()
        if not isinstance(el.tag, str) or local(el.tag) in _META_ELEMENTS:
            if el.tail and el.tail.strip():
                lines.append(el.tail)
            continue
        if el.tag == WORDML + "p":  # Word 2003 XML: a paragraph's runs belong on one line
            lines.append("".join(el.itertext()))
        else:
            if el.text and el.text.strip():
                lines.append(el.text)
            stack.extend(reversed(el))
        if el is not root and el.tail and el.tail.strip():
            lines.append(el.tail)
        if len(lines) >= 500:
            b.add("\n".join(lines))
            lines = []
    b.add("\n".join(lines))


def _title_element(root: etree._Element) -> str | None:
    for el in root.iter():
        if isinstance(el.tag, str) and local(el.tag) == "title":
            text = one_line("".join(el.itertext()))
            if text:
                return text
    return None


def extract_xml(src: Source, max_chars: int) -> Extracted:
    data, _ = src.read(bytes_per_char_limit(max_chars) * 2)
    parser = xml_parser(recover=True)
    try:
        root = etree.fromstring(data, parser)
        if root is None:
            raise ValueError("empty XML document")
    except Exception as e:
        raise fail("XML", e) from e
    # Recovery stops reading at libxml2's depth limit: say so rather than "no text found".
    too_deep = any(XML_TOO_DEEP in e.message for e in parser.error_log)
    name = local(root.tag)
    if root.tag == OFFICE + "document":
        return extract_flat_odf(root, src, max_chars)
    if name == "html":
        return extract_html(src, max_chars)
    b = TextBuilder(max_chars)
    try:
        if root.tag == OFFICE + "document-content":
            body_into(root, b)
            fmt = "odt"
        else:
            _generic_into(root, b)
            fmt = "wordml" if root.tag == WORDML + "wordDocument" else "xml"
        title = _title_element(root)
    except (ExtractionError, MemoryError):
        raise
    except Exception as e:
        raise fail("XML", e) from e
    if too_deep:
        if not len(b):
            raise ExtractionError(f"corrupt XML: nested deeper than {XML_MAX_DEPTH} levels")
        b.warnings.append(f"nested deeper than {XML_MAX_DEPTH} levels: the rest was not read")
    # The first text of arbitrary XML is rarely a title (an ID, a date): use the file name.
    return b.build(choose_title(title, b, src.stem, use_text=fmt != "xml"), fmt)
