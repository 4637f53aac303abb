"""Start the window."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def run_app(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="spyglass")
    parser.add_argument("--index", metavar="DIR", help="index folder")
    args, qt_args = parser.parse_known_args(argv)

    from PySide6.QtWidgets import QApplication

    from app.window import MainWindow
    from core.api import Engine, EngineError

    app = QApplication([sys.argv[0], *qt_args])
    app.setApplicationName("Spyglass")
    try:
        engine = Engine.open(args.index)
    except EngineError as e:
        from PySide6.QtWidgets import QMessageBox
        QMessageBox.critical(None, "Spyglass", str(e))
        return 1
    window = MainWindow(engine)
    window.show()
    code = app.exec()
    window.shutdown()
    engine.close()
    return code
