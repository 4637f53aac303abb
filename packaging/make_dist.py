"""Make the Linux release archive from the bundle (`make dist` runs this after `make package`).

    python packaging/make_dist.py [--bundle dist/Spyglass] [--out dist]

writes dist/Spyglass-<version>-linux-<arch>.tar.gz holding one folder:

    Spyglass-<version>-linux-<arch>/
        Spyglass/            the PyInstaller bundle (spyglass + _internal/)
        install.sh           installs under ~/.local (menu entry, icons, ~/.local/bin/spyglass)
        uninstall.sh         removes exactly what install.sh added (also copied next to the program)
        spyglass.desktop     the menu entry's template
        icons/hicolor/       scalable SVG and 16 to 256 px PNGs, rendered from the SVG with QtSvg
        VERSION, README.txt
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINUX = ROOT / "packaging" / "linux"

README = """Spyglass {version}: offline desktop search for your documents.

Install for your user (no root needed):   ./install.sh
Then start it from the applications menu, or run ~/.local/bin/spyglass.
Uninstall:                                ~/.local/opt/spyglass/uninstall.sh

Without installing: ./Spyglass/spyglass (the window), ./Spyglass/spyglass --help (command line),
./Spyglass/spyglass --selftest (checks that indexing and search work on this computer).
"""


def project_version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)


def archive_name(version: str) -> str:
    return f"Spyglass-{version}-linux-{arch()}"


def bundle_version(bundle: Path) -> str:
    out = subprocess.run([str(bundle / "spyglass"), "--version"], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    return out[-1]


def _link_or_copy(src: str, dst: str) -> object:
    try:
        os.link(src, dst)
        return dst
    except OSError:
        return shutil.copy2(src, dst)


def stage(bundle: Path, into: Path, version: str, hardlink: bool = False) -> Path:
    """Lay the archive's folder out under `into`; `hardlink` links the bundle's files (tests)."""
    top = into / archive_name(version)
    if top.exists():
        shutil.rmtree(top)
    top.mkdir(parents=True)
    shutil.copytree(bundle, top / "Spyglass", symlinks=True,
                    copy_function=_link_or_copy if hardlink else shutil.copy2)
    for name in ("install.sh", "uninstall.sh", "spyglass.desktop"):
        shutil.copy2(LINUX / name, top / name)
    for name in ("install.sh", "uninstall.sh"):
        (top / name).chmod(0o755)
    subprocess.run([sys.executable, str(ROOT / "packaging" / "render_icons.py"),
                    str(top / "icons")], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    for extra in ("spyglass.ico", "spyglass.icns"):  # Windows and macOS only
        (top / "icons" / extra).unlink(missing_ok=True)
    (top / "VERSION").write_text(version + "\n", encoding="utf-8")
    (top / "README.txt").write_text(README.format(version=version), encoding="utf-8")
    return top


def make_archive(bundle: Path, out: Path) -> Path:
    version = project_version()
    built = bundle_version(bundle)
    if built != version:
        raise SystemExit(f"the bundle is version {built} but pyproject.toml says {version}: "
                         "run `make package` again")
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        top = stage(bundle, staging, version, hardlink=True)
        target = out / f"{top.name}.tar.gz"
        partial = staging / target.name

        def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            return info

        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            tar.add(top, arcname=top.name, filter=normalise)
        partial.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "Spyglass")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    if not (args.bundle / "spyglass").is_file():
        parser.error(f"no bundle at {args.bundle}: run `make package` first")
    target = make_archive(args.bundle, args.out)
    print(f"{target} ({target.stat().st_size / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
