"""Which models an index's vectors were made with (the catalog's meta "models")."""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.store.catalog import Catalog


@dataclass(frozen=True)
class IndexModels:
    """The models an index's vectors come from: digests of their files, and the models' names
    (queries are encoded with the same ones)."""
    dense: str
    sparse_name: str
    sparse: str
    dense_name: str = "dense"  # records written before the dense model could be chosen

    def to_meta(self) -> str:
        return json.dumps({"dense": self.dense, "sparse_name": self.sparse_name,
                           "sparse": self.sparse, "dense_name": self.dense_name})


# Indexes written before the sparse model could be chosen stored the digest of the whole
# manifest.json; this is the only one that shipped (the files of resources/models at c66e2d7).
_LEGACY_MODELS = {"570fe6ebddd0f17d": IndexModels("d0f1445ef9739b7d", "sparse",
                                                  "a08e5db0b51c8ff4")}


def stored_models(catalog: Catalog) -> IndexModels | None:
    raw = catalog.get_meta("models")
    if raw is None:
        return None
    if raw in _LEGACY_MODELS:
        return _LEGACY_MODELS[raw]
    try:
        return IndexModels(**json.loads(raw))
    except (ValueError, TypeError):
        return IndexModels("unknown", "unknown", "unknown")  # re-encode everything
