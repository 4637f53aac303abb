"""What the multilingual meaning model costs beside the English one: passages encoded a second on
one thread, the two models alternating on the same passages in this one process.

    .venv/bin/python bench/dense_models.py [--passages 40] [--repeats 3]

Passages: 150-word windows of this repository's README (English prose, as most libraries hold),
each encoded alone with its model's passage prefix, as the indexer does (core.encode.dense).
Prints the median passages/s of each model and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.encode.dense import DenseEncoder  # noqa: E402
from core.encode.manifest import dense_models  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--passages", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    words = (ROOT / "README.md").read_text(encoding="utf-8").split()
    passages = [" ".join(words[i:i + 150]) for i in range(0, 150 * args.passages, 150)]
    encoders = {name: DenseEncoder(threads=1, name=name) for name in dense_models()}
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    for encoder in encoders.values():  # warm-up: first runs allocate
        encoder.encode(passages[:3])
    for _ in range(args.repeats):
        for name, encoder in encoders.items():
            started = time.perf_counter()
            for passage in passages:
                encoder.encode([passage])
            rates[name].append(len(passages) / (time.perf_counter() - started))
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, rate in medians.items():
        print(f"{name}: {rate:.1f} passages/s (median of {args.repeats})")
    first, *others = medians
    for name in others:
        print(f"{name} / {first}: {medians[name] / medians[first]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
