"""Same-language and cross-language figures of a multilingual collection (xquad-r-dev: ids start
with their language, "zh-0-3", "de-56be..."; a question is judged relevant to its answer sentence
in every language). Same-language keeps only the judgements in the query's language, cross-
language only the others, over the same ranking (see ../shared/datasets/README.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from core.evaluation.metrics import evaluate

_LANG = re.compile(r"^([a-z]{2})[-_]")
Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Mapping[str, float]]


def language(identifier: str) -> str | None:
    m = _LANG.match(identifier)
    return m.group(1) if m else None


def is_multilingual(qrels: Qrels) -> bool:
    """Every query and judged document id names a language, and there are several."""
    langs = set()
    for qid, docs in qrels.items():
        for ident in (qid, *docs):
            lang = language(ident)
            if lang is None:
                return False
            langs.add(lang)
    return len(langs) > 1


def split_qrels(qrels: Qrels, same: bool) -> dict[str, dict[str, int]]:
    out = {}
    for qid, docs in qrels.items():
        lang = language(qid)
        kept = {d: r for d, r in docs.items() if (language(d) == lang) == same}
        if kept:
            out[qid] = kept
    return out


def split_metrics(qrels: Qrels, run: Run) -> dict[str, float]:
    """nDCG@10 same- and cross-language, and per query language the share of queries whose
    own-language answer is in the top 10 ("found@10 zh" ...)."""
    out = {"same-language ndcg@10": evaluate(split_qrels(qrels, True), run)["ndcg@10"],
           "cross-language ndcg@10": evaluate(split_qrels(qrels, False), run)["ndcg@10"]}
    same = split_qrels(qrels, True)
    by_lang: dict[str, list[bool]] = {}
    for qid, docs in same.items():
        top = sorted(run.get(qid, {}).items(), key=lambda kv: -kv[1])[:10]
        by_lang.setdefault(language(qid) or "?", []).append(any(d in docs for d, _ in top))
    for lang, found in sorted(by_lang.items()):
        out[f"found@10 {lang}"] = sum(found) / len(found)
    return out
