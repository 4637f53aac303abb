"""What goes into the bundle and what stays out. Used by the spec (building) and by
tests/test_packaging.py (inspecting a built bundle). Platform-neutral: names are compared without
`lib` prefixes and `.so`/`.dll`/`.dylib` suffixes."""

from __future__ import annotations

import hashlib
import re
import shutil
import struct
import subprocess
import sys
import sysconfig
from importlib.metadata import Distribution
from pathlib import Path, PurePath

# Build-only, test-only or unused packages that PyInstaller would otherwise follow imports into.
EXCLUDED_MODULES: list[str] = [
    # model building (the `build` extra)
    "torch", "transformers", "tensorflow", "onnx", "safetensors", "sympy",
    # interactive and plotting
    "matplotlib", "tkinter", "_tkinter", "IPython", "jupyter_client", "notebook", "PIL.ImageTk",
    "PIL.ImageQt",
    # tests
    "pytest", "_pytest", "pytestqt", "pytest_timeout", "hypothesis", "py", "xlwt",
    # the `eval` extra: in the bundle `spyglass eval` says the extra is missing
    "ir_measures", "bm25s", "pytrec_eval", "scipy",
    # the `shared` extra (pymilvus with grpc and pandas, Milvus Lite's 55 MB server): over the
    # size limit; the bundle's window and `spyglass publish` say how to get a shared index
    "pymilvus", "milvus_lite", "grpc", "pandas",
    # OpenSSL (5.7 MB, the multilingual model needed the room): nothing here talks to the network;
    # hashlib then uses Python's own sha256 and blake2
    "ssl", "_ssl", "_hashlib",
    # packaging tools
    "PyInstaller", "pip", "setuptools", "pkg_resources", "wheel", "ruff",
    # Qt modules the app does not use (they would bring their libraries and plugins)
    "PySide6.QtNetwork", "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets",
    "PySide6.QtPdf", "PySide6.QtPdfWidgets", "PySide6.QtWebEngineCore", "PySide6.QtMultimedia",
    "PySide6.Qt3DCore", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets", "PySide6.QtSql",
    "PySide6.QtTest", "PySide6.QtPrintSupport", "PySide6.QtDesigner", "PySide6.QtUiTools",
    "PySide6.QtHelp", "PySide6.QtXml", "PySide6.QtConcurrent", "PySide6.QtStateMachine",
    # optional image codecs of Pillow (python-pptx imports Pillow; text extraction needs none)
    "PIL._avif", "PIL._webp", "PIL._imagingcms", "PIL._imagingft", "PIL._imagingtk",
    "PIL._imagingmath", "PIL._imagingmorph",
    # optional accelerators nobody here calls (numpy.__config__ would use yaml for printing)
    "yaml", "lxml.objectify", "lxml.isoschematron", "lxml.html.clean", "numpy.f2py",
    "numpy.distutils", "numpy.testing", "selectolax.parser", "selectolax.modest",
]

# Qt plugins by type: None keeps every plugin of the type; a set keeps only those names.
# Types not listed are left out (generic input, eglfs, tls, sql drivers, print support, ...).
QT_PLUGINS: dict[str, set[str] | None] = {
    # xcb and wayland on Linux desktops, offscreen for --selftest, windows and cocoa elsewhere
    "platforms": {"qxcb", "qwayland", "qwayland-egl", "qwayland-generic", "qoffscreen",
                  "qwindows", "qdirect2d", "qcocoa"},
    # gtk3 would bring the whole host GTK stack (~20 MB); the portal theme gives native dialogs
    "platformthemes": {"qxdgdesktopportal"},
    "platforminputcontexts": {"composeplatforminputcontextplugin",
                              "ibusplatforminputcontextplugin"},
    "iconengines": {"qsvgicon"},
    "imageformats": {"qsvg", "qico"},
    "styles": None,
    "xcbglintegrations": None,
    "wayland-shell-integration": {"xdg-shell"},
    "wayland-decoration-client": None,
    "wayland-graphics-integration-client": {"qt-plugin-wayland-egl"},
}

