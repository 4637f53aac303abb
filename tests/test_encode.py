"""The shipped encoders, run for real (no mocks): integrity checks, dense and sparse behaviour."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.encode.dense import DenseEncoder
from core.encode.models import ModelError, load_manifest, model_spec, physical_cores
from core.encode.passages import Cancelled, PassageEncoder
from core.encode.sparse import SparseEncoder
from core.encode.tokenizer import encode_batch, load_tokenizer, tokenize
from core.resources import models_dir

PARAPHRASES = [
    ("How do I reset my password?", "I forgot my login password and need to change it."),
    ("The cat is sleeping on the sofa.", "A kitten naps on the couch."),
    ("Stock prices fell sharply today.", "Shares dropped steeply on the market this afternoon."),
    ("Preheat the oven before baking the bread.", "Warm up the oven first, then bake the loaf."),
]
VARIED = [
    "Hi.",
    "Please find attached the invoice for March; payment is due within thirty days.",
    "Glaciers in the Alps have lost more than half of their volume since the 1930s, and "
    "scientists expect most of the remaining ice to disappear by the end of the century.",
    "Tax return",
    "The orchestra performed Beethoven's ninth symphony to a sold-out concert hall. " * 12,
    "Bees communicate the location of flowers by dancing.",
    "",
]


@pytest.fixture(scope="module")
def dense() -> DenseEncoder:
    return DenseEncoder()


@pytest.fixture(scope="module")
def sparse() -> SparseEncoder:
    return SparseEncoder()


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --- integrity ------------------------------------------------------------------------------


def copy_models(tmp_path: Path) -> Path:
    dest = tmp_path / "resources" / "models"
    shutil.copytree(models_dir(), dest)
    return dest


def test_untampered_copy_verifies(tmp_path: Path) -> None:
    dest = copy_models(tmp_path)
    assert model_spec("dense", dest).path == dest / "dense.onnx"
    assert model_spec("sparse", dest).dims == 30522


def test_flipped_byte_is_rejected(tmp_path: Path) -> None:
    dest = copy_models(tmp_path)
    model = dest / "dense.onnx"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 0x01
    model.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="dense.onnx"):
        DenseEncoder(models_dir=dest)
    SparseEncoder(models_dir=dest)  # the other model is untouched and still loads


def test_tampered_tokenizer_via_environment(tmp_path: Path, monkeypatch) -> None:
    dest = copy_models(tmp_path)
    tok = dest / "sparse.tokenizer.json"
    tok.write_text(tok.read_text(encoding="utf-8").replace('"fox"', '"f0x"'), encoding="utf-8")
    monkeypatch.setenv("SPYGLASS_RESOURCES", str(tmp_path / "resources"))
    with pytest.raises(ModelError, match="sparse.tokenizer.json"):
        SparseEncoder()


def test_missing_file_is_named(tmp_path: Path) -> None:
    dest = copy_models(tmp_path)
    (dest / "sparse.onnx").unlink()
    with pytest.raises(ModelError, match=r"missing: .*sparse\.onnx"):
        SparseEncoder(models_dir=dest)
    (dest / "manifest.json").unlink()
    with pytest.raises(ModelError, match="manifest"):
        load_manifest(dest)


def test_physical_cores_is_positive() -> None:
    assert 1 <= physical_cores() <= (os.cpu_count() or 1)


# --- tokenizer ------------------------------------------------------------------------------


def test_tokenizer_truncates_and_pads_per_batch() -> None:
    tok = load_tokenizer("dense")
    assert tok.padding is None and tok.truncation is None  # shipped file pads to 128
    ids = tokenize(tok, ["word " * 400, "short text"], max_length=256)
    assert len(ids[0]) == 256 and ids[0][0] == 101 and ids[0][-1] == 102
    assert ids[1] == tok.encode("short text").ids
    input_ids, mask = encode_batch(tok, ["short text", "a rather longer piece of text"])
    assert input_ids.shape == mask.shape == (2, 8) and input_ids.dtype == np.int64
    assert mask[0].tolist() == [1, 1, 1, 1, 0, 0, 0, 0] and input_ids[0, 4:].tolist() == [0] * 4


# --- dense ----------------------------------------------------------------------------------


def test_dense_paraphrases_closer_than_unrelated(dense: DenseEncoder) -> None:
    vecs = dense.encode([t for pair in PARAPHRASES for t in pair])
    for i in range(len(PARAPHRASES)):
        a, b = vecs[2 * i], vecs[2 * i + 1]
        unrelated = [vecs[j] for j in range(len(vecs)) if j // 2 != i]
        assert cos(a, b) > max(cos(a, u) for u in unrelated) + 0.1, PARAPHRASES[i]


def test_dense_shape_and_unit_norm(dense: DenseEncoder) -> None:
    vecs = dense.encode(VARIED)
    assert vecs.shape == (len(VARIED), 384) and vecs.dtype == np.float32 and dense.dim == 384
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert dense.encode([]).shape == (0, 384)


def test_dense_batches_keep_input_order(dense: DenseEncoder) -> None:
    singles = np.stack([dense.encode_query(t) for t in VARIED])
    batched = dense.encode(VARIED, batch_size=3)  # length sorting reorders internally
    # int8 batches shift vectors a little; each row must still be its own text's vector
    sims = batched @ singles.T
    assert sims.argmax(axis=1).tolist() == list(range(len(VARIED)))
    assert np.diag(sims).min() > 0.97


def test_dense_default_encode_matches_single(dense: DenseEncoder) -> None:
    singles = np.stack([dense.encode_query(t) for t in VARIED])
    together = dense.encode(VARIED)
    # bit-identical: a passage's vector must not depend on what it was indexed with
    assert np.array_equal(together, singles)


# --- sparse ---------------------------------------------------------------------------------


def test_sparse_expands_beyond_own_tokens(sparse: SparseEncoder) -> None:
    text = "Interest rates rose as the central bank fought inflation."
    [(ids, weights)] = sparse.encode([text])
    own = set(sparse.query_token_ids(text).tolist())
    weight = dict(zip(ids.tolist(), weights.tolist(), strict=True))
    for word in ("inflation", "bank", "interest"):
        tid = sparse.vocab.index(word)
        assert tid in own and weight.get(tid, 0) > 1.0, word
    assert len(set(weight) - own) >= 5  # expansion terms not in the input


def test_sparse_top_k_sorted_unique(sparse: SparseEncoder) -> None:
    full = sparse.encode(VARIED, top_k=30522)
    pruned = sparse.encode(VARIED, top_k=10)
    for (ids, w), (fids, fw) in zip(pruned, full, strict=True):
        assert ids.dtype == np.uint16 and w.dtype == np.float32
        assert len(ids) == min(10, len(fids)) and (w > 0).all()
        assert (np.diff(ids.astype(np.int64)) > 0).all()  # ascending, hence unique
        if len(fids) > 10:  # the kept ones are the 10 largest
            assert w.min() >= np.sort(fw)[-10] - 1e-6
    assert len(full[4][0]) > 30  # a long passage has many terms before pruning


def test_sparse_batch_matches_single(sparse: SparseEncoder) -> None:
    batched = sparse.encode(VARIED, batch_size=4)
    for text, (ids, w) in zip(VARIED, batched, strict=True):
        [(sids, sw)] = sparse.encode([text])
        dense_a, dense_b = np.zeros(sparse.dim), np.zeros(sparse.dim)
        dense_a[ids], dense_b[sids] = w, sw
        if len(sids):
            assert cos(dense_a, dense_b) > 0.999, text


def test_sparse_default_encode_ignores_batch_mates(sparse: SparseEncoder) -> None:
    together = sparse.encode(VARIED)
    shuffled = sparse.encode(VARIED[::-1])[::-1]
    for (ids, w), (sids, sw) in zip(together, shuffled, strict=True):
        assert np.array_equal(ids, sids) and np.array_equal(w, sw)
    [(ids, w)] = sparse.encode([VARIED[2]])
    assert np.array_equal(ids, together[2][0]) and np.array_equal(w, together[2][1])


def test_vectors_are_bit_identical_whatever_the_threads_and_lanes(
        dense: DenseEncoder, sparse: SparseEncoder) -> None:
    """An index must not depend on how it was encoded: lanes, threads or a machine's load."""
    reference_dense, reference_sparse = dense.encode(VARIED), sparse.encode(VARIED)
    pooled_dense = DenseEncoder(threads=2).encode(VARIED)
    pooled_sparse = SparseEncoder(threads=2).encode(VARIED)
    assert np.array_equal(pooled_dense, reference_dense)
    for lanes in (1, 3):
        encoder = PassageEncoder(lanes=lanes)
        try:
            lane_dense, lane_sparse = encoder.encode(VARIED)
        finally:
            encoder.close()
        assert np.array_equal(lane_dense, reference_dense), lanes
        for got in (lane_sparse, pooled_sparse):
            for (ids, w), (rids, rw) in zip(got, reference_sparse, strict=True):
                assert np.array_equal(ids, rids) and np.array_equal(w, rw)


