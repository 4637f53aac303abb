"""Reading a BEIR-layout collection: corpus.jsonl, queries.jsonl, qrels/test.tsv."""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Collection:
    name: str
    folder: Path
    corpus: dict[str, tuple[str, str]]  # doc id -> (title, text)
    queries: dict[str, str]  # query id -> text (judged queries only)
    qrels: dict[str, dict[str, int]]  # query id -> doc id -> relevance
    digest: str  # of the corpus file: the index cache key

    @classmethod
    def load(cls, folder: Path) -> Collection:
        folder = Path(folder)
        for needed in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
            if not (folder / needed).is_file():
                raise FileNotFoundError(f"{folder} is not a BEIR collection: {needed} is missing")
        corpus_bytes = (folder / "corpus.jsonl").read_bytes()
        corpus = {}
        for line in corpus_bytes.decode("utf-8").splitlines():
            if line.strip():
                doc = json.loads(line)
                corpus[str(doc["_id"])] = (doc.get("title") or "", doc.get("text") or "")
        qrels: dict[str, dict[str, int]] = {}
        with open(folder / "qrels" / "test.tsv", encoding="utf-8") as f:
            reader = csv.reader(f, delimiter="\t")
            next(reader, None)  # header
            for row in reader:
                if len(row) >= 3 and int(row[2]) > 0:
                    qrels.setdefault(row[0], {})[row[1]] = int(row[2])
        queries = {}
        with open(folder / "queries.jsonl", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    q = json.loads(line)
                    if str(q["_id"]) in qrels:  # only judged queries are evaluated
                        queries[str(q["_id"])] = q["text"]
        digest = hashlib.sha256(corpus_bytes).hexdigest()[:16]
        return cls(folder.name, folder, corpus, queries, qrels, digest)


def write_documents(collection: Collection, folder: Path) -> dict[str, str]:
    """One text file per document (title line, blank line, text), as a user's files would be;
    returns file name -> doc id."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for i, (doc_id, (title, text)) in enumerate(collection.corpus.items()):
        name = f"{i:07}.txt"
        names[name] = doc_id
        body = f"{title}\n\n{text}" if title.strip() else text
        path = folder / name
        if not path.exists():
            path.write_text(body, encoding="utf-8")
    return names
