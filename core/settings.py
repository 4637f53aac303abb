"""Where things live and the user's preferences, persisted as JSON in the config folder."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

APP_NAME = "spyglass"


def default_index_dir() -> Path:
    """SPYGLASS_HOME if set, else the platform's user data folder."""
    env = os.environ.get("SPYGLASS_HOME")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "index"


def config_path() -> Path:
    env = os.environ.get("SPYGLASS_CONFIG")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "settings.json"


@dataclass
class Settings:
    index_dir: str = ""  # empty: default_index_dir()
    threads: int = 0  # encoder threads; 0: one per core
    low_priority: bool = True  # lowest CPU and I/O priority while indexing
    max_file_mb: float = 200.0
    file_types: list[str] = field(default_factory=list)  # extensions to index; empty: all
    excludes: list[str] = field(default_factory=list)  # gitignore-style, for every folder
    include_hidden: bool = False
    sparse_model: str = ""  # related-terms model (core.encode.models.sparse_models); "": default
    dense_model: str = ""  # meaning model (core.encode.manifest.dense_models); "": automatic
    ocr: bool = True  # read scanned pages and images
    ocr_max_pages: int = 100  # pages per document
    ocr_page_seconds: float = 60.0  # processor time per page
    ocr_max_megapixels: float = 40.0  # largest image
    # Team indexes on Milvus searched beside this one (core.shared.target.SharedTarget's
    # settings form; their passwords and tokens are kept apart, user-only, never here).
    shared_indexes: list[dict] = field(default_factory=list)

    def resolved_index_dir(self) -> Path:
        return Path(self.index_dir).expanduser() if self.index_dir else default_index_dir()

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or config_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self, path: Path | None = None) -> None:
        path = path or config_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)
