"""Training text for the sparse encoder, built reproducibly from a pinned Debian package.

WordNet 3.0 (`wordnet-base`, WordNet licence: free to use, copy and distribute) gives tens of
thousands of headwords that have a single meaning, each with a definition written by
lexicographers across biology, medicine, chemistry, law and everyday words. A pair is
(query = the headword, document = its definition and usage examples): the document must be
expanded to the word it defines, which is what document expansion is for. Only single-meaning
headwords are used, so no other definition in the pool is a second right answer.

Nothing here comes from an IR test collection (../shared/datasets is never read).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

# The exact package the data is built from (Debian bookworm); its sha256 is checked before use.
PACKAGE = "wordnet-base"
VERSION = "1:3.0-37"
DEB_SHA256 = "61060d960f9ada8fa120872312eccd3ecebfbab8c4579e4f5a74e1cf67620752"
PARTS = ("noun", "verb", "adj", "adv")
FORMAT = 1  # bump when the pairs built from the same package change


def fetch_package(cache: Path) -> Path:
    """The pinned .deb, downloaded once with apt (Debian's mirrors) and verified."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    if not found:
        subprocess.run(["apt-get", "download", f"{PACKAGE}={VERSION}"], cwd=cache, check=True)
        found = sorted(cache.glob(f"{PACKAGE}_*.deb"))
    deb = found[0]
    digest = hashlib.sha256(deb.read_bytes()).hexdigest()
    if digest != DEB_SHA256:
        raise SystemExit(f"{deb}: sha256 {digest} != pinned {DEB_SHA256}")
    return deb


def read_synsets(deb: Path) -> list[tuple[list[str], str]]:
    """(lemmas, gloss) of every synset in the package's data.* files."""
    out = []
    with tempfile.TemporaryDirectory(prefix="spyglass-wn-") as tmp:
        subprocess.run(["dpkg-deb", "-x", str(deb), tmp], check=True)
        for part in PARTS:
            path = Path(tmp) / "usr/share/wordnet" / f"data.{part}"
            for line in path.read_text(encoding="latin-1").splitlines():
                if line.startswith("  ") or "|" not in line:
                    continue  # the licence header
                head, gloss = line.split("|", 1)
                fields = head.split()
                count = int(fields[3], 16)
                lemmas = [re.sub(r"\(.*\)$", "", fields[4 + 2 * i]).replace("_", " ")
                          for i in range(count)]
                out.append((lemmas, gloss.strip()))
    return out


def build(deb: Path, seed: int = 0, held_out: int = 1000) -> dict:
    """Documents, training pairs and held-out pairs (split by synset, seeded). A pair is
    {"query": headword, "doc": index into docs}."""
    synsets = read_synsets(deb)
    senses = Counter(lemma.lower() for lemmas, _ in synsets for lemma in set(lemmas))
    docs: list[str] = []
    pairs: list[dict] = []
    for lemmas, gloss in synsets:
        single = [m for m in dict.fromkeys(lemmas) if senses[m.lower()] == 1
                  and any(c.isalpha() for c in m)]
        if not single or len(gloss.split()) < 4:
            continue
        pairs.append({"query": single[0], "doc": len(docs)})
        docs.append(gloss)
    random.Random(seed).shuffle(pairs)
    return {"format": FORMAT, "seed": seed, "docs": docs,
            "source": {"package": PACKAGE, "version": VERSION, "sha256": DEB_SHA256},
            "train": pairs[held_out:], "held_out": pairs[:held_out]}


def load_or_build(work: Path, seed: int = 0) -> dict:
    path = work / "pairs.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") == FORMAT and data.get("seed") == seed:
            return data
    data = build(fetch_package(work / "debs"), seed)
    path.write_text(json.dumps(data), encoding="utf-8")
    return data
