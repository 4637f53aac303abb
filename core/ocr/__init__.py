"""Optical character recognition: text from images and from PDF pages without a text layer.

models.py finds and verifies the two shipped ONNX graphs, engine.py runs them (detection, then
recognition of each text line) with numpy and Pillow only, pages.py decides which pages need it.
"""
