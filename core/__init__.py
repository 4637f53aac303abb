"""Spyglass engine: indexing and hybrid search. Never imports Qt."""

from __future__ import annotations

from pathlib import Path


def _version() -> str:
    """The version written in pyproject.toml, the one place it is kept.

    From a source tree (an editable install included) pyproject.toml itself is read, so an
    edit shows at once; an installed wheel or a PyInstaller bundle has it in its metadata.
    """
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    try:
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "spyglass" and project.get("version"):
            return str(project["version"])
    except (OSError, ValueError):
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spyglass")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()
