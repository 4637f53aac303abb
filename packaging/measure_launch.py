"""How long the packaged app takes from being started until its main window is on screen.

    xvfb-run -a -s "-screen 0 1280x800x24" .venv/bin/python packaging/measure_launch.py
    (or: make launch-time; QT_QPA_PLATFORM=offscreen works without a display)

Each launch starts dist/Spyglass/spyglass with SPYGLASS_LAUNCH_PROBE=1: the app prints the
wall-clock time when its main window is first exposed and painted, then quits. The time from just
before the process is started to that moment is one measurement. The index opened is a
temporary one holding the sample folder (a returning user's start: settings, index, watcher);
settings come from a temporary file. Prints each launch and the median.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def launch_once(exe: Path, env: dict[str, str], timeout: float = 60.0) -> float:
    started = time.time()
    run = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=timeout)
    for line in run.stdout.splitlines():
        if line.startswith("window-exposed "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"no window-exposed line (exit {run.returncode}): "
                       f"{(run.stdout + run.stderr)[-2000:]}")


def measure(exe: Path, launches: int = 5) -> list[float]:
    tmp = Path(tempfile.mkdtemp(prefix="spyglass-launch-"))
    try:
        env = {**os.environ, "SPYGLASS_HOME": str(tmp / "index"),
               "SPYGLASS_CONFIG": str(tmp / "settings.json"), "SPYGLASS_LAUNCH_PROBE": "1"}
        library = tmp / "library"
        shutil.copytree(ROOT / "resources" / "sample", library)
        subprocess.run([str(exe), "index", str(library), "--quiet"], env=env, check=True,
                       capture_output=True, timeout=300)
        return [launch_once(exe, env) for _ in range(launches)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exe", type=Path, default=ROOT / "dist" / "Spyglass" / "spyglass")
    parser.add_argument("-n", type=int, default=5, help="launches (default 5)")
    args = parser.parse_args(argv)
    if not args.exe.exists():
        parser.error(f"{args.exe} is missing: run `make package` first")
    platform = os.environ.get("QT_QPA_PLATFORM") or ("xcb" if os.environ.get("DISPLAY") else "?")
    times = measure(args.exe, args.n)
    for i, t in enumerate(times, 1):
        print(f"launch {i}: {t:.2f} s")
    print(f"median of {len(times)} launches: {statistics.median(times):.2f} s "
          f"(platform {platform}, {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
