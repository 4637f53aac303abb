"""A small pool of long-lived worker processes with a per-task time and memory limit.

Parsers crash, hang and balloon on bad input. Each task runs in a worker process; a worker
that exceeds the time limit is killed and replaced, one that dies (segfault, abort, OOM
kill) is replaced, and its task comes back as a failure with a human reason. The pool never
loses a task and never hangs. Workers are started with "spawn" (safe next to threads in the
parent, the same on every platform) and receive tasks over a pipe, one at a time.

Memory: on Linux RLIMIT_AS makes a balloon raise MemoryError inside the worker. Elsewhere
(macOS does not enforce RLIMIT_AS, Windows has no rlimits) the parent polls the worker's RSS.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import psutil

from .types import ExtractionError

_STARTUP_LIMIT_S = 60.0  # a worker that is not ready by then is considered broken
# The time limit counts the processor time a task used, not the time it was waiting for one: on
# a busy machine a low-priority worker gets a few percent of a core, and a 5-second PDF would
# otherwise "time out" after a minute of waiting. A task that uses no CPU at all (blocked) is
# stopped after WALL_FACTOR times the limit of wall-clock time.
WALL_FACTOR = 5.0
_CPU_POLL_S = 0.5  # how often the processor time of a task past its limit is looked at
_MAX_START_FAILURES = 3  # consecutive start failures before the pool gives up
_RSS_POLL_S = 0.25
# RLIMIT_AS is only dependable on Linux; elsewhere the parent polls RSS (tests flip this).
USE_RLIMIT = sys.platform.startswith("linux")


@dataclass
class TaskResult:
    key: Hashable
    ok: bool
    value: Any = None
    error: str | None = None  # a human reason when ok is False


def oom_reason(memory_mb: int) -> str:
    return f"ran out of memory (limit {memory_mb} MB)"


# --- worker side ---------------------------------------------------------------------------


def _lower_priority() -> None:
    """Best effort: indexing must not make the desktop sluggish."""
    proc = psutil.Process()
    try:
        if hasattr(os, "nice"):
            os.nice(10)
        else:
            proc.nice(psutil.BELOW_NORMAL_PRIORITY_CLASS)  # type: ignore[attr-defined]
    except (OSError, psutil.Error, AttributeError):
        pass
    try:
        if sys.platform.startswith("linux"):
            proc.ionice(psutil.IOPRIO_CLASS_IDLE)  # type: ignore[attr-defined]
        elif sys.platform == "win32":
            proc.ionice(psutil.IOPRIO_VERYLOW)  # type: ignore[attr-defined]
    except (OSError, psutil.Error, AttributeError):
        pass


def _limit_memory(memory_mb: int) -> None:
    import resource

    limit = memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _die_with_parent(parent_pid: int) -> None:
    """Linux: the kernel kills this worker when its parent dies, even in the middle of a task
    (a worker otherwise notices only at its next read from the pipe, seconds later on a busy
    machine). The parent may already have died while this process was starting: then go."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        os._exit(0)


