"""nDCG@10, Recall@100 and MRR@10 with ir-measures, averaged the BEIR way: over judged queries,
a judged query without results scoring 0."""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping

MEASURE_NAMES = ("ndcg@10", "recall@100", "mrr@10")
# What `spyglass eval` imports from the eval extra (module -> the package that provides it):
# ir-measures, and pytrec_eval, the provider it computes these measures with. bm25s (also in
# the extra) is for `spyglass bench` only.
EVAL_EXTRA_MODULES = {"ir_measures": "ir-measures", "pytrec_eval": "pytrec-eval-terrier"}
INSTALL_HINT = "pip install -e '.[eval]' in the source checkout (`make run` installs it too)"


def missing_eval_packages() -> list[str]:
    """The packages of the eval extra that are not installed, checked without importing them
    (so before `spyglass eval` indexes anything, not after)."""
    return [package for module, package in EVAL_EXTRA_MODULES.items() if not _found(module)]


def _found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken installation counts as missing
        return False


def evaluate(qrels: Mapping[str, Mapping[str, int]],
             run: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    per_query = evaluate_per_query(qrels, run)
    n = max(len(per_query), 1)
    return {name: sum(v[name] for v in per_query.values()) / n for name in MEASURE_NAMES}


def evaluate_per_query(qrels: Mapping[str, Mapping[str, int]],
                       run: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Every judged query's measures (0 for one without results), in the qrels' order."""
    try:
        import ir_measures
        from ir_measures import RR, R, nDCG
    except ImportError as e:  # the eval extra is not installed
        raise RuntimeError(f"`spyglass eval` needs the eval extra: {INSTALL_HINT}") from e
    measures = {"ndcg@10": nDCG @ 10, "recall@100": R @ 100, "mrr@10": RR @ 10}
    per_query: dict[str, dict[str, float]] = {q: dict.fromkeys(measures, 0.0) for q in qrels}
    by_measure = {v: k for k, v in measures.items()}
    nonempty = {q: dict(docs) for q, docs in run.items() if docs and q in qrels}
    for m in ir_measures.iter_calc(list(measures.values()), dict(qrels), nonempty):
        per_query[m.query_id][by_measure[m.measure]] = float(m.value)
    return per_query
