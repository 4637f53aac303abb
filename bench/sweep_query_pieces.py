"""How the inference-free sparse query weighs the word pieces of a word split into several
(evidence for `Searcher.sparse_query`). Run after `spyglass eval` has built the indexes:

    .venv/bin/python bench/sweep_query_pieces.py ../shared/datasets/{scifact,nfc*,cran*,cisi}/

Variants: the pieces that look like words only (the query side before the fix: every ##
continuation dropped); every piece at its IDF (shipped); every piece at IDF / n or IDF / sqrt(n)
for a word of n pieces (a long word then weighs like one word). Prints sparse-only nDCG@10 per
collection and the leave-one-collection-out choice.
"""

from __future__ import annotations

import sys

import numpy as np

from bench.loo import Variant, leave_one_out, table
from bench.sweep_fusion import doc_run, load, passage_docs
from core.evaluation.metrics import evaluate
from core.search.searcher import CANDIDATES
from core.search.stopwords import STOP_WORDS, content_pieces


def pieces_before_fix(words: list[tuple[str, list[int]]], vocab: dict[int, str]
                      ) -> list[tuple[int, float]]:
    ids = [p for _, pieces in words for p in pieces if vocab[p].isalnum()
           and vocab[p].lower() not in STOP_WORDS]
    return [(p, 1.0) for p in ids]


VARIANTS = {
    "alnum pieces only (before)": None,
    "every piece, idf": lambda n: 1.0,
    "every piece, idf/sqrt(n)": lambda n: 1.0 / np.sqrt(n),
    "every piece, idf/n": lambda n: 1.0 / n,
}


def main(folders: list[str]) -> None:
    data = list(load(folders))
    names = [c.name for c, *_ in data]
    scores: dict[str, list[float]] = {v: [] for v in VARIANTS}
    for collection, engine, docnames, _ in data:
        s = engine.searcher
        s.sync()  # the lists may come from sweep_fusion's cache, which opens nothing
        vocab = {i: t for t, i in s.encoder._tokenizer.get_vocab().items()}
        pid_doc = passage_docs(engine, docnames)
        for variant, share in VARIANTS.items():
            run = {}
            for qid, text in collection.queries.items():
                words = s.encoder.word_pieces(text)
                best = (dict(pieces_before_fix(words, vocab)) if share is None
                        else content_pieces(words, share))
                terms = np.fromiter(best, dtype=np.int64, count=len(best))
                if len(terms):
                    present = s.sparse.df(terms) > 0
                    terms = terms[present]
                    factors = np.array([best[int(t)] for t in terms], np.float32)
                    weights = s._idf(terms) * factors
                else:
                    weights = np.zeros(0, np.float32)
                run[qid] = s._sparse_terms(terms, weights, CANDIDATES, None)
            result = evaluate(collection.qrels, doc_run(engine, docnames, run, pid_doc))
            scores[variant].append(result["ndcg@10"])
            print(f"{collection.name:<18} {result['ndcg@10']:.4f}  {variant}", file=sys.stderr)
    print("| variant | " + " | ".join(names) + " | mean |")
    print("|---|" + "---|" * (len(names) + 1))
    for variant, row in scores.items():
        print(f"| {variant} | " + " | ".join(f"{x:.4f}" for x in row)
              + f" | {np.mean(row):.4f} |")
    before = scores["alnum pieces only (before)"]
    held = leave_one_out([Variant(v, row) for v, row in scores.items()], names,
                         Variant("before", before))
    print("\nleave one collection out (chosen on the other three):")
    print(table(held, "before the fix"))
    for _, engine, _, _ in data:
        engine.close()


if __name__ == "__main__":
    main(sys.argv[1:])
