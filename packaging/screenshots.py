"""Screenshots of the window's main states, from a real index of sample documents.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python packaging/screenshots.py

Writes PNGs to docs/screenshots/. Everything runs for real: indexing, models, search.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.shared.target import SharedTarget

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "docs" / "screenshots"
SIZE = (1280, 800)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="spyglass-shots-"))
    home = work / "home"
    os.environ["HOME"] = str(home)  # paths show as ~/Documents/...
    os.environ["SPYGLASS_CONFIG"] = str(work / "config" / "settings.json")
    os.environ["SPYGLASS_HOME"] = str(work / "index")

    from PySide6.QtWidgets import QApplication

    from app.main import create_app
    from app.window import MainWindow
    from core.api import Engine
    from core.settings import Settings
    from tests.docs import write_corpus
    from tests.gui.samples import write_broken, write_library

    app = create_app()
    docs = home / "Documents"
    shutil.copytree(REPO / "resources" / "sample", docs / "Samples")
    write_library(docs)
    write_broken(docs / "Inbox")
    big = write_corpus(home / "Archive", 240, paragraphs=4)
    OUT.mkdir(parents=True, exist_ok=True)

    def wait(cond: Callable[[], bool], timeout: float = 120.0) -> None:
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise TimeoutError("the window did not get there in time")
            app.processEvents()
            time.sleep(0.01)

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def shot(name: str) -> None:
        settle()
        screen = QApplication.primaryScreen()
        pixmap = screen.grabWindow(0, 0, 0, *SIZE)
        pixmap.save(str(OUT / name))
        print("wrote", OUT / name)

    settings = Settings()
    engine = Engine.open(work / "index")
    window = MainWindow(engine, settings)
    window.choose_folder = lambda: str(docs)
    window.setGeometry(0, 0, *SIZE)
    window.show()
    wait(lambda: window.status is not None)

    # 1. First run.
    shot("01-first-run.png")

    # 2. Add a folder; once indexed, search with the preview.
    window.empty.button.click()
    wait(lambda: window.indexer.busy)
    wait(lambda: not window.indexer.busy and window.status is not None
         and window.status.files.get("indexed", 0) >= 10, timeout=300)
    window.field.setText("lighthouse lantern tours")
    window.search_now()
    wait(lambda: window.last_outcome is not None and window.preview.data is not None)
    shot("02-results-and-preview.png")

    # 3. Why this result: a semantic match.
    window.field.setText("car repair")
    window.search_now()
    wait(lambda: window.last_outcome is not None and window.last_outcome.query == "car repair"
         and window.preview.data is not None)
    window.preview.why_button.setChecked(True)
    wait(lambda: window.preview.explain.explanation is not None)
    shot("03-why-this-result.png")
    window.preview.why_button.setChecked(False)

    # 4. Filters: PDFs only, with a date range.
    window.field.setText("volunteers")
    window.filters.set_type("PDF")
    window.search_now()
    wait(lambda: window.last_outcome is not None and window.last_outcome.query == "volunteers"
         and window.preview.data is not None)
    window.preview.next_hit()
    shot("04-filters-and-hits.png")
    window.filters.reset()

    # 5. The index manager while a large folder is indexed (paused mid-way for a still image).
    manager = window.show_index_manager()
    manager.move(180, 90)
    window.add_folder(str(big))
    wait(lambda: window.progress is not None and window.progress.phase == "semantic"
         and window.progress.done > 0, timeout=300)
    window.set_paused(True)
    wait(lambda: window.progress is not None and window.progress.paused)
    window.set_paused(False)
    wait(lambda: window.progress is not None and window.progress.rate > 0
         and not window.progress.paused, timeout=60)
    settle(1.0)
    shot("05-index-manager-progress.png")
    wait(lambda: not window.indexer.busy, timeout=600)

    # 6. Problems: files that could not be read, with reasons.
    window.refresh_status()
    settle(1.0)
    manager.tabs.setCurrentIndex(1)
    shot("06-failed-files.png")
    manager.close()

    # 8. A team's shared index (Milvus Lite here): a colleague's folder, published from their
    # index, searched beside this one; the share is mounted under ~/Team on this machine.
    team = publish_team_share(work, home / "Team")
    if team is not None:
        window.settings.shared_indexes = [team.to_settings()]
        window.shared.configure([team])
        window.field.setText("expense claims travel receipts")
        window.search_now()
        wait(lambda: window.last_outcome is not None and window.preview.data is not None
             and window.last_outcome.query == "expense claims travel receipts", timeout=300)
        row = next(i for i, item in enumerate(window.model.items) if item.hit.source)
        window.results.setCurrentIndex(window.model.index(row))  # its preview, said so
        wait(lambda: window.preview.data is not None and bool(window.preview.data.origin))
        shot("08-shared-index.png")

    # 7. Settings (with the shared index of step 8 in its list).
    dialog = window.settings_dialog()
    dialog.move(360, 170)
    dialog.show()
    shot("07-settings.png")
    dialog.close()

    window.shutdown()
    engine.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


TEAM_DOCS = {
    "Expense policy.md": "# Expense claims\n\nTravel receipts are scanned and attached to the "
                         "claim within 30 days. Train tickets, hotel nights and meals on the "
                         "road are refunded; taxis only after 22:00.\n",
    "Onboarding.md": "# First week\n\nNew colleagues get a laptop, a badge and a mentor. The "
                     "mentor walks them through the wiki, the build server and the coffee "
                     "rota.\n",
    "Meeting notes 2026-11.txt": "Team meeting, November. Agreed: the quarterly report moves "
                                 "to the shared drive; budget for the conference trip approved; "
                                 "the printer on floor 2 is replaced.\n",
}


def publish_team_share(work: Path, mounted: Path) -> SharedTarget | None:
    """Index a colleague's folder in its own index and publish it to a Milvus Lite file;
    the same files are copied where the share is mounted here. None without the extra."""
    try:
        import milvus_lite  # noqa: F401
    except ImportError:
        print("skipped 08-shared-index.png: the shared extra is not installed")
        return None
    from core.api import Engine
    from core.shared.target import PathMapping, SharedTarget  # noqa: F811
    from core.sharing import publish_folders

    published = work / "colleague" / "srv" / "team"
    published.mkdir(parents=True)
    for name, text in TEAM_DOCS.items():
        (published / name).write_text(text, encoding="utf-8")
    shutil.copytree(published, mounted)
    target = SharedTarget(uri=str(work / "team.db"), collection="team", label="team",
                          mappings=(PathMapping(str(published), str(mounted)),))
    with Engine.open(work / "colleague" / "index") as colleague:
        colleague.index([published])
        publish_folders(colleague, [published], target)
    return target


if __name__ == "__main__":
    sys.exit(main())
