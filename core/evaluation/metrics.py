"""nDCG@10, Recall@100 and MRR@10 with ir-measures, averaged the BEIR way: over judged queries,
a judged query without results scoring 0."""

from __future__ import annotations

from collections.abc import Mapping

MEASURE_NAMES = ("ndcg@10", "recall@100", "mrr@10")


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
        raise RuntimeError("`spyglass eval` needs the eval extra: pip install 'spyglass[eval]'") \
            from e
    measures = {"ndcg@10": nDCG @ 10, "recall@100": R @ 100, "mrr@10": RR @ 10}
    per_query: dict[str, dict[str, float]] = {q: dict.fromkeys(measures, 0.0) for q in qrels}
    by_measure = {v: k for k, v in measures.items()}
    nonempty = {q: dict(docs) for q, docs in run.items() if docs and q in qrels}
    for m in ir_measures.iter_calc(list(measures.values()), dict(qrels), nonempty):
        per_query[m.query_id][by_measure[m.measure]] = float(m.value)
    return per_query
