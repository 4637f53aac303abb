"""E-mail: EML (RFC 822), MBOX (one "message" section each) and Outlook .msg (via olefile)."""

from __future__ import annotations

import datetime as dt
import email
import re
import struct
from collections.abc import Iterator
from email import policy
from email.header import decode_header, make_header
from email.message import Message

from .common import Source, TextBuilder, choose_title, fail, one_line
from .html import decode_html, html_to_text
from .text import bytes_per_char_limit, decode
from .types import Extracted, ExtractionError

HEADERS = ("Subject", "From", "To", "Cc", "Date")
_MBOX_FROM = re.compile(rb"^From \S*.*\r?\n?$")
_MAX_PARTS = 500  # a message with thousands of MIME parts is an attack, not a letter


def header(msg: Message, name: str) -> str:
    """A decoded header value; malformed encodings degrade instead of raising."""
    try:
        value = msg.get(name)
    except Exception:
        value = None
        raw = msg.get_all(name) if hasattr(msg, "get_all") else None
        if raw:
            value = str(raw[0])
    if value is None:
        return ""
    try:
        text = str(value)
        if "=?" in text:
            text = str(make_header(decode_header(text)))
    except Exception:
        text = str(value)
    return one_line(text)


def _payload_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset()
    if part.get_content_type() == "text/html":
        return html_to_text(decode_html(payload, charset))
    return decode(payload, charset)


def is_attachment(part: Message) -> bool:
    disposition = str(part.get("Content-Disposition", "")).lower()
    return disposition.startswith("attachment") or (
        bool(part.get_filename()) and not disposition.startswith("inline")
    )


def body_text(msg: Message, attachments: list[str], depth: int = 0) -> list[str]:
    """Readable text of a message: text/plain preferred over text/html in alternatives."""
    if depth > 20:
        return []
    ctype = msg.get_content_type()
    if msg.is_multipart():
        parts = msg.get_payload()
        if not isinstance(parts, list):
            return []
        parts = parts[:_MAX_PARTS]
        if ctype == "multipart/alternative":
            by_type = {p.get_content_type(): p for p in reversed(parts)}
            best = by_type.get("text/plain") or by_type.get("text/html") or (parts or [None])[0]
            return body_text(best, attachments, depth + 1) if best is not None else []
        out: list[str] = []
        for part in parts:
            out.extend(body_text(part, attachments, depth + 1))
        return out
    if ctype == "message/rfc822":
        inner = msg.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, Message):
            return [_headers_block(inner), *body_text(inner, attachments, depth + 1)]
        return []
    if is_attachment(msg):
        attachments.append(one_line(msg.get_filename() or ctype))
        return []
    if ctype in ("text/plain", "text/html", "text/enriched") or (
        msg.get_content_maintype() == "text" and not msg.get_filename()
    ):
        return [_payload_text(msg)]
    if msg.get_filename():
        attachments.append(one_line(msg.get_filename() or ""))
    return []


def _headers_block(msg: Message) -> str:
    lines = [f"{name}: {v}" for name in HEADERS if (v := header(msg, name))]
    return "\n".join(lines)


def message_into(msg: Message, b: TextBuilder, section: bool = False) -> str:
    """Append one message (headers, body, attachment names); returns its subject."""
    subject = header(msg, "Subject")
    if section:
        b.section("message", subject or "(no subject)")
    b.add(_headers_block(msg))
    attachments: list[str] = []
    for text in body_text(msg, attachments):
        b.add(text)
    if attachments:
        b.add("Attachments: " + ", ".join(a for a in attachments if a))
    return subject


def parse_message(data: bytes) -> Message:
    return email.message_from_bytes(data, policy=policy.default)


def extract_eml(src: Source, max_chars: int) -> Extracted:
    data, _ = src.read(bytes_per_char_limit(max_chars) * 2)
    b = TextBuilder(max_chars)
    try:
        subject = message_into(parse_message(data), b)
    except (ExtractionError, MemoryError):
        raise
    except Exception as e:
        raise fail("e-mail", e) from e
    return b.build(choose_title(subject, b, src.stem, use_text=False), "email")


def mbox_messages(src: Source, budget: int) -> Iterator[bytes]:
    """Each message of a mailbox, up to `budget` bytes in all. Split on "From " lines
    ourselves: mailbox.mbox opens the file for writing."""
    with src.open() as f:
        lines: list[bytes] = []
        prev_blank = True
        for line in f:
            budget -= len(line)
            if budget < 0:
                break
            if prev_blank and _MBOX_FROM.match(line):
                if any(x.strip() for x in lines):
                    yield b"".join(lines)
                lines = []
            else:
                # mboxrd/mboxo quote body lines that start with "From ".
                lines.append(line[1:] if line.startswith(b">From ") else line)
            prev_blank = not line.strip() or not lines
        if any(x.strip() for x in lines):
            yield b"".join(lines)


def extract_mbox(src: Source, max_chars: int) -> Extracted:
    b = TextBuilder(max_chars)
    subjects: list[str] = []
    errors = 0
    for data in mbox_messages(src, bytes_per_char_limit(max_chars) * 2):
        if b.full:
            break
        try:
            subjects.append(message_into(parse_message(data), b, section=True))
        except (ExtractionError, MemoryError):
            raise
        except Exception:  # one malformed message should not cost the mailbox
            errors += 1
            b.cancel_pending()
    if errors:
        b.warnings.append(f"{errors} messages could not be parsed")
    title = subjects[0] if len(subjects) == 1 else None
    return b.build(choose_title(title, b, src.stem, use_text=False), "mbox")


