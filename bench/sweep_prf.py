"""Choose the pseudo-relevance feedback settings on the shared collections (evidence for the
constants in core/search/prf.py). Reuses the first-round lists bench/sweep_fusion.py cached
(or computes them):

    .venv/bin/python bench/sweep_prf.py [--quick] ../shared/datasets/{scifact,nfc*,cran*,cisi}/

Scores what the shipped searcher does: file-level fusion of the first round with the hybrid
weights, feedback passages from its passage-level fusion, a second round with Rocchio on the
dense query and term expansion on the sparse one, fused at file level again and interpolated
with the first. Second-round lists are computed once for each feedback depth, Rocchio weight and
expansion setting; everything after is scored offline. Prints every variant, then the
leave-one-collection-out table (chosen on three collections, scored on the fourth) against
plain hybrid.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np

from bench.loo import Variant, leave_one_out, table
from bench.sweep_fusion import cached, load, passage_docs
from core.evaluation.metrics import evaluate_per_query
from core.search.fusion import best_per_file, convex, minmax
from core.search.prf import expand_sparse, rocchio
from core.search.query import literal_query
from core.search.searcher import HYBRID_WEIGHTS
from core.search.stopwords import content_word_count
from core.store.codec import blob_to_dense, blob_to_sparse

DEPTH = 200
FEEDBACK = (1, 2, 3)
BETAS = (0.6, 1.0, 1.5)
EXPANSIONS = ((10, 0.6), (30, 0.3))
SECOND_WEIGHTS = {"same": HYBRID_WEIGHTS,
                  "k.3 s.1 d.6": {"keyword": 0.3, "sparse": 0.1, "dense": 0.6},
                  "k.3 s.2 d.5": {"keyword": 0.3, "sparse": 0.2, "dense": 0.5}}


def feedback_passages(first: dict[str, dict[int, float]], m: int) -> list[int]:
    """The shipped choice: the best passages of the first round's passage-level fusion."""
    fused = convex(first, HYBRID_WEIGHTS, DEPTH)[0]
    return sorted(fused, key=fused.__getitem__, reverse=True)[:m]


def second_rounds(engine, collection, lists):  # type: ignore[no-untyped-def]
    s = engine.searcher
    s.sync()
    out = {}
    for qid, text in collection.queries.items():
        q = literal_query(text)
        vec = s.encoder.dense(q.text)
        terms, weights = s.sparse_query(q.text)
        rounds = {}
        for m in FEEDBACK:
            top = feedback_passages(lists[qid], m)
            rows = s.catalog.conn.execute(
                f"SELECT passage_id, dense, scale, sparse FROM vectors WHERE passage_id IN "
                f"({','.join('?' * len(top))})", top).fetchall() if top else []
            fb = np.stack([blob_to_dense(d).astype(np.float32) * sc for _, d, sc, _ in rows]) \
                if rows else np.zeros((0, len(vec)), np.float32)
            if len(fb):
                fb /= np.linalg.norm(fb, axis=1, keepdims=True)
            for beta in BETAS:
                rounds[("dense", m, beta)] = s._dense(rocchio(vec, fb, 1.0, beta), DEPTH, None)
            sparse_fb = [blob_to_sparse(b) for *_, b in rows]
            for n_terms, weight in EXPANSIONS:
                t2, w2 = expand_sparse(terms, weights, sparse_fb, s._idf, n_terms, weight)
                rounds[("sparse", m, n_terms, weight)] = s._sparse_terms(t2, w2, DEPTH, None)
        out[qid] = rounds
    return out


class Query:
    """One query's lists, normalised at file level once (fusion is then a weighted sum)."""

    def __init__(self, qid: str, text: str, first, second, owner) -> None:  # type: ignore[no-untyped-def]
        self.qid = qid
        self.words = content_word_count(text)
        self.files = {key: minmax(best_per_file(scores, owner))
                      for key, scores in [*first.items(), *second.items()]}
        self.first = self.mix({m: (m, w) for m, w in HYBRID_WEIGHTS.items()})
        top = sorted(self.first.values(), reverse=True)
        self.gap = top[0] - top[min(len(top), 10) - 1] if len(top) > 1 else 0.0
        best = {m: sorted(self.files[m], key=self.files[m].__getitem__, reverse=True)[:5]
                for m in ("keyword", "dense")}
        # How much the two strongest lists agree on the top files: feedback learns from them.
        self.agreement = len(set(best["keyword"]) & set(best["dense"])) / 5

    def mix(self, parts: dict[str, tuple[object, float]]) -> dict[str, float]:
        total = sum(w for _, w in parts.values()) or 1.0
        out: dict[str, float] = {}
        for key, w in parts.values():
            for f, v in self.files[key].items():
                out[f] = out.get(f, 0.0) + w / total * v
        return out


