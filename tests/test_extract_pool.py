"""The isolated worker pool: real subprocesses that hang, balloon, crash and raise."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from core.extract import extract
from core.extract import pool as pool_module
from core.extract.pool import TaskResult, WorkerPool
from tests import pool_tasks

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux specifics")


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    with WorkerPool(pool_tasks.dispatch, processes=2, timeout_s=2.0, memory_mb=1024) as p:
        yield p


def run_one(pool: WorkerPool, task: tuple[str, object]) -> TaskResult:
    pool.submit("k", task)
    results = list(pool.results())
    assert len(results) == 1 and results[0].key == "k" and pool.pending() == 0
    return results[0]


def still_works(pool: WorkerPool) -> None:
    r = run_one(pool, ("square", 12))
    assert r.ok and r.value == 144 and r.error is None


def test_ok_results_carry_keys(pool: WorkerPool) -> None:
    for i in range(20):
        pool.submit(("file", i), ("square", i))
    assert pool.pending() == 20
    got = {r.key: r.value for r in pool.results()}
    assert got == {("file", i): i * i for i in range(20)}
    assert pool.pending() == 0


def test_extraction_error_reason(pool: WorkerPool) -> None:
    r = run_one(pool, ("raise_extraction_error", "PDF is encrypted"))
    assert not r.ok and r.error == "PDF is encrypted"
    still_works(pool)


def test_other_exception_reason(pool: WorkerPool) -> None:
    r = run_one(pool, ("raise_value_error", "bad table"))
    assert not r.ok and r.error == "parser error: ValueError: bad table"
    still_works(pool)


def test_unpicklable_result(pool: WorkerPool) -> None:
    r = run_one(pool, ("echo", None))
    assert r.ok and r.value is None
    pool.submit("gen", ("unpicklable", None))
    (r,) = list(pool.results())
    assert not r.ok and r.error and r.error.startswith("parser error: cannot return result")
    still_works(pool)


def test_timeout_kills_and_replaces(pool: WorkerPool) -> None:
    before = set(pool.worker_pids())
    t0 = time.monotonic()
    r = run_one(pool, ("spin", 60))  # an endless loop: stopped after 2 s of processor time
    assert not r.ok and r.error == "timed out after 2 s"
    assert time.monotonic() - t0 < 40  # long before the task's own minute, even on a busy machine
    assert set(pool.worker_pids()) != before  # the hung worker was replaced
    still_works(pool)


def test_a_blocked_task_is_stopped_by_the_wall_clock() -> None:
    with WorkerPool(pool_tasks.dispatch, processes=1, timeout_s=0.5) as p:
        r = run_one(p, ("hang", 600))  # no processor time used: the wall-clock backstop
        assert not r.ok and r.error == "timed out after 0.5 s"
        still_works(p)


def test_waiting_for_the_processor_is_not_a_timeout() -> None:
    """A low-priority worker on a busy machine waits for a core most of the time; only the
    processor time it used counts against its limit."""
    with WorkerPool(pool_tasks.dispatch, processes=1, timeout_s=1.0) as p:
        pid = p.worker_pids()[0]
        r = run_one(p, ("echo", 1))  # started and ready
        os.kill(pid, signal.SIGSTOP)  # as if never scheduled
        p.submit("stopped", ("spin", 0.2))
        assert list(p.results(timeout=3.0)) == []  # 3 s of waiting: longer than its limit
        os.kill(pid, signal.SIGCONT)
        (r,) = list(p.results())
        assert r.ok, r.error


@linux_only
def test_memory_limit_rlimit() -> None:
    # A limit long enough for a gigabyte of page faults on a slow or busy machine.
    with WorkerPool(pool_tasks.dispatch, processes=1, timeout_s=60, memory_mb=1024) as pool:
        r = run_one(pool, ("balloon", 3000))  # 3 GB at once: MemoryError under RLIMIT_AS
        assert not r.ok and r.error == "ran out of memory (limit 1024 MB)"
        r = run_one(pool, ("grow", 2000))  # gradually
        assert not r.ok and r.error == "ran out of memory (limit 1024 MB)"
        still_works(pool)


def test_memory_limit_by_rss_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Windows/macOS path: no rlimit, the parent watches RSS and kills the worker."""
    monkeypatch.setattr(pool_module, "USE_RLIMIT", False)
    with WorkerPool(pool_tasks.dispatch, processes=1, timeout_s=20, memory_mb=300) as p:
        r = run_one(p, ("grow", 1200))
        assert not r.ok and r.error == "ran out of memory (limit 300 MB)"
        still_works(p)


@pytest.mark.parametrize(
    ("task", "reason"),
    [
        (("segfault", None), "parser crashed (signal 11)"),
        (("abort", None), "parser crashed (signal 6)"),
        (("kill_self", None), "parser crashed (signal 9)"),
        (("hard_exit", 3), "parser crashed (exit code 3)"),
    ],
)
@linux_only
def test_crashes_are_reported_and_replaced(
    pool: WorkerPool, task: tuple[str, object], reason: str
) -> None:
    r = run_one(pool, task)
    assert not r.ok and r.error == reason
    still_works(pool)
    assert len(pool.worker_pids()) == 2


