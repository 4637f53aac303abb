"""Qt objects are only ever destroyed on the GUI thread, even when they are cyclic garbage.

The crash this guards against (a segfault "in USearch's Index.search" on the search thread, or
in QTimerInfoList::activateTimers on the GUI thread, under load): Python's cyclic collector ran
on a worker thread and finalised a Qt object there. It needs a Qt object in a reference cycle,
a worker thread that allocates, and time: the window is driven for real (typing, searching,
an index update) while two other processes keep both cores busy, in a child process because
the failure is a native crash. Without app/gc_guard.py this run segfaults.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO
from tests.docs import write_topics

SCRIPT = r"""
import faulthandler, gc, json, sys, threading, time, weakref
faulthandler.enable()
sys.path.insert(0, sys.argv[1])
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
from app.main import create_app
app = create_app()
from app.window import MainWindow
from core.api import Engine
from core.settings import Settings

engine = Engine.open(sys.argv[2])
window = MainWindow(engine, Settings(low_priority=False), watch=False)
window.show()
on_gui_thread = []

class Holder:
    pass

def cyclic_qt_garbage():
    # What a test or a closure leaves behind: a running parentless timer and a widget,
    # reachable only through a cycle, so only the cyclic collector frees them.
    holder = Holder()
    holder.timer = QTimer(interval=5)
    holder.timer.timeout.connect(lambda: None)
    holder.timer.start()
    holder.widget = QWidget()
    holder.me = holder
    weakref.finalize(holder, lambda: on_gui_thread.append(
        threading.current_thread() is threading.main_thread()))

def wait_for(predicate):
    while not predicate():  # the test's own timeout is the guard against a hang
        app.processEvents()
        time.sleep(0.002)

queries = ["sourdough loaf", "brake pads", "tomatoes balcony", "tax return deadline",
           "teenagers sleep", "python exceptions", "car repair", "bread oven"]
searches = 0
for i in range(int(sys.argv[3])):
    cyclic_qt_garbage()
    query = f"{queries[i % len(queries)]} {i}"
    window.field.setText(query)
    window.search_now()
    wait_for(lambda: window.last_outcome is not None and window.last_outcome.query == query)
    searches += 1
    if i % 10 == 5:  # the writer publishes new segments while searches go on
        window.rescan()
window.shutdown()
wait_for(lambda: window.indexer.isFinished() and window.reader.isFinished())
engine.close()
gc.collect()
print(json.dumps({"searches": searches, "finalised": len(on_gui_thread),
                  "off_gui_thread": on_gui_thread.count(False)}))
"""


def test_cyclic_qt_garbage_is_never_collected_on_a_worker_thread(tmp_path: Path) -> None:
    from core.api import Engine

    with Engine.open(tmp_path / "index") as engine:
        engine.index([write_topics(tmp_path / "topics")])
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        run = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO), str(tmp_path / "index"),
                              "40"], capture_output=True, text=True, env=env, timeout=600)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out == {"searches": 40, "finalised": 40, "off_gui_thread": 0}, out
