"""Pseudo-relevance feedback: the best first-round passages sharpen the query.

Dense side: Rocchio, q' = normalise(alpha * q + beta * mean(feedback vectors)).
Sparse side: term expansion, the original IDF-weighted query terms plus the strongest terms of the
feedback passages' sparse expansions (weighted by their mean weight times IDF).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Chosen by bench/sweep_prf.py over the four shared collections (nDCG@10). Re-chosen on
# 2026-12-02 with the fixed sparse query side (every word piece; bench/results/sweep-prf.md,
# `--quick`: 2 feedback passages x beta 1/1.5 x 5 expansion settings x 3 second-round weights x
# 4 per-query rules): thirty expansion terms at 0.3 of the strongest query term, for every query
# length, beta 1, gave the best mean (0.5078 vs 0.4942 without feedback: scifact .7400 -> .7429,
# nfcorpus .3633 -> .3758, cranfield .4198 -> .4380, cisi .4539 -> .4745; every collection
# +0.003 or more). The earlier setting (ten terms at 0.6, queries of up to 8 content words) now
# scored 0.5042 and lowered scifact below hybrid (.7359): with every word piece in the query,
# more and lighter expansion terms hold on long queries too. Left one collection out, the
# setting chosen on the other three was this one for nfcorpus, cranfield and cisi (+.0125,
# +.0182, +.0169) and, for scifact, beta 1.5 with second-round sparse 0.2 (.7364, -0.0035);
# re-run on indexes built afresh (same figures within .0006) and with a third criterion, the best
# mean lower bound of the gain (gain - 1 standard error of the per-query differences), which
# made the same choices.
# Skipping feedback where the keyword and dense lists share fewer than 1 of their top 5 files
# (min_agreement 0.2) lowered the mean (0.5055; cisi .4745 -> .4668), 0.4 and damping more:
# the rule is kept, off, and "why this result" says that feedback ran and how far the lists
# agreed. One feedback passage or three did worse in the full grid.
SECOND_ROUND_WEIGHTS = {"keyword": 0.3, "sparse": 0.1, "dense": 0.6}


@dataclass(frozen=True)
class PrfParams:
    feedback: int = 2  # first-round passages used as feedback
    alpha: float = 1.0  # weight of the original dense query
    beta: float = 1.0  # weight of the feedback centroid
    expansion_terms: int = 30  # terms added to the sparse query ...
    expansion_weight: float = 0.3  # ... weighted relative to the strongest original term ...
    expansion_max_words: int | None = None  # ... for queries of at most this many content words
    before: float = 0.2  # final = before * first-round fusion + (1 - before) * second round
    min_gap: float = 0.0  # skip feedback when the first round is this flat (top-1 minus top-10)
    min_agreement: float = 0.0  # skip it when keyword and meaning share fewer of their top files


AGREEMENT_DEPTH = 5  # top files of the keyword and dense lists compared


def agreement(keyword_files: dict[int, float], dense_files: dict[int, float]) -> float:
    """The share of the top AGREEMENT_DEPTH files that the keyword and the dense list have in
    common: feedback learns from the first round's best passages, which are only worth learning
    from when two lists that look at a document differently agree on them."""
    def top(files: dict[int, float]) -> set[int]:
        return set(sorted(files, key=files.__getitem__, reverse=True)[:AGREEMENT_DEPTH])

    return len(top(keyword_files) & top(dense_files)) / AGREEMENT_DEPTH


def feedback_note(used: bool, shared: float, why: str = "") -> str:
    """What "why this result" says about the feedback round of a search."""
    common = f"{round(shared * AGREEMENT_DEPTH)} of their top {AGREEMENT_DEPTH} files"
    if used:
        return f"Feedback used: the keyword and meaning lists agreed on {common}."
    return f"Feedback not used: {why or f'the keyword and meaning lists agreed on only {common}'}."


def rocchio(query: np.ndarray, feedback: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    if not len(feedback):
        return query
    moved = alpha * query + beta * feedback.mean(axis=0)
    return (moved / max(float(np.linalg.norm(moved)), 1e-9)).astype(np.float32)


def expand_sparse(terms: np.ndarray, weights: np.ndarray,
                  feedback: list[tuple[np.ndarray, np.ndarray]],
                  idf_of: Callable[[np.ndarray], np.ndarray],
                  n_terms: int, weight: float) -> tuple[np.ndarray, np.ndarray]:
    """The query's (term, weight) pairs plus the feedback's strongest expansion terms."""
    if not feedback or n_terms <= 0:
        return terms, weights
    sums: dict[int, float] = {}
    for ids, w in feedback:
        for t, x in zip(ids.tolist(), w.astype(np.float32).tolist(), strict=True):
            sums[t] = sums.get(t, 0.0) + x / len(feedback)
    cand = np.fromiter(sums.keys(), dtype=np.int64, count=len(sums))
    mean_w = np.fromiter(sums.values(), dtype=np.float32, count=len(sums))
    scored = mean_w * idf_of(cand)
    top = np.argsort(-scored)[:n_terms]
    extra_terms, extra_w = cand[top], scored[top]
    if len(extra_w) and extra_w.max() > 0 and len(weights):
        extra_w = extra_w / extra_w.max() * float(weights.max()) * weight
    merged: dict[int, float] = dict(zip(terms.tolist(), weights.tolist(), strict=True))
    for t, x in zip(extra_terms.tolist(), extra_w.tolist(), strict=True):
        merged[t] = merged.get(t, 0.0) + x
    out_terms = np.fromiter(merged.keys(), dtype=np.int64, count=len(merged))
    out_w = np.fromiter(merged.values(), dtype=np.float32, count=len(merged))
    return out_terms, out_w


def choose_feedback(passages: dict[int, float], keyword_files: dict[int, float],
                    dense_files: dict[int, float], p: PrfParams) -> tuple[list[int], str]:
    """The first round's passages to learn from (none when feedback should not run) and what
    "why this result" says about it: the top fused passages, when the round is not flat and the
    keyword and dense lists agree enough."""
    ranked = sorted(passages, key=passages.__getitem__, reverse=True)
    shared = agreement(keyword_files, dense_files)
    if len(ranked) < 2:
        return [], feedback_note(False, shared, "too few matches to learn from")
    depth = min(len(ranked), 10) - 1
    if passages[ranked[0]] - passages[ranked[depth]] < p.min_gap:
        return [], feedback_note(False, shared, "no match stands out")
    if shared < p.min_agreement:
        return [], feedback_note(False, shared)
    return ranked[:p.feedback], feedback_note(True, shared)
