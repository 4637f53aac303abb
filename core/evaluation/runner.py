"""Index a collection with the shipped pipeline (cached) and score every search mode on it."""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from core.api import Engine
from core.evaluation.beir import Collection, write_documents
from core.evaluation.languages import is_multilingual, split_metrics
from core.evaluation.metrics import MEASURE_NAMES, evaluate
from core.indexer import IndexOptions, IndexReport
from core.model_choice import index_models
from core.search.query import literal_query

EVAL_MODES = ("bm25", "sparse", "sparse-siamese", "dense-exact", "dense", "hybrid", "hybrid-prf")
PIPELINE_VERSION = "2"  # bump when chunking or encoding changes what an index holds
DEPTH = 100


@dataclass
class ModeResult:
    metrics: dict[str, float]
    latency_ms: float  # median per query
    languages: dict[str, float] = field(default_factory=dict)  # multilingual collections only


@dataclass
class EvalReport:
    dataset: str
    queries: int
    documents: int
    passages: int
    modes: dict[str, ModeResult] = field(default_factory=dict)
    index_seconds: float = 0.0
    encoded: int = 0  # passages encoded for this run (0 when the cached index was reused)
    resparsed: int = 0  # of those, passages whose dense vector came from a sibling index
    sparse_model: str = ""
    postings_per_passage: float = 0.0  # the sparse index's size, in terms per passage
    dense_model: str = ""

    def to_json(self) -> dict:
        return {"dataset": self.dataset, "queries": self.queries,
                "modes": {m: {k: round(v, 4) for k, v in r.metrics.items()}
                          for m, r in self.modes.items()},
                "index": {"documents": self.documents, "passages": self.passages,
                          "encoded_now": self.encoded, "sparse_only": self.resparsed,
                          "seconds": round(self.index_seconds, 1)},
                "sparse_model": self.sparse_model, "dense_model": self.dense_model,
                "languages": {m: {k: round(v, 4) for k, v in r.languages.items()}
                              for m, r in self.modes.items() if r.languages},
                "postings_per_passage": round(self.postings_per_passage, 2)}

    def table(self) -> str:
        lines = [f"| mode | {' | '.join(MEASURE_NAMES)} | median ms/query |",
                 "|---|" + "---|" * (len(MEASURE_NAMES) + 1)]
        for mode, r in self.modes.items():
            values = " | ".join(f"{r.metrics[m]:.4f}" for m in MEASURE_NAMES)
            lines.append(f"| {mode} | {values} | {r.latency_ms:.1f} |")
        split = [m for m, r in self.modes.items() if r.languages]
        if split:
            names = list(self.modes[split[0]].languages)
            lines += ["", f"| mode | {' | '.join(names)} |", "|---|" + "---|" * len(names)]
            for mode in split:
                values = " | ".join(f"{self.modes[mode].languages[n]:.4f}" for n in names)
                lines.append(f"| {mode} | {values} |")
        return "\n".join(lines)


def cache_root() -> Path:
    return Path(platformdirs.user_cache_dir("spyglass", appauthor=False)) / "eval"


def prepare_index(collection: Collection, cache: Path | None = None,
                  progress: Callable | None = None, sparse_model: str = "",
                  dense_model: str = "") -> tuple[Engine, dict[str, str], IndexReport]:
    """The collection's index, built once per (corpus, models, pipeline) and reused after. A
    new sparse model starts from a copy of an index with the same dense model, so only its
    sparse side is encoded (the indexer's sparse-only re-encode). `dense_model` "" is the
    product's automatic choice (English unless the documents are in other languages)."""
    models = index_models(sparse_model, dense_model)
    dense = models.dense if dense_model else "auto"  # automatic: known once indexed
    origin = {"collection": collection.digest, "pipeline": PIPELINE_VERSION,
              "dense": dense, "models": models.to_meta()}
    key = hashlib.sha256(f"{collection.digest}|{origin['models']}|{dense}|{PIPELINE_VERSION}"
                         .encode()).hexdigest()[:12]
    base = (cache or cache_root()) / f"{collection.name}-{key}"
    if not base.exists():
        _seed_from_sibling(base, collection.name, origin)
    elif (base / "docs").is_symlink() and not (base / "docs").exists():
        (base / "docs").unlink()  # the sibling is gone: this index gets documents of its own
    names = write_documents(collection, base / "docs")
    engine = Engine.open(base / "index", IndexOptions(low_priority=False,
                                                      sparse_model=sparse_model,
                                                      dense_model=dense_model))
    for root in engine.roots():  # a copied or moved cache still names its old documents folder
        if Path(root.path) != (base / "docs").resolve():
            engine.remove_root(root.path)
    report = engine.index([base / "docs"], progress=progress)  # a no-op when cached
    (base / "origin.json").write_text(json.dumps(origin), encoding="utf-8")
    return engine, names, report


