"""Run `spyglass index TREE --index INDEX` as its own process and record what it cost: wall
time, the phases the indexer reports, peak resident memory of the indexer and its workers.
Each run (a resumed build is several) is appended to INDEX.build.json, which `spyglass bench
--tree ... --index INDEX` reports. Usage: python bench/timed_index.py TREE INDEX [args...]"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from core.benchmark.system import PeakMemory
from core.command import COMMAND


def main() -> int:
    tree, index, extra = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    before = _counts(index)
    started = time.time()
    proc = subprocess.Popen([*COMMAND, "--index", str(index), "index", str(tree), "--quiet",
                             *extra], stdout=subprocess.PIPE, text=True)
    with PeakMemory(proc.pid, interval=0.5) as peak:
        out, _ = proc.communicate()
    sys.stdout.write(out)
    phases = {k: float(v) for k, v in re.findall(r"(\w+) ([\d.]+) s", _line(out, "phases:"))}
    after = _counts(index)  # from the index itself: an interrupted run prints no summary
    run = {"started": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started)),
           "returncode": proc.returncode, "wall_s": round(time.time() - started, 1),
           "phases_s": phases, "args": extra,
           "files": after[0] - before[0], "encoded": after[1] - before[1],
           "passages": after[2], "vectors": after[1],
           "peak_rss_mb": round(peak.peak / 2**20), "peak_worker_mb": round(
               peak.peak_child / 2**20)}
    record = index.with_name(index.name + ".build.json")
    runs = json.loads(record.read_text())["runs"] if record.exists() else []
    record.write_text(json.dumps({"tree": str(tree), "runs": [*runs, run]}, indent=2))
    print(json.dumps(run))
    return proc.returncode


def _counts(index: Path) -> tuple[int, int, int]:
    """(files past extraction, passages with vectors, passages) in the index now."""
    try:
        conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0, 0, 0
    try:
        return tuple(conn.execute(  # type: ignore[return-value]
            "SELECT (SELECT count(*) FROM files WHERE state != 'pending'), "
            "(SELECT count(*) FROM vectors), (SELECT count(*) FROM passages)").fetchone())
    except sqlite3.Error:  # no index yet
        return 0, 0, 0
    finally:
        conn.close()


def _line(text: str, prefix: str) -> str:
    return next((ln for ln in text.splitlines() if ln.startswith(prefix)), "")


if __name__ == "__main__":
    sys.exit(main())