@linux_only
def test_mixed_workload_every_task_exactly_once() -> None:
    bad = [
        ("segfault", None),
        ("abort", None),
        ("spin", 30),
        ("balloon", 3000),
        ("raise_value_error", "x"),
        ("hard_exit", 1),
    ]
    tasks: dict[int, tuple[str, object]] = {}
    for i in range(60):
        tasks[i] = bad[i // 10] if i % 10 == 5 else ("square", i)
    with WorkerPool(pool_tasks.dispatch, processes=2, timeout_s=1.5) as p:
        for key, task in tasks.items():
            p.submit(key, task)
        results = list(p.results())
    keys = [r.key for r in results]
    assert sorted(keys) == list(range(60))  # nothing lost, nothing twice
    for r in results:
        name, arg = tasks[r.key]
        if name == "square":
            assert r.ok and r.value == arg * arg, r  # type: ignore[operator]
        else:
            assert not r.ok and r.error


def test_results_timeout_returns_early(pool: WorkerPool) -> None:
    pool.submit("slow", ("hang", 1.5))
    t0 = time.monotonic()
    assert list(pool.results(timeout=0.3)) == []
    assert time.monotonic() - t0 < 1.2 and pool.pending() == 1
    (r,) = list(pool.results())
    assert r.key == "slow" and r.ok


def test_submit_while_iterating(pool: WorkerPool) -> None:
    pool.submit(0, ("square", 0))
    seen = []
    for r in pool.results():
        seen.append(r.key)
        if r.key < 5:
            pool.submit(r.key + 1, ("square", r.key + 1))
    assert seen == [0, 1, 2, 3, 4, 5]


def test_close_leaves_no_worker_processes() -> None:
    p = WorkerPool(pool_tasks.dispatch, processes=2)
    p.submit(1, ("hang", 30))  # one worker busy when closing
    p.submit(2, ("square", 2))
    time.sleep(0.5)
    pids = p.worker_pids()
    assert len(pids) == 2 and all(psutil.pid_exists(pid) for pid in pids)
    p.close()
    children = {c.pid for c in psutil.Process().children(recursive=True)}
    assert not children & set(pids)
    assert not any(psutil.pid_exists(pid) for pid in pids)
    with pytest.raises(RuntimeError):
        p.submit(3, ("square", 3))


@linux_only
def test_workers_ignore_sigint() -> None:
    with WorkerPool(pool_tasks.dispatch, processes=2) as p:
        pids = p.worker_pids()
        for delay in (0.0, 0.05, 0.5):  # while starting up, and once ready
            time.sleep(delay)
            for pid in pids:
                os.kill(pid, signal.SIGINT)
        for i in range(4):
            p.submit(i, ("hang", 0.2))  # both workers get one
        assert all(r.ok for r in p.results())
        assert p.worker_pids() == pids


@linux_only
def test_low_priority() -> None:
    base = os.nice(0)
    with WorkerPool(pool_tasks.dispatch, processes=1, low_priority=True) as p:
        r = run_one(p, ("nice_value", None))
        pid = p.worker_pids()[0]
        io = psutil.Process(pid).ionice()
    assert r.ok and r.value >= min(base + 10, 19)
    assert io.ioclass == psutil.IOPRIO_CLASS_IDLE


def test_initializer_failure_fails_tasks_not_the_pool() -> None:
    with WorkerPool(pool_tasks.dispatch, processes=1, initializer=pool_tasks.bad_init) as p:
        p.submit("a", ("square", 2))
        (r,) = list(p.results(timeout=30))
        assert not r.ok and r.error and "worker failed to start" in r.error


def test_throughput_of_trivial_tasks(pool: WorkerPool) -> None:
    still_works(pool)  # exclude worker start-up
    n = 2000
    t0 = time.perf_counter()
    for i in range(n):
        pool.submit(i, ("square", i))
    count = sum(1 for r in pool.results() if r.ok)
    rate = n / (time.perf_counter() - t0)
    print(f"\npool throughput: {rate:,.0f} trivial tasks/s with 2 workers")
    assert count == n and rate > 30


def test_extract_in_pool_under_memory_limit(tmp_path: Path) -> None:
    """Real extraction of every family works under the default 1024 MB address-space limit."""
    import docx
    import openpyxl
    import pptx

    from core.reliability.pdf import pdf_bytes
    from tests.test_extract import make_epub

    files = {
        "a.pdf": pdf_bytes(["pdf words"]),
        "b.txt": b"text words",
        "c.html": b"<title>t</title><p>html words</p>",
        "d.md": b"# md words",
        "e.eml": b"From: a@b.c\nTo: d@e.f\nSubject: mail words\n\nbody\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    d = docx.Document()
    d.add_paragraph("docx words")
    d.save(str(tmp_path / "f.docx"))
    prs = pptx.Presentation()
    prs.slides.add_slide(prs.slide_layouts[0]).shapes.title.text = "pptx words"
    prs.save(str(tmp_path / "g.pptx"))
    wb = openpyxl.Workbook()
    wb.active.append(["xlsx words"])
    wb.save(str(tmp_path / "h.xlsx"))
    make_epub(tmp_path / "i.epub")
    paths = sorted(tmp_path.iterdir())
    with WorkerPool(extract, processes=2, timeout_s=60, memory_mb=1024) as p:
        for path in paths:
            p.submit(path.name, path)
        results = {r.key: r for r in p.results()}
    assert set(results) == {path.name for path in paths}
    for name, r in results.items():
        assert r.ok, (name, r.error)
        assert r.value.text.strip(), name
