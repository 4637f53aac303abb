"""Optical character recognition: text from images and from PDF pages without a text layer.

models.py finds and verifies the two shipped ONNX graphs; engine.py runs them (detection, then
recognition of each text line) with numpy and Pillow only, leaning on images.py (input
normalisation), boxes.py (detection post-processing) and layout.py (reading order), which import
nothing from it; task.py is one page as a worker reads it. Which PDF pages need OCR is decided
at extraction (core.extract.pdf); the phase that reads them is core.ocr_phase.
"""
