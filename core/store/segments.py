"""Naming and publishing of derived index files.

A derived index (USearch graph, sparse postings) is written beside the catalog with the catalog
watermarks it reflects in its name: `<stem>.<vector_seq>.<tombstone_seq><suffix>`. A new one is
written under a temporary name and renamed into place, so readers only ever see complete files;
a reader picks the newest and catches up from SQLite for anything after its watermarks.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Segment:
    path: Path
    vector_seq: int
    tombstone_seq: int


def latest(folder: Path, stem: str, suffix: str = "") -> Segment | None:
    pattern = re.compile(rf"^{re.escape(stem)}\.(\d+)\.(\d+){re.escape(suffix)}$")
    best: Segment | None = None
    try:
        names = os.listdir(folder)
    except OSError:
        return None
    for name in names:
        m = pattern.match(name)
        if m:
            seg = Segment(folder / name, int(m.group(1)), int(m.group(2)))
            if best is None or (seg.vector_seq, seg.tombstone_seq) > (best.vector_seq,
                                                                      best.tombstone_seq):
                best = seg
    return best


def segment_path(folder: Path, stem: str, vector_seq: int, tombstone_seq: int,
                 suffix: str = "") -> Path:
    return folder / f"{stem}.{vector_seq}.{tombstone_seq}{suffix}"


def publish(tmp: Path, final: Path) -> None:
    """Atomically move a fully written file or folder into place."""
    if final.exists():
        _remove(tmp)
        return
    os.replace(tmp, final)


def remove_older(folder: Path, stem: str, keep: Path, suffix: str = "") -> None:
    """Delete superseded segments (best effort: a reader may still hold one open)."""
    pattern = re.compile(rf"^{re.escape(stem)}\.(\d+)\.(\d+){re.escape(suffix)}(\.tmp.*)?$")
    for name in os.listdir(folder):
        path = folder / name
        if pattern.match(name) and path != keep:
            _remove(path)


def _remove(path: Path) -> None:
    try:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError:
        pass
