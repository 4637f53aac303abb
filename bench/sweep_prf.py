"""Choose the pseudo-relevance feedback settings on the shared collections (evidence for the
constants in core/search/prf.py). Reuses the first-round lists bench/sweep_fusion.py cached
(or computes them):

    .venv/bin/python bench/sweep_prf.py ../shared/datasets/*/

Second-round lists are computed for each feedback depth, Rocchio weight and expansion setting;
interpolation with the first round and the adaptive skip are then scored offline.
"""

from __future__ import annotations

import itertools
import sys

import numpy as np

from bench.sweep_fusion import cached, doc_run, load, passage_docs
from core.evaluation.metrics import evaluate
from core.search.fusion import convex
from core.search.prf import expand_sparse, rocchio
from core.search.query import literal_query
from core.search.searcher import HYBRID_WEIGHTS
from core.search.stopwords import content_word_count
from core.store.codec import blob_to_dense, blob_to_sparse

DEPTH = 200
FEEDBACK = (1, 2, 3)
BETAS = (0.6, 1.0, 1.5)  # (earlier runs: 2, 3, 5, 8 passages and beta 0.3 did worse)
EXPANSIONS = ((10, 0.3), (10, 0.6), (30, 0.3), (30, 0.6))


def second_rounds(engine, collection, lists):  # type: ignore[no-untyped-def]
    s = engine.searcher
    s.sync()
    out = {}
    for qid, text in collection.queries.items():
        q = literal_query(text)
        fused = convex(lists[qid], HYBRID_WEIGHTS, DEPTH)[0]
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        vec = s.encoder.dense(q.text)
        terms, weights = s.sparse_query(q.text)
        rounds = {}
        for m in FEEDBACK:
            top = ranked[:m]
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


def main(folders: list[str]) -> None:
    data = []
    for collection, engine, names, first in load(folders):
        second = cached("prf", engine,
                        lambda e=engine, c=collection, f=first: second_rounds(e, c, f))
        data.append((collection, engine, names, first, second, passage_docs(engine, names)))
    rows = []
    base = []
    for collection, engine, names, first, _, pm in data:
        run = doc_run(engine, names, {q: convex(L, HYBRID_WEIGHTS, DEPTH)[0]
                                      for q, L in first.items()}, pm)
        base.append(evaluate(collection.qrels, run)["ndcg@10"])
    print("hybrid (no feedback): " + " ".join(f"{b:.4f}" for b in base))
    second_weights = {"same": HYBRID_WEIGHTS,
                      "k.3 s.1 d.6": {"keyword": 0.3, "sparse": 0.1, "dense": 0.6},
                      "k.3 s.2 d.5": {"keyword": 0.3, "sparse": 0.2, "dense": 0.5},
                      "k.4 s.2 d.4": {"keyword": 0.4, "sparse": 0.2, "dense": 0.4}}
    for m, beta, (n_terms, weight), before, gap, w2, max_words in itertools.product(
            FEEDBACK, BETAS, [(0, 0.0), *EXPANSIONS], (0.0, 0.2), (0.0,), second_weights,
            (3, 8, 12, 1000)):
        scores = []
        for collection, engine, names, first, second, pm in data:
            fused_by_q = {}
            for q, L in first.items():
                f1 = convex(L, HYBRID_WEIGHTS, DEPTH)[0]
                ranked = sorted(f1.values(), reverse=True)
                if len(ranked) < 2 or ranked[0] - ranked[min(len(ranked), 10) - 1] < gap:
                    fused_by_q[q] = f1
                    continue
                L2 = dict(L)
                L2["dense"] = second[q][("dense", m, beta)]
                if n_terms and content_word_count(collection.queries[q]) <= max_words:
                    L2["sparse"] = second[q][("sparse", m, n_terms, weight)]
                f2 = convex(L2, second_weights[w2], DEPTH)[0]
                fused_by_q[q] = {p: before * f1.get(p, 0.0) + (1 - before) * f2.get(p, 0.0)
                                 for p in set(f1) | set(f2)}
            run = doc_run(engine, names, fused_by_q, pm)
            scores.append(evaluate(collection.qrels, run)["ndcg@10"])
        worst = min(s - b for s, b in zip(scores, base, strict=True))
        rows.append((float(np.mean(scores)), worst, m, beta, n_terms, weight, before, gap,
                     f"{w2} expand<={max_words}", scores))
    rows.sort(key=lambda r: r[0], reverse=True)
    print("mean | worst vs hybrid | feedback beta terms weight before gap | per collection")
    for mean, worst, m, beta, n_terms, weight, before, gap, w2, scores in rows:
        print(f"{mean:.4f} | {worst:+.4f} | m={m} beta={beta} terms={n_terms} w={weight} "
              f"before={before} gap={gap} second={w2} | " + " ".join(f"{s:.4f}" for s in scores))


if __name__ == "__main__":
    main(sys.argv[1:])
