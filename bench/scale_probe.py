"""How the two derived search structures behave at 1M+ passages (evidence for docs/scaling.md).

No corpus of a million passages is at hand, so this replicates a real index's stored vectors
(every passage's sparse expansion and int8 vector, copied with fresh ids and, for the dense
side, a few flipped sign bits so copies are not identical) up to the requested size, then
measures what a search and a publish would cost there:

    .venv/bin/python bench/scale_probe.py INDEX_DIR [--sizes 100000,1000000] [--queries 50]

It prints a table and writes bench/results/scale-probe.md.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from core.store.codec import binary_codes, blob_to_dense, blob_to_levels
from core.store.sparse_index import SparseSegment
from core.store.vectors import new_index  # the shipped graph settings


def load(index: Path) -> tuple[list[tuple[np.ndarray, np.ndarray, float]], np.ndarray]:
    """Each passage's sparse vector as (uint16 ids, uint8 levels, scale), and binary codes."""
    conn = sqlite3.connect(f"file:{index / 'catalog.sqlite'}?mode=ro", uri=True)
    sparse, dense = [], []
    for d, s in conn.execute("SELECT dense, sparse FROM vectors"):
        sparse.append(blob_to_levels(s))
        dense.append(blob_to_dense(d))
    conn.close()
    return sparse, binary_codes(np.stack(dense))


def peak_mb() -> float:
    """This process's peak resident memory so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sparse_at(sparse: list, n: int, queries: list[np.ndarray]) -> dict[str, float]:
    reps = -(-n // len(sparse))
    lengths = np.tile(np.fromiter((len(v[0]) for v in sparse), np.int64), reps)[:n]
    terms = np.concatenate([v[0] for v in sparse]).astype(np.uint16)
    levels = np.concatenate([v[1] for v in sparse]).astype(np.uint8)
    scales = np.tile(np.array([v[2] for v in sparse], np.float32), reps)[:n]
    total = int(lengths.sum())
    terms = np.tile(terms, reps)[:total]
    levels = np.tile(levels, reps)[:total]
    before = peak_mb()
    started = time.perf_counter()
    segment = SparseSegment.from_flat(np.arange(n, dtype=np.int64), scales, lengths, terms,
                                      levels)
    build_s = time.perf_counter() - started
    peak_extra = peak_mb() - before  # how far building raised the peak
    times = []
    for q in queries:
        t = time.perf_counter()
        scores = segment.score(q, np.ones(len(q), np.float32))
        np.argpartition(-scores, 200)[:200]
        times.append((time.perf_counter() - t) * 1000)
    postings_mb = (segment.low.nbytes + segment.levels.nbytes + segment.bptr.nbytes) / 2**20
    return {"build_s": build_s, "build_rss_mb": peak_extra, "postings_mb": postings_mb,
            "p50_ms": statistics.median(times), "p95_ms": float(np.percentile(times, 95))}


def dense_at(codes: np.ndarray, n: int, queries: np.ndarray, hnsw: bool) -> dict[str, float]:
    rng = np.random.default_rng(0)
    reps = -(-n // len(codes))
    tiled = np.tile(codes, (reps, 1))[:n].copy()
    flips = rng.integers(0, codes.shape[1] * 8, size=(n, 4))  # 4 random bits per copy
    for j in range(flips.shape[1]):
        tiled[np.arange(n), flips[:, j] // 8] ^= (1 << (flips[:, j] % 8)).astype(np.uint8)
    index = new_index(codes.shape[1] * 8)
    started = time.perf_counter()
    index.add(np.arange(n, dtype=np.int64), tiled, log=False)
    build_s = time.perf_counter() - started
    out = {"build_s": build_s, "graph_mb": index.memory_usage / 2**20}
    for exact in (True, False) if hnsw else (True,):
        times = []
        for q in queries:
            t = time.perf_counter()
            index.search(q, 800, exact=exact)
            times.append((time.perf_counter() - t) * 1000)
        key = "exact" if exact else "hnsw"
        out[f"{key}_p50_ms"] = statistics.median(times)
        out[f"{key}_p95_ms"] = float(np.percentile(times, 95))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", type=Path)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--results", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    sparse, codes = load(args.index)
    rng = np.random.default_rng(1)
    picks = rng.choice(len(sparse), args.queries, replace=False)
    # a query's terms: 4 of a real passage's own terms (a typical short query)
    queries = [np.sort(rng.choice(sparse[i][0], min(4, len(sparse[i][0])), replace=False))
               .astype(np.int64) for i in picks]
    dense_queries = codes[picks]
    rows = []
    for n in (int(s) for s in args.sizes.split(",")):
        s = sparse_at(sparse, n, queries)
        d = dense_at(codes, n, dense_queries, hnsw=n >= 1_000_000)
        rows.append((n, s, d))
        print(n, s, d, file=sys.stderr)
    lines = ["# Scale probe: derived search structures at 1M+ passages", "",
             f"Vectors of `{args.index}` ({len(sparse):,} passages) replicated to each size; "
             f"{args.queries} queries of 4 terms from real passages; dense: 800 candidates "
             "(what a k=200 search asks for). Command: `.venv/bin/python bench/scale_probe.py "
             f"{args.index} --sizes {args.sizes}`.", "",
             "| passages | sparse build s | build peak +MB | postings MB | sparse p50 ms | "
             "sparse p95 ms | dense add s | graph MB | Hamming exact p50 ms | HNSW p50 ms |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for n, s, d in rows:
        hnsw = f"{d['hnsw_p50_ms']:.2f}" if "hnsw_p50_ms" in d else "-"
        lines.append(f"| {n:,} | {s['build_s']:.1f} | {s['build_rss_mb']:.0f} | "
                     f"{s['postings_mb']:.0f} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | "
                     f"{d['build_s']:.1f} | {d['graph_mb']:.0f} | {d['exact_p50_ms']:.1f} | "
                     f"{hnsw} |")
    text = "\n".join(lines) + "\n"
    print(text)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "scale-probe.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
