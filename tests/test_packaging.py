"""The packaged app: build (or reuse a current build of) dist/Spyglass with PyInstaller, inspect
it, run its --version and --selftest, and install and uninstall the release archive into a
temporary home folder.

A bundle whose inputs (sources, resources, spec, installed packages; see
packaging/bundle_rules.inputs_digest) have not changed since it was built is reused, so only the
first run after a change pays for the build. Deselect with `-m "not packaging"`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock

from tests.conftest import FORMATS, REPO, SPYGLASS

sys.path.insert(0, str(REPO / "packaging"))
from bundle_rules import FORBIDDEN, inputs_digest  # noqa: E402
from make_dist import archive_name  # noqa: E402

pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]

DIST = REPO / "dist"
WORK = REPO / "build"
BUNDLE = DIST / "Spyglass"
EXE = BUNDLE / ("spyglass.exe" if sys.platform == "win32" else "spyglass")
STAMP = WORK / "spyglass" / "inputs.sha256"
MAX_BYTES = 400 * 1000 * 1000  # with the multilingual model (issue 14's limit)
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux packaging")


def _bundle_is_current(digest: str) -> bool:
    try:
        recorded, where = STAMP.read_text(encoding="utf-8").split()[:2]
    except (OSError, ValueError):
        return False
    return recorded == digest and Path(where) == BUNDLE.resolve() and EXE.is_file()


@pytest.fixture(scope="session")
def bundle() -> Path:
    pytest.importorskip("PyInstaller", reason="needs the package extra: pip install -e .[package]")
    WORK.mkdir(exist_ok=True)
    with FileLock(str(WORK / "package.lock")):  # one build at a time in this checkout
        digest = inputs_digest(REPO)
        if not _bundle_is_current(digest):
            run = subprocess.run(
                [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                 "--distpath", str(DIST), "--workpath", str(WORK),
                 str(REPO / "packaging" / "spyglass.spec")],
                capture_output=True, text=True, timeout=900, cwd=REPO)
            assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
            assert _bundle_is_current(digest), "the build finished without its stamp"
    return BUNDLE


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home dir"  # a space, as some users' home folders have
    path.mkdir()
    return path


def app_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "SPYGLASS_LAUNCH"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen")
    env.update(extra)
    return env


def run_app(*args: str, env: dict[str, str], timeout: float = 300,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(EXE), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=cwd)


# -- what is in the bundle ---------------------------------------------------------------------

def bundle_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() or p.is_symlink()]


def frozen_modules() -> set[str]:
    """Names of the Python modules inside the executable's archive."""
    from PyInstaller.archive.readers import CArchiveReader

    reader = CArchiveReader(str(EXE))
    return set(reader.open_embedded_archive("PYZ.pyz").toc) | set(reader.toc)


def test_bundle_holds_no_build_or_test_packages(bundle: Path) -> None:
    internal = bundle / "_internal"
    files = [p.relative_to(internal).as_posix() for p in bundle_files(internal)]
    assert not [f for f in files if FORBIDDEN.search(f)]
    modules = frozen_modules()
    for name in ("torch", "transformers", "tensorflow", "matplotlib", "tkinter", "IPython",
                 "pytest", "_pytest", "pytestqt", "hypothesis", "ir_measures", "bm25s", "scipy",
                 "PyInstaller", "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtWebEngineCore"):
        assert name not in modules, name
        assert not any(m.startswith(name + ".") for m in modules), name
    for needed in ("app.window", "core.api", "core.ingest", "core.extract.pool", "onnxruntime",
                   "tokenizers", "usearch", "pypdfium2", "selectolax", "lxml",
                   "docx", "pptx", "openpyxl", "PySide6"):
        assert needed in modules, needed


