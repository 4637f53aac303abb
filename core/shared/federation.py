"""One result list from this machine's index and the shared ones.

Each index ranks its own files with the same fusion and feedback, so every score is on the same
scale (a convex mix of per-query normalised lists, in [0, 1]); the lists are merged by score.
A file found both locally and in a shared index (the share is also indexed here) is shown once,
from the local index, whose passages this machine can explain and preview. A shared index that
fails leaves the others' results, with a note saying what happened.
"""

from __future__ import annotations

from core.search.results import Hit, SearchResult


def merge(local: SearchResult | None, shared: list[SearchResult], failures: list[str],
          k: int) -> SearchResult:
    results = ([local] if local is not None else []) + shared
    seen: set[str] = set()
    hits: list[Hit] = []
    for hit in sorted((h for r in results for h in r.hits),
                      key=lambda h: (-h.score, h.source != "", h.source, h.path)):
        if hit.path in seen:
            continue
        seen.add(hit.path)
        hits.append(hit)
    notes = [n for n in ([local.note] if local is not None else []) if n] + failures
    timings = dict(local.timings_ms) if local is not None else {}
    for r in shared:
        for hit in r.hits[:1]:
            timings[f"shared {hit.source}"] = r.timings_ms.get("total", 0.0)
    mode = local.mode if local is not None else (shared[0].mode if shared else "hybrid")
    feedback = local.feedback if local is not None else None
    return SearchResult(hits[:k], timings, mode, "; ".join(notes) or None, feedback)
