"""resources/models/manifest.json: which models ship, their files' sha256, the default choices.

Plain JSON, no onnxruntime: the window reads the list of sparse models from here cheaply.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from core.resources import models_dir


class ModelError(Exception):
    """A model file is missing, does not match the manifest, or the manifest is unusable."""


def load_manifest(directory: Path | None = None) -> dict[str, Any]:
    path = (directory or models_dir()) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"model manifest missing: {path}") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"model manifest unreadable: {path}: {exc}") from None


DEFAULT_SPARSE = "sparse"  # the shipped sparse model, unless the manifest names another
DEFAULT_DENSE = "dense"  # all-MiniLM-L6-v2: English, twice as fast as the multilingual model
MULTILINGUAL_DENSE = "multilingual"  # multilingual-e5-small: ~100 languages, across languages


def sparse_models(directory: Path | None = None) -> dict[str, str]:
    """The sparse models shipped, name -> a line for the user; the default comes first."""
    manifest = load_manifest(directory)
    default = manifest.get("default_sparse", DEFAULT_SPARSE)
    found = {name: entry.get("title", name) for name, entry in manifest["models"].items()
             if entry.get("output") == "weights"}
    return dict(sorted(found.items(), key=lambda item: item[0] != default))


def resolve_sparse_model(requested: str = "", directory: Path | None = None) -> str:
    """The sparse model to index with: the one asked for if it ships, else the default (a
    setting naming a model a later release no longer ships falls back, it does not fail)."""
    models = sparse_models(directory)
    return requested if requested in models else next(iter(models), DEFAULT_SPARSE)


def dense_models(directory: Path | None = None) -> dict[str, str]:
    """The dense (meaning) models shipped, name -> a line for the user; the default first."""
    manifest = load_manifest(directory)
    found = {name: entry.get("title", name) for name, entry in manifest["models"].items()
             if entry.get("output") == "embedding"}
    return dict(sorted(found.items(), key=lambda item: item[0] != DEFAULT_DENSE))


def model_dims(name: str, directory: Path | None = None) -> int:
    """A model's vector size, from the manifest alone (no model is loaded)."""
    try:
        return int(load_manifest(directory)["models"][name]["dims"])
    except KeyError as exc:
        raise ModelError(f"{(directory or models_dir()) / 'manifest.json'}: no entry {exc} "
                         f"for model {name!r}") from None


def model_digest(name: str, directory: Path | None = None) -> str:
    """What a model's vectors depend on: the sha256 of its weights and tokenizer files. Two
    entries with the same files give the same vectors, so they share a digest."""
    manifest = load_manifest(directory)
    try:
        entry, files = manifest["models"][name], manifest["files"]
        used = [entry["file"], entry["tokenizer"]]
        if "language_means" in entry:  # they change every vector too
            used.append(entry["language_means"]["file"])
        joined = "|".join(files[f]["sha256"] for f in used)
    except KeyError as exc:
        raise ModelError(f"{(directory or models_dir()) / 'manifest.json'}: no entry {exc} "
                         f"for model {name!r}") from None
    return hashlib.sha256(joined.encode()).hexdigest()[:16]
