"""The shipped ONNX models: integrity check and inference sessions (the manifest: manifest.py).

Every file a model uses is checked against the sha256 in `manifest.json` before it is loaded, so
a truncated download or a tampered bundle fails loudly instead of producing quietly wrong
vectors. A process hashes each file once (about 0.1 s for the 23 MB dense model).
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

# Privacy: onnxruntime would otherwise keep a usage database and device id in the user's cache
# folder. It must be set before onnxruntime is imported.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import onnxruntime as ort  # noqa: E402

from core.encode.manifest import ModelError, load_manifest
from core.resources import models_dir


@dataclass(frozen=True)
class ModelSpec:
    name: str
    path: Path  # the .onnx file
    tokenizer_path: Path
    dims: int
    max_length: int
    output: str
    query_prefix: str = ""  # e5 models are trained with "query: " / "passage: " before the text
    passage_prefix: str = ""
    language_means: Path | None = None  # .npy [languages, 2 (passage, query), dims]
    languages: tuple[str, ...] = ()  # the rows of language_means


# (path, expected sha256, size, mtime_ns, inode) of files already verified in this process; the
# stat fields make a file that changes after verification get checked again.
_verified: set[tuple[str, str, int, int, int]] = set()
_lock = threading.Lock()


def verify_file(path: Path, sha256: str) -> None:
    """Raise ModelError naming `path` unless its content hashes to `sha256`."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ModelError(f"model file missing: {path}") from None
    key = (str(path.resolve()), sha256, st.st_size, st.st_mtime_ns, st.st_ino)
    with _lock:
        if key in _verified:
            return
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != sha256:
        raise ModelError(
            f"model file corrupt or modified: {path} (sha256 {digest.hexdigest()}, "
            f"manifest says {sha256})"
        )
    with _lock:
        _verified.add(key)


def model_spec(name: str, directory: Path | None = None) -> ModelSpec:
    """Look `name` up in the manifest and verify its model and tokenizer files."""
    directory = directory or models_dir()
    manifest = load_manifest(directory)
    try:
        entry = manifest["models"][name]
        files = manifest["files"]
        for filename in (entry["file"], entry["tokenizer"]):
            verify_file(directory / filename, files[filename]["sha256"])
        prefixes = entry.get("prefixes", {})
        means = entry.get("language_means")
        if means:
            verify_file(directory / means["file"], files[means["file"]]["sha256"])
        return ModelSpec(name, directory / entry["file"], directory / entry["tokenizer"],
                         int(entry["dims"]), int(entry["max_length"]), entry["output"],
                         prefixes.get("query", ""), prefixes.get("passage", ""),
                         directory / means["file"] if means else None,
                         tuple(means["languages"]) if means else ())
    except KeyError as exc:
        raise ModelError(f"{directory / 'manifest.json'}: no entry {exc} for model {name!r}") \
            from None


def physical_cores() -> int:
    """Physical cores this process may run on (SMT siblings share one core's int8 units)."""
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:  # macOS, Windows
        cpus = set(range(os.cpu_count() or 1))
    cores = set()
    for cpu in cpus:
        topo = Path(f"/sys/devices/system/cpu/cpu{cpu}/topology")
        try:
            cores.add(((topo / "physical_package_id").read_text().strip(),
                       (topo / "core_id").read_text().strip()))
        except OSError:
            return max(1, len(cpus))  # no sysfs topology: count logical CPUs
    return max(1, len(cores))


def create_session(spec: ModelSpec, threads: int = 1) -> ort.InferenceSession:
    """A session whose run() computes on the calling thread (`threads` = 1, the default).

    Parallelism comes from running several passages at once (core/encode/passages.py), not from
    splitting one passage's operators across threads: an intra-op pool synchronises at every
    operator, and on a busy machine one descheduled pool thread stalls the others (spinning
    ones burn the core meanwhile). bench/results/encoder-sessions.md has the measurements; end
    to end (bench/semantic_ab.py, the real indexer on 700 SciFact abstracts, 2 cores) the old
    2-thread spinning pool encoded 16.6 passages/s quiet and 6.2 with two CPU hogs (39%), 3.2
    with six (19%); two single-threaded lanes 19.2, 9.9 (53%) and 4.7 (23%, the fair share being
    25%). Vectors are bit-identical whatever the thread count (tests/test_encode.py).
    """
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # A waiting pool thread sleeps instead of spinning for its siblings (matters with threads > 1).
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(spec.path), so, providers=["CPUExecutionProvider"])