# Files that must never be in the bundle, as patterns on their path inside it.
FORBIDDEN = re.compile(
    r"(^|/)(torch|transformers|tensorflow|matplotlib|tkinter|IPython|pytest|_pytest|pytestqt|"
    r"hypothesis|xlwt|ir_measures|bm25s|pytrec_eval|scipy|PyInstaller)(/|$|[-.])"
    r"|libQt6(WebEngine|Quick|Qml|3D|Multimedia|Pdf|Network|Sql|Test|Designer)"
    r"|(^|/)libtorch|(^|/)libgtk-3|(^|/)Qt/translations/|(^|/)lib(ssl|crypto)\.so",
    re.IGNORECASE,
)

_SOURCE_SUFFIXES = (".c", ".h", ".pyx", ".pxd", ".pxi", ".pyi", ".cpp")


def plugin_name(filename: str) -> str:
    """`libqxcb.so` -> `qxcb`, `qwindows.dll` -> `qwindows`, `libxdg-shell.so` -> `xdg-shell`."""
    name = PurePath(filename).name
    for suffix in (".so", ".dll", ".dylib"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name[3:] if name.startswith("lib") else name


def wanted_qt_plugin(plugin_type: str, filename: str) -> bool:
    if plugin_type not in QT_PLUGINS:
        return False
    names = QT_PLUGINS[plugin_type]
    return names is None or plugin_name(filename) in names


def keep_in_bundle(dest: str) -> bool:
    """For Analysis' binaries and datas, by destination path: False drops the entry."""
    path = dest.replace("\\", "/")
    if FORBIDDEN.search(path):
        return False
    if path.endswith(_SOURCE_SUFFIXES):  # sources and stubs some packages ship next to binaries
        return False
    parts = path.split("/")
    if "plugins" in parts and len(parts) > parts.index("plugins") + 2 and "Qt" in parts:
        i = parts.index("plugins")
        return wanted_qt_plugin(parts[i + 1], parts[-1])
    return True


def has_debug_info(path: Path) -> bool:
    """Whether an ELF file has a `.debug_info` section (read from its section headers)."""
    try:
        with path.open("rb") as f:
            ident = f.read(64)
            if len(ident) < 64 or ident[:4] != b"\x7fELF" or ident[4] != 2 or ident[5] != 1:
                return False  # not a 64-bit little-endian ELF file
            shoff, = struct.unpack_from("<Q", ident, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from("<HHH", ident, 0x3A)
            if not shoff or not shnum or shstrndx >= shnum:
                return False
            f.seek(shoff)
            headers = f.read(shentsize * shnum)
            names_offset, names_size = struct.unpack_from("<QQ", headers,
                                                          shstrndx * shentsize + 0x18)
            f.seek(names_offset)
            names = f.read(names_size)
    except (OSError, struct.error):
        return False
    return b"\0.debug_info\0" in b"\0" + names


def strip_debug_info(root: Path) -> int:
    """`strip --strip-debug` the libraries that ship with debug information; the bytes saved.

    Only debug sections go: symbol tables stay, and libraries without debug information (the
    auditwheel-patched ones a full strip breaks, such as numpy's OpenBLAS) are not touched.
    """
    strip = shutil.which("strip")
    if strip is None:
        return 0
    saved = 0
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or not has_debug_info(path):
            continue
        before = path.stat().st_size
        subprocess.run([strip, "--strip-debug", str(path)], check=True)
        saved += before - path.stat().st_size
    return saved


# What a bundle is built from: when none of it changed, a built bundle is still current.
INPUT_GLOBS = ("pyproject.toml", "packaging/spyglass.spec", "packaging/bundle_rules.py",
               "packaging/launcher.py", "app/**/*.py", "core/**/*.py", "resources/**/*")


def installed_distributions() -> list[Distribution]:
    """The environment's own distributions, read from its site-packages rather than sys.path:
    importing pkg_resources (Milvus Lite does) appends setuptools' _vendor folder to sys.path, and
    its private copies of packaging, platformdirs and wheel would then count as installed."""
    from importlib.metadata import distributions

    site = sorted({sysconfig.get_paths()[key] for key in ("purelib", "platlib")})
    return list(distributions(path=site))


def inputs_digest(root: Path) -> str:
    """sha256 over the sources, resources, spec, Python version and installed distributions."""
    h = hashlib.sha256()
    h.update(sys.version.encode())
    for dist in sorted({f"{d.metadata['Name']}=={d.version}" for d in installed_distributions()}):
        h.update(dist.encode() + b"\n")
    files = sorted({p for pattern in INPUT_GLOBS for p in root.glob(pattern)
                    if p.is_file() and "__pycache__" not in p.parts})
    for path in files:
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()
