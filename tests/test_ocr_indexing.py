"""The OCR phase end to end: scans and images become searchable after the rest, page by page,
resumable, read once per content, with reasons for what was not read. Real models, real files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from core.api import Engine
from core.indexer import IndexControl, IndexOptions
from core.progress import Progress
from core.reliability import scans


def _sentence(text: str, n: int = 0) -> str:
    """A sentence from generated text, for searching it back."""
    parts = [s.strip() for s in text.replace("\n", " ").split(".") if len(s.split()) >= 6]
    return parts[n]


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A folder with a two-page image-only PDF, a PNG scan, a mixed PDF (a text page and a
    scanned one), a textless photo and a plain text file."""
    root = tmp_path_factory.mktemp("scans")
    page1, text1 = scans.text_page(1, dpi=200)
    page2, text2 = scans.text_page(2, dpi=200)
    scans.save_pdf([page1, page2], root / "scanned-letter.pdf", dpi=200)
    png, png_text = scans.text_page(3, dpi=200)
    png.save(root / "receipt.png")
    mixed_scan, mixed_text = scans.text_page(4, dpi=200)
    scans.save_pdf([mixed_scan], root / "scan-only.tmp.pdf", dpi=200)
    _mixed_pdf(root / "report.pdf", "Quarterly report on the lighthouse keepers of the north "
               "coast and their winter supplies.", root / "scan-only.tmp.pdf")
    (root / "scan-only.tmp.pdf").unlink()
    scans.photo(5).save(root / "beach.jpg", quality=85)
    (root / "notes.txt").write_text("Plain notes about the garden and the compost heap.")
    return {"root": root, "letter": (text1, text2), "png": png_text, "mixed": mixed_text}


def _mixed_pdf(path: Path, text: str, scanned: Path) -> None:
    from core.reliability.pdf import pdf_bytes
    path.write_bytes(pdf_bytes([text]))
    doc = pdfium.PdfDocument(path)
    doc.import_pages(pdfium.PdfDocument(scanned))
    doc.save(str(path) + ".new")
    doc.close()
    Path(str(path) + ".new").replace(path)


def test_scans_become_searchable_after_the_rest(library: dict, tmp_path: Path) -> None:
    root = library["root"]
    phases: list[Progress] = []
    with Engine.open(tmp_path / "index") as engine:
        report = engine.index([root], progress=phases.append)
        assert report.ocr_pages == 5 and report.ocr_failed == 0  # 2 + 1 + 1 + the photo
        order = [p.phase for p in phases if p.phase in ("keyword", "semantic", "ocr")]
        assert order.index("ocr") > order.index("semantic")  # the rest was searchable first
        ocr = [p for p in phases if p.phase == "ocr"]
        assert ocr[-1].done == ocr[-1].total == 5 and ocr[-1].unit == "pages"
        status = engine.status()
        assert status.ocr_pages_waiting == 0 and status.files["ocr"] == 0
        skipped = {Path(f["path"]).name: f["reason"] for f in status.skipped_files}
        assert "OCR recognised no text" in skipped["beach.jpg"]
        letter2 = _sentence(library["letter"][1])
        for mode in ("keyword", "hybrid"):
            hits = engine.search(letter2, k=3, mode=mode).hits
            assert hits[0].path.endswith("scanned-letter.pdf"), (mode, hits)
            assert hits[0].page == 2
        hits = engine.search(_sentence(library["png"]), k=3, mode="keyword").hits
        assert hits[0].path.endswith("receipt.png")
        hits = engine.search(_sentence(library["mixed"]), k=3, mode="keyword").hits
        assert hits[0].path.endswith("report.pdf") and hits[0].page == 2
        hits = engine.search("lighthouse keepers winter supplies", k=3, mode="keyword").hits
        assert hits[0].path.endswith("report.pdf") and hits[0].page == 1
        preview = engine.preview_text(str(root / "scanned-letter.pdf"))
        assert preview.recognised == "text recognised by OCR (pages 1-2)"
        assert engine.preview_text(str(root / "report.pdf")).recognised.endswith("(page 2)")


