"""Sample documents for the GUI tests and screenshots: a few topics in subfolders, a real
multi-page PDF, Markdown and HTML, and broken files that the index lists with reasons."""

from __future__ import annotations

import os
import time
from pathlib import Path

from core.reliability.pdf import pdf_bytes
from tests.docs import write_topics

_FILLER = ("The volunteers met every second week to discuss the state of the towers, the "
           "weather on the coast, the boats that passed, and the records kept in the logbook. ")

# Each page is long enough to start passages of its own, so hits land on pages 1, 2 and 3.
REPORT_PAGES = [
    "Annual report of the lighthouse keepers association. This year the association "
    "restored two towers on the northern coast and trained eleven new volunteers. "
    + _FILLER * 9,
    "Finances. Membership fees covered most of the maintenance budget. A grant from the "
    "maritime heritage fund paid for new lenses in the harbour lighthouse. " + _FILLER * 9,
    "Outlook. Next year the lighthouse keepers plan a museum day, guided night tours of the "
    "lighthouse lantern room, and a survey of the southern towers. " + _FILLER * 9,
]

OLD = time.mktime((2019, 5, 17, 12, 0, 0, 0, 0, -1))


def write_library(folder: Path) -> Path:
    """notes/ (the six topic texts), work/report.pdf (3 pages), work/plan.md,
    web/recipes.html; notes/taxes.txt is dated 2019 for the date filters."""
    write_topics(folder / "notes")
    work = folder / "work"
    work.mkdir(parents=True, exist_ok=True)
    (work / "report.pdf").write_bytes(pdf_bytes(REPORT_PAGES))
    (work / "plan.md").write_text(
        "# Project plan for the garden shed\n\nBuild a wooden shed for garden tools. Order the "
        "timber, pour a gravel base, then raise the walls and the roof before autumn rain.\n",
        encoding="utf-8")
    web = folder / "web"
    web.mkdir(parents=True, exist_ok=True)
    (web / "recipes.html").write_text(
        "<html><head><title>Weeknight pasta recipes</title></head><body><h1>Weeknight pasta"
        "</h1><p>Boil the spaghetti, fry garlic in olive oil, and toss with lemon zest and "
        "parmesan for a quick dinner.</p></body></html>", encoding="utf-8")
    os.utime(folder / "notes" / "taxes.txt", (OLD, OLD))
    return folder


def write_broken(folder: Path) -> list[Path]:
    """Files that cannot be read: a corrupt PDF and a .docx that is not a zip."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / "corrupt.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\ngarbage\x00\xff"
                    + os.urandom(256))
    docx = folder / "letter.docx"
    # Zip magic, then garbage: sniffed as a zip-based document, then unreadable. (Plain text
    # named .docx is sniffed as text and indexed, which is right.)
    docx.write_bytes(b"PK\x03\x04" + os.urandom(64) + b"word/document.xml" + os.urandom(200))
    return [pdf, docx]