# --- Outlook .msg (OLE2 compound file with MAPI property streams) ---------------------------

_PT_UNICODE, _PT_STRING8, _PT_BINARY = 0x001F, 0x001E, 0x0102
_PR_SUBJECT, _PR_SENDER_NAME, _PR_SENDER_EMAIL = 0x0037, 0x0C1A, 0x0C1F
_PR_DISPLAY_TO, _PR_DISPLAY_CC, _PR_BODY, _PR_HTML = 0x0E04, 0x0E03, 0x1000, 0x1013
_PR_ATTACH_LONG_FILENAME, _PR_ATTACH_FILENAME, _PR_ATTACH_DATA = 0x3707, 0x3704, 0x3701
_PR_CODEPAGE, _PR_INTERNET_CPID = 0x3FFD, 0x3FDE
_PR_SUBMIT_TIME, _PR_DELIVERY_TIME = 0x0039, 0x0E06


class MsgFile:
    def __init__(self, ole: object) -> None:
        import olefile

        assert isinstance(ole, olefile.OleFileIO)
        self.ole = ole
        self.codepage = "cp1252"
        cp = self._int_prop("", _PR_CODEPAGE) or self._int_prop("", _PR_INTERNET_CPID)
        if cp:
            self.codepage = f"cp{cp}"

    def _stream(self, path: str) -> bytes | None:
        if not self.ole.exists(path):
            return None
        with self.ole.openstream(path) as s:
            return s.read(64 * 1024 * 1024)

    def string(self, prop: int, storage: str = "") -> str:
        prefix = f"{storage}/" if storage else ""
        data = self._stream(f"{prefix}__substg1.0_{prop:04X}{_PT_UNICODE:04X}")
        if data is not None:
            return data.decode("utf-16-le", errors="replace").rstrip("\x00")
        data = self._stream(f"{prefix}__substg1.0_{prop:04X}{_PT_STRING8:04X}")
        if data is not None:
            try:
                return data.decode(self.codepage, errors="replace").rstrip("\x00")
            except LookupError:
                return data.decode("cp1252", errors="replace").rstrip("\x00")
        return ""

    def binary(self, prop: int) -> bytes | None:
        return self._stream(f"__substg1.0_{prop:04X}{_PT_BINARY:04X}")

    def _props(self, storage: str) -> dict[int, bytes]:
        """Fixed-size properties: 16-byte entries after a header (32 bytes at the top level)."""
        prefix = f"{storage}/" if storage else ""
        data = self._stream(prefix + "__properties_version1.0") or b""
        out: dict[int, bytes] = {}
        start = 32 if not storage else 8
        for off in range(start, len(data) - 15, 16):
            tag = struct.unpack_from("<I", data, off)[0]
            out[tag] = data[off + 8 : off + 16]
        return out

    def _int_prop(self, storage: str, prop: int) -> int | None:
        value = self._props(storage).get((prop << 16) | 0x0003)
        return struct.unpack("<i", value[:4])[0] if value else None

    def date(self) -> str:
        props = self._props("")
        for prop in (_PR_SUBMIT_TIME, _PR_DELIVERY_TIME):
            value = props.get((prop << 16) | 0x0040)
            if value:
                ticks = struct.unpack("<Q", value)[0]
                try:
                    when = dt.datetime(1601, 1, 1) + dt.timedelta(microseconds=ticks // 10)
                    return when.strftime("%a, %d %b %Y %H:%M:%S +0000")
                except (OverflowError, ValueError):
                    continue
        return ""

    def attachments(self) -> list[str]:
        return [name for name, _ in self.attachment_storages() if name]

    def attachment_storages(self) -> list[tuple[str, str]]:
        """(file name, storage) of each attachment."""
        out = []
        for entry in self.ole.listdir(streams=False, storages=True):
            if len(entry) == 1 and entry[0].startswith("__attach_version1.0_"):
                name = self.string(_PR_ATTACH_LONG_FILENAME, entry[0]) or self.string(
                    _PR_ATTACH_FILENAME, entry[0]
                )
                out.append((one_line(name), entry[0]))
        return out

    def attachment_data(self, storage: str) -> bytes | None:
        """An attachment's bytes (None for an embedded message or OLE object)."""
        return self._stream(f"{storage}/__substg1.0_{_PR_ATTACH_DATA:04X}{_PT_BINARY:04X}")


def extract_msg(src: Source, max_chars: int) -> Extracted:
    import olefile

    try:
        with olefile.OleFileIO(src.open()) as ole:
            m = MsgFile(ole)
            subject = m.string(_PR_SUBJECT)
            sender = m.string(_PR_SENDER_NAME)
            address = m.string(_PR_SENDER_EMAIL)
            if address and "@" in address and address not in sender:
                sender = f"{sender} <{address}>" if sender else address
            fields = {
                "Subject": subject,
                "From": sender,
                "To": m.string(_PR_DISPLAY_TO),
                "Cc": m.string(_PR_DISPLAY_CC),
                "Date": m.date(),
            }
            body = m.string(_PR_BODY)
            if not body.strip():
                html = m.binary(_PR_HTML)
                body = html_to_text(decode_html(html)) if html else ""
            attachments = m.attachments()
    except (ExtractionError, MemoryError):
        raise
    except Exception as e:
        raise fail("Outlook message", e) from e
    b = TextBuilder(max_chars)
    b.add("\n".join(f"{k}: {one_line(v)}" for k, v in fields.items() if v.strip()))
    b.add(body)
    if attachments:
        b.add("Attachments: " + ", ".join(attachments))
    return b.build(choose_title(subject, b, src.stem, use_text=False), "email")
