"""Small valid PDFs written by hand: for the hostile-input benchmark, and the tests' sample
documents (no PDF-writing library is needed, and each object's offset is computed, so PDFium
reads them without repairs)."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence


def pdf_bytes(pages: Sequence[str], *, title: str | None = None, count: int | None = None,
              kids: int | None = None, width: int = 80) -> bytes:
    """One page per text, in Helvetica, wrapped at `width` characters per line. `title` adds
    an Info dictionary; `count` overrides the page tree's /Count claim; `kids` repeats the first
    page's reference that many times instead of listing each page (hostile page trees)."""
    n = len(pages)
    refs = ("4 0 R " * kids) if kids else " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{refs}] /Count {n if count is None else count} >>".encode(),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, text in enumerate(pages):
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 740 Td"]
        for line in textwrap.wrap(text, width, break_long_words=False):
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({safe}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {5 + 2 * i}"
                    " 0 R /Resources << /Font << /F1 3 0 R >> >> >>".encode())
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    if title:
        objs.append(f"<< /Title ({title}) >>".encode())
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    info = f" /Info {len(objs)} 0 R" if title else ""
    out += (f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)
