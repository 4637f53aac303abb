"""Indexing rate of this checkout beside another one (an older commit), alternating runs on the
same documents, each a fresh index in a child process of its tree.

    git worktree add /tmp/old <commit>
    .venv/bin/python bench/indexing_ab.py /tmp/old DOCS_DIR [--repeats 2]

Prints the keyword phase's files/s and the semantic phase's passages/s of each, medians, and the
ratios new/old (OCR off: only text documents are compared). `--keyword-only` skips encoding;
`--results FILE` also writes the table there (markdown).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = r'''
import sys, json, shutil, tempfile
sys.path.insert(0, sys.argv[1])
from core.api import Engine
from core.indexer import IndexOptions
d = tempfile.mkdtemp()
semantic = sys.argv[3] == "1"
with Engine.open(d + "/i", IndexOptions(low_priority=False, ocr=False,
                                        semantic=semantic)) as e:
    r = e.index([sys.argv[2]])
print(json.dumps({"keyword": r.phase_s["keyword"], "semantic": r.phase_s.get("semantic", 0.0),
                  "files": r.extracted + r.failed + r.skipped, "passages": r.encoded}))
shutil.rmtree(d)
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path, help="the other checkout (e.g. a git worktree)")
    ap.add_argument("docs", type=Path)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--keyword-only", action="store_true")
    ap.add_argument("--results", type=Path)
    args = ap.parse_args()
    semantic = "0" if args.keyword_only else "1"
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for _ in range(args.repeats):
        for name, tree in (("old", args.old.resolve()), ("new", ROOT)):
            out = subprocess.run([sys.executable, "-c", CODE, str(tree), str(args.docs), semantic],
                                 capture_output=True, text=True, cwd=tree, check=True)
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(name, runs[name][-1], flush=True)
    rate = {name: (statistics.median(r["files"] / r["keyword"] for r in rs),
                   statistics.median(r["passages"] / max(r["semantic"], 1e-9) for r in rs))
            for name, rs in runs.items()}
    lines = [f"| {name} | {statistics.median(r['keyword'] for r in runs[name]):.1f} s | "
             f"{keyword:.1f} files/s | "
             + ("-" if args.keyword_only else f"{semantic:.1f} passages/s") + " |"
             for name, (keyword, semantic) in rate.items()]
    ratio = f"new/old: keyword {rate['new'][0] / rate['old'][0]:.2f}x" + (
        "" if args.keyword_only else
        f", semantic {rate['new'][1] / max(rate['old'][1], 1e-9):.2f}x")
    print("\n".join(lines) + "\n" + ratio)
    if args.results:
        files = runs["new"][0]["files"]
        args.results.write_text(
            f"# Indexing rate: {args.docs.name}\n\n{files} files; this checkout (new) beside "
            f"{args.old} (old), a fresh index per run, runs alternating, medians of "
            f"{args.repeats}. Measured {time.strftime('%Y-%m-%d')} with `python "
            f"bench/indexing_ab.py {' '.join(sys.argv[1:])}`.\n\n"
            "| checkout | keyword phase | keyword rate | semantic rate |\n|---|---|---|---|\n"
            + "\n".join(lines) + f"\n\n{ratio}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