def _worker_main(
    conn: Connection,
    func: Callable[[Any], Any],
    memory_mb: int,
    use_rlimit: bool,
    low_priority: bool,
    initializer: Callable[[], None] | None,
    parent_pid: int = 0,
) -> None:
    if parent_pid:
        _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's business
    if low_priority:
        _lower_priority()
    try:
        if use_rlimit:
            _limit_memory(memory_mb)
        if initializer is not None:
            initializer()
    except Exception as e:
        conn.send(("init_error", f"{type(e).__name__}: {e}"[:300]))
        return
    conn.send(("ready", _own_cpu_s()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if msg is None:
            return
        task_id, arg = msg
        recycle = False
        try:
            out: tuple[Any, ...] = (task_id, True, func(arg), None)
        except ExtractionError as e:
            out = (task_id, False, None, e.reason)
        except MemoryError:
            out = (task_id, False, None, oom_reason(memory_mb))
            recycle = True  # the heap may be in a sorry state: start afresh
        except Exception as e:
            out = (task_id, False, None, f"parser error: {type(e).__name__}: {e}"[:300])
        # Then "I am exiting" (the parent must not send this worker more work) and the
        # worker's processor time.
        try:
            conn.send((*out, recycle, _own_cpu_s()))
        except MemoryError:
            recycle = True
            conn.send((task_id, False, None, oom_reason(memory_mb), recycle, _own_cpu_s()))
        except Exception as e:  # e.g. an unpicklable result
            error = f"parser error: cannot return result: {e}"[:300]
            conn.send((task_id, False, None, error, recycle, _own_cpu_s()))
        if recycle:
            return


def _own_cpu_s() -> float:
    """This process's processor time: sent with every message, so that the parent knows it at
    the start of the next task without reading /proc for every task."""
    times = os.times()
    return times.user + times.system


# --- parent side ---------------------------------------------------------------------------


@dataclass
class _Worker:
    proc: BaseProcess
    conn: Connection
    born: float
    ready: bool = False
    retiring: bool = False  # said it will exit after its last result (after a MemoryError)
    task: tuple[int, Hashable] | None = None  # (task id, key) in flight
    since: float = 0.0  # when the task in flight was sent
    cpu_at_start: float = 0.0  # the worker's processor time (s) then
    cpu_reported: float = 0.0  # ... as its last message said (it idles until the next task)
    # psutil's handle, made once: making one reads /proc each time (for every task sent)
    ps: psutil.Process | None = None


class WorkerPool:
    """Run `func(arg)` in worker processes; collect TaskResults in completion order.

    `func` must be a module-level (picklable) function. An ExtractionError raised by it
    comes back as ok=False with its reason; any other exception as "parser error: ...".
    """

    def __init__(
        self,
        func: Callable[[Any], Any],
        processes: int = 2,
        timeout_s: float = 60.0,
        memory_mb: int = 1024,
        low_priority: bool = False,
        initializer: Callable[[], None] | None = None,
    ) -> None:
        self.func = func
        self.processes = max(1, processes)
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.low_priority = low_priority
        self.initializer = initializer
        self._ctx = mp.get_context("spawn")
        self._use_rlimit = USE_RLIMIT
        self._queue: deque[tuple[int, Hashable, Any]] = deque()
        self._done: deque[TaskResult] = deque()
        self._workers: list[_Worker] = []
        self._ids = itertools.count()
        self._pending = 0
        self._start_failures = 0
        self._broken: str | None = None
        self._closed = False
        for _ in range(self.processes):
            self._spawn()

    # public API --------------------------------------------------------------------------

    def submit(self, key: Hashable, arg: Any) -> None:
        """Queue one task; never blocks."""
        if self._closed:
            raise RuntimeError("pool is closed")
        self._pending += 1
        if self._broken:
            self._done.append(TaskResult(key, False, None, self._broken))
        else:
            self._queue.append((next(self._ids), key, arg))
            self._dispatch()

    def pending(self) -> int:
        """Tasks submitted and not yet returned by results()."""
        return self._pending

    def results(self, timeout: float | None = None) -> Iterator[TaskResult]:
        """Yield results as tasks finish, until none is pending.

        With `timeout`, stop early when no result arrived for that many seconds; the
        remaining tasks stay pending for a later call.
        """
        last = time.monotonic()
        while self._pending > 0 and not self._closed:
            if self._done:
                self._pending -= 1
                yield self._done.popleft()
                last = time.monotonic()
                continue
            self._dispatch()
            if not self._workers:  # only if starting processes failed: never wait forever
                self._broken = self._broken or "no worker process available"
                self._fail_queue(self._broken)
                if not self._done:
                    return
                continue
            now = time.monotonic()
            limit = self._next_deadline(now)
            if timeout is not None:
                remaining = last + timeout - now
                if remaining <= 0:
                    return
                limit = remaining if limit is None else min(limit, remaining)
            self._poll(limit)

    def close(self) -> None:
        """Kill the workers (tasks still pending are dropped)."""
        if self._closed:
            return
        self._closed = True
        for w in self._workers:
            self._stop(w)
        self._workers.clear()
        self._queue.clear()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self.close()

    def worker_pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w.proc.pid is not None]

    # internals ---------------------------------------------------------------------------

    def _spawn(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker_main,
            args=(
                child,
                self.func,
                self.memory_mb,
                self._use_rlimit,
                self.low_priority,
                self.initializer,
                os.getpid(),
            ),
            name="spyglass-extract",
            daemon=True,  # never outlive the parent
        )
        # A child started while SIGINT is ignored keeps ignoring it from its first instruction
        # (Python installs its KeyboardInterrupt handler only over SIG_DFL), so a Ctrl+C
        # cannot kill a worker that is still importing. Only the main thread may do this.
        in_main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if in_main else None
        try:
            proc.start()
        finally:
            if in_main:
                signal.signal(signal.SIGINT, old)
        child.close()
        self._workers.append(_Worker(proc, parent, time.monotonic()))

    def _stop(self, w: _Worker) -> None:
        if w.proc.is_alive():
            w.proc.kill()
        w.proc.join(timeout=5)
        w.conn.close()
        with contextlib.suppress(ValueError):  # still running after SIGKILL + 5 s: OS's job
            w.proc.close()

    def _replace(self, w: _Worker) -> None:
        self._workers.remove(w)
        self._stop(w)
        if not self._closed and not self._broken:
            try:
                self._spawn()
            except Exception as e:  # out of processes or file descriptors
                self._start_failed(f"cannot start worker: {type(e).__name__}: {e}"[:300])

    def _finish(self, w: _Worker, ok: bool, value: Any, error: str | None) -> None:
        if w.task is not None:
            self._done.append(TaskResult(w.task[1], ok, value, error))
            w.task = None

    def _dispatch(self) -> None:
        for w in list(self._workers):
            if not self._queue:
                return
            if not w.ready or w.task is not None:
                continue
            task_id, key, arg = self._queue.popleft()
            try:
                w.conn.send((task_id, arg))
            except (OSError, ValueError):  # the worker died meanwhile: retry on another
                self._queue.appendleft((task_id, key, arg))
                self._died(w)
                continue
            except Exception as e:  # an argument that cannot be pickled
                self._done.append(TaskResult(key, False, None, f"cannot send task: {e}"[:300]))
                continue
            w.task = (task_id, key)
            w.since = time.monotonic()
            w.cpu_at_start = w.cpu_reported

    def _next_deadline(self, now: float) -> float | None:
        """Seconds until the next time something must be checked, or None."""
        waits: list[float] = []
        for w in self._workers:
            if w.task is not None:
                left = w.since + self.timeout_s - now
                waits.append(left if left > 0 else _CPU_POLL_S)
                if not self._use_rlimit:
                    waits.append(_RSS_POLL_S)
            elif not w.ready:
                waits.append(w.born + _STARTUP_LIMIT_S - now)
        return max(0.0, min(waits)) if waits else None

    def _poll(self, limit: float | None) -> None:
        by_conn = {w.conn: w for w in self._workers}
        by_sentinel = {w.proc.sentinel: w for w in self._workers}
        ready = wait(list(by_conn) + list(by_sentinel), timeout=limit)
        dead: list[_Worker] = []
        for obj in ready:
            if obj in by_conn:
                self._receive(by_conn[obj], dead)
        for obj in ready:
            w = by_sentinel.get(obj)  # type: ignore[call-overload]
            if w is not None and w not in dead:
                dead.append(w)
        for w in dead:
            self._died(w)
        self._check_limits()

    def _receive(self, w: _Worker, dead: list[_Worker]) -> None:
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                if msg[0] == "ready":
                    w.ready, w.cpu_reported = True, msg[1]
                    self._start_failures = 0
                elif msg[0] == "init_error":
                    self._start_failed(f"worker failed to start: {msg[1]}")
                    dead.append(w)
                    return
                else:
                    task_id, ok, value, error, retiring, w.cpu_reported = msg
                    if w.task is not None and w.task[0] == task_id:
                        self._finish(w, ok, value, error)
                    if retiring:
                        w.ready, w.retiring = False, True
        except (EOFError, OSError):
            if w not in dead:
                dead.append(w)

    def _died(self, w: _Worker) -> None:
        if w not in self._workers:
            return
        if w.conn in wait([w.conn], timeout=0):  # a result sent just before exiting
            self._receive(w, [])
        w.proc.join(timeout=5)
        code = w.proc.exitcode
        if w.task is not None:
            if code is not None and code < 0:
                reason = f"parser crashed (signal {-code})"
            else:
                reason = f"parser crashed (exit code {code})"
            self._finish(w, False, None, reason)
        elif not w.ready and not w.retiring:
            self._start_failed(f"worker failed to start (exit code {code})")
        self._replace(w)

    def _start_failed(self, reason: str) -> None:
        self._start_failures += 1
        if self._start_failures >= _MAX_START_FAILURES:
            # Something is wrong with the environment, not with a file: fail what is queued.
            self._broken = reason
            self._fail_queue(reason)

    def _fail_queue(self, reason: str) -> None:
        while self._queue:
            _, key, _ = self._queue.popleft()
            self._done.append(TaskResult(key, False, None, reason))

    def _check_limits(self) -> None:
        now = time.monotonic()
        for w in list(self._workers):
            if w.task is not None and self._over_time(w, now):
                self._finish(w, False, None, f"timed out after {self.timeout_s:g} s")
                self._replace(w)
            elif w.task is not None and not self._use_rlimit and self._rss_mb(w) > self.memory_mb:
                self._finish(w, False, None, oom_reason(self.memory_mb))
                self._replace(w)
            elif not w.ready and not w.retiring and now - w.born > _STARTUP_LIMIT_S:
                self._start_failed("worker failed to start (timed out)")
                self._replace(w)

    def _over_time(self, w: _Worker, now: float) -> bool:
        wall = now - w.since
        if wall <= self.timeout_s:  # processor time never exceeds wall time (one thread)
            return False
        return (wall > self.timeout_s * WALL_FACTOR
                or self._cpu_s(w) - w.cpu_at_start > self.timeout_s)

    @staticmethod
    def _cpu_s(w: _Worker, unknown: float = float("inf")) -> float:
        """The worker's processor time so far; `unknown` if it cannot be read (at a check,
        infinity: the task is then stopped at its limit, as by a wall clock)."""
        try:
            if w.ps is None:
                w.ps = psutil.Process(w.proc.pid)
            times = w.ps.cpu_times()
            return times.user + times.system
        except (psutil.Error, ValueError):
            return unknown

    @staticmethod
    def _rss_mb(w: _Worker) -> float:
        try:
            return psutil.Process(w.proc.pid).memory_info().rss / (1024 * 1024)
        except (psutil.Error, ValueError):
            return 0.0
