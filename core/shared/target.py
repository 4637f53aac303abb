"""Where a shared index lives, how to log in to it, and how its paths map to this machine.

The settings hold the address, the collection and the path mapping; the secret (password or
token) is kept apart in a file only the user can read (0600), so a settings file shown to
someone, or a log, never carries it. The address is what pymilvus takes: a local Milvus Lite
file (`/path/team.db`), `http://host:19530`, or `https://host:19530` for TLS.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from core.settings import config_path

DEFAULT_COLLECTION = "spyglass"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,200}$")  # what Milvus accepts as a collection name


class SharedIndexError(Exception):
    """A shared index could not be used; the message says why and what to do."""


@dataclass(frozen=True)
class PathMapping:
    """A path prefix as the publishing machine saw it -> the same folder on this machine."""

    remote: str
    local: str

    def to_local(self, path: str) -> str | None:
        return _swap(path, self.remote, self.local)

    def to_remote(self, path: str) -> str | None:
        return _swap(path, self.local, self.remote)


def _swap(path: str, old: str, new: str) -> str | None:
    old = old.rstrip("/\\")
    if path == old:
        return new.rstrip("/\\") or new
    if path.startswith(old + "/") or path.startswith(old + "\\"):
        return new.rstrip("/\\") + "/" + path[len(old) + 1:].replace("\\", "/")
    return None


@dataclass(frozen=True)
class SharedTarget:
    uri: str
    collection: str = DEFAULT_COLLECTION
    label: str = ""  # how results from it are labelled; "" = the host or file name
    user: str = ""
    mappings: tuple[PathMapping, ...] = ()
    secret: str = field(default="", repr=False, compare=False)  # password or token; never shown

    def __post_init__(self) -> None:
        if not _NAME.match(self.collection):
            raise SharedIndexError(f"{self.collection!r} is not a usable collection name "
                                   "(letters, digits and underscores, not starting with a digit)")

    @property
    def is_local_file(self) -> bool:
        """A Milvus Lite database file: no network at all."""
        return "://" not in self.uri

    @property
    def host(self) -> str:
        """What the privacy promise names: the one host a configured shared index may reach."""
        if self.is_local_file:
            return ""
        return urlsplit(self.uri).hostname or ""

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.is_local_file:
            return Path(self.uri).stem
        return self.host or self.uri

    def key(self) -> str:
        """A file-name-safe key for this target's local state (publish progress)."""
        return re.sub(r"[^A-Za-z0-9]+", "_", f"{self.uri}_{self.collection}").strip("_")[:120]

    def local_path(self, path: str) -> str:
        """A path as published -> where this user opens it (the first mapping that applies)."""
        return next((p for m in self.mappings if (p := m.to_local(path)) is not None), path)

    def remote_path(self, path: str) -> str:
        return next((p for m in self.mappings if (p := m.to_remote(path)) is not None), path)

    def with_secret(self, secret: str) -> SharedTarget:
        return SharedTarget(self.uri, self.collection, self.label, self.user, self.mappings,
                            secret)

    def to_settings(self) -> dict:
        return {"uri": self.uri, "collection": self.collection, "label": self.label,
                "user": self.user,
                "mappings": [[m.remote, m.local] for m in self.mappings]}

    @classmethod
    def from_settings(cls, data: dict) -> SharedTarget:
        return cls(uri=str(data["uri"]), collection=str(data.get("collection")
                                                        or DEFAULT_COLLECTION),
                   label=str(data.get("label", "")), user=str(data.get("user", "")),
                   mappings=tuple(PathMapping(str(r), str(v))
                                  for r, v in data.get("mappings", [])))


def parse_mapping(text: str) -> PathMapping:
    """`REMOTE=LOCAL`, as the command line and the settings dialog take it."""
    remote, sep, local = text.partition("=")
    if not sep or not remote.strip() or not local.strip():
        raise SharedIndexError(f"a path mapping is REMOTE_PREFIX=LOCAL_PREFIX, not {text!r}")
    return PathMapping(remote.strip(), local.strip())


# -- secrets -----------------------------------------------------------------------------------


def secrets_path() -> Path:
    return config_path().with_name("shared-secrets.json")


def load_secret(target: SharedTarget, path: Path | None = None) -> str:
    try:
        data = json.loads((path or secrets_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return str(data.get(f"{target.uri}|{target.user}", ""))


def save_secret(target: SharedTarget, secret: str, path: Path | None = None) -> None:
    """Kept in a file created readable by the user alone (0600), replaced atomically."""
    path = path or secrets_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    key = f"{target.uri}|{target.user}"
    if secret:
        data[key] = secret
    else:
        data.pop(key, None)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.chmod(tmp, stat.S_IRUSR | stat.S_IWUSR)  # an older file's mode does not carry over
    os.replace(tmp, path)


def configured_targets(settings_data: list[dict]) -> list[SharedTarget]:
    """The settings' shared indexes, each with its secret."""
    out = []
    for entry in settings_data:
        target = SharedTarget.from_settings(entry)
        out.append(target.with_secret(load_secret(target)))
    return out
