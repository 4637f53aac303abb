"""Render the app icon (resources/icons/spyglass.svg) for desktops, with QtSvg: no extra tools.

    python packaging/render_icons.py OUT_DIR

writes OUT_DIR/hicolor/{scalable,16x16,...,256x256}/apps/spyglass.{svg,png} (the layout of an
icon theme, copied as is by packaging/linux/install.sh), OUT_DIR/spyglass.ico (Windows: 16 to
256 px) and OUT_DIR/spyglass.icns (macOS), both holding PNG images.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "resources" / "icons" / "spyglass.svg"
PNG_SIZES = (16, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(out: Path, source: Path = SOURCE) -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (kept alive)
    renderer = QSvgRenderer(str(source))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {source}")

    def image(size: int) -> QImage:
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        painter = QPainter(img)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        return img

    written: list[Path] = []
    scalable = out / "hicolor" / "scalable" / "apps" / "spyglass.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, scalable)
    written.append(scalable)
    for size in PNG_SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / "spyglass.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image(size).save(str(path), "PNG"):
            raise SystemExit(f"cannot write {path}")
        written.append(path)

    pngs = {size: _png_bytes(image(size)) for size in {*ICO_SIZES, *ICNS_SIZES}}
    ico = out / "spyglass.ico"
    ico.write_bytes(ico_file([(size, pngs[size]) for size in ICO_SIZES]))
    icns = out / "spyglass.icns"
    icns.write_bytes(icns_file(pngs))
    written += [ico, icns]
    return written


def _png_bytes(img: object) -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buffer, "PNG")  # type: ignore[attr-defined]
    buffer.close()
    return bytes(data.data())


def ico_file(images: list[tuple[int, bytes]]) -> bytes:
    """A Windows .ico holding PNG images (read by Windows Vista and later)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = b"", b""
    for size, png in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


# icns element types holding PNG data, by pixel size (the @2x types reuse the bigger images).
_ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
               (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256),
               (b"ic14", 512))


def icns_file(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding PNG images."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
                    for kind, size in _ICNS_TYPES if size in pngs)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in render(Path(argv[0])):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
