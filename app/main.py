"""Start the window: settings, the index (opened, nothing loaded), then show() at once.

The models load on the first search, on a worker thread, so the window appears quickly.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication


def create_app(qt_args: Sequence[str] = ()) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    # Fractional scale factors (1.25, 1.5) as they are, not rounded: crisp on HiDPI screens.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Spyglass")
    app.setApplicationDisplayName("Spyglass")
    app.setDesktopFileName("spyglass")
    from app.icons import app_icon
    app.setWindowIcon(app_icon())
    from app import gc_guard
    gc_guard.install(app)  # cyclic garbage is collected on the GUI thread only
    return app


def run_app(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="spyglass")
    parser.add_argument("--index", metavar="DIR", help="index folder")
    args, qt_args = parser.parse_known_args(argv)

    app = create_app(qt_args)

    from app.window import MainWindow
    from core.api import Engine, EngineError
    from core.settings import Settings

    settings = Settings.load()
    try:
        # Opening is cheap (SQLite, no models); the models load with the first search.
        engine = Engine.open(args.index or settings.resolved_index_dir())
    except EngineError as e:
        from PySide6.QtWidgets import QMessageBox
        QMessageBox.critical(None, "Spyglass", str(e))
        return 1
    window = MainWindow(engine, settings)
    window.show()
    code = app.exec()
    window.shutdown()
    engine.close()
    return code
