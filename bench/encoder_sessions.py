"""Which onnxruntime settings encode passages fastest, on a quiet and on a busy machine.

    .venv/bin/python bench/encoder_sessions.py [--seconds 8] [--repeats 3]

Dense + sparse model on the same generated prose passages (each passage alone per model call,
as the indexer does), passages/s for: one session per model with an intra-op pool of 2 threads,
spinning (onnxruntime's default) or not; and single-threaded sessions run by 1 or 2 "lanes"
(threads, each encoding its own passage). Busy: two CPU-bound programs at normal priority run
meanwhile (started and stopped here). Writes bench/results/encoder-sessions.md; the choice it
supports is in core/encode/models.py and core/encode/passages.py.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import onnxruntime as ort

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.encode.models import model_spec  # noqa: E402
from core.encode.tokenizer import load_tokenizer, pad, tokenize  # noqa: E402
from core.reliability.corpus import write_prose_corpus  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "encoder-sessions.md"
# (intra-op threads, spinning, lanes)
CONFIGS = [(2, True, 1), (2, False, 1), (1, False, 1), (1, False, 2), (1, True, 2)]


def session(name: str, threads: int, spin: bool) -> tuple[ort.InferenceSession, str]:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    spec = model_spec(name)
    return ort.InferenceSession(str(spec.path), so, providers=["CPUExecutionProvider"]), \
        spec.output


def passages() -> list[list[int]]:
    folder = Path(tempfile.mkdtemp(prefix="spyglass-encoder-bench-"))
    write_prose_corpus(folder, 120, 2, 7)
    texts = [p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*.txt"))]
    return tokenize(load_tokenizer("dense"), texts, 256)


def rate(ids: list[list[int]], config: tuple[int, bool, int], seconds: float) -> float:
    threads, spin, lanes = config
    sessions = [session(n, threads, spin) for n in ("dense", "sparse")]
    for s, out in sessions:  # warm up
        x, m = pad([ids[0]])
        s.run([out], {"input_ids": x, "attention_mask": m})
    count = [0] * lanes
    stop = time.monotonic() + seconds

    def lane(k: int) -> None:
        i = k
        while time.monotonic() < stop:
            x, m = pad([ids[i % len(ids)]])
            for s, out in sessions:
                s.run([out], {"input_ids": x, "attention_mask": m})
            count[k] += 1
            i += lanes

    started = time.monotonic()
    workers = [threading.Thread(target=lane, args=(k,)) for k in range(lanes)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sum(count) / (time.monotonic() - started)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    ids = passages()
    table: dict[str, dict[tuple[int, bool, int], float]] = {}
    for machine in ("quiet", "busy"):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
                for _ in range(2 if machine == "busy" else 0)]
        try:
            runs: dict[tuple[int, bool, int], list[float]] = {c: [] for c in CONFIGS}
            for _ in range(args.repeats):  # interleaved, so drift hits every setting alike
                for config in CONFIGS:
                    runs[config].append(rate(ids, config, args.seconds))
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
        table[machine] = {c: statistics.median(r) for c, r in runs.items()}
        for c, r in runs.items():
            print(f"{machine} {c}: {', '.join(f'{x:.1f}' for x in r)}", flush=True)
    base = CONFIGS[0]
    lines = []
    for c in CONFIGS:
        threads, spin, lanes = c
        quiet, busy = table["quiet"][c], table["busy"][c]
        lines.append(f"| {threads} | {'on' if spin else 'off'} | {lanes} | {quiet:.1f} | "
                     f"{quiet / table['quiet'][base]:.2f}x | {busy:.1f} | {busy / quiet:.0%} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(f"""# Encoder sessions: threads, spinning and lanes

Written by `bench/encoder_sessions.py` on {time.strftime('%Y-%m-%d')}: median of {args.repeats} \
interleaved runs of {args.seconds:.0f} s. The dense and the sparse model on {len(ids)} generated \
prose passages (mean {statistics.mean(map(len, ids)):.0f} word pieces), each passage alone per \
model call and the two models one after the other, as the indexer runs them. Busy: two CPU-bound \
programs at normal priority run meanwhile. The first row is onnxruntime's default (and what \
Spyglass shipped before): its spinning pool threads also compete with the other model's session \
here, which the old indexer avoided by running 64 passages through one model, then the other; \
`bench/semantic_ab.py` compares the two indexers end to end. Spyglass now runs one \
single-threaded, non-spinning session per model and one lane per core (row 4).

| intra-op threads | spinning | lanes | quiet /s | vs first row | busy /s | busy / quiet |
|---|---|---|---|---|---|---|
{chr(10).join(lines)}
""", encoding="utf-8")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
