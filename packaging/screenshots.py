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

    # 7. Settings.
    dialog = window.settings_dialog()
    dialog.move(360, 170)
    dialog.show()
    shot("07-settings.png")
    dialog.close()

    window.shutdown()
    engine.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
