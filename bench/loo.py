"""Leave-one-collection-out selection for the sweeps: a setting is chosen on all collections but
one and scored on that one, for each in turn, so the reported figure is what the choice does on
a collection it never saw (a user's documents are none of the shared collections)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class Variant:
    name: str
    scores: list[float]  # one per collection, in the collections' order
    # per collection, each judged query's score (same query order as the baseline's)
    per_query: list[np.ndarray] | None = None

    @property
    def mean(self) -> float:
        return float(np.mean(self.scores))


@dataclass
class HeldOut:
    collection: str
    chosen: str  # the variant with the best mean on the other collections
    score: float  # its score on this one
    best_here: float  # the best any variant reaches on this one (the oracle)
    baseline: float  # the reference (e.g. hybrid without feedback) on this one


CRITERIA = ("mean", "worst", "lower-bound")


def lower_bound(v: Variant, base: Variant, i: int, z: float = 1.0) -> float:
    """Collection i's gain over the baseline less z standard errors of its per-query paired
    differences: a setting whose gain comes from a few queries while it costs many others a
    little scores below one that gains a little almost everywhere."""
    assert v.per_query is not None and base.per_query is not None
    diff = v.per_query[i] - base.per_query[i]
    return float(diff.mean() - z * diff.std(ddof=1) / np.sqrt(len(diff)))


def choose(variants: Sequence[Variant], keep: Sequence[int], base: Variant | None = None,
           criterion: str = "mean") -> Variant:
    """The variant best over the collections `keep` by `criterion`: the best mean; the best
    worst-case gain over the baseline (the setting that hurts least where it helps least); or
    the best mean of each collection's lower bound on its gain. Ties go to the earlier variant."""
    if criterion == "worst":
        assert base is not None
        return max(variants, key=lambda v: min(v.scores[i] - base.scores[i] for i in keep))
    if criterion == "lower-bound":
        assert base is not None
        return max(variants, key=lambda v: float(np.mean([lower_bound(v, base, i)
                                                          for i in keep])))
    return max(variants, key=lambda v: float(np.mean([v.scores[i] for i in keep])))


def leave_one_out(variants: Sequence[Variant], names: Sequence[str], base: Variant,
                  criterion: str = "mean") -> list[HeldOut]:
    out = []
    for i, name in enumerate(names):
        others = [j for j in range(len(names)) if j != i]
        pick = choose(variants, others, base, criterion)
        out.append(HeldOut(name, pick.name, pick.scores[i], max(v.scores[i] for v in variants),
                           base.scores[i]))
    return out


def table(rows: Sequence[HeldOut], baseline_name: str) -> str:
    lines = [f"| held out | chosen on the others | nDCG@10 there | vs {baseline_name} | "
             "best possible there |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.collection} | {r.chosen} | {r.score:.4f} | "
                     f"{r.score - r.baseline:+.4f} | {r.best_here:.4f} |")
    gains = [r.score - r.baseline for r in rows]
    lines.append(f"| mean | | {np.mean([r.score for r in rows]):.4f} | "
                 f"{np.mean(gains):+.4f} (worst {min(gains):+.4f}) | |")
    return "\n".join(lines)
