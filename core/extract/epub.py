"""EPUB (and iBooks) via zipfile + lxml: container.xml -> OPF -> spine order, one chapter each."""

from __future__ import annotations

import posixpath
import zipfile
from urllib.parse import unquote

from lxml import etree

from .common import Source, TextBuilder, choose_title, fail, open_zip, parse_xml, read_member
from .html import decode_html, html_title, parse_html, walk_into
from .types import Extracted, ExtractionError

CONTAINER = "{urn:oasis:names:tc:opendocument:xmlns:container}"
OPF = "{http://www.idpf.org/2007/opf}"
DC = "{http://purl.org/dc/elements/1.1/}"
_HTML_TYPES = ("application/xhtml+xml", "text/html", "application/xml", "text/xml")


def _opf_path(container: etree._Element) -> str:
    for rootfile in container.iter(CONTAINER + "rootfile"):
        path = rootfile.get("full-path")
        if path and rootfile.get("media-type", "application/oebps-package+xml").endswith("xml"):
            return path
    raise ExtractionError("corrupt EPUB: container.xml names no package document")


def _find(el: etree._Element, name: str) -> list[etree._Element]:
    # Some books omit the OPF namespace; accept both.
    return el.findall(f".//{OPF}{name}") or el.findall(f".//{name}")


def extract_epub(src: Source, max_chars: int) -> Extracted:
    zf = open_zip(src, "EPUB")
    with zf:
        names = {i.filename for i in zf.infolist()}
        try:
            opf_path = _opf_path(parse_xml(read_member(zf, "META-INF/container.xml", "EPUB"), True))
            opf = parse_xml(read_member(zf, opf_path, "EPUB"), recover=True)
        except ExtractionError:
            raise
        except Exception as e:
            raise fail("EPUB", e) from e
        base = posixpath.dirname(opf_path)
        manifest: dict[str, tuple[str, str]] = {}
        for item in _find(opf, "item"):
            href = item.get("href")
            if item.get("id") and href:
                path = posixpath.normpath(posixpath.join(base, unquote(href).split("#")[0]))
                manifest[item.get("id", "")] = (path, item.get("media-type", ""))
        encrypted = _encrypted_members(zf, names)
        titles = opf.findall(f".//{DC}title")
        meta_title = titles[0].text if titles else None
        b = TextBuilder(max_chars)
        spine = [ref.get("idref", "") for ref in _find(opf, "itemref")]
        chapters = [manifest[i] for i in spine if i in manifest]
        if not chapters:  # no usable spine: fall back to the manifest's documents in order
            chapters = [v for v in manifest.values() if v[1] in _HTML_TYPES]
        skipped = 0
        for n, (path, mtype) in enumerate(chapters, 1):
            if b.full:
                break
            if path not in names or (mtype and mtype not in _HTML_TYPES):
                continue
            if path in encrypted:
                skipped += 1
                continue
            try:
                tree = parse_html(decode_html(read_member(zf, path, "EPUB")), b)
                label = html_title(tree) or posixpath.basename(path) or str(n)
                b.section("chapter", label)
                mark = len(b)
                walk_into(tree, b)
                if len(b) == mark:
                    b.cancel_pending()  # an empty chapter (cover image, blank page)
            except ExtractionError:
                raise
            except Exception:  # one broken chapter should not cost the book
                b.cancel_pending()
                skipped += 1
        if encrypted and skipped and not len(b):
            raise ExtractionError("EPUB is DRM-protected (encrypted content)")
        if skipped:
            b.warnings.append(f"{skipped} chapters could not be read")
    return b.build(choose_title(meta_title, b, src.stem), "epub")


def _encrypted_members(zf: zipfile.ZipFile, names: set[str]) -> set[str]:
    """Members listed in META-INF/encryption.xml (fonts are often merely obfuscated)."""
    if "META-INF/encryption.xml" not in names:
        return set()
    try:
        root = parse_xml(read_member(zf, "META-INF/encryption.xml", "EPUB"), recover=True)
    except Exception:
        return set()
    out = set()
    for ref in root.iter("{http://www.w3.org/2001/04/xmlenc#}CipherReference"):
        uri = ref.get("URI")
        if uri:
            out.add(posixpath.normpath(unquote(uri)))
    return out
