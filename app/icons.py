"""Icons from resources/icons: the app icon, one icon per file-type family, a few UI glyphs."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PySide6.QtGui import QIcon

from core.extract import document_format
from core.resources import resources_dir

# document_format() names -> icon family (resources/icons/file-<family>.svg).
_FAMILY = {
    "pdf": "pdf",
    "docx": "doc", "doc": "doc", "odt": "doc", "rtf": "doc", "epub": "doc", "odf": "doc",
    "xlsx": "sheet", "xls": "sheet", "ods": "sheet", "csv": "sheet",
    "pptx": "slides", "ppt": "slides", "odp": "slides", "odg": "slides",
    "email": "email", "eml": "email", "mbox": "email", "msg": "email",
    "html": "html", "mhtml": "html",
    "text": "text", "markdown": "text", "rst": "text", "man": "text",
    "code": "code", "xml": "code",
}


def icons_dir() -> Path:
    return resources_dir() / "icons"


@cache
def icon(name: str) -> QIcon:
    """A named icon (file name without .svg); an empty icon if the file is missing."""
    path = icons_dir() / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()


def app_icon() -> QIcon:
    return icon("spyglass")


def family(fmt: str | None, path: str | None = None) -> str:
    """The icon family of a format name (from the index), or guessed from the file name."""
    if not fmt and path:
        fmt = document_format(Path(path))
    return _FAMILY.get((fmt or "").lower(), "generic")


def file_icon(fmt: str | None, path: str | None = None) -> QIcon:
    return icon(f"file-{family(fmt, path)}")
