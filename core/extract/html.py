"""HTML, XHTML and MHTML via selectolax (Lexbor, an HTML5 parser): <title>, headings, blocks."""

from __future__ import annotations

import email
import re
from email import policy

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .common import Source, TextBuilder, choose_title, fail, one_line, words
from .text import bytes_per_char_limit, decode
from .types import Extracted, ExtractionError

_SKIP = frozenset(
    words(
        "head script style noscript template svg iframe object embed canvas select audio "
        "video map button datalist"
    )
)
_BLOCK = frozenset(
    words(
        "address article aside blockquote body center details dialog dir div dl fieldset "
        "figcaption figure footer form frameset header hgroup hr html legend main menu nav ol "
        "p pre section summary table tbody tfoot thead ul caption"
    )
)
_LINE = frozenset(["br", "li", "dt", "dd", "tr", "option"])
_CELL = frozenset(["td", "th"])
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_WS = re.compile(r"\s+")


def sniff_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii", "replace").lower() if m else None


def decode_html(data: bytes, declared: str | None = None) -> str:
    declared = declared or sniff_charset(data)
    if declared and declared.startswith(("utf-16", "utf-32", "unicode")):
        declared = None  # a BOM-less page that says UTF-16 was transcoded since (HTML5 rule)
    return decode(data, declared)


class _Walker:
    """Turns the DOM into blocks: block elements end paragraphs, headings become sections."""

    def __init__(self, b: TextBuilder) -> None:
        self.b = b
        self.cur: list[str] = []
        self.heading: list[str] | None = None
        self.pre = 0

    def flush(self) -> None:
        if self.cur:
            self.b.add("".join(self.cur))
            self.cur = []

    def out(self) -> list[str]:
        return self.heading if self.heading is not None else self.cur

    def walk(self, root: LexborNode) -> None:
        stack: list[tuple[LexborNode, bool]] = [(root, False)]
        while stack and not self.b.full:
            node, leaving = stack.pop()
            tag = node.tag or ""
            if leaving:
                self.leave(tag)
                continue
            if tag == "-text":
                text = node.text_content or ""
                self.out().append(text if self.pre else _WS.sub(" ", text))
                continue
            if tag.startswith("-") or tag in _SKIP:
                continue
            self.enter(tag)
            stack.append((node, True))
            children = list(node.iter(include_text=True))
            stack.extend((c, False) for c in reversed(children))
        self.flush()

    def enter(self, tag: str) -> None:
        if tag in _HEADINGS and self.heading is None:
            self.flush()
            self.heading = []
        elif tag == "pre":
            self.pre += 1
        if self.heading is not None:
            return
        if tag in _BLOCK:
            self.flush()
        elif tag in _LINE:
            self.cur.append("\n")
        elif tag in _CELL:
            self.cur.append("\t")

    def leave(self, tag: str) -> None:
        if tag in _HEADINGS and self.heading is not None:
            self.b.heading("".join(self.heading), _HEADINGS[tag])
            self.heading = None
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if self.heading is None and tag in _BLOCK:
            self.flush()


def html_title(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("title")
    if node is not None:
        return one_line(node.text(deep=True)) or None
    return None


def walk_into(tree: LexborHTMLParser, b: TextBuilder) -> None:
    if tree.root is not None:
        _Walker(b).walk(tree.root)


def html_into(html: str, b: TextBuilder) -> str | None:
    """Append an HTML document's text to `b`; returns its <title>."""
    tree = LexborHTMLParser(html)
    walk_into(tree, b)
    return html_title(tree)


def html_to_text(html: str, max_chars: int = 10_000_000) -> str:
    b = TextBuilder(max_chars)
    html_into(html, b)
    return b.text()


def extract_html(src: Source, max_chars: int) -> Extracted:
    data, _ = src.read(bytes_per_char_limit(max_chars) * 2)  # markup is mostly not text
    b = TextBuilder(max_chars)
    try:
        title = html_into(decode_html(data), b)
    except ExtractionError:
        raise
    except Exception as e:
        raise fail("HTML", e) from e
    return b.build(choose_title(title, b, src.stem), "html")


def mhtml_into(data: bytes, b: TextBuilder) -> str | None:
    """MHTML is a MIME message: add its first HTML part (else plain text); returns a title."""
    msg = email.message_from_bytes(data, policy=policy.compat32)
    html_part = plain_part = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "text/html" and html_part is None:
            html_part = part
        elif ctype == "text/plain" and plain_part is None:
            plain_part = part
    title = None
    part = html_part or plain_part
    if part is not None:
        payload = part.get_payload(decode=True)
        payload = payload if isinstance(payload, bytes) else b""
        charset = part.get_content_charset()
        if part is html_part:
            title = html_into(decode_html(payload, charset), b)
        else:
            b.add(decode(payload, charset))
    return title or msg.get("Subject")


def extract_mhtml(src: Source, max_chars: int) -> Extracted:
    data, _ = src.read(bytes_per_char_limit(max_chars) * 2)
    b = TextBuilder(max_chars)
    try:
        title = mhtml_into(data, b)
    except ExtractionError:
        raise
    except Exception as e:
        raise fail("MHTML", e) from e
    return b.build(choose_title(title, b, src.stem), "mhtml")