def test_ocr_resumes_and_reads_a_content_once(library: dict, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    for name in ("scanned-letter.pdf", "receipt.png"):
        shutil.copy(library["root"] / name, root / name)
    control = IndexControl()

    def stop_after_first_page(p: Progress) -> None:
        if p.phase == "ocr" and p.done >= 1:
            control.cancel()

    with Engine.open(tmp_path / "index") as engine:
        first = engine.index([root], progress=stop_after_first_page, control=control)
        assert first.cancelled and 1 <= first.ocr_pages < 3
        assert engine.status().ocr_pages_waiting == 3 - first.ocr_pages
        second = engine.index()
        assert first.ocr_pages + second.ocr_pages == 3  # no page read twice
        assert engine.status().ocr_pages_waiting == 0
        hits = engine.search(_sentence(library["png"]), k=1, mode="keyword").hits
        assert hits[0].path.endswith("receipt.png")
        # A copy under another name, and a renamed original: nothing to read again.
        shutil.copy(root / "receipt.png", root / "receipt-copy.png")
        (root / "scanned-letter.pdf").rename(root / "letter-2025.pdf")
        third = engine.index()
        assert third.ocr_pages == 0 and third.new == 1 and third.renamed == 1
        paths = {Path(h.path).name for h in engine.search(
            _sentence(library["png"]), k=5, mode="keyword").hits}
        assert {"receipt.png", "receipt-copy.png"} <= paths


def test_limits_and_ocr_off_give_reasons(library: dict, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    shutil.copy(library["root"] / "scanned-letter.pdf", root / "letter.pdf")
    shutil.copy(library["root"] / "receipt.png", root / "receipt.png")
    with Engine.open(tmp_path / "off") as engine:
        engine.index([root], options=IndexOptions(ocr=False))
        skipped = {Path(f["path"]).name: f["reason"] for f in engine.status().skipped_files}
        assert "OCR is off" in skipped["letter.pdf"] and "OCR is off" in skipped["receipt.png"]
    with Engine.open(tmp_path / "limited") as engine:
        report = engine.index([root], options=IndexOptions(ocr_max_pages=1,
                                                           ocr_max_megapixels=1.0))
        assert report.ocr_pages == 1 and report.ocr_failed == 1  # the PNG is 1.65 MP
        status = engine.status()
        assert status.ocr_pages_waiting == 0
        notes = {Path(f["path"]).name: f["reason"] for f in status.skipped_files}
        assert "larger than the 1 MP limit" in notes["receipt.png"]
        preview = engine.preview_text(str(root / "letter.pdf"))
        assert preview.recognised == "text recognised by OCR (page 1)"
        hits = engine.search(_sentence(library["letter"][0]), k=1, mode="keyword").hits
        assert hits[0].path.endswith("letter.pdf") and hits[0].page == 1
        row = engine._catalog.conn.execute(
            "SELECT error FROM files WHERE path LIKE '%letter.pdf'").fetchone()
        assert "1 scanned pages not read (OCR page limit of 1" in row[0]


def test_ocr_pauses_and_resumes(library: dict, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    shutil.copy(library["root"] / "scanned-letter.pdf", root / "letter.pdf")
    control = IndexControl()
    seen: list[Progress] = []

    def pause_once_then_resume(p: Progress) -> None:
        seen.append(p)
        if p.phase == "ocr" and p.done >= 1 and not any(s.paused for s in seen):
            control.pause()
        elif p.paused:  # the phase says it is paused: resume it
            control.resume()

    with Engine.open(tmp_path / "index") as engine:
        report = engine.index([root], progress=pause_once_then_resume, control=control)
        assert not report.cancelled and report.ocr_pages == 2
        assert any(p.paused and p.phase == "ocr" for p in seen)
        assert engine.status().ocr_pages_waiting == 0
