"""Hybrid-prf query latency of two feedback settings, measured in one process, interleaved.

    PYTHONPATH=. .venv/bin/python bench/prf_latency.py ../shared/datasets/scifact [--rounds 3]

Each query runs once under each setting per round, in alternating order, on the collection's
evaluation index (core/evaluation/runner.py); the table gives the median per setting and their
ratio, so the machine's load (shared, noisy) hits both alike.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

from core.evaluation.beir import Collection
from core.evaluation.runner import prepare_index
from core.search.prf import SECOND_ROUND_WEIGHTS, PrfParams
from core.search.query import literal_query

PREVIOUS = (replace(PrfParams(), beta=1.0, expansion_terms=30, expansion_weight=0.3),
            {"keyword": 0.3, "sparse": 0.1, "dense": 0.6})
SHIPPED = (PrfParams(), dict(SECOND_ROUND_WEIGHTS))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    collection = Collection.load(args.dataset)
    engine, _, _ = prepare_index(collection)
    queries = [literal_query(t) for t in collection.queries.values()]
    s = engine.searcher
    times: dict[str, list[float]] = {"previous": [], "shipped": []}
    settings = {"previous": PREVIOUS, "shipped": SHIPPED}
    engine.search(queries[0], k=10)  # load the models and indexes first
    for r in range(args.rounds):
        for i, q in enumerate(queries):
            order = ["previous", "shipped"] if (i + r) % 2 == 0 else ["shipped", "previous"]
            for name in order:
                s.prf, s.second_weights = settings[name]
                started = time.perf_counter()
                engine.search(q, k=10, mode="hybrid-prf")
                times[name].append((time.perf_counter() - started) * 1000)
    engine.close()
    med = {n: statistics.median(t) for n, t in times.items()}
    print(f"hybrid-prf latency on {collection.name}, {len(queries)} queries x {args.rounds} "
          "rounds, interleaved")
    print("| setting | p50 ms | p90 ms |\n|---|---|---|")
    for n, t in times.items():
        print(f"| {n} | {med[n]:.1f} | {statistics.quantiles(t, n=10)[-1]:.1f} |")
    print(f"\nratio shipped / previous (p50): {med['shipped'] / med['previous']:.3f}")


if __name__ == "__main__":
    main()
