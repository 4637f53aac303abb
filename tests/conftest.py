"""Shared fixtures. Qt must be told to render offscreen before it is first imported."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
FORMATS = SHARED / "corpora" / "formats"
DATASETS = SHARED / "datasets"
SPYGLASS = [sys.executable, "-m", "app.entry"]  # the command line, as a user runs it


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read or write the real user's settings or default index."""
    monkeypatch.setenv("SPYGLASS_CONFIG", str(tmp_path / "config" / "settings.json"))
    monkeypatch.setenv("SPYGLASS_HOME", str(tmp_path / "default-index"))
