"""The `spyglass` program: the window when started without a command, the CLI otherwise.

Also the entry point of the packaged app (packaging/spyglass.spec), hence:
- `multiprocessing.freeze_support()` first: the extraction pool starts its workers with "spawn",
  which in a frozen app re-runs this executable; without it each worker would open a window.
- `--version` answers from `core.__version__` alone (no Qt, no engine imports).
- `--selftest` checks a bundle end to end: engine on the shipped sample folder, then the window.
- onnxruntime's telemetry store (a device id under ~/.cache/Microsoft) is switched off.
- `SPYGLASS_LAUNCH_PROBE=1` prints `window-exposed <epoch seconds>` when the main window is
  first on screen and quits: packaging/measure_launch.py times launches with it.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Sequence
from typing import TextIO

# every subcommand of core.cli (tests/test_model_choice.py checks)
CLI_COMMANDS = {"index", "search", "status", "remove", "retry", "eval", "bench", "doctor",
                "models", "publish"}
LAUNCH_PROBE_ENV = "SPYGLASS_LAUNCH_PROBE"


def wants_cli(argv: Sequence[str]) -> bool:
    return any(a in CLI_COMMANDS or a in ("-h", "--help") for a in argv)


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # a spawned worker of a frozen app: runs it, then exits
    # onnxruntime otherwise writes a device id and a usage database under ~/.cache/Microsoft.
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args and not wants_cli(args[:args.index("--version")]):
        from core import __version__
        print(f"spyglass {__version__}")
        return 0
    if "--selftest" in args:
        return selftest()
    if wants_cli(args):
        from core.cli import main as cli_main
        return cli_main(args)
    if os.environ.get(LAUNCH_PROBE_ENV):
        _install_launch_probe(args)
    from app.main import run_app
    return run_app(args)


# -- selftest ----------------------------------------------------------------------------------

def selftest(out: TextIO = sys.stdout) -> int:
    """Engine checks on the shipped sample folder, then the real window offscreen or on screen.

    Prints `selftest OK` with timings and returns 0, or prints the reason and returns 1.
    """
    from core import __version__

    started = time.perf_counter()
    print(f"spyglass {__version__} selftest ({_where()})", file=out, flush=True)
    try:
        from core.selftest import SelftestFailed, run_selftest
    except Exception as e:  # a module or a native library missing from a bundle
        print(f"selftest FAILED: cannot load the engine: {type(e).__name__}: {e}", file=out)
        return 1
    try:
        engine_s = run_selftest(out)
        window_s = _window_check(out)
    except SelftestFailed as e:
        print(f"selftest FAILED: {e}", file=out)
        return 1
    except Exception as e:  # an import or a native library missing from a bundle, most often
        print(f"selftest FAILED: {type(e).__name__}: {e}", file=out)
        return 1
    total = time.perf_counter() - started
    print(f"selftest OK (engine {engine_s:.2f} s, window {window_s:.2f} s, total {total:.2f} s)",
          file=out)
    return 0


def _where() -> str:
    if getattr(sys, "frozen", False):
        return f"bundle {os.path.dirname(sys.executable)}"
    return f"source, Python {sys.version.split()[0]}"


def _window_check(out: TextIO) -> float:
    """Open the main window on an empty temporary index, wait until it is shown, close it."""
    import shutil
    import tempfile
    from pathlib import Path

    from core.selftest import SelftestFailed

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    t0 = time.perf_counter()
    from PySide6.QtCore import QEventLoop
    from PySide6.QtGui import QGuiApplication

    from app.icons import app_icon
    from app.main import create_app
    from app.window import MainWindow
    from core.api import Engine
    from core.indexer import IndexOptions
    from core.settings import Settings

    app = create_app()
    tmp = Path(tempfile.mkdtemp(prefix="spyglass-selftest-window-"))
    try:
        with Engine.open(tmp / "index", IndexOptions(workers=1)) as engine:
            window = MainWindow(engine, Settings(index_dir=str(tmp / "index")), watch=False)
            try:
                window.show()
                deadline = time.monotonic() + 10
                handle = window.windowHandle()
                while not (handle is not None and handle.isExposed()):
                    if time.monotonic() > deadline:
                        raise SelftestFailed("the main window was not shown within 10 s")
                    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
                    handle = window.windowHandle()
                if app_icon().pixmap(32, 32).isNull():
                    raise SelftestFailed("the SVG app icon cannot be drawn (Qt's svg "
                                         "icon engine plugin is missing)")
                window.close()
                app.processEvents()
            finally:
                window.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seconds = time.perf_counter() - t0
    print(f"window shown and closed on platform {QGuiApplication.platformName()!r} "
          f"in {seconds:.2f} s", file=out)
    return seconds


# -- launch-time probe -------------------------------------------------------------------------

def _install_launch_probe(argv: Sequence[str]) -> None:
    """When a top-level window is first exposed and its first paint is done, print the
    wall-clock time and quit."""
    import argparse

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtGui import QWindow

    from app.main import create_app

    parser = argparse.ArgumentParser(add_help=False)  # the same split as app.main.run_app
    parser.add_argument("--index")
    _, qt_args = parser.parse_known_args(argv)
    app = create_app(qt_args)  # run_app() reuses this instance

    def report() -> None:
        print(f"window-exposed {time.time():.6f}", flush=True)
        app.quit()

    class Probe(QObject):
        seen = False

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
            if (not self.seen and event.type() == QEvent.Type.Expose
                    and isinstance(obj, QWindow) and obj.isExposed()):
                self.seen = True
                QTimer.singleShot(0, report)  # after this expose has been painted
            return False

    app.installEventFilter(Probe(app))


if __name__ == "__main__":
    sys.exit(main())
