"""E-mail attachments as members of their message (EML, MBOX, Outlook .msg).

The message's own text is extracted by core.extract.mail as before (it lists the attachments'
names); here the attached files themselves come out, to be indexed as documents of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message

from .archive import Budget, Member, admit, safe_name
from .common import Source, fail
from .mail import MsgFile, is_attachment, mbox_messages, parse_message
from .types import ExtractionError

MAX_PARTS = 500  # as for a message's text: thousands of parts are an attack


def attachments(src: Source, kind: str, budget: Budget) -> Iterator[Member]:
    names = _Names()
    if kind == "eml":
        data, _ = src.read(min(budget.bytes, src.size()))
        yield from _message_attachments(parse_message(data), "", names, budget)
    elif kind == "mbox":
        for n, data in enumerate(mbox_messages(src, budget.bytes), 1):
            try:
                msg = parse_message(data)
            except Exception:  # a malformed message: the mailbox's text already says so
                continue
            yield from _message_attachments(msg, f"message {n}/", names, budget)
    elif kind == "msg":
        yield from _msg_attachments(src, names, budget)


class _Names:
    """Attachment names made unique within their container ("a.pdf", "a (2).pdf")."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def unique(self, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        if not dot or not stem:
            stem, ext = name, ""
        candidate, n = name, 1
        while candidate in self.seen:
            n += 1
            candidate = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
        self.seen.add(candidate)
        return candidate


def _file_name(raw: str | None, fallback: str) -> str:
    """An attachment's name as one safe path component: its own name, never a path."""
    base = (raw or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return safe_name(base) or fallback


def _message_attachments(msg: Message, prefix: str, names: _Names, budget: Budget
                         ) -> Iterator[Member]:
    parts = [p for n, p in zip(range(MAX_PARTS), msg.walk(), strict=False)]
    for n, part in enumerate(parts, 1):
        if part.is_multipart() or not is_attachment(part):
            continue
        name = names.unique(prefix + _file_name(part.get_filename(), f"attachment-{n}"))
        try:
            data = part.get_payload(decode=True)
        except Exception as e:  # a broken transfer encoding
            yield Member(name, 0, 0, refused=f"undecodable attachment: {e}"[:200])
            continue
        if isinstance(data, bytes):
            yield admit(budget, name, data)


def _msg_attachments(src: Source, names: _Names, budget: Budget) -> Iterator[Member]:
    import olefile

    try:
        ole = olefile.OleFileIO(src.open())
    except Exception as e:
        raise fail("Outlook message", e) from e
    with ole:
        msg = MsgFile(ole)
        for n, (raw, storage) in enumerate(msg.attachment_storages(), 1):
            name = names.unique(_file_name(raw, f"attachment-{n}"))
            try:
                data = msg.attachment_data(storage)
            except (OSError, ExtractionError) as e:
                yield Member(name, 0, 0, refused=f"unreadable attachment: {e}"[:200])
                continue
            if data is None:
                yield Member(name, 0, 0, refused="an embedded message or object (not read)")
            else:
                yield admit(budget, name, data)
