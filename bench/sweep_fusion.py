"""Choose fusion weights and PRF settings on the shared collections (evidence for the constants
in core/search/searcher.py and core/search/prf.py). Run after `spyglass eval` has built the
indexes:

    .venv/bin/python bench/sweep_fusion.py ../shared/datasets/*/

Per collection and query, the three first-round lists are computed once; fusion variants are then
scored offline. Prints nDCG@10 per collection and the mean, for each variant, and its smallest
margin over the best single list of each collection (the issue's "hybrid >= best single + 0.02");
then the leave-one-collection-out table: for each collection, the variant with the best mean on
the other three and what it scores on the one left out (bench/loo.py).
"""

from __future__ import annotations

import itertools
import pickle
import sys
from pathlib import Path

import numpy as np

from bench.loo import Variant, leave_one_out, table
from core.evaluation.beir import Collection
from core.evaluation.metrics import evaluate
from core.evaluation.runner import prepare_index
from core.search.fusion import convex, rrf
from core.search.query import literal_query
from core.search.searcher import CANDIDATES

DEPTH = CANDIDATES  # what the shipped searcher takes from each list
QUERY_SIDE = 3  # bump when the query side changes what the lists hold (3: pieces at 1/sqrt(n))


def cached(kind: str, engine, compute):  # type: ignore[no-untyped-def]
    """`compute()`, pickled in /tmp under the name of the evaluation index it ran on (corpus,
    models and pipeline version), its passage count and the query side, so lists from an older
    encoding, another state of the index or an older query side are never reused."""
    # the passage count too: lists of an index that changed (e.g. a folder indexed twice) go
    passages = engine.status(list_limit=0).passages
    path = Path(f"/tmp/spyglass-{kind}-{engine.index_dir.parent.name}-p{passages}"
                f"-q{QUERY_SIDE}.pickle")
    if path.exists():
        return pickle.loads(path.read_bytes())
    value = compute()
    path.write_bytes(pickle.dumps(value))
    return value


def lists_for(engine, collection):  # type: ignore[no-untyped-def]
    s = engine.searcher
    s.sync()
    out = {}
    for qid, text in collection.queries.items():
        q = literal_query(text)
        vec = s.encoder.dense(q.text)
        out[qid] = {"keyword": s._keyword(q, DEPTH, None), "sparse": s._sparse(q, DEPTH, None),
                    "dense": s._dense(vec, DEPTH, None)}
    return out


def passage_docs(engine, names):  # type: ignore[no-untyped-def]
    conn = engine.searcher.catalog.conn
    return {pid: names[Path(path).name] for pid, path in conn.execute(
        "SELECT p.id, f.path FROM passages p JOIN files f ON f.id = p.file_id")}


def to_docs(lists, pid_doc):  # type: ignore[no-untyped-def]
    """Each list's passage scores -> document scores (a document's best passage)."""
    out = {}
    for mode, scores in lists.items():
        best: dict[str, float] = {}
        for pid, score in scores.items():
            d = pid_doc.get(pid)
            if d is not None and score > best.get(d, -1e18):
                best[d] = score
        out[mode] = best
    return out


def doc_run(engine, names, fused_by_q, pid_doc=None):  # type: ignore[no-untyped-def]
    """Passage scores -> document ranking (a document scores its best passage)."""
    pid_doc = pid_doc or passage_docs(engine, names)
    run = {}
    for qid, fused in fused_by_q.items():
        best: dict[str, float] = {}
        for pid, score in fused.items():
            d = pid_doc.get(pid)
            if d is not None and d != qid and score > best.get(d, -1e9):
                best[d] = score
        top = sorted(best.items(), key=lambda kv: -kv[1])[:100]
        run[qid] = {d: float(100 - i) for i, (d, _) in enumerate(top)}
    return run