def ranking(scores: dict[str, float], qid: str) -> dict[str, float]:
    top = sorted(((d, v) for d, v in scores.items() if d != qid), key=lambda kv: -kv[1])[:100]
    return {d: float(100 - i) for i, (d, _) in enumerate(top)}


def run_variant(queries: list[Query], m: int, beta: float, expansion: tuple[int, float] | None,
                max_words: int, before: float, w2: dict[str, float], rule: str
                ) -> dict[str, dict[str, float]]:
    run = {}
    for q in queries:
        keep = before
        if rule.startswith("skip<"):  # no feedback when the lists disagree
            if q.agreement < float(rule[5:]):
                keep = 1.0
        elif rule == "damp":  # the less the lists agree, the more the first round counts
            keep = 1 - (1 - before) * q.agreement
        if keep >= 1.0:
            run[q.qid] = ranking(q.first, q.qid)
            continue
        parts = {"keyword": ("keyword", w2["keyword"]),
                 "dense": (("dense", m, beta), w2["dense"]),
                 "sparse": ("sparse", w2["sparse"])}
        if expansion is not None and q.words <= max_words:
            parts["sparse"] = (("sparse", m, *expansion), w2["sparse"])
        second = q.mix(parts)
        mixed = {f: keep * q.first.get(f, 0.0) + (1 - keep) * second.get(f, 0.0)
                 for f in q.first.keys() | second.keys()}
        run[q.qid] = ranking(mixed, q.qid)
    return run


def main(folders: list[str], quick: bool = False) -> None:
    data = []
    for collection, engine, names, first in load(folders):
        second = cached("prf", engine,
                        lambda e=engine, c=collection, f=first: second_rounds(e, c, f))
        pm = passage_docs(engine, names)
        queries = [Query(qid, collection.queries[qid], first[qid], second[qid], pm)
                   for qid in first]
        data.append((collection, queries))
        engine.close()
        print(f"prepared {collection.name}", file=sys.stderr)
    base_variant = scored("hybrid", data, lambda qs: {q.qid: ranking(q.first, q.qid) for q in qs})
    base = base_variant.scores
    print("hybrid (no feedback): " + " ".join(f"{b:.4f}" for b in base))
    variants = []
    # --quick: the neighbourhood of the shipped setting (120 variants instead of 1,512)
    feedback, betas, cutoffs, befores = ((2,), (1.0, 1.5), (8, 1000), (0.2,)) if quick else \
        (FEEDBACK, BETAS, (3, 8, 1000), (0.2, 0.4))
    for m, beta, expansion, max_words, before, w2, rule in itertools.product(
            feedback, betas, [None, *EXPANSIONS], cutoffs, befores, SECOND_WEIGHTS,
            ("always", "skip<0.2", "skip<0.4", "damp")):
        if expansion is None and max_words != 1000:
            continue  # the cut-off only applies to expansion
        name = (f"m={m} beta={beta} expand={expansion} <= {max_words} words before={before} "
                f"second={w2} rule={rule}")
        variants.append(scored(name, data, lambda qs, a=(m, beta, expansion, max_words, before,
                                                         SECOND_WEIGHTS[w2], rule):
                               run_variant(qs, *a)))
    variants.sort(key=lambda v: v.mean, reverse=True)
    print("mean | worst vs hybrid | per collection | variant")
    for v in variants:
        worst = min(s - b for s, b in zip(v.scores, base, strict=True))
        print(f"{v.mean:.4f} | {worst:+.4f} | " + " ".join(f"{s:.4f}" for s in v.scores)
              + f" | {v.name}")
    names = [c.name for c, _ in data]
    for criterion, how in (("mean", "the best mean"),
                           ("worst", "the best worst-case gain over hybrid"),
                           ("lower-bound", "the best mean of gain - 1 standard error")):
        print(f"\nleave one collection out, chosen on the other collections by {how}:")
        print(table(leave_one_out(variants, names, base_variant, criterion), "hybrid"))


def scored(name: str, data, run) -> Variant:  # type: ignore[no-untyped-def]
    """A variant's nDCG@10 on each collection, and per judged query (for the lower bound)."""
    scores, per_query = [], []
    for c, qs in data:
        rows = evaluate_per_query(c.qrels, run(qs))
        values = np.array([r["ndcg@10"] for r in rows.values()])
        scores.append(float(values.mean()))
        per_query.append(values)
    return Variant(name, scores, per_query)


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if a != "--quick"], quick="--quick" in sys.argv)
