"""Open a document that lives inside an archive or an e-mail: copy it out to a private folder.

Only the one member is written, to a folder only this user can read, under the name it has in
the archive (without any folders, so no name can point elsewhere). The window empties the
folder when it closes (`OpenedMembers.cleanup`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from core.extract.archive import Budget, container_kind, members
from core.extract.common import Source
from core.extract.sniff import detect
from core.extract.types import ExtractionError
from core.pathcodec import split_member


def member_bytes(path: str) -> tuple[str, bytes]:
    """The name and bytes of the member at `path` ("a.zip//x/y.pdf", nested to any depth)."""
    outer, names = split_member(path)
    if not names:
        raise ExtractionError("not a document inside an archive or message")
    src = Source(name=os.path.basename(outer), path=Path(outer))
    data = b""
    for name in names:
        kind = container_kind(src, _kind(src))
        if kind is None:
            raise ExtractionError(f"{src.name} is no longer an archive or a message")
        found = next((m for m in members(src, kind, Budget()) if m.name == name), None)
        if found is None or found.data is None:
            raise ExtractionError(f"{name} is no longer in {src.name}"
                                  if found is None else f"{name}: {found.refused}")
        data = found.data
        src = Source(name=name.rsplit("/", 1)[-1], content=data)
    return src.name, data


def _kind(src: Source) -> str | None:
    try:
        return detect(src)
    except ExtractionError:  # "not a document: archive" is how sniffing names an archive
        return None


class OpenedMembers:
    """The private folder members are copied out to, one per window."""

    def __init__(self) -> None:
        self._folder: Path | None = None

    def extract(self, path: str) -> Path:
        name, data = member_bytes(path)
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="spyglass-open-"))  # mode 0700
        target = Path(tempfile.mkdtemp(dir=self._folder)) / (name or "document")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return target

    def cleanup(self) -> None:
        if self._folder is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._folder)
            self._folder = None
