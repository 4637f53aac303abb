"""The shipped OCR models (resources/models/ocr-*.onnx), verified against the manifest's sha256."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.encode.manifest import ModelError, load_manifest
from core.encode.models import verify_file
from core.resources import models_dir


@dataclass(frozen=True)
class OcrModels:
    detection: Path
    recognition: Path


def ocr_models(directory: Path | None = None) -> OcrModels:
    """The detection and recognition graphs, each checked by sha256 before use."""
    directory = directory or models_dir()
    manifest = load_manifest(directory)
    try:
        entry, files = manifest["ocr"], manifest["files"]
        paths = []
        for part in ("det", "rec"):
            name = entry[part]["file"]
            verify_file(directory / name, files[name]["sha256"])
            paths.append(directory / name)
    except KeyError as exc:
        raise ModelError(f"{directory / 'manifest.json'}: no OCR entry {exc}") from None
    return OcrModels(*paths)