def test_bundle_has_qt_plugins_models_and_resources(bundle: Path) -> None:
    internal = bundle / "_internal"
    names = {p.name for p in bundle_files(internal)}
    if sys.platform.startswith("linux"):
        for plugin in ("libqoffscreen.so", "libqxcb.so", "libqwayland.so", "libqsvg.so",
                       "libqsvgicon.so", "libqxdgdesktopportal.so"):
            assert plugin in names, plugin
        for native in ("libpdfium.so", "libQt6Svg.so.6", "libonnxruntime_providers_shared.so",
                       "tokenizers.abi3.so", "QtWidgets.abi3.so"):
            assert native in names, native
        for extension in ("lexbor", "_numkong", "compiled", "etree", "_sqlite3", "_imaging",
                          "onnxruntime_pybind11_state"):  # usearch's is `compiled`
            assert any(n.startswith(extension + ".cpython-") for n in names), extension
        assert "libqgtk3.so" not in names and "libqeglfs.so" not in names
    resources = internal / "resources"
    manifest = json.loads((resources / "models" / "manifest.json").read_text(encoding="utf-8"))
    for name, meta in manifest["files"].items():
        data = (resources / "models" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == meta["sha256"], name
    source = REPO / "resources"
    for folder in ("icons", "styles", "sample"):
        assert {p.name for p in (resources / folder).iterdir()} == \
            {p.name for p in (source / folder).iterdir()}, folder


def test_bundle_size(bundle: Path) -> None:
    size = sum(p.lstat().st_size for p in bundle_files(bundle))
    assert size <= MAX_BYTES, f"{size / 1e6:.0f} MB"


# -- running it --------------------------------------------------------------------------------

def test_version_without_qt(bundle: Path, home: Path) -> None:
    # An unknown Qt platform would abort the program if --version touched Qt.
    run = run_app("--version", env=app_env(home, QT_QPA_PLATFORM="no-such-platform"),
                  timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"spyglass {VERSION}"


def test_selftest(bundle: Path, home: Path, tmp_path: Path) -> None:
    run = run_app("--selftest", env=app_env(home), cwd=tmp_path)
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "indexed 8 files" in out and "1 page read by OCR" in out  # the scanned receipt
    assert "-> scanned-receipt.png" in out and "-> letters.zip › letters/harbour-master.txt" in out
    # documents in five languages: the multilingual model, keyword search in Chinese and
    # Japanese, and queries across languages (English -> Chinese, German; Arabic -> English)
    assert "the index chose the multilingual model" in out
    assert "'普洱茶'" in out and "-> chaye.txt" in out and "-> fahrrad.txt" in out
    assert "'تربية نحل العسل'" in out and "-> beekeeping.txt" in out
    for mode in ("keyword", "dense", "sparse", "hybrid", "hybrid-prf"):
        assert f"  {mode} " in out, mode
    assert "window shown and closed on platform 'offscreen'" in out
    assert out.rstrip().splitlines()[-1].startswith("selftest OK (engine ")
    assert "Traceback" not in run.stderr
    # Nothing left behind: no telemetry store from onnxruntime, no index in the home folder.
    assert not (home / ".cache" / "Microsoft").exists()
    assert not list(home.rglob("*.sqlite*")) and not list(home.rglob("catalog*"))


def test_selftest_failure_exits_non_zero_with_the_reason(bundle: Path, home: Path,
                                                         tmp_path: Path) -> None:
    empty = tmp_path / "no-resources"
    empty.mkdir()
    run = run_app("--selftest", env=app_env(home, SPYGLASS_RESOURCES=str(empty)), timeout=120)
    assert run.returncode != 0
    assert "selftest FAILED: the sample folder is missing" in run.stdout


def test_eval_in_the_bundle_says_the_extra_is_missing(bundle: Path, home: Path,
                                                      tmp_path: Path) -> None:
    data = tmp_path / "tiny"
    (data / "qrels").mkdir(parents=True)
    (data / "corpus.jsonl").write_text(
        '{"_id": "d1", "title": "Lighthouses", "text": "Keepers trimmed the lamp wicks."}\n'
        '{"_id": "d2", "title": "Bread", "text": "Sourdough needs a starter."}\n')
    (data / "queries.jsonl").write_text('{"_id": "q1", "text": "lighthouse lamp"}\n')
    (data / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    run = run_app("eval", str(data), "--mode", "bm25", "--cache", str(tmp_path / "cache"),
                  env=app_env(home), cwd=tmp_path)
    assert run.returncode != 0
    assert "needs the eval extra" in run.stderr
    assert "Traceback" not in run.stderr


def test_bundle_extracts_every_format_family(bundle: Path, home: Path, tmp_path: Path) -> None:
    """One real file per format through the bundle's extraction workers, compared with the
    same files indexed from the source tree: a parser missing from the bundle would fail."""
    if not FORMATS.is_dir():
        pytest.skip(f"{FORMATS} is not here")
    library = tmp_path / "library"
    library.mkdir()
    seen: set[str] = set()
    for path in sorted(FORMATS.rglob("*")):
        ext = path.suffix.lower()
        if path.is_file() and ext not in seen and ext in {
                ".docx", ".pptx", ".xlsx", ".odt", ".odp", ".ods", ".epub", ".rtf", ".eml",
                ".mbox", ".msg", ".html", ".pdf", ".txt", ".md"}:
            seen.add(ext)
            shutil.copy2(path, library / f"{len(seen):02}{ext}")
    assert len(seen) >= 12

    def indexed(command: list[str], index: Path) -> tuple[int, set[str], set[str]]:
        env = app_env(home)
        run = subprocess.run([*command, "--index", str(index), "index", str(library),
                              "--keyword-only", "--quiet", "--workers", "2"], env=env,
                             capture_output=True, text=True, timeout=600, cwd=REPO)
        assert run.returncode == 0, run.stdout + run.stderr
        status = json.loads(subprocess.run([*command, "--index", str(index), "status", "--json"],
                                           env=env, capture_output=True, text=True, timeout=120,
                                           cwd=REPO).stdout)
        return (status["files"]["indexed"],
                {Path(f["path"]).name for f in status["failed_files"]},
                {Path(f["path"]).name for f in status["skipped_files"]})

    from_bundle = indexed([str(EXE)], tmp_path / "bundle-index")
    from_source = indexed(SPYGLASS, tmp_path / "source-index")
    assert from_bundle == from_source, (from_bundle, from_source)
    assert from_bundle[0] >= len(seen) - 4, from_bundle


def test_launch_probe_sees_the_window(bundle: Path, home: Path, tmp_path: Path) -> None:
    env = app_env(home, SPYGLASS_LAUNCH_PROBE="1", SPYGLASS_HOME=str(tmp_path / "index"),
                  SPYGLASS_CONFIG=str(tmp_path / "settings.json"))
    run = run_app(env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("window-exposed ")


# -- the release archive, installed and uninstalled --------------------------------------------

def tree(root: Path) -> dict[str, str]:
    """Every path under root with what it is (and a link's target, a file's content hash)."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if p.is_symlink():
            out[rel] = "link " + os.readlink(p)
        elif p.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture
def release(bundle: Path, tmp_path: Path) -> Iterator[Path]:
    """The archive `make dist` makes, unpacked as a user would."""
    out = tmp_path / "dist"
    run = subprocess.run([sys.executable, str(REPO / "packaging" / "make_dist.py"),
                          "--bundle", str(bundle), "--out", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    archives = list(out.iterdir())  # the archive and nothing else (no staging left behind)
    assert [a.name for a in archives] == [f"{archive_name(VERSION)}.tar.gz"]
    unpacked = tmp_path / "unpacked"
    unpacked.mkdir()
    subprocess.run(["tar", "xzf", str(archives[0]), "-C", str(unpacked)], check=True)
    archives[0].unlink()
    (top,) = unpacked.iterdir()
    yield top


@linux_only
def test_install_and_uninstall(release: Path, home: Path, tmp_path: Path) -> None:
    assert {p.name for p in release.iterdir()} == {
        "Spyglass", "install.sh", "uninstall.sh", "spyglass.desktop", "icons", "VERSION",
        "README.txt"}
    # What was there before must survive: another program's menu entry, link and icons.
    local = home / ".local"
    (local / "share" / "applications").mkdir(parents=True)
    (local / "share" / "applications" / "other.desktop").write_text("[Desktop Entry]\n")
    (local / "share" / "applications" / "mimeinfo.cache").write_text("cache\n")  # refreshed
    (local / "bin").mkdir()
    (local / "bin" / "other").symlink_to("/bin/true")
    (local / "share" / "icons" / "hicolor" / "48x48" / "apps").mkdir(parents=True)
    (local / "share" / "icons" / "hicolor" / "48x48" / "apps" / "other.png").write_bytes(b"x")
    # A stand-in for update-desktop-database that writes its cache like the real one and
    # counts its calls (gtk-update-icon-cache is the real one where installed).
    tools = tmp_path / "tools"
    tools.mkdir()
    stub = tools / "update-desktop-database"
    stub.write_text(f'#!/bin/sh\nfor a; do d=$a; done\necho cache > "$d/mimeinfo.cache"\n'
                    f'echo called >> "{tmp_path}/calls"\n')
    stub.chmod(0o755)
    env = {**app_env(home), "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    before = tree(home)

    def sh(script: Path) -> subprocess.CompletedProcess[str]:
        run = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True,
                             timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        return run

    sh(release / "install.sh")
    opt = local / "opt" / "spyglass"
    assert (opt / "spyglass").is_file() and (opt / "uninstall.sh").is_file()
    link = local / "bin" / "spyglass"
    assert link.is_symlink() and link.resolve() == (opt / "spyglass").resolve()
    desktop = (local / "share" / "applications" / "spyglass.desktop").read_text()
    assert f'Exec="{opt / "spyglass"}"' in desktop
    assert f"TryExec={opt / 'spyglass'}\n" in desktop and "Icon=spyglass\n" in desktop
    icons = local / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "spyglass.svg").is_file()
    for size in (16, 32, 48, 64, 128, 256):
        png = (icons / f"{size}x{size}" / "apps" / "spyglass.png").read_bytes()
        assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == size
    assert (tmp_path / "calls").read_text().count("called") == 1
    if shutil.which("gtk-update-icon-cache"):
        assert (icons / "icon-theme.cache").exists()
    run = subprocess.run([str(link), "--version"], env=env, capture_output=True, text=True,
                         timeout=60)
    assert run.stdout.strip() == f"spyglass {VERSION}"  # through the link, from elsewhere

    sh(release / "install.sh")  # again: replaces the first installation
    assert (opt / "spyglass").is_file()
    sh(opt / "uninstall.sh")
    assert tree(home) == before
    assert (tmp_path / "calls").read_text().count("called") == 4  # 2 installs, 2 uninstalls
