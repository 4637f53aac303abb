"""One writer, many readers: searching while indexing always works, a second writer is refused."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

from core.api import Engine, EngineError
from tests.conftest import REPO, SPYGLASS
from tests.docs import write_corpus, write_topics


def test_search_while_indexing_and_second_writer_refused(tmp_path: Path) -> None:
    docs = write_corpus(tmp_path / "docs", files=400, paragraphs=2)
    topics = write_topics(tmp_path / "topics")
    index = tmp_path / "index"
    with Engine.open(index) as engine:
        engine.index([topics])  # something to find from the start
    writer = subprocess.Popen([*SPYGLASS, "--index", str(index), "index", str(docs), "--quiet"],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    searches, errors, seen_growth = 0, [], set()
    second = None
    writing = False
    try:
        with Engine.open(index) as reader:
            deadline = time.monotonic() + 240
            while writer.poll() is None and time.monotonic() < deadline:
                for mode in ("keyword", "hybrid-prf"):
                    try:
                        result = reader.search("copper violin harbor budget", k=5, mode=mode)
                        searches += 1
                        seen_growth.add(len(result.hits))
                        status = reader.status(list_limit=0)
                        seen_growth.add(-status.files["indexed"])
                        # files it has scanned and queued: the writer holds the lock now
                        writing = writing or status.files["pending"] > 0
                    except Exception as e:  # any error at all is a failure
                        errors.append(repr(e))
                # early in its run: a second writer started near its end may find the lock free
                if second is None and writing:
                    second = subprocess.run(
                        [*SPYGLASS, "--index", str(index), "index", str(topics)],
                        cwd=REPO, capture_output=True, text=True, timeout=120)
    finally:
        out, err = writer.communicate(timeout=300)
    assert writer.returncode == 0, err
    assert errors == []
    assert searches > 20
    assert len(seen_growth) > 2  # results and counts changed while the search kept working
    assert second is not None and second.returncode == 1
    assert "another Spyglass process is updating this index" in second.stderr
    assert "Traceback" not in second.stderr


def test_closing_waits_for_a_search_in_flight(tmp_path: Path) -> None:
    """Closing the engine (the window quitting) while another thread searches: that search
    completes, later ones get a clear error, and the process does not crash."""
    topics = write_topics(tmp_path / "topics")
    engine = Engine.open(tmp_path / "index")
    engine.index([topics])
    engine.search("warm up the models", k=1)
    results, errors = [], []

    def searching() -> None:
        while True:
            try:
                results.append(engine.search("copper violin harbor budget", k=5))
            except EngineError as e:
                errors.append(str(e))
                return

    thread = threading.Thread(target=searching)
    thread.start()
    while not results and thread.is_alive():  # searching, with the next search under way
        time.sleep(0.01)
    engine.close()
    thread.join()
    assert not thread.is_alive()
    assert results and all(r.hits for r in results)
    assert errors == ["the index was closed"]
