"""Spyglass engine: indexing and hybrid search. Never imports Qt."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spyglass")
except PackageNotFoundError:  # running from a source tree or a frozen bundle
    __version__ = "0.1.0"
