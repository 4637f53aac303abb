"""Copy the OCR models (text detection + recognition) from the pinned rapidocr wheel into
resources/models/ and list them, with their sha256, in manifest.json under "ocr".

Build time only. The rapidocr package itself is not shipped (it needs OpenCV, whose wheels add
110-170 MB and, in the 1.4 line, Qt5 libraries that clash with PySide6): Spyglass runs the two
ONNX graphs itself (core/ocr/). The line-direction classifier in the wheel is left out: it turned
clean lines upside down (issue 13); page orientation is decided from recognition confidence.

    pip download rapidocr==3.10.0 --no-deps -d /tmp/wheels
    python packaging/add_ocr_models.py /tmp/wheels/rapidocr-3.10.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_manifest import read_manifest, read_pinned, record_file, write_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
WHEEL = "rapidocr-3.10.0-py3-none-any.whl"
WHEEL_SHA256 = "2fc34e26cd0f48514804a94f8832283039c7334076bff60768b1fed9ad068050"
# name in resources/models -> member of the wheel
MEMBERS = {
    "ocr-det.onnx": "rapidocr/models/PP-OCRv6_det_small.onnx",
    "ocr-rec.onnx": "rapidocr/models/PP-OCRv6_rec_small.onnx",
    "LICENSE-ocr-models.md": "rapidocr-3.10.0.dist-info/licenses/MODEL_LICENSES.md",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel", type=Path, help=f"path to {WHEEL}")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    args = parser.parse_args(argv)
    read_pinned(args.wheel, WHEEL_SHA256)
    manifest = read_manifest(args.out)
    with zipfile.ZipFile(args.wheel) as zf:
        for name, member in MEMBERS.items():
            (args.out / name).write_bytes(zf.read(member))
            record_file(manifest, args.out / name)
    source = {"package": "rapidocr", "version": "3.10.0", "wheel": WHEEL,
              "wheel_sha256": WHEEL_SHA256}
    manifest["ocr"] = {
        "det": {"file": "ocr-det.onnx", "model": "PP-OCRv6 small text detection (DB)",
                "source": {**source, "path_in_wheel": MEMBERS["ocr-det.onnx"]}},
        "rec": {"file": "ocr-rec.onnx", "model": "PP-OCRv6 small text recognition (CTC)",
                "charset": "in the model's metadata ('character')",
                "source": {**source, "path_in_wheel": MEMBERS["ocr-rec.onnx"]}},
        "licence": "Apache-2.0",
        "licence_evidence": "LICENSE-ocr-models.md (the wheel's MODEL_LICENSES.md): PP-OCRv6 "
                            "weights and ONNX files are Apache-2.0 (Baidu / PaddleOCR)",
    }
    write_manifest(args.out, manifest)
    print(f"wrote {', '.join(MEMBERS)} and the manifest's 'ocr' entry to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
