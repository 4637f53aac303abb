"""Shared indexes on Milvus Lite 2.5 (the real Milvus core, embedded): publishing a real index,
searching it as the local one searches, incremental and killed publishes, and the failures a
user can meet (a server that is not there, other models). With SPYGLASS_MILVUS_URI set, the
same publish-and-search test also runs against that server."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from core.api import Engine
from core.search.query import literal_query
from core.search.searcher import MODES
from core.shared import publish as publish_module
from core.shared.layout import STAT_PASSAGES, Names
from core.shared.milvus import connect, upsert_columns
from core.shared.publish import state_path
from core.shared.target import (
    PathMapping,
    SharedIndexError,
    SharedTarget,
    load_secret,
    save_secret,
)
from core.sharing import SharedSearch, publish_folders
from core.store import catalog as catalog_store
from tests.conftest import SPYGLASS
from tests.docs import TOPICS, write_corpus, write_topics

pytest.importorskip("milvus_lite", reason="the shared extra (pymilvus, milvus-lite) is needed")

QUERIES = ["bake bread at home", "car brakes", "python error handling", "tomato plants",
           "income tax deadline", "teenagers tired at school"]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path]:
    base = tmp_path_factory.mktemp("shared")
    docs = write_topics(base / "docs")
    engine = Engine.open(base / "index")
    engine.index([docs])
    yield engine, docs
    engine.close()


def _target(tmp_path: Path, **kw) -> SharedTarget:
    return SharedTarget(uri=str(tmp_path / "team.db"), **{"collection": "team", **kw})


def _remote_rows(target: SharedTarget) -> list[dict]:
    client = connect(target)
    try:
        return client.query(Names.of(target.collection).passages, filter="id >= 0",
                            output_fields=["id", "path"])
    finally:
        client.close()


def test_published_index_answers_as_the_local_one(indexed, tmp_path: Path) -> None:
    engine, docs = indexed
    target = _target(tmp_path, label="team",
                     mappings=(PathMapping(str(docs), "/mnt/team/docs"),))
    report = publish_folders(engine, [docs], target)
    passages = engine.status(list_limit=0).passages
    assert (report.files_sent, report.passages_sent) == (len(TOPICS), passages)
    shared = SharedSearch(engine, [target], local=False)
    try:
        for mode in MODES:
            for query in QUERIES:
                local = engine.search(literal_query(query), k=3, mode=mode).hits
                remote = shared.search(literal_query(query), k=3, mode=mode).hits
                assert [Path(h.path).name for h in remote] == [Path(h.path).name for h in local]
                assert all(h.source == "team" and h.path.startswith("/mnt/team/docs/")
                           for h in remote)
                assert [round(h.score, 4) for h in remote] == pytest.approx(
                    [round(h.score, 4) for h in local], abs=2e-3)
        # filters go to Milvus: an extension nobody has leaves nothing
        assert not shared.search("bread ext:pdf", k=3).hits
        assert shared.search('"sourdough loaf" bread', k=3).hits[0].path.endswith("bread.txt")
        assert all(not h.path.endswith("bread.txt")
                   for h in shared.search("bread oven -sourdough", k=6).hits)
    finally:
        shared.close()
    again = publish_folders(engine, [docs], target)  # nothing changed: nothing sent
    assert (again.files_sent, again.files_unchanged) == (0, len(TOPICS))


class _RowsOnly:
    """A client that offers only MilvusClient's public, row-based upsert."""

    def __init__(self, client) -> None:
        self.upsert = client.upsert


def test_rows_sent_by_columns_and_by_rows_are_stored_the_same(indexed, tmp_path: Path,
                                                              monkeypatch) -> None:
    engine, docs = indexed
    probe = connect(_target(tmp_path))
    assert hasattr(probe, "_get_connection")  # the installed pymilvus takes the column path
    probe.close()
    fields = ["id", "path", "title", "text", "mtime", "page", "keyword", "sparse", "dense",
              "binary"]
    stored = []
    for collection, rows_only in (("by_columns", False), ("by_rows", True)):
        if rows_only:
            monkeypatch.setattr(publish_module, "upsert_columns",
                                lambda client, *a: upsert_columns(_RowsOnly(client), *a))
        target = _target(tmp_path, collection=collection)
        publish_folders(engine, [docs], target)
        client = connect(target)
        try:
            rows = client.query(collection, filter="id >= 0", output_fields=fields)
        finally:
            client.close()
        stored.append(sorted(rows, key=lambda r: r["id"]))
    assert len(stored[0]) == engine.status(list_limit=0).passages
    for fast, slow in zip(*stored, strict=True):
        assert {f: fast[f] for f in fields} == {f: slow[f] for f in fields}


