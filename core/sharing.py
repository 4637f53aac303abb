"""The engine with shared indexes: publishing folders of this index to one, and searching this
index and the configured shared ones together (core.shared has the parts)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.api import Engine
from core.search.query import Filters, Query
from core.search.results import SearchResult
from core.search.searcher import DEFAULT_MODE, SearchOptions
from core.shared.federation import merge
from core.shared.publish import PublishReport, models_record, publish
from core.shared.remote_search import RemoteSearcher
from core.shared.target import SharedIndexError, SharedTarget
from core.store.catalog import Catalog


def publish_folders(engine: Engine, folders: Sequence[str | Path], target: SharedTarget,
                    text: str = "full", progress: Callable[[int, int], None] | None = None
                    ) -> PublishReport:
    """The folders' passages as this index holds them, to the shared index (incremental)."""
    indexed = {r.path for r in engine.roots()}
    for folder in folders:
        resolved = str(Path(folder).expanduser().resolve())
        if not any(resolved == r or resolved.startswith(r.rstrip("/") + "/") for r in indexed):
            raise SharedIndexError(f"{folder} is not in this index: index it first "
                                   f"(spyglass index {folder})")
    # Its own connection: the window publishes on a thread of its own, beside searches.
    catalog = Catalog.open(engine.index_dir)
    try:
        return publish(catalog, engine.index_dir, folders, target, text, progress)
    finally:
        catalog.close()


class SharedSearch:
    """Searches the engine's index and each shared index at once (in threads: the shared
    ones wait on the network, not on this machine's cores), then merges them."""

    def __init__(self, engine: Engine, targets: Sequence[SharedTarget],
                 local: bool = True) -> None:
        self.engine = engine
        self.local = local
        try:
            ours = models_record(engine.searcher.catalog)
        except SharedIndexError:  # an empty local index: the shared one's models decide
            ours = None
        # Same models, so the local query encoder serves the shared indexes too.
        encoder = engine.searcher.encoder if ours is not None and targets else None
        self.remotes = [RemoteSearcher(t, ours, encoder) for t in targets]
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self.remotes)),
                                        thread_name_prefix="shared")

    def search(self, query: str | Query, k: int = 20, mode: str = DEFAULT_MODE,
               filters: Filters | None = None) -> SearchResult:
        options = SearchOptions(k=k, mode=mode, filters=filters or Filters())
        jobs = [self._pool.submit(r.search, query, options) for r in self.remotes]
        local = self.engine.search(query, k, mode, filters) if self.local else None
        shared, failures = [], []
        for job in jobs:
            try:
                shared.append(job.result())
            except (SharedIndexError, ValueError) as e:
                failures.append(f"{e}; its results are left out")  # e names the index
        if not self.local and not shared and failures:
            raise SharedIndexError("; ".join(failures))
        return merge(local, shared, failures, k)

    def close(self) -> None:
        for r in self.remotes:
            r.close()
        self._pool.shutdown(wait=False)


class SharedSearches:
    """The shared indexes the settings name, searched beside the engine's own index. Setting
    them is cheap (any thread); the clients and the query encoder are opened by the first
    search after a change, on the thread that searches."""

    def __init__(self, engine: Engine, targets: Sequence[SharedTarget] = ()) -> None:
        self.engine = engine
        self._targets = list(targets)
        self._open: SharedSearch | None = None
        self._stale: list[SharedSearch] = []
        self._lock = threading.Lock()

    def configure(self, targets: Sequence[SharedTarget]) -> None:
        wanted = [(t, t.secret) for t in targets]  # a target's equality leaves its secret out
        with self._lock:
            if wanted == [(t, t.secret) for t in self._targets]:
                return
            self._targets = list(targets)
            if self._open is not None:
                self._stale.append(self._open)
                self._open = None

    def search(self, query: str | Query, k: int = 20, mode: str = DEFAULT_MODE,
               filters: Filters | None = None) -> SearchResult:
        with self._lock:
            stale, self._stale = self._stale, []
            targets, shared = self._targets, self._open
        for old in stale:
            old.close()
        if not targets:
            return self.engine.search(query, k, mode, filters)
        if shared is None:
            # Outside the lock: opening loads the query encoder, and `configure` (the UI
            # thread) must never wait for that.
            shared = SharedSearch(self.engine, targets)
            with self._lock:
                if self._targets is targets and self._open is None:
                    self._open = shared
                else:  # reconfigured meanwhile: this search only, closed by the next one
                    self._stale.append(shared)
        return shared.search(query, k, mode, filters)

    def close(self) -> None:
        self.configure([])
        with self._lock:
            stale, self._stale = self._stale, []
        for old in stale:
            old.close()