def zscore_fuse(lists, weights):  # type: ignore[no-untyped-def]
    fused: dict[int, float] = {}
    for mode, scores in lists.items():
        if not scores or weights.get(mode, 0) <= 0:
            continue
        v = np.fromiter(scores.values(), dtype=np.float64)
        mu, sd = v.mean(), v.std() or 1.0
        floor = (v.min() - mu) / sd
        for pid, s in scores.items():
            # shifted so that a missing passage counts as the list minimum (0)
            fused[pid] = fused.get(pid, 0.0) + weights[mode] * ((s - mu) / sd - floor)
    return fused


def load(folders: list[str]):  # type: ignore[no-untyped-def]
    """Per collection: (collection, its evaluation index, document names, first-round lists)."""
    for folder in folders:
        collection = Collection.load(Path(folder))
        engine, names, _ = prepare_index(collection)
        lists = cached("sweep", engine, lambda e=engine, c=collection: lists_for(e, c))
        print(f"loaded {collection.name}", file=sys.stderr)
        yield collection, engine, names, lists


def main(folders: list[str]) -> None:
    data = list(load(folders))
    steps = [round(0.05 * i, 2) for i in range(15)]
    grid = [w for w in itertools.product(steps, repeat=3) if abs(sum(w) - 1.0) < 1e-9]
    variants = {}
    for kw, sp, de in grid:
        weights = {"keyword": kw, "sparse": sp, "dense": de}
        for depth in (100, DEPTH):
            variants[f"minmax@{depth} k={kw} s={sp} d={de}"] = \
                lambda L, w=weights, n=depth: convex(L, w, n)[0]
        variants[f"zscore k={kw} s={sp} d={de}"] = lambda L, w=weights: zscore_fuse(L, w)
    variants["rrf equal"] = lambda L: rrf(L)
    variants["rrf k=.4 s=.1 d=.5"] = lambda L: rrf(L, {"keyword": .4, "sparse": .1, "dense": .5})
    variants["rrf k+d"] = lambda L: rrf({m: L[m] for m in ("keyword", "dense")})
    rows = []
    docmaps = [passage_docs(engine, names) for _, engine, names, _ in data]
    doc_lists = [{q: to_docs(L, pm) for q, L in lists.items()}
                 for (_, _, _, lists), pm in zip(data, docmaps, strict=True)]
    identity = [{d: d for d in set(pm.values())} for pm in docmaps]
    best_single = [max(evaluate(collection.qrels, doc_run(
        engine, names, {q: L[mode] for q, L in lists.items()}, docmaps[i]))["ndcg@10"]
        for mode in ("keyword", "sparse", "dense"))
        for i, (collection, engine, names, lists) in enumerate(data)]
    for name, fuse in variants.items():
        for level in ("passage", "file"):
            scores = []
            for i, (collection, engine, names, lists) in enumerate(data):
                if level == "passage":
                    run = doc_run(engine, names, {q: fuse(L) for q, L in lists.items()},
                                  docmaps[i])
                else:
                    run = doc_run(engine, names, {q: fuse(L) for q, L in doc_lists[i].items()},
                                  identity[i])
                scores.append(evaluate(collection.qrels, run)["ndcg@10"])
            margin = min(s - b for s, b in zip(scores, best_single, strict=True))
            rows.append((float(np.mean(scores)), margin, f"{level:<7} {name}", scores))
    rows.sort(reverse=True)
    header = " | ".join(c.name for c, *_ in data)
    print("best single | " + " | ".join(f"{b:.4f}" for b in best_single))
    print(f"mean | min margin | {header} | variant")
    for mean, margin, name, scores in rows:
        print(f"{mean:.4f} | {margin:+.4f} | " + " | ".join(f"{s:.4f}" for s in scores)
              + f" | {name}")
    names = [c.name for c, *_ in data]
    held = leave_one_out([Variant(name, scores) for _, _, name, scores in rows], names,
                         Variant("best single", best_single))
    print("\nleave one collection out (fusion chosen on the other collections):")
    print(table(held, "best single list"))
    for _, engine, _, _ in data:
        engine.close()


if __name__ == "__main__":
    main(sys.argv[1:])
