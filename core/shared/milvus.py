"""Reaching a shared index: a pymilvus client for a target, and Milvus's failures as sentences.

pymilvus is imported here only, and only when a shared index is used: an installation without
the `shared` extra gets a message saying how to add it, and a person who never configures a
shared index never loads the client (no socket at all).
"""

from __future__ import annotations

import warnings
from typing import Any

from core.shared.target import SharedIndexError, SharedTarget

CONNECT_TIMEOUT_S = 10.0
INSTALL_HINT = ("searching or publishing a shared index needs the Milvus client, which the "
                "packaged app leaves out (it is larger than the app): install Spyglass from "
                "source with its `shared` extra (pip install -e '.[shared]'; `make run` "
                "installs it)")


def connect(target: SharedTarget) -> Any:
    """A MilvusClient for the target, or SharedIndexError saying why not."""
    try:
        from pymilvus import MilvusClient
    except ImportError as e:
        raise SharedIndexError(INSTALL_HINT) from e
    kwargs: dict[str, Any] = {"uri": target.uri, "timeout": CONNECT_TIMEOUT_S}
    if target.user:
        kwargs.update(user=target.user, password=target.secret)
    elif target.secret:
        kwargs["token"] = target.secret
    try:
        with warnings.catch_warnings():  # Milvus Lite's own import warns; not the user's concern
            warnings.filterwarnings("ignore", "pkg_resources is deprecated", UserWarning)
            return MilvusClient(**kwargs)
    except Exception as e:
        raise SharedIndexError(explain(e, target)) from e


def upsert_columns(client: Any, collection: str, columns: dict[str, list[Any]],
                   schema: dict[str, Any]) -> None:
    """Rows given column by column, into a collection of that schema (describe_collection's).
    pymilvus packs columns about 2.5 times faster than rows (its row path checks and sorts each
    sparse vector on its own), but MilvusClient takes only rows: its connection's column-based
    upsert (what the ORM's Collection.upsert calls) is used where it is there, and the rows are
    built and sent the public way where a later pymilvus moved it."""
    handler = getattr(client, "_get_connection", None)
    upsert = getattr(handler() if handler else None, "upsert", None)
    if upsert is not None:
        types = {f["name"]: f["type"] for f in schema["fields"]}
        upsert(collection, [{"name": n, "type": types[n], "values": v}
                            for n, v in columns.items()], schema=schema)
        return
    names = list(columns)
    client.upsert(collection, [dict(zip(names, row, strict=True))
                               for row in zip(*columns.values(), strict=True)])


def explain(exc: BaseException, target: SharedTarget) -> str:
    """A Milvus or transport failure as the user should read it (the secret never appears).
    pymilvus wraps gRPC's status in its own exception (a refused login reads "Fail connecting
    ... or server unavailable", or nothing at all), so the whole chain of causes is read."""
    text = str(exc) or type(exc).__name__
    low = " ".join(str(e) for e in _causes(exc)).lower()
    where = f"the shared index {target.name!r} ({target.uri})"
    if target.secret:
        text = text.replace(target.secret, "***")
    if "milvus-lite is required" in low or isinstance(exc, ImportError):
        return INSTALL_HINT
    if "missing authorization" in low:
        return f"{where} asks for a login: give its user name and password or token"
    if any(w in low for w in ("unauthenticated", "auth check failure", "credential",
                              "password", "permission denied", "privilege")):
        return f"{where} refused the login: check the user name and password or token"
    if "multiple vector fields is not supported" in low or ("sparse" in low
                                                             and "not support" in low):
        return (f"{where} runs a Milvus older than 2.4, which has neither sparse vectors nor "
                "several vector fields in a collection: a shared index needs Milvus 2.4 or later")
    if any(w in low for w in ("fail connecting", "connect", "unavailable", "timed out",
                              "deadline", "connection refused", "dns", "failed to")):
        return f"{where} cannot be reached: is the server running and the address right? ({text})"
    if "collection not found" in low or "can't find collection" in low:
        return f"{where} has no collection {target.collection!r}: publish to it first"
    return f"{where} failed: {text}"


def _causes(exc: BaseException | None) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and all(exc is not seen for seen in out):
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out