def test_passages_past_the_encoders_limit_are_shared_for_keywords_only(tmp_path: Path,
                                                                       monkeypatch) -> None:
    monkeypatch.setattr(catalog_store, "SEMANTIC_PASSAGES_PER_FILE", 1)
    docs = write_topics(tmp_path / "docs")
    write_corpus(docs / "long", files=2, paragraphs=12)  # several passages each
    with (docs / "long" / "part1" / "doc0001.txt").open("a", encoding="utf-8") as f:
        f.write("\n\nThe closing words mention sourdough bread and a quixotic zeppelin.\n")
    with Engine.open(tmp_path / "index") as engine:
        engine.index([docs])
        target = _target(tmp_path)
        report = publish_folders(engine, [docs], target)
        local = engine.searcher.catalog.conn.execute(
            "SELECT p.id FROM passages p LEFT JOIN vectors v ON v.passage_id = p.id "
            "WHERE v.passage_id IS NULL").fetchall()
        assert len(local) > 10 and report.files_waiting == 0
        assert report.passages_sent == engine.status(list_limit=0).passages
        client = connect(target)
        try:
            rows = client.query("team", filter="encoded == false", output_fields=["id"])
        finally:
            client.close()
        assert sorted(r["id"] for r in rows) == sorted(pid for (pid,) in local)
        shared = SharedSearch(engine, [target], local=False)
        try:
            for mode in MODES:
                for query in ("quixotic zeppelin", "sourdough bread", "copper violin harbor"):
                    ours = engine.search(literal_query(query), k=3, mode=mode).hits
                    theirs = shared.search(literal_query(query), k=3, mode=mode).hits
                    assert [Path(h.path).name for h in theirs] == [Path(h.path).name
                                                                   for h in ours], (mode, query)
            found = shared.search(literal_query("quixotic zeppelin"), k=1, mode="keyword").hits
            assert found[0].path.endswith("doc0001.txt")  # its last passage: keywords only
        finally:
            shared.close()


def test_incremental_publish_follows_changes_deletions_and_renames(tmp_path: Path) -> None:
    docs = write_topics(tmp_path / "docs")
    target = _target(tmp_path)
    with Engine.open(tmp_path / "index") as engine:
        engine.index([docs])
        publish_folders(engine, [docs], target)
        (docs / "car.txt").write_text("Changing the oil of a motorbike engine every spring.",
                                      encoding="utf-8")
        (docs / "taxes.txt").unlink()
        (docs / "garden.txt").rename(docs / "balcony-garden.txt")
        engine.index([docs])
        report = publish_folders(engine, [docs], target)
        assert (report.files_sent, report.files_removed) == (2, 2)  # car + renamed; taxes + old
        paths = {Path(r["path"]).name for r in _remote_rows(target)}
        assert paths == {p.name for p in docs.iterdir()}
        assert len(_remote_rows(target)) == engine.status(list_limit=0).passages
        shared = SharedSearch(engine, [target], local=False)
        try:
            assert shared.search("motorbike oil", k=1).hits[0].path.endswith("car.txt")
        finally:
            shared.close()


def test_a_killed_publish_resumes_without_losing_or_doubling_anything(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", files=40)
    index = tmp_path / "index"
    env = {**os.environ, "SPYGLASS_PUBLISH_BATCH": "3"}  # many small batches to stop between
    subprocess.run([*SPYGLASS, "--index", str(index), "index", str(docs), "--quiet"],
                   check=True, env=env)
    target = _target(tmp_path)
    command = [*SPYGLASS, "--index", str(index), "publish", str(docs), "--to", target.uri,
               "--collection", target.collection, "--no-index", "--quiet"]
    proc = subprocess.Popen(command, env=env)
    state = state_path(index, target)
    try:
        while proc.poll() is None:  # wait for the state where some files are out, not all
            if state.exists() and _published(state) >= 5:
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)  # polling the state, not waiting for a time
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, "publish ended before it could be killed"
    subprocess.run(command, check=True, env=env)
    with Engine.open(index) as engine:
        rows = _remote_rows(target)
        assert len(rows) == len({r["id"] for r in rows}) == engine.status(list_limit=0).passages
        client = connect(target)
        try:
            stats = client.get(Names.of(target.collection).terms, ids=[STAT_PASSAGES],
                               output_fields=["df"])
        finally:
            client.close()
        assert stats[0]["df"] == len(rows)  # frequencies counted once per passage


