"""Indexing rate of this checkout beside another one (an older commit), alternating runs on the
same documents, each a fresh index in a child process of its tree.

    git worktree add /tmp/old <commit>
    .venv/bin/python bench/indexing_ab.py /tmp/old DOCS_DIR [--repeats 2]

Prints the keyword phase's files/s and the semantic phase's passages/s of each, medians, and the
ratios new/old (OCR off: only text documents are compared).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = r'''
import sys, json, shutil, tempfile
sys.path.insert(0, sys.argv[1])
from core.api import Engine
from core.indexer import IndexOptions
d = tempfile.mkdtemp()
with Engine.open(d + "/i", IndexOptions(low_priority=False, ocr=False)) as e:
    r = e.index([sys.argv[2]])
print(json.dumps({"keyword": r.phase_s["keyword"], "semantic": r.phase_s["semantic"],
                  "files": r.extracted, "passages": r.encoded}))
shutil.rmtree(d)
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path, help="the other checkout (e.g. a git worktree)")
    ap.add_argument("docs", type=Path)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(args.repeats):
        for name, tree in (("old", args.old.resolve()), ("new", ROOT)):
            out = subprocess.run([sys.executable, "-c", CODE, str(tree), str(args.docs)],
                                 capture_output=True, text=True, cwd=tree, check=True)
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(name, runs[name][-1], flush=True)
    rate = {name: (statistics.median(r["files"] / r["keyword"] for r in rs),
                   statistics.median(r["passages"] / r["semantic"] for r in rs))
            for name, rs in runs.items()}
    for name, (keyword, semantic) in rate.items():
        print(f"{name}: keyword {keyword:.1f} files/s, semantic {semantic:.1f} passages/s")
    print(f"new/old: keyword {rate['new'][0] / rate['old'][0]:.2f}x, "
          f"semantic {rate['new'][1] / rate['old'][1]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
