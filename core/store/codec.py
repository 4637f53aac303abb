"""Compact byte encodings of passage vectors, as stored in SQLite.

Dense: the unit vector scaled so its largest component is +-127 and rounded to int8, with the
scale kept beside it (USearch's own i8 conversion multiplies by 127 and clips, which wastes most
of the range of a unit vector). Sparse: uint16 token ids (the vocabulary has 30,522 entries)
followed by float16 weights.
"""

from __future__ import annotations

import numpy as np

DENSE_DTYPE = np.int8


def quantize_dense(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 [n, d] -> (int8 [n, d], float32 scales [n]) with vector ~= int8 * scale."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1)
    peak[peak == 0] = 1.0
    scales = (peak / 127.0).astype(np.float32)
    q = np.rint(vectors / scales[:, None]).clip(-127, 127).astype(DENSE_DTYPE)
    return q, scales


def dense_to_blob(q: np.ndarray) -> bytes:
    return np.ascontiguousarray(q, dtype=DENSE_DTYPE).tobytes()


def blob_to_dense(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype=DENSE_DTYPE)


def binary_codes(q: np.ndarray) -> np.ndarray:
    """Sign bits of int8 vectors, packed for USearch's b1 (Hamming) index."""
    return np.packbits(np.asarray(q) > 0, axis=1)


def sparse_to_blob(ids: np.ndarray, weights: np.ndarray) -> bytes:
    ids = np.asarray(ids, dtype=np.uint16)
    weights = np.asarray(weights, dtype=np.float16)
    return ids.tobytes() + weights.tobytes()


def blob_to_sparse(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    n = len(blob) // 4
    ids = np.frombuffer(blob, dtype=np.uint16, count=n)
    weights = np.frombuffer(blob, dtype=np.float16, count=n, offset=2 * n)
    return ids, weights