def _seed_from_sibling(base: Path, name: str, origin: dict[str, str]) -> None:
    """Copy the index of a sibling with the same documents and dense model; its documents
    folder is shared through a link, so the copy indexes the very same files (same paths)."""
    for found in sorted(base.parent.glob(f"{name}-*/origin.json")):
        other = json.loads(found.read_text(encoding="utf-8"))
        if all(other.get(k) == origin[k] for k in ("collection", "pipeline", "dense")):
            shutil.copytree(found.parent / "index", base / "index")
            (base / "docs").symlink_to((found.parent / "docs").resolve(), True)
            return


def run_collection(folder: Path, modes: Sequence[str] = EVAL_MODES, cache: Path | None = None,
                   progress: Callable | None = None,
                   configure: Callable[[Engine], None] | None = None,
                   sparse_model: str = "", dense_model: str = "") -> EvalReport:
    collection = Collection.load(folder)
    engine, names, indexing = prepare_index(collection, cache, progress, sparse_model,
                                            dense_model)
    try:
        if configure is not None:
            configure(engine)
        status = engine.status(list_limit=0)
        postings = engine.searcher.catalog.sparse_terms_per_passage()
        report = EvalReport(collection.name, len(collection.queries), len(collection.corpus),
                            status.passages, index_seconds=indexing.elapsed_s,
                            encoded=indexing.encoded, resparsed=indexing.resparsed,
                            sparse_model=status.sparse_model,
                            postings_per_passage=postings, dense_model=status.dense_model)
        for mode in modes:
            report.modes[mode] = run_mode(engine, collection, names, mode)
        return report
    finally:
        engine.close()


def run_mode(engine: Engine, collection: Collection, names: dict[str, str],
             mode: str) -> ModeResult:
    run: dict[str, dict[str, float]] = {}
    latencies = []
    for qid, text in collection.queries.items():
        started = time.perf_counter()
        hits = engine.search(literal_query(text), k=DEPTH + 1, mode=mode).hits
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = [names[Path(h.path).name] for h in hits]
        ranked = [d for d in ranked if d != qid][:DEPTH]  # BEIR's ignore_identical_ids
        run[qid] = {doc: float(len(ranked) - i) for i, doc in enumerate(ranked)}
    latencies.sort()
    split = split_metrics(collection.qrels, run) if is_multilingual(collection.qrels) else {}
    return ModeResult(evaluate(collection.qrels, run), latencies[len(latencies) // 2], split)


def markdown_report(report: EvalReport, command: str) -> str:
    return (
        f"# Retrieval quality: {report.dataset}\n\n"
        f"{report.documents} documents ({report.passages} passages), {report.queries} judged "
        f"queries; dense model `{report.dense_model}`, sparse model `{report.sparse_model}` "
        f"({report.postings_per_passage:.1f} postings per passage). nDCG@10, Recall@100 and "
        f"MRR@10 by ir-measures, averaged over judged queries (no result = 0); files ranked by "
        f"their best passage."
        + (" Multilingual collection: same-language nDCG@10 judges only the answer in the "
           "query's language, cross-language only those in the others, over the same ranking; "
           "found@10 xx: share of the xx queries whose xx answer is in the top 10."
           if any(r.languages for r in report.modes.values()) else "")
        + "\n\n"
        f"{report.table()}\n\n"
        f"Command: `{command}`  \n"
        f"Machine: {platform.machine()}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}; {time.strftime('%Y-%m-%d')}.\n"
    )
