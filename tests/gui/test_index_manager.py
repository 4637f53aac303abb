"""Managing the index from the window: first run, add a folder and watch it being indexed,
pause and resume, failed files with reasons and retry, remove with confirmation."""

from __future__ import annotations

from pathlib import Path

from app.window import MainWindow
from app.workers import IndexWorker
from core.api import Engine
from core.progress import Progress
from tests.docs import write_corpus
from tests.gui.conftest import WAIT_MS, names, search
from tests.gui.samples import write_broken


def _record(window: MainWindow) -> list[Progress]:
    seen: list[Progress] = []
    window.indexer.progress.connect(seen.append)
    return seen


def test_first_run_add_folder_then_find(qtbot, make_window, engine: Engine,
                                        library: Path) -> None:
    window = make_window(engine)
    assert window.pages.currentWidget() is window.empty  # nothing indexed yet
    assert window.empty.button.isVisible()
    window.choose_folder = lambda: str(library)  # the folder dialog's answer
    seen = _record(window)
    window.empty.button.click()
    assert window.pages.currentIndex() == 0  # straight to the search page
    qtbot.waitUntil(lambda: window.index_bar.isVisible(), timeout=WAIT_MS)
    # the worker is idle before its queued "finished" signal reaches the window: wait for that
    qtbot.waitUntil(lambda: "Adding a folder: done (9 new)" in window.message.text(),
                    timeout=WAIT_MS)
    assert not window.indexer.busy
    phases = [p.phase for p in seen]
    assert "keyword" in phases and "semantic" in phases and phases[-1] == "done"
    keyword = [p for p in seen if p.phase == "keyword" and p.total]
    assert keyword[-1].done == keyword[-1].total == 9
    assert not window.index_bar.isVisible()  # hidden again when done
    assert names(search(qtbot, window, "sourdough loaf"))[0] == "bread.txt"
    qtbot.waitUntil(lambda: window.status is not None
                    and window.status.files["indexed"] == 9, timeout=WAIT_MS)
    assert window.filters.folder_box.count() == 2


def test_manager_shows_roots_and_progress(qtbot, make_window, engine: Engine,
                                          tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 60)
    window = make_window(engine)
    window.choose_folder = lambda: str(corpus)
    manager = window.show_index_manager()
    assert manager.isVisible() and manager.roots.topLevelItemCount() == 0
    values: list[int] = []
    manager.bar.valueChanged.connect(values.append)
    manager.add_button.click()
    qtbot.waitUntil(lambda: manager.pause_button.isEnabled(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=WAIT_MS)
    assert len(set(values)) > 2, "the progress bar moved"
    qtbot.waitUntil(lambda: manager.roots.topLevelItemCount() == 1
                    and manager.roots.topLevelItem(0).text(3) == "Up to date", timeout=WAIT_MS)
    row = manager.roots.topLevelItem(0)
    assert row.text(1) == "60" and int(row.text(2).replace(",", "")) >= 60
    assert "on disk" in manager.footer.text() and "60 files indexed" in manager.footer.text()
    assert not manager.pause_button.isEnabled()


def test_pause_and_resume(qtbot, make_window, engine: Engine, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 150)
    window = make_window(engine)
    manager = window.show_index_manager()
    seen = _record(window)
    window.add_folder(str(corpus))
    qtbot.waitUntil(lambda: any(p.done > 0 and p.phase in ("keyword", "semantic")
                                for p in seen), timeout=WAIT_MS)
    manager.pause_button.click()
    assert window.indexer.paused
    qtbot.waitUntil(lambda: seen[-1].paused, timeout=WAIT_MS)
    assert manager.pause_button.text() == "Resume"
    assert manager.phase.text().startswith("Paused")
    frozen = (seen[-1].phase, seen[-1].done)
    qtbot.wait(1500)
    assert (seen[-1].phase, seen[-1].done) == frozen, "nothing moves while paused"
    assert window.indexer.busy
    manager.pause_button.click()
    assert not window.indexer.paused
    qtbot.waitUntil(lambda: not window.indexer.busy and seen[-1].phase == "done",
                    timeout=WAIT_MS)  # the last progress signal may trail the worker
    status = engine.status()
    assert status.files["indexed"] == 150 and status.passages_to_encode == 0


def test_failed_files_listed_with_reasons(qtbot, make_window, indexed: Engine,
                                          library: Path) -> None:
    broken = write_broken(library / "inbox")
    window = make_window(indexed)
    manager = window.show_index_manager()
    manager.rescan_all_button.click()
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: manager.problems.topLevelItemCount() == 2, timeout=WAIT_MS)
    rows = {manager.problems.topLevelItem(i).text(0): manager.problems.topLevelItem(i).text(1)
            for i in range(2)}
    assert set(rows) == {"corrupt.pdf", "letter.docx"}
    assert "PDF" in rows["corrupt.pdf"] and "DOCX" in rows["letter.docx"]
    assert manager.tabs.tabText(1) == "Problems (2)"
    assert window.folders_button.text() == "Folders (2 problems)"

    # Retry: still broken, so still listed, with the reason.
    item = manager.problems.topLevelItem(0)
    item.setSelected(True)
    seen = _record(window)
    manager.retry_button.click()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].phase == "done", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: manager.problems.topLevelItemCount() == 2, timeout=WAIT_MS)

    # Fixed on disk, then retried: gone from the list and searchable.
    broken[1].unlink()
    (library / "inbox" / "letter.docx").write_bytes(_docx("Quarterly letter about the orchard"))
    manager.retry_all_button.click()
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: manager.problems.topLevelItemCount() == 1, timeout=WAIT_MS)
    assert manager.problems.topLevelItem(0).text(0) == "corrupt.pdf"
    assert "letter.docx" in names(search(qtbot, window, "orchard letter"))


def test_remove_folder_asks_first(qtbot, make_window, indexed: Engine, library: Path) -> None:
    window = make_window(indexed)
    manager = window.show_index_manager()
    qtbot.waitUntil(lambda: manager.roots.topLevelItemCount() == 1, timeout=WAIT_MS)
    manager.roots.setCurrentItem(manager.roots.topLevelItem(0))
    asked: list[str] = []
    window.confirm = lambda title, text: asked.append(title) is not None and False
    manager.remove_button.click()
    assert asked == ["Remove this folder from the index?"]
    qtbot.wait(300)
    assert not window.indexer.busy and len(indexed.roots()) == 1
    window.confirm = lambda title, text: True
    manager.remove_button.click()
    qtbot.waitUntil(lambda: not indexed.roots(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.pages.currentWidget() is window.empty, timeout=WAIT_MS)
    assert library.exists() and (library / "notes" / "bread.txt").exists()


def _docx(text: str) -> bytes:
    import io

    import docx

    d = docx.Document()
    d.add_paragraph(text)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def test_a_phase_always_ends_at_its_total(engine: Engine) -> None:
    """Progress is throttled to ~10 events a second, but a phase's last event always goes out:
    under load the last keyword event that reached the window once said 3 of 9."""
    worker = IndexWorker(engine, lambda: engine.options)
    seen: list[Progress] = []
    worker.progress.connect(seen.append)  # same thread: delivered at once
    for phase, total in (("keyword", 9), ("semantic", 5)):
        for done in range(total + 1):  # faster than the throttle lets through
            worker._emit(Progress(phase, done, total, 1.0, None))
    for phase, total in (("keyword", 9), ("semantic", 5)):
        last = [p for p in seen if p.phase == phase][-1]
        assert (last.done, last.total) == (total, total)
