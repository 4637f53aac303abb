"""Compact byte encodings of passage vectors, as stored in SQLite.

Dense: the unit vector scaled so its largest component is +-127 and rounded to int8, with the
scale kept beside it (USearch's own i8 conversion multiplies by 127 and clips, which wastes most
of the range of a unit vector). Sparse: the passage's largest weight / 255 as float32, then
uint16 token ids (the vocabularies have at most 65,536 entries), then uint8 weights in steps of
that scale (schema v5; before, float16 weights and no scale: `legacy_blob_to_sparse`). A weight
never rounds to 0, so a passage keeps every term it had.
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


SPARSE_LEVELS = 255  # uint8 steps of a passage's own scale
_SCALE = np.dtype("<f4")


def quantize_sparse(weights: np.ndarray) -> tuple[np.ndarray, float]:
    """float weights -> (uint8 levels, scale) with weight ~= level * scale, level >= 1."""
    weights = np.asarray(weights, dtype=np.float32)
    peak = float(weights.max()) if len(weights) else 0.0
    scale = peak / SPARSE_LEVELS if peak > 0 else 1.0
    levels = np.rint(weights / scale).clip(1, SPARSE_LEVELS).astype(np.uint8)
    return levels, float(np.float32(scale))


def sparse_to_blob(ids: np.ndarray, weights: np.ndarray) -> bytes:
    levels, scale = quantize_sparse(weights)
    return (np.asarray(scale, dtype=_SCALE).tobytes() + np.asarray(ids, dtype=np.uint16).tobytes()
            + levels.tobytes())


def blob_to_levels(blob: bytes) -> tuple[np.ndarray, np.ndarray, float]:
    """(uint16 ids, uint8 levels, scale): what the posting segments store."""
    n = (len(blob) - 4) // 3
    if n <= 0:
        return np.zeros(0, np.uint16), np.zeros(0, np.uint8), 1.0
    scale = float(np.frombuffer(blob, dtype=_SCALE, count=1)[0])
    ids = np.frombuffer(blob, dtype=np.uint16, count=n, offset=4)
    levels = np.frombuffer(blob, dtype=np.uint8, count=n, offset=4 + 2 * n)
    return ids, levels, scale


def blob_to_sparse(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    ids, levels, scale = blob_to_levels(blob)
    return ids, levels.astype(np.float32) * np.float32(scale)


def legacy_blob_to_sparse(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Schema v1-v4: uint16 ids then float16 weights."""
    n = len(blob) // 4
    ids = np.frombuffer(blob, dtype=np.uint16, count=n)
    weights = np.frombuffer(blob, dtype=np.float16, count=n, offset=2 * n)
    return ids, weights
