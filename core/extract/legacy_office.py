"""Legacy binary Office: Word 97-2003 .doc ([MS-DOC]) and PowerPoint 97-2003 .ppt ([MS-PPT]).

Both are OLE2 compound files read with olefile alone: the text of a .doc comes from its piece
table, that of a .ppt from its text atoms, slide by slide. Formatting is not interpreted.
"""

from __future__ import annotations

import bisect
import re
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .common import Source, TextBuilder, choose_title, fail, sensible_title
from .types import Extracted, ExtractionError, UnsupportedFormat

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = "document is encrypted (password-protected Office file)"
STREAM_MAX = 64 * 1024 * 1024  # olefile holds a whole stream in memory: never more than this
_META_MAX = 1024 * 1024  # a property stream bigger than this is not worth a title

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")


def _cp1252_table() -> dict[int, str]:
    # Bytes cp1252 leaves undefined keep their Latin-1 meaning, so one byte is always one
    # character (piece boundaries are counted in characters).
    table = {}
    for i in range(0x80, 0xA0):
        try:
            table[i] = bytes([i]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return table


_CP1252 = _cp1252_table()


def decode_8bit(data: bytes, encoding: str = "cp1252") -> str:
    if encoding == "cp1252":
        return data.decode("latin-1").translate(_CP1252)
    return data.decode(encoding, errors="replace")


def _utf16(data: bytes) -> str:
    # Lone surrogates survive here and are dropped by normalise(); odd tails are cut.
    return data[: len(data) & ~1].decode("utf-16-le", errors="surrogatepass")


# --- OLE plumbing ------------------------------------------------------------------------


def _read_stream(ole: Any, path: str, cap: int = STREAM_MAX) -> tuple[bytes, bool]:
    """A stream's first `cap` bytes, and whether it was longer."""
    size = ole.get_size(path)
    if size <= cap:
        with ole.openstream(path) as s:
            return s.read(), False
    # openstream would load the whole declared size (a FAT loop can claim gigabytes):
    # open just the first `cap` bytes of the sector chain. Such a stream is never in the
    # mini stream, so neither may the capped one be taken for one.
    entry = ole.direntries[ole._find(path)]
    with ole._open(entry.isectStart, max(cap, ole.minisectorcutoff)) as s:
        return s.read(cap), True


def _meta_title(ole: Any) -> str | None:
    """The SummaryInformation title, decoded with the stream's own code page."""
    if not ole.exists("\x05SummaryInformation"):
        return None
    # get_metadata reads both property streams whole.
    for name in ("\x05SummaryInformation", "\x05DocumentSummaryInformation"):
        if ole.exists(name) and ole.get_size(name) > _META_MAX:
            return None
    try:
        meta = ole.get_metadata()
    except Exception:  # a damaged property set must not cost the text
        return None
    title = meta.title
    if isinstance(title, bytes):
        cp = (meta.codepage or 1252) & 0xFFFF  # stored signed: 65001 reads as -535
        encoding = {65001: "utf-8", 1200: "utf-16-le"}.get(cp, f"cp{cp}")
        try:
            title = title.decode(encoding, errors="replace")
        except LookupError:
            title = decode_8bit(title)
    return title.strip("\x00") if isinstance(title, str) else None


def _wrap(
    kind: str, src: Source, max_chars: int, fn: Callable[[Any, Source, int], Extracted], what: str
) -> Extracted:
    import olefile

    try:
        f = src.open()
    except OSError as e:  # as extract() words it; ExtractionError from Source passes through
        raise ExtractionError(f"cannot read file: {e.strerror or e}"[:200]) from e
    # olefile leaves a file object it was given open: ours is closed here.
    with f:
        if f.read(8) != OLE_MAGIC:
            raise ExtractionError(f"not a {what} binary file (no OLE2 header)")
        try:
            ole = olefile.OleFileIO(f)
        except Exception as e:
            raise fail(kind, e) from e
        try:
            return fn(ole, src, max_chars)
        except (ExtractionError, MemoryError):
            raise
        except RecursionError as e:
            raise ExtractionError(f"corrupt {kind}: nesting too deep") from e
        except Exception as e:  # struct.error, olefile's OSError, ...: a short reason
            raise fail(kind, e) from e
        finally:
            ole.close()


# --- Word .doc -----------------------------------------------------------------------------

_WORD97, _WORD6 = 0xA5EC, 0xA5DC
_F_COMPLEX, _F_ENCRYPTED, _F_WHICH_TBL, _F_OBFUSCATED = 0x0004, 0x0100, 0x0200, 0x8000
_COMPRESSED = 0x40000000
_CLX_INDEX = 33  # fcClx/lcbClx: the 34th fc/lcb pair, in Word 97's FIB as in Word 6's
_WORD6_FCLCB = 0x58  # Word 6/95: the fc/lcb pairs start here (Word 97: after FibRgLw97)
_WORD6_CCP = 0x34
_HEADER_STORY = 2  # index of the headers-and-footers story (see _Fib.ccps)
# ANSI code page of a Word 6/95 file, from the primary language of its lid (Word 97 and later
# store Unicode or cp1252 pieces).
_LID_CODEPAGE = {
    int(lang, 16): f"cp{cp}"
    for lang, cp in (
        pair.split(":")
        for pair in (
            "19:1251 22:1251 02:1251 23:1251 2f:1251 15:1250 05:1250 1b:1250 0e:1250 24:1250 "
            "1a:1250 18:1250 1c:1250 08:1253 1f:1254 0d:1255 01:1256 29:1256 20:1256 25:1257 "
            "26:1257 27:1257 2a:1258 1e:874 11:932 12:949"
        ).split()
    )
}
_CHINESE_TRADITIONAL = (0x0404, 0x0C04, 0x1404)  # Taiwan, Hong Kong, Macao
_FIELD_MARKS = re.compile(r"([\x13\x14\x15])")
# Paragraph, line, page and column breaks become newlines; anchors of pictures and drawn
# objects (0x01, 0x08) and optional hyphens go; a non-breaking hyphen is a hyphen.
_WORD_CHARS = str.maketrans(
    {"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x0e": "\n", "\x1e": "-"}
    | dict.fromkeys(("\x01", "\x08", "\x1f"))
)
_ROW_END = re.compile(r"\x07\x07")
_EQ = re.compile(r"\s*EQ\b", re.I)
_EQ_SWITCHES = re.compile(r'\\\*\s*(?:"[^"]*"|\S+)|\\[A-Za-z]+(?:\s*-?\d+)?|[(),;]')


def _word6_codepage(lid: int) -> str:
    if lid & 0x3FF == 0x04:  # Chinese: the sublanguage tells the script
        return "cp950" if lid in _CHINESE_TRADITIONAL else "cp936"
    return _LID_CODEPAGE.get(lid & 0x3FF, "cp1252")


@dataclass
class _Fib:
    flags: int
    lid: int
    fc_min: int
    fc_mac: int
    # Characters in each story: main text, footnotes, headers, macros, comments, endnotes,
    # text boxes, header text boxes.
    ccps: list[int]
    fc_clx: int
    lcb_clx: int
    word97: bool


def _read_fib(wd: bytes) -> _Fib:
    if len(wd) < 0x60:
        raise ExtractionError("corrupt DOC: WordDocument stream is too short for its header")
    ident, nfib = struct.unpack_from("<HH", wd, 0)
    if ident not in (_WORD97, _WORD6):
        raise ExtractionError(f"corrupt DOC: not a Word document (signature {ident:#06x})")
    lid, _, flags = struct.unpack_from("<HHH", wd, 6)
    # Encryption covers the FIB past its first 68 bytes: nothing more can be read.
    if flags & (_F_ENCRYPTED | _F_OBFUSCATED):
        raise ExtractionError(ENCRYPTED)
    if nfib < 101:
        raise UnsupportedFormat("unsupported format: Word 2 or older document")
    fc_min, fc_mac = struct.unpack_from("<II", wd, 0x18)
    word97 = ident == _WORD97 and nfib >= 0xC0
    if word97:
        # FibBase, then counted arrays: csw u16s, cslw u32s, cbRgFcLcb pairs of u32.
        csw = _U16.unpack_from(wd, 0x20)[0]
        lw = 0x22 + 2 * csw + 2
        cslw = _U16.unpack_from(wd, lw - 2)[0] if lw <= len(wd) else 0
        fclcb = lw + 4 * cslw + 2
        cb_fclcb = _U16.unpack_from(wd, fclcb - 2)[0] if fclcb <= len(wd) else 0
        if cslw < 11 or cb_fclcb <= _CLX_INDEX or fclcb + 8 * cb_fclcb > len(wd):
            raise ExtractionError("corrupt DOC: damaged file information block")
        ccps = list(struct.unpack_from("<8I", wd, lw + 12))
    else:
        fclcb = _WORD6_FCLCB
        ccps = list(struct.unpack_from("<8I", wd, _WORD6_CCP))
    clx_at = fclcb + 8 * _CLX_INDEX
    fc_clx, lcb_clx = struct.unpack_from("<II", wd, clx_at) if clx_at + 8 <= len(wd) else (0, 0)
    return _Fib(flags, lid, fc_min, fc_mac, ccps, fc_clx, lcb_clx, word97)


def _pieces(clx: bytes) -> list[tuple[int, int, int]]:
    """(first CP, last CP + 1, fc) of each piece of the piece table (the Clx's Pcdt)."""
    pos = 0
    while pos + 3 <= len(clx) and clx[pos] == 0x01:  # Prc: formatting of fast-saved pieces
        pos += 3 + _U16.unpack_from(clx, pos + 1)[0]
    if pos + 5 > len(clx) or clx[pos] != 0x02:
        raise ExtractionError("corrupt DOC: no piece table")
    lcb = _U32.unpack_from(clx, pos + 1)[0]
    plc = clx[pos + 5 : pos + 5 + lcb]
    n = (len(plc) - 4) // 12
    if n <= 0:
        raise ExtractionError("corrupt DOC: empty piece table")
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    out = []
    for i in range(n):
        start, end = cps[i], cps[i + 1]
        if end < start:  # a broken table: the rest cannot be placed
            break
        out.append((start, end, _U32.unpack_from(plc, 4 * (n + 1) + 8 * i + 2)[0]))
    if not out:
        raise ExtractionError("corrupt DOC: damaged piece table")
    return out


def _story_bounds(fib: _Fib, last_cp: int, cap: int) -> list[int]:
    """Where each story ends, in CPs, capped; a last bucket takes whatever lies beyond."""
    total = sum(fib.ccps)
    if not fib.ccps[0] or total > last_cp:  # counts that do not fit: all of it is text
        return [cap]
    ends, pos = [], 0
    for n in fib.ccps:
        pos += n
        ends.append(min(pos, cap))
    return [*ends, cap]


def _stories(
    wd: bytes, pieces: list[tuple[int, int, int]], bounds: list[int], word97: bool, enc: str
) -> tuple[list[str], bool]:
    """The raw characters of each story, split at CPs (before decoding: one UTF-16 pair is
    two CPs but one character), and whether some piece lay past the end of the stream."""
    parts: list[list[str]] = [[] for _ in bounds]
    short = False
    for start, end, fc in pieces:
        pos = start
        while pos < end and (k := bisect.bisect_right(bounds, pos)) < len(bounds):
            stop, o = min(end, bounds[k]), pos - start
            if word97 and not fc & _COMPRESSED:
                data = wd[fc + 2 * o : fc + 2 * (stop - start)]
                short |= len(data) < 2 * (stop - pos)
                parts[k].append(_utf16(data))
            else:  # cp1252 at fc / 2 in Word 97; Word 6/95 pieces are plain byte offsets
                off = (fc & ~_COMPRESSED) // 2 + o if word97 else fc + o
                data = wd[off : off + stop - pos]
                short |= len(data) < stop - pos
                parts[k].append(decode_8bit(data, enc))
            pos = stop
    return ["".join(p) for p in parts], short


def _eq_text(instruction: str) -> str:
    """An EQ field has no result: its arguments are the text shown (e.g. phonetic guides)."""
    m = _EQ.match(instruction)
    return " ".join(_EQ_SWITCHES.sub(" ", instruction[m.end() :]).split()) if m else ""


@dataclass
class _Field:
    result: bool = False  # past the separator: what follows is the field's result
    instruction: list[str] = field(default_factory=list)


def clean_word_text(text: str) -> str:
    """Word's marks to plain text: field instructions out (results kept), cells and rows to
    tabs and lines, breaks to newlines, anchors dropped."""
    if "\x13" in text:
        out: list[str] = []
        fields: list[_Field] = []  # open fields, innermost last (fields nest)
        hidden = 0  # open fields still in their instruction: counted, as nesting may be deep
        for chunk in _FIELD_MARKS.split(text):
            if chunk == "\x13":
                fields.append(_Field())
                hidden += 1
                continue
            if chunk == "\x14":
                if fields and not fields[-1].result:
                    fields[-1].result = True
                    hidden -= 1
                continue
            if chunk == "\x15":
                if not fields:
                    continue
                done = fields.pop()
                if not done.result:
                    hidden -= 1
                chunk = "" if done.result else _eq_text("".join(done.instruction))
            if not chunk:
                continue
            if not hidden:
                out.append(chunk)
            elif hidden == 1 and not fields[-1].result:  # only the innermost is hidden
                fields[-1].instruction.append(chunk)
        text = "".join(out)
    text = text.translate(_WORD_CHARS)
    # A row ends with its last cell's mark and then the row's own: two marks in a row.
    text = _ROW_END.sub("\n", text)
    return text.replace("\x07", "\t")


def _doc_stories(ole: Any, wd: bytes, fib: _Fib, cap: int, warnings: list[str]) -> list[str]:
    """The raw text of each story (main text first, then footnotes, headers, comments...)."""
    pieces: list[tuple[int, int, int]] | None = None
    if fib.lcb_clx:
        if fib.word97:
            table = "1Table" if fib.flags & _F_WHICH_TBL else "0Table"
            if not ole.exists(table):  # the FIB names the wrong one: try the other
                table = "0Table" if table == "1Table" else "1Table"
            if not ole.exists(table):
                raise ExtractionError("corrupt DOC: table stream is missing")
            tbl, _ = _read_stream(ole, table)
        else:
            tbl = wd  # Word 6/95 keep everything in the WordDocument stream
        clx = tbl[fib.fc_clx : fib.fc_clx + fib.lcb_clx]
        if len(clx) == fib.lcb_clx:
            pieces = _pieces(clx)
    enc = "cp1252" if fib.word97 else _word6_codepage(fib.lid)
    if pieces is None:
        if fib.flags & _F_COMPLEX:
            raise UnsupportedFormat(
                "unsupported format: fast-saved Word document without a piece table (Word 6/95)"
            )
        # Not fast-saved and no piece table (Word 6/95): the text is one run of bytes.
        if fib.word97:
            warnings.append("no piece table: text read as 8-bit characters")
        pieces = [(0, max(min(fib.fc_mac, len(wd)) - fib.fc_min, 0), fib.fc_min)]
        word97 = False
    else:
        word97 = fib.word97
    bounds = _story_bounds(fib, max(end for _, end, _ in pieces), cap)
    stories, short = _stories(wd, pieces, bounds, word97, enc)
    if short:
        warnings.append("some text lies past the end of the document: not read")
    return stories


def _unique_lines(story: str) -> str:
    seen: set[str] = set()
    lines = []
    for line in story.split("\n"):
        key = line.strip()
        if key and key not in seen:
            seen.add(key)
            lines.append(line)
    return "\n".join(lines)


def _doc(ole: Any, src: Source, max_chars: int) -> Extracted:
    if not ole.exists("WordDocument"):
        raise ExtractionError("corrupt DOC: no WordDocument stream")
    if ole.exists("\x06DataSpaces") and ole.exists("\tDRMContent"):
        # Rights management: the WordDocument holds only a "you need permission" notice.
        raise ExtractionError("document is encrypted (rights-managed Office file)")
    wd, truncated = _read_stream(ole, "WordDocument")
    fib = _read_fib(wd)
    b = TextBuilder(max_chars)
    if truncated:
        b.warnings.append(f"document larger than {STREAM_MAX // 1_000_000} MB: the rest not read")
    # Field instructions are dropped after reading: read a margin beyond max_chars.
    stories = _doc_stories(ole, wd, fib, max_chars * 2 + 100_000, b.warnings)
    for i, story in enumerate(stories):
        text = clean_word_text(story)
        # Headers and footers: the same footer recurs in every section.
        b.add(_unique_lines(text) if i == _HEADER_STORY else text)
    return b.build(choose_title(_meta_title(ole), b, src.stem), "doc")


def extract_doc(src: Source, max_chars: int) -> Extracted:
    return _wrap("DOC", src, max_chars, _doc, "Word 97-2003")


# --- PowerPoint .ppt -----------------------------------------------------------------------

_HDR = struct.Struct("<HHI")
_MAX_DEPTH = 50
_RT_DOCUMENT, _RT_SLIDE, _RT_SLIDE_ATOM, _RT_NOTES = 0x03E8, 0x03EE, 0x03EF, 0x03F0
_RT_SLIDE_PERSIST, _RT_TEXT_HEADER, _RT_TEXT_CHARS, _RT_TEXT_BYTES = 0x03F3, 0x0F9F, 0x0FA0, 0x0FA8
_RT_SLWT, _RT_USER_EDIT, _RT_PERSIST_DIR, _RT_CRYPT = 0x0FF0, 0x0FF5, 0x1772, 0x2F14
_SLWT_SLIDES, _SLWT_NOTES = 0, 2
_TITLE_TYPES = (0, 6)  # TextHeaderAtom: title, centred title
_ENCRYPTED_TOKEN = 0xF3D1C4DF  # CurrentUserAtom.headerToken of an encrypted file
_MAX_EDITS = 10_000  # incremental saves chained in one file


def _records(data: bytes, start: int, end: int) -> Iterator[tuple[int, int, int, int, int]]:
    """(recType, recInstance, recVer, body start, body end) of each record in [start, end)."""
    pos = start
    while pos + 8 <= end:
        ver_inst, rtype, rlen = _HDR.unpack_from(data, pos)
        body = pos + 8
        if rlen > end - body:  # a length past its container: the rest is unreadable
            return
        yield rtype, ver_inst >> 4, ver_inst & 0xF, body, body + rlen
        pos = body + rlen


def _record_at(data: bytes, pos: int, rtype: int) -> tuple[int, int] | None:
    """Body (start, end) of the record of type `rtype` at `pos`, or None."""
    if pos < 0 or pos + 8 > len(data):
        return None
    _, found, rlen = _HDR.unpack_from(data, pos)
    if found != rtype or pos + 8 + rlen > len(data):
        return None
    return pos + 8, pos + 8 + rlen


def _atom_text(data: bytes, rtype: int, a: int, b: int) -> str:
    # TextBytesAtom holds the low bytes of UTF-16 characters; cp1252 for 0x80-0x9F, which
    # would otherwise be C1 controls, is what writers that misuse it meant.
    raw = _utf16(data[a:b]) if rtype == _RT_TEXT_CHARS else decode_8bit(data[a:b])
    return raw.replace("\r", "\n").replace("\x0b", "\n")


def _texts(data: bytes, start: int, end: int, out: list[tuple[int, str]], depth: int = 0) -> None:
    """(text type, text) of every text atom under [start, end), in order."""
    text_type = -1
    for rtype, _inst, ver, a, b in _records(data, start, end):
        if ver == 0xF:
            if depth < _MAX_DEPTH:
                _texts(data, a, b, out, depth + 1)
        elif rtype == _RT_TEXT_HEADER and b - a >= 4:
            text_type = _U32.unpack_from(data, a)[0]
        elif rtype in (_RT_TEXT_CHARS, _RT_TEXT_BYTES):
            out.append((text_type, _atom_text(data, rtype, a, b)))


@dataclass
class _Group:
    """One slide's (or notes page's) entry in a SlideListWithText."""

    persist_ref: int = -1
    slide_id: int = -1
    texts: list[tuple[int, str]] = field(default_factory=list)


def _slwt_groups(data: bytes, a: int, b: int) -> list[_Group]:
    groups: list[_Group] = []
    text_type = -1
    for rtype, _inst, _ver, x, y in _records(data, a, b):
        if rtype == _RT_SLIDE_PERSIST and y - x >= 16:
            ref, _flags, _ntexts, slide_id = struct.unpack_from("<IIiI", data, x)
            groups.append(_Group(ref, slide_id))
        elif rtype == _RT_TEXT_HEADER and y - x >= 4:
            text_type = _U32.unpack_from(data, x)[0]
        elif rtype in (_RT_TEXT_CHARS, _RT_TEXT_BYTES):
            if not groups:
                groups.append(_Group())
            groups[-1].texts.append((text_type, _atom_text(data, rtype, x, y)))
    return groups


def _persist_directory(data: bytes, cu: bytes | None) -> tuple[dict[int, int], int] | None:
    """Persist id -> stream offset, newest edit first, and the document's persist id; None
    when the Current User stream or the edit chain cannot be followed."""
    if cu is None or len(cu) < 20:
        return None
    token, offset = struct.unpack_from("<II", cu, 12)
    if token == _ENCRYPTED_TOKEN:
        raise ExtractionError(ENCRYPTED)
    persist: dict[int, int] = {}
    doc_ref: int | None = None
    seen: set[int] = set()
    while offset not in seen and len(seen) < _MAX_EDITS:
        seen.add(offset)
        body = _record_at(data, offset, _RT_USER_EDIT)
        if body is None or body[1] - body[0] < 28:
            return None if doc_ref is None else (persist, doc_ref)
        last_edit, dir_off, doc_id = struct.unpack_from("<III", data, body[0] + 8)
        if body[1] - body[0] >= 32:  # encryptSessionPersistIdRef: only in encrypted files
            raise ExtractionError(ENCRYPTED)
        if doc_ref is None:
            doc_ref = doc_id
        d = _record_at(data, dir_off, _RT_PERSIST_DIR)
        if d is not None:
            pos, end = d
            while pos + 4 <= end:
                head = _U32.unpack_from(data, pos)[0]
                first, count = head & 0xFFFFF, head >> 20
                offsets = data[pos + 4 : min(pos + 4 + 4 * count, end)]
                for k in range(len(offsets) // 4):
                    persist.setdefault(first + k, _U32.unpack_from(offsets, 4 * k)[0])
                pos += 4 + 4 * count
        if not last_edit:
            break
        offset = last_edit
    return (persist, doc_ref) if doc_ref is not None else None


def _container_texts(
    data: bytes, persist: dict[int, int], ref: int, rtype: int
) -> tuple[list[tuple[int, str]], int]:
    """Text atoms of the slide/notes container a persist id points at, and its notesIdRef."""
    off = persist.get(ref)
    body = _record_at(data, off, rtype) if off is not None else None
    if body is None:
        return [], 0
    out: list[tuple[int, str]] = []
    _texts(data, body[0], body[1], out)
    notes_ref = 0
    for t, _inst, _ver, a, b in _records(data, body[0], body[1]):
        if t == _RT_SLIDE_ATOM and b - a >= 20:
            notes_ref = _U32.unpack_from(data, a + 16)[0]
            break
    return out, notes_ref


@dataclass
class _Slide:
    texts: list[tuple[int, str]] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)


def _slides_by_persist(data: bytes, cu: bytes | None) -> list[_Slide] | None:
    """Slides in presentation order, as the last save left them (incremental saves append
    new versions of slides; the persist directory says which one is current)."""
    found = _persist_directory(data, cu)
    if found is None:
        return None
    persist, doc_ref = found
    doc = _record_at(data, persist.get(doc_ref, -1), _RT_DOCUMENT)
    if doc is None:
        return None
    slide_groups: list[_Group] = []
    notes_groups: dict[int, _Group] = {}
    for rtype, inst, _ver, a, b in _records(data, doc[0], doc[1]):
        if rtype == _RT_SLWT and inst == _SLWT_SLIDES:
            slide_groups.extend(_slwt_groups(data, a, b))
        elif rtype == _RT_SLWT and inst == _SLWT_NOTES:
            notes_groups.update((g.slide_id, g) for g in _slwt_groups(data, a, b))
    slides = []
    used: set[int] = set()  # a container read once: a list naming it a million times is junk
    for group in slide_groups:
        # Placeholder text sits in the list; text boxes (and, from newer writers, all text)
        # in the slide's drawing.
        drawing, notes_id = [], 0
        if group.persist_ref not in used:
            used.add(group.persist_ref)
            drawing, notes_id = _container_texts(data, persist, group.persist_ref, _RT_SLIDE)
        slide = _Slide(group.texts + drawing)
        notes = notes_groups.get(notes_id) if notes_id else None
        if notes is not None and notes.persist_ref not in used:
            used.add(notes.persist_ref)
            drawn, _ = _container_texts(data, persist, notes.persist_ref, _RT_NOTES)
            slide.notes = notes.texts + drawn
        slides.append(slide)
    return slides


def _slides_by_scan(data: bytes) -> list[_Slide]:
    """Without a usable persist directory: slide list entries and slide containers in stream
    order, paired by position."""
    groups: list[_Group] = []
    drawings: list[list[tuple[int, str]]] = []
    for rtype, _inst, _ver, a, b in _records(data, 0, len(data)):
        if rtype == _RT_DOCUMENT:
            for t, inst, _v, x, y in _records(data, a, b):
                if t == _RT_SLWT and inst == _SLWT_SLIDES:
                    groups.extend(_slwt_groups(data, x, y))
        elif rtype == _RT_SLIDE:
            out: list[tuple[int, str]] = []
            _texts(data, a, b, out)
            drawings.append(out)
    n = max(len(groups), len(drawings))
    return [
        _Slide(
            (groups[i].texts if i < len(groups) else [])
            + (drawings[i] if i < len(drawings) else [])
        )
        for i in range(n)
    ]


def _unique(texts: list[tuple[int, str]], seen: set[str]) -> list[str]:
    """Texts not seen before on this slide (the list and the drawing may both hold one);
    a lone "*" is the slide-number field's placeholder."""
    out = []
    for _type, text in texts:
        key = " ".join(text.split())
        if key and key != "*" and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _ppt_encrypted(ole: Any, data: bytes) -> bool:
    if ole.exists("EncryptedSummary"):
        return True
    return any(rtype == _RT_CRYPT for rtype, *_ in _records(data, 0, len(data)))


def _ppt(ole: Any, src: Source, max_chars: int) -> Extracted:
    prefix = "PP97_DUALSTORAGE/" if ole.exists("PP97_DUALSTORAGE/PowerPoint Document") else ""
    if not ole.exists(prefix + "PowerPoint Document"):
        if ole.exists("PP40"):
            raise UnsupportedFormat("unsupported format: PowerPoint 95 or older presentation")
        raise ExtractionError("corrupt PPT: no PowerPoint Document stream")
    data, truncated = _read_stream(ole, prefix + "PowerPoint Document")
    cu = None
    if ole.exists("Current User") and ole.get_size("Current User") <= _META_MAX:
        cu, _ = _read_stream(ole, "Current User")
    if _ppt_encrypted(ole, data):
        raise ExtractionError(ENCRYPTED)
    slides = _slides_by_persist(data, cu)
    if not slides:
        slides = _slides_by_scan(data)
    b = TextBuilder(max_chars)
    if truncated:
        b.warnings.append(
            f"presentation larger than {STREAM_MAX // 1_000_000} MB: the rest not read"
        )
    first_title: str | None = None
    for n, slide in enumerate(slides, 1):
        if b.full:
            break
        if first_title is None:
            first_title = next((t for kind, t in slide.texts if kind in _TITLE_TYPES), None)
        seen: set[str] = set()
        b.section("slide", str(n))
        b.add("\n".join(_unique(slide.texts, seen)))
        b.add("\n".join(_unique(slide.notes, seen)))
    # A placeholder metadata title ("PowerPoint Presentation") gives way to the first slide's.
    title = choose_title(sensible_title(_meta_title(ole)) or first_title, b, src.stem)
    return b.build(title, "ppt")


def extract_ppt(src: Source, max_chars: int) -> Extracted:
    return _wrap("PPT", src, max_chars, _ppt, "PowerPoint 97-2003")
