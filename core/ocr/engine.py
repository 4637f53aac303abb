"""Text from an image with the PP-OCRv6 small models, on numpy and Pillow only (no OpenCV).

The pipeline follows rapidocr 3.10 (which ships these graphs) where it matters for accuracy:
the same normalisation, DB post-processing thresholds, unclip distance, recogniser input shape
and CTC decoding. What differs is written for a desktop indexer:

- detection runs on a downscaled copy (and in strips when large), so memory stays bounded and a
  photo without text is rejected in a fraction of a second;
- connected components come from a run-length union-find instead of cv2.findContours, and each
  component's minimum-area rectangle from rotating calipers over its convex hull;
- a page turned by 90, 180 or 270 degrees is detected by reading a few of its longest lines each
  way and keeping the most confident reading (no direction classifier model);
- lines are put in reading order (columns split where a wide vertical gutter runs between text,
  then rows, then paragraphs) in the page's deskewed frame.

This module runs the models and assembles the page; the steps without models live beside it:
images.py (input normalisation), boxes.py (detection post-processing), layout.py (reading order).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from core.ocr.boxes import Box, boxes_from_prob, detail, split_points, turn_points
from core.ocr.images import pad, working_copy
from core.ocr.layout import Item, layout
from core.ocr.models import OcrModels, ocr_models

# Privacy: no usage database in the user's cache folder; must precede the onnxruntime import.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

import onnxruntime as ort  # noqa: E402

# Detection passes (post-processing thresholds are in core.ocr.boxes).
_DET_MAX_SIDE = 960  # the first detection pass's longest side
_DET_MAX_SCALE = 2.0
# A second pass at a higher scale when the first found text whose median height is below this
# (px in the probability map): small type in a large scan.
_DET_SMALL_TEXT = 14.0
_DET_TARGET_TEXT = 17.0
_DET_MAX_PIXELS = 4_000_000  # the second pass's cap, in probability-map pixels
_DET_TILE_PIXELS = 1_250_000  # larger inputs run in overlapping strips (memory: ~0.25 KB/px)
_DET_TILE_MARGIN = 64  # context each side of a strip, px; DB maps agree to within noise
_MIN_IMAGE_SIDE = 16  # px: a smaller image is not read
_PAD_TO = 64  # smaller images get a margin up to this

# Recognition (rapidocr: rec_img_shape 3x48x320, rec_batch_num 6, text_score 0.5).
_REC_HEIGHT = 48
_REC_MIN_WIDTH = 320
_REC_BATCH = 6
_REC_MAX_BATCH_WIDTH = 1600  # batch size x padded width: one thread runs narrow batches best
_TEXT_SCORE = 0.5
_TALL = 1.5  # a crop this much taller than wide is text running vertically

# Orientation: at most this many lines (and about this many characters) read per candidate,
# and the upright confidence above which 180 is not tried.
_ORIENT_SAMPLE = 8
_ORIENT_CHARS = 100
_UPRIGHT_CONFIDENT = 0.9


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float  # mean character probability, 0..1
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in the input image's pixels


@dataclass
class OcrPage:
    text: str  # reading order; "\n" between lines, "\n\n" between paragraphs and blocks
    lines: list[OcrLine]
    rotation: int  # 0, 90, 180 or 270: clockwise degrees the image was turned before reading
    seconds: float  # processor time spent


# Pillow transposes that turn an image clockwise by 90, 180 and 270 degrees.
_TRANSPOSE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180,
              270: Image.Transpose.ROTATE_90}


def _session(path: os.PathLike[str] | str, threads: int) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = max(1, threads)
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Input shapes change with every image and line: an arena would keep the largest ever
    # allocation, and memory patterns only help fixed shapes.
    so.enable_cpu_mem_arena = False
    so.enable_mem_pattern = False
    so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


class OcrEngine:
    """Detection then recognition of each text line. One engine may serve several threads."""

    def __init__(self, models: OcrModels | None = None, threads: int = 1) -> None:
        models = models or ocr_models()
        self.threads = max(1, threads)
        self._det = _session(models.detection, self.threads)
        self._rec = _session(models.recognition, self.threads)
        meta = self._rec.get_modelmeta().custom_metadata_map
        # rapidocr's CTCLabelDecode: blank first, the dictionary, then a space.
        self._chars = ["", *meta["character"].splitlines(), " "]
        classes = self._rec.get_outputs()[0].shape[-1]
        if isinstance(classes, int) and classes != len(self._chars):
            raise ValueError(f"OCR recogniser has {classes} classes, dictionary "
                             f"{len(self._chars)}")
        self._det_input = self._det.get_inputs()[0].name
        self._rec_input = self._rec.get_inputs()[0].name

    # -- public

    def read(self, image: Image.Image) -> OcrPage:
        clock = time.thread_time if self.threads == 1 else time.process_time
        start = clock()
        if min(image.size) < _MIN_IMAGE_SIDE:
            return OcrPage("", [], 0, clock() - start)
        rgb, back = working_copy(image)
        margin = 0
        if min(rgb.size) < _PAD_TO:
            # Text touching the edges of a small image (a cut-out label) needs a margin to be
            # detected at all.
            margin = math.ceil((_PAD_TO - min(rgb.size)) / 2)
            rgb = pad(rgb, margin)
        boxes = self._detect(rgb)
        if not boxes:
            return OcrPage("", [], 0, clock() - start)
        rotation, results = self._orient(rgb, boxes)
        lines, text = self._assemble(rgb, boxes, rotation, results, (back, margin), image.size)
        return OcrPage(text, lines, rotation, clock() - start)

    # -- detection

    def _detect(self, rgb: Image.Image) -> list[Box]:
        width, height = rgb.size
        # First pass small: enough for ordinary type, and what a textless photo costs.
        scale = min(_DET_MAX_SIDE / max(width, height), _DET_MAX_SCALE)
        boxes, heights = self._detect_at(rgb, scale)
        if heights and float(np.median(heights)) < _DET_SMALL_TEXT:
            # Small type: detect again where its median height reaches the target.
            better = scale * _DET_TARGET_TEXT / float(np.median(heights))
            better = min(better, math.sqrt(_DET_MAX_PIXELS / (width * height)), _DET_MAX_SCALE)
            if better > scale * 1.2:
                boxes, _ = self._detect_at(rgb, better)
        return boxes

    def _detect_at(self, rgb: Image.Image, scale: float) -> tuple[list[Box], list[float]]:
        width, height = rgb.size
        dw = max(32, round(width * scale / 32) * 32)
        dh = max(32, round(height * scale / 32) * 32)
        small = rgb.resize((dw, dh), Image.Resampling.BILINEAR)
        # BGR, as the PaddleOCR models were trained on OpenCV images; (v / 255 - 0.5) / 0.5.
        x = np.asarray(small, dtype=np.float32)[:, :, ::-1].transpose(2, 0, 1)
        x = np.ascontiguousarray(x) * (1 / 127.5) - 1.0
        detail_map = detail(small.convert("L"))
        del small
        prob = self._det_prob(x)
        del x
        sx, sy = width / dw, height / dh
        boxes, heights = [], []
        for cx, cy, w, h, angle, score in boxes_from_prob(prob, detail_map):
            heights.append(min(w, h))
            corners = Box(cx, cy, w, h, angle, score).corners()
            # Map pixel centres back and clip to the image, like rapidocr's clip_det_res.
            corners = (corners + 0.5) * np.array([sx, sy]) - 0.5
            corners[:, 0] = np.clip(corners[:, 0], 0, width - 1)
            corners[:, 1] = np.clip(corners[:, 1], 0, height - 1)
            top, right = corners[1] - corners[0], corners[2] - corners[1]
            bw = (np.hypot(*top) + np.hypot(*(corners[2] - corners[3]))) / 2
            bh = (np.hypot(*right) + np.hypot(*(corners[3] - corners[0]))) / 2
            if bw <= 3 or bh <= 3:
                continue
            c = corners.mean(axis=0)
            boxes.append(Box(float(c[0]), float(c[1]), float(bw), float(bh),
                             math.atan2(top[1], top[0]), score))
        return boxes, heights

    def _det_prob(self, x: np.ndarray) -> np.ndarray:
        """The probability map of a (3, H, W) input, in overlapping strips when large."""
        _, h, w = x.shape
        if h * w <= _DET_TILE_PIXELS:
            return self._det.run(None, {self._det_input: x[None]})[0][0, 0]
        along_rows = h >= w
        length, across = (h, w) if along_rows else (w, h)
        m = _DET_TILE_MARGIN
        strip = max(256, (_DET_TILE_PIXELS // across) // 32 * 32 - 2 * m)
        prob = np.empty((h, w), np.float32)
        for a in range(0, length, strip):
            b = min(length, a + strip)
            lo, hi = max(0, a - m), min(length, b + m)
            part = x[:, lo:hi, :] if along_rows else x[:, :, lo:hi]
            out = self._det.run(None, {self._det_input: np.ascontiguousarray(part)[None]})
            out = out[0][0, 0]
            if along_rows:
                prob[a:b, :] = out[a - lo:b - lo, :]
            else:
                prob[:, a:b] = out[:, a - lo:b - lo]
        return prob

    # -- recognition

    def _crop(self, rgb: Image.Image, box: Box, rotation: int) -> Image.Image:
        """The box's pixels, straightened, turned clockwise by `rotation`."""
        tl, tr, br, bl = box.corners()
        w = max(1, round(box.w))
        h = max(1, round(box.h))
        data = (*tl, *bl, *br, *tr)
        crop = rgb.transform((w, h), Image.Transform.QUAD, data,
                             resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
        if rotation:
            crop = crop.transpose(_TRANSPOSE[rotation])
        return crop

    def _recognise(self, crops: Sequence[Image.Image]) -> list[tuple[str, float]]:
        """(text, mean character probability) per crop. Each crop is scaled to the model's
        height; a very long one is cut at word gaps (the recogniser's cost grows faster than
        its width); pieces are batched by similar width."""
        pieces: list[np.ndarray] = []  # (3, 48, w) normalised BGR
        owner: list[int] = []
        for k, crop in enumerate(crops):
            rw = max(1, math.ceil(_REC_HEIGHT * crop.width / max(1, crop.height)))
            im = crop.resize((rw, _REC_HEIGHT), Image.Resampling.BILINEAR)
            a = np.asarray(im, dtype=np.float32)
            for lo, hi in split_points(a):
                pieces.append(a[:, lo:hi, ::-1].transpose(2, 0, 1) * (1 / 127.5) - 1.0)
                owner.append(k)
        decoded: list[tuple[str, float, int]] = [("", 0.0, 0)] * len(pieces)
        order = sorted(range(len(pieces)), key=lambda i: pieces[i].shape[2])
        i = 0
        while i < len(order):
            # Grow the batch while its padded width stays bounded.
            j = i + 1
            while j < len(order) and j - i < _REC_BATCH:
                if (j - i + 1) * max(_REC_MIN_WIDTH, pieces[order[j]].shape[2]) > \
                        _REC_MAX_BATCH_WIDTH:
                    break
                j += 1
            batch = order[i:j]
            i = j
            width = max(_REC_MIN_WIDTH, *(pieces[k].shape[2] for k in batch))
            # Padding is 0 after normalisation (mid grey), as in PaddleOCR.
            x = np.zeros((len(batch), 3, _REC_HEIGHT, width), np.float32)
            for n, k in enumerate(batch):
                x[n, :, :, :pieces[k].shape[2]] = pieces[k]
            probs = self._rec.run(None, {self._rec_input: x})[0]
            idx = probs.argmax(axis=2)
            best = np.take_along_axis(probs, idx[:, :, None], axis=2)[:, :, 0]
            del probs
            for n, k in enumerate(batch):
                tokens = idx[n]
                keep = tokens != 0  # CTC: drop blanks and repeats
                keep[1:] &= tokens[1:] != tokens[:-1]
                chars = tokens[keep].tolist()
                conf = float(best[n][keep].sum())
                decoded[k] = ("".join(self._chars[t] for t in chars), conf, len(chars))
        texts: list[list[str]] = [[] for _ in crops]
        sums, counts = [0.0] * len(crops), [0] * len(crops)
        for k, (text, conf, count) in zip(owner, decoded, strict=True):
            texts[k].append(text)
            sums[k] += conf
            counts[k] += count
        return [(" ".join(t.strip() for t in parts if t.strip()) if len(parts) > 1 else parts[0],
                 sums[k] / counts[k] if counts[k] else 0.0)
                for k, parts in enumerate(texts)]

    # -- orientation

    def _orient(self, rgb: Image.Image, boxes: Sequence[Box]
                ) -> tuple[int, dict[int, tuple[str, float]]]:
        """The page's rotation and the sample lines read at it (index -> result)."""
        tall = sum(max(b.w, b.h) for b in boxes if b.h >= _TALL * b.w)
        wide = sum(max(b.w, b.h) for b in boxes if b.h < _TALL * b.w)
        first, second = (90, 270) if tall > wide else (0, 180)
        # The longest lines along the page's direction, until they hold enough characters
        # (a character is roughly half as wide as its box is high).
        along = [i for i, b in enumerate(boxes) if (b.h >= _TALL * b.w) == (first == 90)]
        along.sort(key=lambda i: -max(boxes[i].w, boxes[i].h))
        sample: list[int] = []
        chars = 0.0
        for i in along[:_ORIENT_SAMPLE]:
            sample.append(i)
            chars += 2 * max(boxes[i].w, boxes[i].h) / max(1.0, min(boxes[i].w, boxes[i].h))
            if chars >= _ORIENT_CHARS:
                break

        def attempt(rotation: int) -> tuple[float, dict[int, tuple[str, float]]]:
            got = self._recognise([self._crop(rgb, boxes[i], rotation) for i in sample])
            chars = sum(len(t) for t, _ in got)
            score = sum(len(t) * c for t, c in got) / chars if chars else 0.0
            return score, dict(zip(sample, got, strict=True))

        score, results = attempt(first)
        if first == 0 and score >= _UPRIGHT_CONFIDENT:
            return 0, results
        other, other_results = attempt(second)
        if other > score:
            return second, other_results
        return first, results

    # -- assembly

    def _assemble(self, rgb: Image.Image, boxes: Sequence[Box], rotation: int,
                  known: dict[int, tuple[str, float]], to_input: tuple[float, int],
                  input_size: tuple[int, int]) -> tuple[list[OcrLine], str]:
        back, margin = to_input
        vertical = rotation in (90, 270)
        todo = [i for i in range(len(boxes)) if i not in known]
        results = dict(known)
        for i, res in zip(todo, self._recognise([self._crop(rgb, boxes[i], rotation)
                                                 for i in todo]), strict=True):
            results[i] = res
        # Boxes across the page's text direction (a label turned on its side, or one tall
        # character): also read turned by a quarter, keep the more confident reading.
        odd = [i for i in range(len(boxes)) if (boxes[i].h >= _TALL * boxes[i].w) != vertical]
        if odd:
            turned = self._recognise([self._crop(rgb, boxes[i], (rotation + 270) % 360)
                                      for i in odd])
            for i, res in zip(odd, turned, strict=True):
                if res[1] > results[i][1] + 0.05:
                    results[i] = res

        width, height = rgb.size
        kept = [i for i in range(len(boxes))
                if results[i][1] >= _TEXT_SCORE and results[i][0].strip()]
        if not kept:
            return [], ""
        corners = {i: turn_points(boxes[i].corners(), rotation, width, height) for i in kept}
        # Deskew: the median direction of the long lines in the reading frame.
        angles, weights = [], []
        for i in kept:
            c = corners[i]
            top = c[1] - c[0] if np.hypot(*(c[1] - c[0])) >= np.hypot(*(c[3] - c[0])) \
                else c[0] - c[3]
            length = float(np.hypot(*top))
            if length >= 2 * min(boxes[i].w, boxes[i].h):
                angles.append(math.atan2(top[1], top[0]))
                weights.append(length)
        skew = 0.0
        if angles:
            a = np.array(angles)
            a = (a + math.pi / 2) % math.pi - math.pi / 2  # a line read backwards is the same line
            o = np.argsort(a)
            cum = np.cumsum(np.array(weights)[o])
            skew = float(a[o][np.searchsorted(cum, cum[-1] / 2)])
        cos, sin = math.cos(-skew), math.sin(-skew)
        rot = np.array([[cos, -sin], [sin, cos]])
        items: list[Item] = []
        lines: list[OcrLine] = []
        for i in kept:
            d = corners[i] @ rot.T
            text, conf = results[i]
            text = text.strip()
            items.append(Item(float(d[:, 0].min()), float(d[:, 1].min()),
                              float(d[:, 0].max()), float(d[:, 1].max()), text))
            c = (boxes[i].corners() - margin) * back
            x0, y0 = np.clip(c.min(axis=0), 0, None)
            x1 = min(float(c[:, 0].max()), input_size[0])
            y1 = min(float(c[:, 1].max()), input_size[1])
            lines.append(OcrLine(text, conf, (float(x0), float(y0), x1, y1)))
        text, order = layout(items)
        return [lines[k] for k in order], text
