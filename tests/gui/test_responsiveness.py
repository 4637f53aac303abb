"""The UI thread never does engine work, while indexing runs and while searching; the window is
shown before any model is loaded.

These assert what keeps the window responsive, not how fast this machine happens to be today:
the event-loop gaps and the launch time are measured by packaging/measure_responsiveness.py
and packaging/measure_launch.py (bench/results/), on a quiet and on a busy machine.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QTimer

from core.api import Engine
from core.reliability import scans
from tests.conftest import REPO
from tests.docs import write_corpus
from tests.gui.conftest import WAIT_MS, search

TICK_MS = 10
ENGINE_CALLS = ("index", "update_paths", "remove_root", "set_excludes", "retry_failed",
                "roots", "search", "explain", "more_like_this", "expansion_terms", "status",
                "file_text", "preview_text", "doctor")


def _record_threads(engine: Engine) -> list[tuple[str, str]]:
    """Wrap the engine's calls (on this instance) to record (call, thread name)."""
    calls: list[tuple[str, str]] = []
    for name in ENGINE_CALLS:
        original = getattr(engine, name)

        @functools.wraps(original)
        def wrapper(*args, _name=name, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            calls.append((_name, threading.current_thread().name))
            return _original(*args, **kwargs)

        setattr(engine, name, wrapper)
    return calls


def test_no_engine_work_on_the_ui_thread(qtbot, make_window, engine: Engine,
                                         tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 130)
    # Two scans, so that the OCR phase runs too (after the semantic one) while searching.
    scan, scan_text = scans.text_page(7, dpi=200)
    scan.save(corpus / "scanned-page.png")
    scans.save_pdf([scans.text_page(8, dpi=200)[0]], corpus / "scanned.pdf", dpi=200)
    calls = _record_threads(engine)
    window = make_window(engine)
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer(window, interval=TICK_MS)  # parented: never left to the garbage collector
    timer.timeout.connect(tick)
    window.add_folder(str(corpus))
    qtbot.waitUntil(lambda: window.indexer.busy, timeout=WAIT_MS)
    last[0] = time.perf_counter()
    timer.start()
    # Search while it indexes, as a person would, then look at a result.
    qtbot.waitUntil(lambda: window.progress is not None and window.progress.phase == "semantic",
                    timeout=WAIT_MS)
    search(qtbot, window, "compiler kernel lantern")
    qtbot.waitUntil(lambda: window.preview.data is not None, timeout=WAIT_MS)
    # Past the semantic phase: OCR (or, on a fast machine, already done). Search again.
    qtbot.waitUntil(lambda: not window.indexer.busy or window.progress.phase not in (
        "scan", "keyword", "semantic"), timeout=WAIT_MS)
    sentence = max(scan_text.split(". "), key=len)
    search(qtbot, window, "lantern harbour")
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=WAIT_MS)
    timer.stop()
    during = list(calls)  # the test's own calls below run on this thread
    hits = engine.search(sentence, k=1, mode="keyword").hits
    assert hits and hits[0].path.endswith("scanned-page.png")  # the OCR phase ran
    status = engine.status()
    assert status.passages >= 300, "a real run of a few hundred passages"
    assert {"index", "search", "expansion_terms", "status", "preview_text"} <= {
        name for name, _ in during}
    assert [name for name, thread in during if thread == threading.main_thread().name] == []
    print(f"\nevent loop: {len(gaps)} ticks, max gap {max(gaps):.1f} ms, "
          f"p99 {sorted(gaps)[int(len(gaps) * 0.99)]:.1f} ms, passages {status.passages}")


def test_window_is_shown_before_the_models_load(tmp_path: Path) -> None:
    script = f"""
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, {str(REPO)!r})
from app.main import create_app
app = create_app()
from app.window import MainWindow
from core.api import Engine
from core.reliability import scans
from core.settings import Settings
engine = Engine.open({str(tmp_path / "index")!r})
window = MainWindow(engine, Settings(), watch=False)
window.show()
app.processEvents()
import json
print(json.dumps({{"shown_s": time.perf_counter() - t0, "searcher": engine._searcher is not None,
                  "models": [m for m in ("core.encode.dense", "core.encode.query")
                             if m in sys.modules]}}))
window.shutdown()
engine.close()
"""
    env = {"QT_QPA_PLATFORM": "offscreen", "SPYGLASS_CONFIG": str(tmp_path / "s.json"),
           "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=600, check=True)
    shown = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"\nwindow shown after {shown['shown_s']:.2f} s (imports included)")
    assert shown["models"] == [] and not shown["searcher"]
