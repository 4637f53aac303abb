"""core.watch: debounced, coalesced change reports; moves give both paths; roots that vanish."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from core.watch import RootWatcher

WAIT_S = 300.0  # waits are for states; this only turns a hang into a failure


class Batches:
    def __init__(self) -> None:
        self.batches: list[set[str]] = []
        self.cond = threading.Condition()

    def __call__(self, paths: set[str]) -> None:
        with self.cond:
            self.batches.append(paths)
            self.cond.notify_all()

    def wait_for(self, pred, timeout: float = WAIT_S) -> set[str]:
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                everything = set().union(*self.batches) if self.batches else set()
                if pred(everything):
                    return everything
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"not reported in time: {self.batches}")
                self.cond.wait(left)


@pytest.fixture
def watched(tmp_path: Path):
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "old.txt").write_text("x")
    batches = Batches()
    watcher = RootWatcher(batches, quiet_s=0.3, max_delay_s=2.0, recheck_s=0.2,
                          ignore=[root / "index"])
    watcher.start()
    watcher.set_roots([root])
    deadline = time.monotonic() + WAIT_S
    while watcher.watched != {str(root)}:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield root, watcher, batches
    watcher.stop()


def test_changes_are_debounced_and_coalesced(watched) -> None:
    root, _, batches = watched
    for i in range(20):
        (root / "sub" / "burst.txt").write_text(f"version {i}")
    (root / "new.txt").write_text("new")
    (root / "old.txt").unlink()
    got = batches.wait_for(lambda s: {str(root / "sub" / "burst.txt"), str(root / "new.txt"),
                                      str(root / "old.txt")} <= s)
    assert len(batches.batches) <= 2  # one quiet period, not one call per event
    assert str(root / "sub") not in got  # folder mtime changes are noise


def test_moves_report_both_paths(watched) -> None:
    root, _, batches = watched
    os.rename(root / "old.txt", root / "sub" / "moved.txt")
    batches.wait_for(lambda s: {str(root / "old.txt"), str(root / "sub" / "moved.txt")} <= s)


def test_ignored_folders_are_silent(watched) -> None:
    root, _, batches = watched
    (root / "index").mkdir()
    (root / "index" / "catalog.db").write_text("busy")
    (root / "marker.txt").write_text("m")
    got = batches.wait_for(lambda s: str(root / "marker.txt") in s)
    assert not any(p.startswith(str(root / "index")) for p in got)


def test_root_disappearing_and_coming_back(watched, tmp_path: Path) -> None:
    root, watcher, batches = watched
    os.rename(root, tmp_path / "away")
    deadline = time.monotonic() + WAIT_S
    while watcher.watched:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert watcher.errors.get(str(root)) == "folder not found"
    # Nothing under a vanished root is reported: an unplugged drive must not empty the index.
    assert not any(p.startswith(str(root) + os.sep) for b in batches.batches for p in b)
    os.rename(tmp_path / "away", root)
    while watcher.watched != {str(root)}:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    (root / "back.txt").write_text("back")
    batches.wait_for(lambda s: str(root / "back.txt") in s)


def test_unwatched_root_is_dropped(watched) -> None:
    root, watcher, batches = watched
    watcher.set_roots([])
    deadline = time.monotonic() + WAIT_S
    while watcher.watched:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    n = len(batches.batches)
    (root / "quiet.txt").write_text("q")
    time.sleep(1.0)
    assert len(batches.batches) == n
