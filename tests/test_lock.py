"""The environment the tests run in is exactly the lock file: every pinned package installed at its
pinned version, nothing else installed, and the lock covering what pyproject.toml asks for."""

from __future__ import annotations

import re
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "packaging"))
from bundle_rules import installed_distributions  # noqa: E402

LOCK = REPO / "packaging" / "requirements.lock"


def locked() -> dict[str, str]:
    """name -> version of the lock's pins that apply to this platform and Python."""
    pins = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if not re.match(r"^[A-Za-z0-9]", line):
            continue  # hashes, comments
        req = Requirement(line.rstrip(" \\"))
        if req.marker is None or req.marker.evaluate():
            (spec,) = req.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def installed() -> dict[str, str]:
    out = {}
    for dist in installed_distributions():
        name = canonicalize_name(dist.metadata["Name"])
        if name != "spyglass":
            out[name] = dist.version
    return out


def test_installed_packages_are_exactly_the_lock() -> None:
    assert installed() == locked()


def test_lock_covers_every_dependency_of_the_project() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"]]
    for extra in ("test", "eval", "package"):
        wanted += project["optional-dependencies"][extra]
    pins = locked()
    for text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} is not in the lock: run make lock"
        assert req.specifier.contains(pins[name]), f"{name} {pins[name]} outside {req.specifier}"


def test_a_vendored_copy_on_sys_path_is_not_an_installed_package() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its deprecation notice
        import pkg_resources  # noqa: F401  (Milvus Lite does this: setuptools/_vendor joins sys.path)
    assert any(p.endswith("_vendor") for p in sys.path)
    assert installed() == locked()
