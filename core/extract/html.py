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
_ENTERED = frozenset([*_HEADINGS, "pre", *_BLOCK, *_LINE, *_CELL])  # tags enter() acts on
_LEFT = frozenset([*_HEADINGS, "pre", *_BLOCK])  # ... and leave()
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""")
_WS = re.compile(r"\s+")

# Lexbor's tree builder scans the stack of open elements for every tag, so its time grows with
# depth x tags: 100,000 nested <div>s take ~10 s, 300,000 more than the per-file time limit.
# Browsers stop nesting at 512 levels (WebKit) and so do we: deeper start tags (and their end
# tags) are dropped before parsing, their text is kept.
MAX_DEPTH = 512
NESTING_WARNING = f"markup nested deeper than {MAX_DEPTH} levels: the deeper levels were flattened"
# A tag ends at its first ">"; it is self-closing when "/" comes right before. (The rest
# greedily, tested for its last character, scans faster than a lazy [^<>]*?(/?)>.)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)([^<>]*)>")
# Tags that never stay open (void) or are closed by their next sibling (auto-closed): they
# do not deepen the tree, however many there are.
_FLAT_TAGS = frozenset(
    words(
        "area base br col embed hr img input link meta param source track wbr basefont bgsound "
        "frame keygen p li dt dd option optgroup tr td th thead tbody tfoot rb rt rp rtc "
        "colgroup caption html head body"
    )
)


def sniff_charset(data: bytes) -> str | None:
    """The page's own charset: a <meta> (HTML5's prescan), else an XHTML file's XML
    declaration (<?xml version="1.0" encoding="Shift_JIS"?>)."""
    m = _META_CHARSET.search(data[:4096]) or _XML_ENCODING.match(data[:1024])
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
        # The stack holds nodes to enter and, as plain strings, the tags of elements to leave.
        # Only tags that enter() or leave() act on are looked at (most are <span>, <a>...):
        # for the others both are no-ops.
        stack: list[LexborNode | str] = [root]
        b = self.b
        while stack and not b.full:
            node = stack.pop()
            if type(node) is str:
                self.leave(node)
                continue
            tag = node.tag or ""
            if tag == "-text":
                text = node.text_content or ""
                # printable with no double space: \s+ -> " " would change nothing
                if not self.pre and not (text.isprintable() and "  " not in text):
                    text = _WS.sub(" ", text)
                (self.heading if self.heading is not None else self.cur).append(text)  # out()
                continue
            if tag.startswith("-") or tag in _SKIP:
                continue
            if tag in _ENTERED:
                self.enter(tag)
            if tag in _LEFT:
                stack.append(tag)
            stack.extend(reversed(list(node.iter(include_text=True))))
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


def limit_nesting(html: str, max_depth: int = MAX_DEPTH) -> tuple[str, bool]:
    """`html` with start tags deeper than `max_depth` removed (with their end tags), and
    whether anything was removed. A tag-level approximation of the tree builder, linear time."""
    if html.count("<") <= max_depth:  # fewer tags than levels: nothing to do (most files)
        return html, False
    depth_of: list[str] = []  # open elements
    open_count: dict[str, int] = {}
    dropped: dict[str, int] = {}
    cut: list[int] = []  # which of the tags found go
    # Tuples from findall, not match objects: the loop visits every tag of the page.
    for i, (closing, name, rest) in enumerate(_TAG.findall(html)):
        name = name.lower()
        if rest.endswith("/") or name in _FLAT_TAGS:
            continue
        if not closing:
            if len(depth_of) >= max_depth:
                cut.append(i)
                dropped[name] = dropped.get(name, 0) + 1
            else:
                depth_of.append(name)
                open_count[name] = open_count.get(name, 0) + 1
        elif dropped.get(name):  # dropped elements are the innermost ones
            cut.append(i)
            dropped[name] -= 1
        elif open_count.get(name):  # closes it and whatever is still open inside it
            dropped.clear()
            while depth_of:
                top = depth_of.pop()
                open_count[top] -= 1
                if top == name:
                    break
    if not cut:
        return html, False
    wanted = set(cut)
    cuts = [m.span() for i, m in enumerate(_TAG.finditer(html)) if i in wanted]
    parts, pos = [], 0
    for start, end in cuts:
        parts.append(html[pos:start])
        pos = end
    parts.append(html[pos:])
    return "".join(parts), True


def parse_html(html: str, b: TextBuilder | None = None) -> LexborHTMLParser:
    """Lexbor's parse of `html` after limit_nesting; a flattening is noted in `b`'s warnings."""
    html, flattened = limit_nesting(html)
    if flattened and b is not None and NESTING_WARNING not in b.warnings:
        b.warnings.append(NESTING_WARNING)
    return LexborHTMLParser(html)


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
    tree = parse_html(html, b)
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
