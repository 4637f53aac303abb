"""What a shared index holds in Milvus: one collection of passages and two small sidecars.

`<name>`: a row per passage, keyed by the publisher's passage id: where it is (path, offsets,
page, section), the file's details (title, format, extension, mtime, size, source folder), its
text (whole or an excerpt), and the vectors of the three lists: `keyword` (BM25 as a sparse
vector, core.shared.bm25_terms), `sparse` (the learned related-terms weights), `dense` (the
meaning vector, int8 x scale as floats, so inner products are those of the local index) and
`binary` (its sign bits: candidates by Hamming distance, rescored with `dense`, as the local
index finds them, so both keep and miss the same passages); `encoded` says whether the passage
has those vectors at all (the encoders see only a file's first passages, core.store.catalog's
SEMANTIC_PASSAGES_PER_FILE: later ones are keyword-searchable only, here as locally).
`<name>_meta`: the models' digests (a mismatch is refused) and the collection statistics.
`<name>_terms`: document frequencies, the IDF table of both sparse lists, by term key.
Milvus needs a vector field in every collection: the sidecars carry a 2-d placeholder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Term keys in `<name>_terms`: keyword terms hash below 2^32; word pieces of the sparse model
# are offset above them; the statistics sit at negative keys.
PIECE_OFFSET = 1 << 32
STAT_PASSAGES = -1  # passages published
STAT_KEYWORD_TOKENS = -2  # keyword tokens in all of them (BM25's average length)
STAT_SPARSE_PASSAGES = -3  # passages with a learned sparse vector
STATS = (STAT_PASSAGES, STAT_KEYWORD_TOKENS, STAT_SPARSE_PASSAGES)

TEXT_BYTES = 65_535  # Milvus's VARCHAR limit
PATH_BYTES = 4_096


@dataclass(frozen=True)
class Names:
    passages: str
    meta: str
    terms: str

    @classmethod
    def of(cls, collection: str) -> Names:
        return cls(collection, f"{collection}_meta", f"{collection}_terms")


# Fields every search returns for a hit.
HIT_FIELDS = ["file_id", "path", "title", "format", "mtime", "size", "start", "end", "page",
              "section", "text", "source"]


def create_collections(client: Any, names: Names, dim: int, dense_index: str = "FLAT") -> None:
    """The three collections, where missing. Dense search is a Hamming search of `binary`
    (BIN_FLAT: exhaustive, as the local index below 250k vectors) whose candidates are then
    scored exactly on `dense` (FLAT, restricted to them); a server at millions of passages can
    take BIN_IVF_FLAT for the candidates (docs/scaling.md)."""
    from pymilvus import DataType

    if not client.has_collection(names.passages):
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.INT64, is_primary=True)
        s.add_field("file_id", DataType.INT64)
        s.add_field("path", DataType.VARCHAR, max_length=PATH_BYTES)
        s.add_field("source", DataType.VARCHAR, max_length=PATH_BYTES)
        s.add_field("title", DataType.VARCHAR, max_length=1024)
        s.add_field("format", DataType.VARCHAR, max_length=64)
        s.add_field("ext", DataType.VARCHAR, max_length=64)
        s.add_field("mtime", DataType.DOUBLE)
        s.add_field("size", DataType.INT64)
        s.add_field("start", DataType.INT64)
        s.add_field("end", DataType.INT64)
        s.add_field("page", DataType.INT64)  # -1: none
        s.add_field("section", DataType.VARCHAR, max_length=1024)
        s.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
        s.add_field("keyword", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        s.add_field("binary", DataType.BINARY_VECTOR, dim=dim)
        s.add_field("encoded", DataType.BOOL)  # False: zero vectors, left out of meaning search
        params = client.prepare_index_params()
        params.add_index("keyword", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
        params.add_index("dense", index_type=dense_index, metric_type="IP",
                         **({"params": {"nlist": 1024}} if dense_index.startswith("IVF") else {}))
        params.add_index("binary", index_type="BIN_FLAT", metric_type="HAMMING")
        client.create_collection(names.passages, schema=s, index_params=params)
    for name, key_type in ((names.meta, "VARCHAR"), (names.terms, "INT64")):
        if client.has_collection(name):
            continue
        s = client.create_schema(auto_id=False, enable_dynamic_field=False)
        if key_type == "VARCHAR":
            s.add_field("key", DataType.VARCHAR, is_primary=True, max_length=256)
            s.add_field("value", DataType.VARCHAR, max_length=TEXT_BYTES)
        else:
            s.add_field("key", DataType.INT64, is_primary=True)
            s.add_field("df", DataType.INT64)
        s.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        params = client.prepare_index_params()
        params.add_index("v", index_type="FLAT", metric_type="L2")
        client.create_collection(name, schema=s, index_params=params)


def has_field(schema: dict[str, Any], name: str) -> bool:
    """Whether the passages collection (as describe_collection gives it) has a field:
    collections published by earlier versions lack `binary` (searched with exact dense scores)
    and `encoded` (they hold no passage without vectors)."""
    return any(f.get("name") == name for f in schema.get("fields", []))


def clip_utf8(text: str, limit: int) -> str:
    """The longest prefix of text within `limit` UTF-8 bytes (Milvus counts bytes)."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def quote(value: str) -> str:
    """A string literal in a Milvus filter expression."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
