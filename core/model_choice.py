"""Which models an index uses, and keeping its vectors true to them.

The meaning (dense) model is a setting: the English one (all-MiniLM-L6-v2, twice as fast), the
multilingual one (multilingual-e5-small: about 100 languages, and queries across languages), or
automatic, the default: English until a sample of the index's passages shows other languages,
then multilingual for good (switching back and forth would re-encode everything each time).
An index never holds vectors of two models: a change re-encodes in the background, and search
keeps working meanwhile (keyword at once, meaning as the passages are encoded again).
"""

from __future__ import annotations

from core.encode.manifest import (
    DEFAULT_DENSE,
    MULTILINGUAL_DENSE,
    dense_models,
    model_digest,
    resolve_sparse_model,
)
from core.store.catalog import Catalog
from core.store.index_models import IndexModels, stored_models
from core.text.language import non_english_share

AUTO = ""  # the dense-model setting that lets the index decide
# Share of sampled passages in other languages that makes an automatic index multilingual. English
# trees measure 0-0.5% (SciFact, Cranfield, CISI 0 of 8,041 documents; 3 of 600 Debian
# changelogs), so 5% means real documents in another language, not noise.
AUTO_MULTILINGUAL_SHARE = 0.05
SAMPLE = 1000  # passages read to decide


def resolve_dense_model(requested: str = AUTO) -> str:
    """A dense model that ships: the one asked for, else the default (automatic resolves by the
    index's content in `choose_dense_model`)."""
    models = dense_models()
    return requested if requested in models else DEFAULT_DENSE


def index_models(sparse_model: str = "", dense_model: str = "") -> IndexModels:
    """The record of an index encoded with these models ("" = the defaults)."""
    sparse = resolve_sparse_model(sparse_model)
    dense = resolve_dense_model(dense_model)
    return IndexModels(model_digest(dense), sparse, model_digest(sparse), dense)


def passage_sample(catalog: Catalog, limit: int = SAMPLE) -> list[str]:
    """Up to `limit` passage texts spread evenly over the index (every k-th passage)."""
    total = catalog.passage_count()
    step = max(1, total // limit)
    return [r[0] for r in catalog.conn.execute(
        "SELECT text FROM passages WHERE id % ? = 0 LIMIT ?", (step, limit))]


def choose_dense_model(requested: str, catalog: Catalog, look: bool = True) -> str:
    """The dense model the index is to use. Automatic reads a sample of the passages only when
    `look`: the indexer does so once the keyword phase has stored the new documents' text."""
    if requested != AUTO and requested in dense_models():
        return requested
    stored = stored_models(catalog)
    if stored is not None and stored.dense_name == MULTILINGUAL_DENSE:
        return MULTILINGUAL_DENSE  # automatic never switches back
    if look and non_english_share(passage_sample(catalog)) >= AUTO_MULTILINGUAL_SHARE:
        return MULTILINGUAL_DENSE
    return stored.dense_name if stored is not None and not look else DEFAULT_DENSE


def ensure_models(catalog: Catalog, sparse_model: str, dense_model: str, look: bool = True
                  ) -> IndexModels:
    """Record the models the index is to use now; vectors of other model files are dropped
    (the dense ones are kept if only the sparse model changed). Returns the record."""
    wanted = index_models(sparse_model, choose_dense_model(dense_model, catalog, look))
    stored = stored_models(catalog)
    if stored == wanted:
        return wanted
    with catalog.transaction():
        if stored is not None:  # even with no vectors left: kept dense ones may be stale
            catalog.drop_vectors(keep_dense=stored.dense == wanted.dense)
        catalog.set_meta("models", wanted.to_meta())
    return wanted