def test_encoding_stops_between_passages_when_cancelled() -> None:
    encoder = PassageEncoder(lanes=2)
    real = encoder.dense.encode
    encoded: list[str] = []

    def counting(texts):  # type: ignore[no-untyped-def]
        encoded.extend(texts)
        return real(texts)

    encoder.dense.encode = counting  # type: ignore[method-assign]
    try:
        with pytest.raises(Cancelled):
            encoder.encode(VARIED * 4, lambda: len(encoded) >= 3)
    finally:
        encoder.close()
    assert 3 <= len(encoded) <= 3 + encoder.lanes  # at most the passages already under way


def test_query_token_ids(sparse: SparseEncoder) -> None:
    q = sparse.query_token_ids("Password reset, password RESET!")
    assert q.dtype == np.uint16
    assert [sparse.vocab[i] for i in q] == sorted({"password", "reset", ",", "!"},
                                                   key=sparse.vocab.index)
    assert 101 not in q and 102 not in q  # no [CLS]/[SEP]
    assert len(sparse.vocab) == 30522 and sparse.vocab[101] == "[CLS]"


def test_file_changed_after_verification_is_checked_again(tmp_path: Path) -> None:
    dest = copy_models(tmp_path)
    model_spec("sparse", dest)  # verified and cached
    path = dest / "sparse.onnx"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="sparse.onnx"):
        model_spec("sparse", dest)


def test_vector_store_and_models_load_in_one_process() -> None:
    """usearch loaded before onnxruntime crashed the process (SIGSEGV): the window and the CLI
    load the vector store first and the models later, so that order must work."""
    import subprocess
    import sys

    code = ("import core.store.vectors\n"
            "from core.encode.dense import DenseEncoder\n"
            "print(DenseEncoder().encode_query('hello').shape)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=Path(__file__).resolve().parent.parent)
    assert run.returncode == 0, run.stderr
    assert "(384,)" in run.stdout
