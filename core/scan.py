"""Walk the indexed folders, applying exclusions, and report every candidate file's stat."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

MARKER_FILE = ".nospyglass"  # a folder holding this file is never indexed
DEFAULT_EXCLUDES = (
    ".git/", ".hg/", ".svn/", "node_modules/", "__pycache__/", ".venv/", "venv/", ".tox/",
    ".mypy_cache/", ".pytest_cache/", ".ruff_cache/", ".Trash*/", "*.tmp", "*.swp", "~$*",
    ".DS_Store", "Thumbs.db",
)


@dataclass(frozen=True)
class ScannedFile:
    path: str
    size: int
    mtime_ns: int
    inode: int


@dataclass
class ScanReport:
    files: list[ScannedFile] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


@dataclass(frozen=True)
class ScanOptions:
    excludes: Sequence[str] = ()  # gitignore-style patterns, relative to the root
    include_hidden: bool = False
    use_gitignore: bool = True
    skip_dirs: frozenset[str] = frozenset()  # absolute folders never entered (the index itself)
    extensions: frozenset[str] = frozenset()  # only these file types (lower-case); empty: all


def scan_root(root: str, options: ScanOptions = ScanOptions()) -> ScanReport:
    report = ScanReport()
    base = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDES, *options.excludes])
    try:
        st = os.stat(root)
    except OSError as e:
        report.errors.append((root, f"cannot read folder: {e.strerror or e}"))
        return report
    if stat.S_ISREG(st.st_mode):  # a single file added as a root
        report.files.append(ScannedFile(root, st.st_size, st.st_mtime_ns, st.st_ino))
        return report
    report.files.extend(_walk(root, root, base, [], options, report))
    return report


def _walk(root: str, folder: str, base: pathspec.PathSpec,
          ignores: list[tuple[str, pathspec.PathSpec]], options: ScanOptions,
          report: ScanReport) -> Iterator[ScannedFile]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as e:
        report.errors.append((folder, f"cannot read folder: {e.strerror or e}"))
        return
    names = {e.name for e in entries}
    if MARKER_FILE in names:
        return
    if options.use_gitignore and ".gitignore" in names:
        spec = _read_gitignore(os.path.join(folder, ".gitignore"))
        if spec is not None:
            ignores = [*ignores, (folder, spec)]
    for entry in entries:
        if not options.include_hidden and entry.name.startswith("."):
            continue
        try:
            # Symlinks are never followed: they cause loops and duplicates.
            if entry.is_symlink():
                continue
            is_dir = entry.is_dir(follow_symlinks=False)
            is_file = not is_dir and entry.is_file(follow_symlinks=False)
        except OSError:
            continue
        if not (is_dir or is_file):
            continue  # sockets, fifos, devices
        rel = os.path.relpath(entry.path, root) + ("/" if is_dir else "")
        if base.match_file(rel) or _ignored(entry.path, is_dir, ignores):
            continue
        if is_dir:
            if entry.path in options.skip_dirs:
                continue
            yield from _walk(root, entry.path, base, ignores, options, report)
            continue
        if options.extensions and os.path.splitext(entry.name)[1].lower().lstrip(
                ".") not in options.extensions:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as e:
            report.errors.append((entry.path, f"cannot read file: {e.strerror or e}"))
            continue
        yield ScannedFile(entry.path, st.st_size, st.st_mtime_ns, st.st_ino)


def _ignored(path: str, is_dir: bool, ignores: list[tuple[str, pathspec.PathSpec]]) -> bool:
    for folder, spec in ignores:
        rel = os.path.relpath(path, folder) + ("/" if is_dir else "")
        if spec.match_file(rel):
            return True
    return False


def _read_gitignore(path: str) -> pathspec.PathSpec | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return pathspec.GitIgnoreSpec.from_lines(f.read().splitlines())
    except OSError:
        return None


def is_excluded(root: str, path: str, options: ScanOptions = ScanOptions()) -> bool:
    """Would a scan of `root` leave `path` out? (For single files reported by the watcher.)"""
    rel = os.path.relpath(path, root)
    if rel.startswith(".."):
        return True
    parts = [] if rel == "." else rel.split(os.sep)
    base = pathspec.GitIgnoreSpec.from_lines([*DEFAULT_EXCLUDES, *options.excludes])
    ignores: list[tuple[str, pathspec.PathSpec]] = []
    folder = root
    for i, name in enumerate(parts):
        if os.path.exists(os.path.join(folder, MARKER_FILE)):
            return True
        if options.use_gitignore and os.path.isfile(os.path.join(folder, ".gitignore")):
            spec = _read_gitignore(os.path.join(folder, ".gitignore"))
            if spec is not None:
                ignores.append((folder, spec))
        current = os.path.join(folder, name)
        is_dir = i < len(parts) - 1 or os.path.isdir(current)
        if not options.include_hidden and name.startswith("."):
            return True
        if os.path.islink(current) or current in options.skip_dirs:
            return True
        rel_here = os.path.relpath(current, root) + ("/" if is_dir else "")
        if base.match_file(rel_here) or _ignored(current, is_dir, ignores):
            return True
        folder = current
    if options.extensions and not os.path.isdir(path):
        return os.path.splitext(path)[1].lower().lstrip(".") not in options.extensions
    return False


def normalise_root(path: str) -> str:
    """The absolute, symlink-resolved form under which a root is stored."""
    return str(Path(path).expanduser().resolve())