def _published(state: Path) -> int:
    try:
        conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM published").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet
        return 0


def test_a_shared_index_that_cannot_be_reached_leaves_the_local_results(indexed) -> None:
    engine, _ = indexed
    # a port nothing listens on, on this machine: refused at once
    target = SharedTarget(uri="http://127.0.0.1:9", collection="team", label="office")
    shared = SharedSearch(engine, [target])
    try:
        result = shared.search("bread", k=3)
    finally:
        shared.close()
    assert result.hits and result.hits[0].path.endswith("bread.txt")
    assert result.note is not None and "office" in result.note and "reached" in result.note


def test_other_models_are_refused_with_a_clear_message(indexed, tmp_path: Path) -> None:
    engine, docs = indexed
    target = _target(tmp_path)
    publish_folders(engine, [docs], target)
    client = connect(target)
    try:
        meta = Names.of(target.collection).meta
        row = client.get(meta, ids=["models"], output_fields=["value"])[0]
        client.upsert(meta, [{"key": "models", "v": [0.0, 0.0],
                              "value": row["value"].replace('"dense": "', '"dense": "0ther')}])
    finally:
        client.close()
    with pytest.raises(SharedIndexError, match="other models"):
        publish_folders(engine, [docs], target)
    shared = SharedSearch(engine, [target])
    try:
        result = shared.search("bread", k=3)
    finally:
        shared.close()
    assert result.hits and "other models" in (result.note or "")  # local results still come


def test_a_folder_not_in_the_index_is_refused(indexed, tmp_path: Path) -> None:
    engine, _ = indexed
    with pytest.raises(SharedIndexError, match="index it first"):
        publish_folders(engine, [tmp_path], _target(tmp_path))


def test_secrets_are_kept_for_the_user_alone(tmp_path: Path) -> None:
    target = SharedTarget(uri="https://milvus.example:19530", user="ana")
    path = tmp_path / "secrets.json"
    save_secret(target, "s3cret", path)
    assert load_secret(target, path) == "s3cret"
    assert path.stat().st_mode & 0o077 == 0
    assert "s3cret" not in repr(target.with_secret("s3cret"))
    assert "s3cret" not in str(target.with_secret("s3cret").to_settings())


real_server = pytest.mark.skipif(not os.environ.get("SPYGLASS_MILVUS_URI"),
                                 reason="set SPYGLASS_MILVUS_URI to run against a real Milvus "
                                 "server (docs/scaling.md)")


def _real_target() -> SharedTarget:
    return SharedTarget(uri=os.environ["SPYGLASS_MILVUS_URI"], collection="spyglass_test",
                        user=os.environ.get("SPYGLASS_MILVUS_USER", ""),
                        secret=os.environ.get("SPYGLASS_MILVUS_TOKEN", ""))


@real_server
def test_a_real_server(indexed) -> None:
    engine, docs = indexed
    target = _real_target()
    publish_folders(engine, [docs], target)
    shared = SharedSearch(engine, [target], local=False)
    try:
        for query in QUERIES:
            local = engine.search(query, k=1).hits[0]
            assert Path(shared.search(query, k=1).hits[0].path).name == Path(local.path).name
    finally:
        shared.close()


@real_server
@pytest.mark.skipif(not os.environ.get("SPYGLASS_MILVUS_TOKEN"),
                    reason="set SPYGLASS_MILVUS_TOKEN (and _USER) for a server with logins")
def test_a_real_server_refuses_a_wrong_login_clearly(indexed) -> None:
    engine, docs = indexed
    right = _real_target()
    passages = engine.status(list_limit=0).passages
    for wrong, says in ((right.with_secret("wrong" + right.secret), "refused the login"),
                        (SharedTarget(uri=right.uri, collection=right.collection),
                         "asks for a login")):
        with pytest.raises(SharedIndexError, match=says) as refused:
            publish_folders(engine, [docs], wrong)
        assert right.secret not in str(refused.value)
        shared = SharedSearch(engine, [wrong])
        try:
            result = shared.search(QUERIES[0], k=3)  # the local results still come
        finally:
            shared.close()
        assert result.hits and says in result.note
    assert engine.status(list_limit=0).passages == passages  # the local index untouched
