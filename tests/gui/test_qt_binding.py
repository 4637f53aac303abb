"""The Qt binding itself must be sound: calls of Qt methods that return nothing leave None's
reference count alone.

PySide6 6.12.0 released one reference to None on every such call (setText, hide, stop,
processEvents...) under Python 3.11, where None is an ordinary object: after a few tens of
thousands of calls the window aborted with "Fatal Python error: none_dealloc: deallocating None"
(found by packaging/measure_responsiveness.py, which spins the event loop by hand). pyproject.toml
excludes that release; this test keeps any other from coming back through the lock.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel

CALLS = 2000


def test_void_qt_calls_keep_nones_reference_count(qapp: QApplication) -> None:
    label, timer = QLabel(), QTimer()
    calls = (lambda: label.setText("x"), label.hide, timer.stop, qapp.processEvents)
    before = sys.getrefcount(None)
    for call in calls:
        for _ in range(CALLS):
            call()
    lost = before - sys.getrefcount(None)
    assert lost < CALLS // 10, f"None lost {lost} references over {len(calls) * CALLS} calls"
