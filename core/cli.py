"""`spyglass index|search|status|remove|...`: a thin layer over core.api.Engine."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from core import __version__
from core.api import Engine, EngineError, IndexBusy, IndexControl, IndexOptions
from core.command import COMMAND  # noqa: F401  (re-exported: its home is below core.cli)
from core.errors import user_message
from core.evaluation.runner import EVAL_MODES
from core.pathcodec import display
from core.progress import Progress
from core.search.results import SearchResult
from core.search.searcher import ALL_MODES
from core.settings import Settings
from core.shared.target import (
    SharedIndexError,
    SharedTarget,
    configured_targets,
    load_secret,
    save_secret,
)

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_CANCELLED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spyglass", description="Offline desktop search: find documents by meaning.")
    parser.add_argument("--version", action="version", version=f"spyglass {__version__}")
    parser.add_argument("--index", metavar="DIR",
                        help="index folder (default: $SPYGLASS_HOME or the user data folder)")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("index", help="add folders or files and index them")
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="folders or files to add (none: update every indexed folder)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="gitignore-style pattern to leave out (repeatable)")
    p.add_argument("--keyword-only", action="store_true",
                   help="skip the semantic (encoding) and OCR phases for now")
    p.add_argument("--workers", type=int, help="extraction processes")
    p.add_argument("--threads", type=int, help="encoder threads")
    p.add_argument("--low-priority", action="store_true",
                   help="lowest CPU and I/O priority (polite background indexing)")
    p.add_argument("--sparse-model", metavar="NAME",
                   help="related-terms model (`spyglass models` lists them; default: the one "
                   "chosen in the window's settings, else the shipped default); a change "
                   "re-encodes the sparse side of the index")
    p.add_argument("--dense-model", metavar="NAME",
                   help="meaning model: dense (English), multilingual, or auto (English until "
                   "the documents show other languages); default: the window's setting, else "
                   "auto; a change re-encodes the index")
    p.add_argument("--no-ocr", action="store_true",
                   help="do not read scanned pages and images (default: the window's setting)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser("search", help="search the index")
    p.add_argument("query", nargs="+", help='words, "phrases", -exclusions, ext:pdf, in:DIR, '
                   "after:2024-01-01, before:...")
    p.add_argument("-k", type=int, default=10, help="number of files to show (default 10)")
    p.add_argument("--mode", choices=[*ALL_MODES, "bm25"], default="hybrid-prf")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    p.add_argument("--timings", action="store_true", help="print per-stage timings")
    p.add_argument("--remote", action="append", default=[], metavar="URI",
                   help="also search this shared index (Milvus address or Milvus Lite file; "
                   "repeatable); the shared indexes in the settings are always searched")
    p.add_argument("--no-shared", action="store_true",
                   help="leave out the shared indexes configured in the settings")
    _shared_login_arguments(p)

    p = sub.add_parser("publish", help="send indexed folders to a shared index (Milvus) that "
                       "a team searches")
    p.add_argument("folders", nargs="+", metavar="FOLDER")
    p.add_argument("--to", required=True, metavar="URI",
                   help="http(s)://host:19530 for a Milvus server, or a Milvus Lite file")
    p.add_argument("--text", choices=("full", "excerpt", "none"), default="full",
                   help="how much of each passage's text the shared index keeps for snippets "
                   "(default full)")
    p.add_argument("--no-index", action="store_true",
                   help="publish what is indexed now (default: bring the folders up to date "
                   "first)")
    p.add_argument("--quiet", action="store_true", help="no progress")
    _shared_login_arguments(p)

    p = sub.add_parser("status", help="what is indexed, pending and failed")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("remove", help="forget an indexed folder (files on disk are untouched)")
    p.add_argument("path")

    p = sub.add_parser("retry", help="queue failed files again")
    p.add_argument("paths", nargs="*")

    p = sub.add_parser("doctor", help="check the index and repair what can be repaired")
    p.add_argument("--check-only", action="store_true", help="report, change nothing")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("bench", help="speed, memory and size beside bm25s, FTS5 and fp32 dense")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--dataset", metavar="DIR", help="a BEIR-layout collection")
    where.add_argument("--tree", metavar="DIR", help="a folder of documents")
    p.add_argument("--index", metavar="DIR", help="an existing complete index of that corpus "
                   "for the search measurements (default: built and cached)")
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--semantic-seconds", type=float, default=120.0,
                   help="how long the fresh index's semantic phase runs (default 120)")
    p.add_argument("--no-polite", action="store_true", help="skip the low-priority measurement")
    p.add_argument("--reliability", action="store_true",
                   help="hostile inputs and the kill harness instead (bench/results/"
                   "reliability.md)")
    p.add_argument("--ocr", action="store_true",
                   help="OCR and archives instead: 50 generated scans and 20 archives "
                   "(bench/results/ocr.md)")
    p.add_argument("--shared", action="store_true",
                   help="with --dataset: publish it to a shared index (Milvus Lite, or "
                   "$SPYGLASS_MILVUS_URI) and compare searching it with the local index "
                   "(bench/results/shared-<collection>.md); with --tree and --index: publish "
                   "that complete index, time incremental publishes and compare latency "
                   "(bench/results/shared-<tree>.md)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--results", metavar="DIR", default="bench/results")

    sub.add_parser("models", help="the meaning (dense) and related-terms (sparse) models that "
                   "ship, default first")

    p = sub.add_parser("eval", help="retrieval quality on a BEIR-layout collection")
    p.add_argument("dataset", metavar="DATASET_DIR")
    p.add_argument("--mode", default="all",
                   help="one of " + ", ".join(EVAL_MODES) + ", or all (default)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--cache", metavar="DIR", help="where evaluation indexes are kept")
    p.add_argument("--sparse-model", metavar="NAME", default="",
                   help="the sparse model to index with (`spyglass models`; default: the default)")
    p.add_argument("--dense-model", metavar="NAME", default="",
                   help="the dense model to index with (`spyglass models`; default: dense)")
    p.add_argument("--results", metavar="DIR", default="bench/results",
                   help="where the table is written (default bench/results)")
    return parser


def _shared_login_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--collection", default="spyglass", help="collection name (default spyglass)")
    p.add_argument("--user", default="", help="user name on the Milvus server")
    p.add_argument("--ask-secret", action="store_true",
                   help="ask for the password (with --user) or token; otherwise taken from "
                   "$SPYGLASS_MILVUS_TOKEN or the one saved for this server")
    p.add_argument("--save-secret", action="store_true",
                   help="keep the secret asked for, readable by this user only")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        if args.command in STANDALONE:
            return STANDALONE[args.command](args)
        with Engine.open(args.index) as engine:
            return COMMANDS[args.command](engine, args)
    except (EngineError, IndexBusy, SharedIndexError) as e:
        _error(str(e))
        return EXIT_ERROR
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_CANCELLED
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return EXIT_OK
    except Exception as e:  # never a bare traceback for the user
        if args.debug:
            raise
        known = user_message(e)
        _error(known or f"unexpected {type(e).__name__}: {e} (run with --debug for details)")
        return EXIT_ERROR


def _error(message: str) -> None:
    print(f"spyglass: error: {message}", file=sys.stderr)


# -- commands --------------------------------------------------------------------------------------

def cmd_index(engine: Engine, args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing:
        _error("no such file or folder: " + ", ".join(missing))
        return EXIT_USAGE
    if not args.paths and not engine.roots():
        _error("nothing to index yet: give a folder, e.g. `spyglass index ~/Documents`")
        return EXIT_USAGE
    if args.sparse_model is not None:
        from core.encode.manifest import sparse_models
        if args.sparse_model not in sparse_models():
            _error(f"no sparse model {args.sparse_model!r}; `spyglass models` lists them")
            return EXIT_USAGE
    if args.dense_model is not None and args.dense_model != "auto":
        from core.encode.manifest import dense_models
        if args.dense_model not in dense_models():
            _error(f"no dense model {args.dense_model!r}; `spyglass models` lists them")
            return EXIT_USAGE
    defaults, settings = IndexOptions(), Settings.load()
    options = IndexOptions(
        workers=args.workers or defaults.workers, threads=args.threads,
        low_priority=args.low_priority, semantic=not args.keyword_only,
        excludes=tuple(args.exclude),
        sparse_model=args.sparse_model if args.sparse_model is not None
        else settings.sparse_model,
        dense_model=settings.dense_model if args.dense_model is None
        else "" if args.dense_model == "auto" else args.dense_model,
        ocr=settings.ocr and not (args.no_ocr or args.keyword_only),
        ocr_max_pages=settings.ocr_max_pages,
        ocr_page_timeout_s=settings.ocr_page_seconds,
        ocr_max_megapixels=settings.ocr_max_megapixels)
    for path in args.paths:
        engine.add_root(path, args.exclude)
    bar = ProgressBar(enabled=not args.quiet)
    control = IndexControl()
    try:
        report = engine.index(args.paths or None, progress=bar.update, control=control,
                              options=options)
    except KeyboardInterrupt:
        control.cancel()
        bar.finish()
        _error("interrupted: finished work is kept; run the same command to resume")
        return EXIT_CANCELLED
    bar.finish()
    status = engine.status()
    print(f"scanned: {report.new} new, {report.changed} changed, {report.deleted} deleted, "
          f"{report.renamed} renamed, {report.unchanged} unchanged")
    print(f"extracted {report.extracted} files, {report.failed} failed, {report.skipped} "
          f"skipped; encoded {report.encoded} passages ({report.reused} reused); "
          f"read {report.ocr_pages} pages by OCR ({report.ocr_failed} could not be read) "
          f"in {report.elapsed_s:.1f} s")
    print("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.phase_s.items()))
    files = status.files
    print(f"index: {files['indexed']} files searchable, {files['pending']} pending, "
          f"{files['failed']} failed, {files['skipped']} skipped; {status.passages} passages")
    for path, reason in report.scan_errors[:20]:
        print(f"  cannot scan {display(path)}: {reason}")
    if files["failed"]:
        print("failed files (see `spyglass status`):")
        for f in status.failed_files[:10]:
            print(f"  {display(f['path'])}: {f['reason']}")
        if files["failed"] > 10:
            print(f"  ... and {files['failed'] - 10} more")
    return EXIT_OK


def _target(args: argparse.Namespace, uri: str) -> SharedTarget:
    target = SharedTarget(uri=uri, collection=args.collection, user=args.user)
    if args.ask_secret:
        import getpass
        secret = getpass.getpass("password: " if args.user else "token: ")
        if args.save_secret:
            save_secret(target, secret)
    else:
        secret = os.environ.get("SPYGLASS_MILVUS_TOKEN", "") or load_secret(target)
    return target.with_secret(secret)


def _search(engine: Engine, args: argparse.Namespace, query: str) -> SearchResult:
    targets = [] if args.no_shared else configured_targets(Settings.load().shared_indexes)
    targets += [_target(args, uri) for uri in args.remote]
    if not targets:
        return engine.search(query, k=args.k, mode=args.mode)
    from core.sharing import SharedSearch
    shared = SharedSearch(engine, targets)
    try:
        return shared.search(query, k=args.k, mode=args.mode)
    finally:
        shared.close()


def cmd_publish(engine: Engine, args: argparse.Namespace) -> int:
    from core.sharing import publish_folders
    target = _target(args, args.to)
    if not args.no_index:
        engine.index(args.folders, progress=ProgressBar(not args.quiet).update)

    def progress(done: int, total: int) -> None:
        if not args.quiet:
            print(f"\rpublished {done}/{total} passages", end="", file=sys.stderr, flush=True)
    report = publish_folders(engine, args.folders, target, args.text, progress)
    if not args.quiet and report.passages_sent:
        print(file=sys.stderr)
    print(f"{target.name}: {report.summary()}")
    return EXIT_OK


def cmd_search(engine: Engine, args: argparse.Namespace) -> int:
    query = " ".join(args.query)
    result = _search(engine, args, query)
    if args.json:
        out: object = [h.to_json() for h in result.hits]
        if args.timings:
            out = {"results": out, "timings_ms": result.timings_ms,
                   "feedback": result.feedback}
        # ASCII JSON: a path with undecodable bytes holds lone surrogates, which \uXXXX escapes
        # carry through any terminal encoding (json.loads + os.fsencode give the bytes back).
        print(json.dumps(out, indent=2))
        if result.note:  # e.g. a shared index that could not be reached
            print(f"note: {result.note}", file=sys.stderr)
        return EXIT_OK
    if not result.hits:
        print("no results")
    bold = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("**", "**")
    for i, hit in enumerate(result.hits, 1):
        where = f" (page {hit.page})" if hit.page else ""
        more = f"  +{hit.more_passages} more passages" if hit.more_passages else ""
        print(f"{i:2}. {hit.title or os.path.basename(hit.path)}  [{hit.score:.3f}]{more}")
        source = f"  [shared: {hit.source}]" if hit.source else ""
        print(f"    {display(hit.path)}{where}{source}")
        print(f"    {hit.snippet.marked(*bold)}")
    if result.note:
        print(f"note: {result.note}")
    if args.timings and result.feedback:
        print(result.feedback)
    if args.timings:
        print("timings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in result.timings_ms.items()))
    return EXIT_OK


def cmd_status(engine: Engine, args: argparse.Namespace) -> int:
    status = engine.status()
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
        return EXIT_OK
    f = status.files
    print(f"index: {status.index_dir} ({status.size_bytes / 1e6:.1f} MB)")
    print(f"files: {f['indexed']} searchable ({f['keyword_only']} keyword-only so far), "
          f"{f['pending']} pending, {f['failed']} failed, {f['skipped']} skipped")
    if status.ocr_pages_waiting or f["ocr"]:
        print(f"OCR: {status.ocr_pages_waiting} pages waiting to be read ({f['ocr']} files "
              "have no other text)")
    for item in status.page_problems:
        print(f"  not read by OCR: {display(item['path'])}: {item['reason']}")
    print(f"passages: {status.passages} ({status.passages_to_encode} waiting for encoding)")
    if status.dense_model:
        print(f"meaning model: {status.dense_model}")
    if status.sparse_model:
        print(f"related-terms model: {status.sparse_model}")
    for root in status.roots:
        when = datetime.fromtimestamp(root.last_scan).strftime("%Y-%m-%d %H:%M") \
            if root.last_scan else "never"
        gone = "" if root.exists else "  (missing on disk)"
        print(f"  {display(root.path)}: {root.files} files, {root.passages} passages, "
              f"last scan {when}{gone}")
    if status.failed_files:
        print("failed:")
        for item in status.failed_files:
            print(f"  {display(item['path'])}: {item['reason']}")
    return EXIT_OK


def cmd_remove(engine: Engine, args: argparse.Namespace) -> int:
    removed = engine.remove_root(args.path)
    print(f"removed {args.path} from the index ({removed} files); nothing on disk was changed")
    return EXIT_OK


def cmd_retry(engine: Engine, args: argparse.Namespace) -> int:
    n = engine.retry_failed(args.paths or None)
    print(f"{n} files queued again; run `spyglass index` to process them")
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from core.evaluation.metrics import INSTALL_HINT, missing_eval_packages
    from core.evaluation.runner import markdown_report, run_collection

    # Before anything is indexed: a large collection takes many minutes to index.
    missing = missing_eval_packages()
    if missing:
        _error(f"`spyglass eval` needs the eval extra, and {', '.join(missing)} "
               f"{'is' if len(missing) == 1 else 'are'} not installed: {INSTALL_HINT}")
        return EXIT_USAGE
    modes = EVAL_MODES if args.mode == "all" else tuple(args.mode.split(","))
    unknown = [m for m in modes if m not in EVAL_MODES]
    if unknown:
        _error(f"unknown mode {', '.join(unknown)}; choose from {', '.join(EVAL_MODES)}")
        return EXIT_USAGE
    bar = ProgressBar(enabled=not args.json)
    try:
        report = run_collection(Path(args.dataset), modes,
                                Path(args.cache) if args.cache else None, bar.update,
                                sparse_model=args.sparse_model, dense_model=args.dense_model)
    except (FileNotFoundError, RuntimeError) as e:
        _error(str(e))
        return EXIT_USAGE
    bar.finish()
    command = "spyglass eval " + " ".join(sys.argv[2:] if len(sys.argv) > 2 else [args.dataset])
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "".join(f"-{m}" for m in (args.dense_model, args.sparse_model) if m)
    (out / f"quality-{report.dataset}{suffix}.md").write_text(markdown_report(report, command),
                                                               encoding="utf-8")
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(f"{report.dataset}: {report.documents} documents, {report.passages} passages, "
              f"{report.queries} queries")
        print(report.table())
    return EXIT_OK


def cmd_doctor(engine: Engine, args: argparse.Namespace) -> int:
    report = engine.doctor(repair=not args.check_only)
    if args.json:
        print(json.dumps({"ok": report.ok, "findings": [vars(f) for f in report.findings],
                          "queued_files": report.queued_files,
                          "queued_passages": report.queued_passages}, indent=2))
        return EXIT_OK if report.ok else EXIT_ERROR
    for f in report.findings:
        state = "repaired" if f.repaired else "NOT repaired"
        print(f"{f.problem} ({f.count}): {state}")
    if not args.check_only:
        print("search indexes rebuilt from the catalog")
    if report.queued_files:
        print(f"{report.queued_files} files and {report.queued_passages} passages are waiting "
              "to be indexed: run `spyglass index`")
    if report.ok:
        print("index OK")
        return EXIT_OK
    print("some problems could not be repaired: remove the index folder and index again")
    return EXIT_ERROR


def cmd_bench(args: argparse.Namespace) -> int:
    out = Path(args.results)
    out.mkdir(parents=True, exist_ok=True)
    log = (lambda m: print(m, file=sys.stderr)) if args.json else print
    command = "spyglass " + " ".join(sys.argv[1:])
    if args.reliability:
        from core.reliability.bench import markdown as reliability_md
        from core.reliability.bench import run as run_reliability
        result = run_reliability(tree=Path(args.tree) if args.tree else None, log=log)
        (out / "reliability.md").write_text(reliability_md(result, command), encoding="utf-8")
        if args.json:
            print(json.dumps(result.to_json(), indent=2))
        return EXIT_OK if result.ok else EXIT_ERROR
    if args.ocr:
        from core.benchmark import ocr
        ocr_result = ocr.run(log=log)
        (out / "ocr.md").write_text(ocr.markdown(ocr_result, command), encoding="utf-8")
        if args.json:
            print(json.dumps(ocr_result.to_json(), indent=2))
        return EXIT_OK if ocr_result.ok else EXIT_ERROR
    if args.shared and args.tree:
        if not args.index:
            _error("--shared --tree needs --index INDEX: a complete index of that tree")
            return EXIT_USAGE
        from core.benchmark import shared_scale
        scale = shared_scale.run(Path(args.tree), Path(args.index), queries=args.queries,
                                 log=log)
        path = out / f"shared-{scale.tree}.md"
        path.write_text(scale.markdown(command), encoding="utf-8")
        print(f"written: {path}")
        return EXIT_OK
    if args.shared:
        if not args.dataset:
            _error("--shared needs --dataset DIR or --tree DIR --index INDEX")
            return EXIT_USAGE
        from core.benchmark import shared
        parity = shared.run(Path(args.dataset), log=log)
        path = out / f"shared-{parity.dataset}.md"
        path.write_text(parity.markdown(command), encoding="utf-8")
        print(f"written: {path}")
        return EXIT_OK
    from core.benchmark import runner

    if not (args.dataset or args.tree):
        _error("give --dataset DIR or --tree DIR (or run `make bench` for all of them)")
        return EXIT_USAGE
    report = runner.run(dataset=Path(args.dataset) if args.dataset else None,
                        tree=Path(args.tree) if args.tree else None,
                        index=Path(args.index) if args.index else None, queries=args.queries,
                        semantic_seconds=args.semantic_seconds, polite=not args.no_polite,
                        log=log)
    (out / f"perf-{report.corpus}.md").write_text(runner.markdown(report, command),
                                                   encoding="utf-8")
    runner.write_summary(out)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(f"written: {out / ('perf-' + report.corpus + '.md')}")
    return EXIT_OK


def cmd_models(args: argparse.Namespace) -> int:
    from core.encode.manifest import dense_models, sparse_models
    settings = Settings.load()
    for kind, models, chosen in (("meaning", dense_models(), settings.dense_model),
                                 ("related terms", sparse_models(), settings.sparse_model)):
        print(f"{kind}:")
        for n, (name, title) in enumerate(models.items()):
            marks = ["default"] if n == 0 else []
            marks += ["chosen in settings"] if name == chosen else []
            print(f"  {name}: {title}" + (f"  ({', '.join(marks)})" if marks else ""))
    if not settings.dense_model:
        print("meaning model setting: auto (English until the documents show other languages)")
    return EXIT_OK


STANDALONE = {"eval": cmd_eval, "bench": cmd_bench, "models": cmd_models}
COMMANDS = {"index": cmd_index, "search": cmd_search, "status": cmd_status,
            "remove": cmd_remove, "retry": cmd_retry, "doctor": cmd_doctor,
            "publish": cmd_publish}


class ProgressBar:
    """One line on stderr, redrawn in place on a terminal, every few seconds otherwise."""

    def __init__(self, enabled: bool = True, stream=sys.stderr) -> None:  # type: ignore[no-untyped-def]
        self.enabled = enabled
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0
        self.phase = ""

    def update(self, p: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        changed = p.phase != self.phase
        if not changed and now - self.last < (0.1 if self.tty else 5.0):
            return
        self.last, self.phase = now, p.phase
        line = self.render(p)
        if self.tty:
            width = os.get_terminal_size(self.stream.fileno()).columns - 1
            self.stream.write("\r" + line[:width].ljust(width))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    @staticmethod
    def render(p: Progress) -> str:
        if p.phase in ("scan", "finishing", "done"):
            return {"scan": "scanning folders...", "finishing": "saving search indexes...",
                    "done": "done"}[p.phase]
        filled = int(p.fraction * 24)
        bar = "#" * filled + "-" * (24 - filled)
        eta = _duration(p.eta_s) if p.eta_s is not None else "?"
        label = {"keyword": "keyword ", "ocr": "OCR     "}.get(p.phase, "semantic")
        state = "  PAUSED" if p.paused else ""
        failed = f"  {p.failed} failed" if p.failed else ""
        current = f"  {os.path.basename(p.current)}" if p.current else ""
        return (f"{label} [{bar}] {p.done}/{p.total} {p.unit}  {p.rate:.1f}/s  ETA {eta}"
                f"{failed}{state}{current}")

    def finish(self) -> None:
        if self.enabled and self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02}:{s:02}" if h else f"{m}:{s:02}"


if __name__ == "__main__":
    sys.exit(main())
