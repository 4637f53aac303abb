"""Combining ranked lists: per-query normalised scores mixed convexly, or reciprocal rank."""

from __future__ import annotations

from collections.abc import Mapping

# Normalisation looks at each list's top NORM_DEPTH scores only, so a search that fetches deeper
# lists (more results, or evaluation at depth 100) ranks its top results exactly as a short one.
NORM_DEPTH = 200


def minmax(scores: Mapping[int, float], depth: int = NORM_DEPTH) -> dict[int, float]:
    """Scale one list's scores to [0, 1] for this query: the best maps to 1, the depth-th best
    (and anything below it) to 0; a lone or flat list maps to 1."""
    if not scores:
        return {}
    values = sorted(scores.values(), reverse=True)
    hi, lo = values[0], values[min(depth, len(values)) - 1]
    if hi - lo < 1e-12:
        return {k: 1.0 if v >= hi else 0.0 for k, v in scores.items()}
    return {k: max(0.0, (v - lo) / (hi - lo)) for k, v in scores.items()}


def convex(lists: Mapping[str, Mapping[int, float]], weights: Mapping[str, float],
           depth: int = NORM_DEPTH) -> tuple[dict[int, float], dict[int, dict[str, float]]]:
    """sum_m w_m * minmax(score_m); a passage missing from a list gets 0 from it.

    Returns the fused scores and each passage's per-list contribution (for "why this result").
    """
    fused: dict[int, float] = {}
    parts: dict[int, dict[str, float]] = {}
    total = sum(weights.get(m, 0.0) for m in lists) or 1.0
    for mode, scores in lists.items():
        w = weights.get(mode, 0.0) / total
        if w <= 0:
            continue
        for pid, s in minmax(scores, depth).items():
            fused[pid] = fused.get(pid, 0.0) + w * s
            parts.setdefault(pid, {})[mode] = w * s
    return fused, parts


def rrf(lists: Mapping[str, Mapping[int, float]], weights: Mapping[str, float] | None = None,
        k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion: sum_m w_m / (k + rank_m)."""
    fused: dict[int, float] = {}
    for mode, scores in lists.items():
        w = 1.0 if weights is None else weights.get(mode, 0.0)
        ranked = sorted(scores, key=scores.__getitem__, reverse=True)
        for rank, pid in enumerate(ranked, start=1):
            fused[pid] = fused.get(pid, 0.0) + w / (k + rank)
    return fused
