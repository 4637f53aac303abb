"""The semantic phase of one checkout on fixed passages, quiet and with the machine kept busy.

    PYTHONPATH=<checkout> .venv/bin/python bench/semantic_ab.py CORPUS WORK [--seconds 60]

Run it once per checkout (the one on PYTHONPATH is measured) to compare two versions of the
indexer on the same machine and the same passages: the first run builds a keyword-only index of
CORPUS in WORK/base (kept for later runs); each measurement copies it and lets `Indexer` encode
for about `--seconds`, on a quiet machine, then while two CPU-bound programs at normal priority
run (started and stopped here), then quiet again. Prints one JSON line of passages/s.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path


def semantic_rate(base: Path, work: Path, corpus: Path, seconds: float, dense_model: str
                  ) -> float:
    from core.api import Engine
    from core.indexer import IndexControl, IndexOptions

    index = work / "run"
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(base, index)
    control = IndexControl()
    started: list[float] = []

    def watch(p) -> None:  # type: ignore[no-untyped-def]
        if p.phase == "semantic":
            if not started:
                started.append(time.monotonic())
            elif time.monotonic() - started[0] > seconds:
                control.cancel()

    options = IndexOptions(low_priority=False, ocr=False, dense_model=dense_model)
    with Engine.open(index, options) as engine:
        report = engine.index([corpus], progress=watch, control=control)
    return report.encoded / max(report.phase_s.get("semantic", 0.0), 1e-9)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--load", default=f"{sys.executable} -c 'while True: pass'",
                        help="a command keeping one core busy (started twice), or e.g. "
                             "'stress-ng --cpu 2' with --copies 1")
    parser.add_argument("--copies", type=int, default=2)
    parser.add_argument("--dense-model", default="",
                        help="meaning model as `spyglass index --dense-model` (default: auto)")
    args = parser.parse_args()
    from core.api import Engine
    from core.indexer import IndexOptions

    base = args.work / "base"
    if not base.exists():
        options = IndexOptions(low_priority=False, semantic=False, ocr=False,
                               dense_model=args.dense_model)
        with Engine.open(base, options) as engine:
            engine.index([args.corpus])

    def measure() -> float:
        return semantic_rate(base, args.work, args.corpus, args.seconds, args.dense_model)

    rates = {"quiet": measure()}
    hogs = [subprocess.Popen(shlex.split(args.load)) for _ in range(args.copies)]
    try:
        rates["busy"] = measure()
    finally:
        for hog in hogs:
            hog.terminate()  # stress-ng stops its workers on SIGTERM
            hog.wait()
    rates["quiet_again"] = measure()
    rates["busy_share"] = rates["busy"] / ((rates["quiet"] + rates["quiet_again"]) / 2)
    import core.indexer
    print(json.dumps({"checkout": str(Path(core.indexer.__file__).parent.parent), **{
        k: round(v, 3) for k, v in rates.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
