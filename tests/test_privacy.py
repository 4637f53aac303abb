"""Privacy: indexing and searching never touch the network, never change or add a file next to
the documents, and write only inside the index folder (which only its owner may open).

Two independent witnesses watch one real run of `spyglass index` + `search` + `status`:
- a Python audit hook, installed by a sitecustomize.py on PYTHONPATH so that it also runs in the
  spawned extraction workers: it logs (and, for the network, blocks) what Python code does;
- strace (when present), which sees what native code does too: SQLite, USearch, onnxruntime,
  PDFium. Its check is skipped where strace is missing or not permitted.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from core.reliability.adversarial import (
    docx_members,
    docx_paragraphs,
    epub_members,
    odt_members,
    write_zip,
    xlsx_members,
    xlsx_rows,
)
from core.reliability.pdf import pdf_bytes
from tests.conftest import SPYGLASS
from tests.docs import write_topics

REPO = Path(__file__).resolve().parent.parent
FORMATS = Path(__file__).parent.parent.parent / "shared" / "corpora" / "formats"

# Installed in every Python process of the run (main and workers) through PYTHONPATH. It must not
# trigger audit events itself: the log is one fd opened before the hook, written with os.write.
SITECUSTOMIZE = r'''
import json, os, socket, sys

_LOG = os.open(os.environ["SPYGLASS_AUDIT_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
_INET = (socket.AF_INET, socket.AF_INET6)
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_NET = {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex",
        "socket.gethostbyaddr", "urllib.Request", "http.client.connect", "http.client.send",
        "ftplib.connect", "smtplib.connect", "webbrowser.open"}
_SOCKET_ADDR = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
_FILES = {"os.remove": 1, "os.rename": 2, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1,
          "os.chown": 1, "os.utime": 1, "os.truncate": 1, "os.symlink": 2, "os.link": 2,
          "shutil.rmtree": 1, "shutil.copyfile": 2, "shutil.copytree": 2, "shutil.move": 2,
          "shutil.make_archive": 1, "shutil.unpack_archive": 2, "tempfile.mkstemp": 1,
          "tempfile.mkdtemp": 1}
_EXEC = {"subprocess.Popen", "os.system", "os.popen", "os.exec", "os.posix_spawn", "os.spawn",
         "os.startfile", "pty.spawn"}
# The one host a configured shared index may reach (the second run); none in the first.
_ALLOW = os.environ.get("SPYGLASS_AUDIT_ALLOW_HOST", "")
_busy = False


def _path(p):
    if isinstance(p, int):
        return None  # an fd: os.fdopen of something already open
    try:
        return os.path.abspath(os.fsdecode(p))
    except Exception:
        return repr(p)


def _log(kind, event, paths=(), detail=""):
    line = json.dumps({"pid": os.getpid(), "kind": kind, "event": event, "paths": list(paths),
                       "detail": detail}, default=repr)
    os.write(_LOG, (line + "\n").encode("utf-8", "backslashreplace"))


def _hook(event, args):
    global _busy
    if _busy:
        return
    _busy = True
    try:
        if event == "open":
            path, mode, flags = args
            writes = (isinstance(flags, int) and flags & _WRITE_FLAGS) or (
                isinstance(mode, str) and any(c in mode for c in "wax+"))
            p = _path(path)
            if writes and p is not None:
                _log("write", event, [p], str(mode))
        elif event in _FILES:
            _log("write", event, [_path(a) for a in args[:_FILES[event]] if a is not None])
        elif event in _EXEC:
            _log("exec", event, [], repr(args)[:300])
        elif event == "socket.__new__" and args[1] in _INET:
            _log("net", event, [], repr(args)[:300])
        elif event in _SOCKET_ADDR and getattr(args[0], "family", None) in _INET:
            _log("net", event, [], repr(args[1:])[:300])
            if not (_ALLOW and isinstance(args[1], tuple) and args[1][:1] == (_ALLOW,)):
                raise PermissionError(f"network access blocked by the privacy test: {event}")
        elif event in _NET:
            _log("net", event, [], repr(args)[:300])
            if not (_ALLOW and args and args[0] == _ALLOW):
                raise PermissionError(f"network access blocked by the privacy test: {event}")
        elif event == "sqlite3.connect":
            _log("write", event, [_path(args[0])] if args[0] != ":memory:" else [])
    finally:
        _busy = False


sys.addaudithook(_hook)
_log("start", "sitecustomize", [], " ".join(sys.orig_argv)[:300])
'''


@dataclass
class Snapshot:
    files: dict[str, tuple[str, int, int, int]]  # path -> (sha256, size, mtime_ns, mode)
    dirs: dict[str, tuple[int, int, tuple[str, ...]]]  # path -> (mtime_ns, mode, entries)

    @classmethod
    def take(cls, root: Path) -> Snapshot:
        files, dirs = {}, {}
        for folder, names, filenames in os.walk(root):
            st = os.lstat(folder)
            dirs[folder] = (st.st_mtime_ns, st.st_mode, tuple(sorted(names + filenames)))
            for name in filenames:
                path = os.path.join(folder, name)
                st = os.lstat(path)
                with open(path, "rb") as f:
                    digest = hashlib.file_digest(f, "sha256").hexdigest()
                files[path] = (digest, st.st_size, st.st_mtime_ns, st.st_mode)
        return cls(files, dirs)


@dataclass
class AuditedRun:
    base: Path
    docs: Path
    index: Path
    home: Path
    tmpdir: Path
    config: Path
    before: Snapshot
    after: Snapshot
    events: list[dict] = field(default_factory=list)
    runs: list[subprocess.CompletedProcess] = field(default_factory=list)
    strace: list[str] | None = None  # raw strace lines, None when strace was not usable
    env: dict[str, str] = field(default_factory=dict)  # what the audited commands ran with
    traced: bool = False


def _write_generated_docs(folder: Path) -> None:
    write_topics(folder / "notes")
    lines = ["Quarterly lighthouse maintenance report", "The lamp was cleaned and the lens "
             "polished; the keeper logged every visit."]
    write_zip(folder / "report.docx", docx_members(docx_paragraphs(lines)))
    write_zip(folder / "minutes.odt", odt_members("".join(f"<text:p>{t}</text:p>" for t in lines)))
    write_zip(folder / "book.epub", epub_members("".join(f"<p>{t}</p>" for t in lines)))
    write_zip(folder / "ledger.xlsx", xlsx_members(xlsx_rows([["lamp oil", "12"],
                                                               ["lens cloth", "3"]])))
    (folder / "scan.pdf").write_bytes(pdf_bytes(["lighthouse keeper logbook page"]))
    (folder / "page.html").write_text("<html><head><title>Keeper</title></head><body><p>"
                                      "A keeper's diary</p></body></html>", encoding="utf-8")
    (folder / "letter.eml").write_text("From: a@example.org\nTo: b@example.org\nSubject: Lamp"
                                       "\n\nThe lamp needs a new wick.\n", encoding="utf-8")
    import gzip
    (folder / "log.txt.gz").write_bytes(gzip.compress(b"keeper log compressed lines\n" * 50))


def _strace_usable() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(["strace", "--seccomp-bpf", "-f", "-e", "trace=openat", "-o",
                            os.devnull, "true"], capture_output=True, timeout=30)
    return probe.returncode == 0  # not in a container without ptrace, nor with an old strace


def _strace(log: Path) -> list[str]:
    """strace for the file and network syscalls of a whole process tree, into `log`."""
    return ["strace", "--seccomp-bpf", "-f", "-y", "-s", "4096", "-o", str(log), "-e",
            "trace=%network,openat,open,creat,rename,renameat,renameat2,unlink,unlinkat,mkdir,"
            "mkdirat,rmdir,truncate,chmod,fchmodat,utimensat,link,linkat,symlink,symlinkat",
            "--"]


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> AuditedRun:
    if not FORMATS.is_dir():
        pytest.skip("formats corpus not available")
    base = tmp_path_factory.mktemp("privacy")
    docs = base / "docs"
    shutil.copytree(FORMATS, docs / "formats", copy_function=shutil.copy2)
    _write_generated_docs(docs / "generated")
    before = Snapshot.take(docs)
    hook = base / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    index, home, tmpdir = base / "index", base / "home", base / "tmp"
    config = base / "config" / "settings.json"
    home.mkdir()
    tmpdir.mkdir()
    log_dir = base / "audit"
    log_dir.mkdir()
    log = log_dir / "events.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON"))}
    env.update(HOME=str(home), TMPDIR=str(tmpdir), PYTHONPATH=str(hook),
               SPYGLASS_AUDIT_LOG=str(log), SPYGLASS_CONFIG=str(config),
               SPYGLASS_HOME=str(index),
               PYTHONDONTWRITEBYTECODE="1")  # the interpreter's .pyc cache is not the app's
    traced = _strace_usable()
    # The models run over the generated documents; the 400 real ones go through every extractor
    # (external entities, embedded links, archives) without their semantic phase, which would
    # only repeat the same encoder calls for minutes.
    commands = [["index", str(docs / "generated"), "--quiet"],
                ["index", str(docs / "formats"), "--keyword-only", "--quiet"],
                ["search", "lighthouse keeper", "--json"],
                ["search", "how do I bake bread", "--mode", "dense", "--json"],
                ["search", 'ext:pdf "net income" -draft', "--mode", "keyword", "--json"],
                ["status", "--json"]]
    runs = []
    for i, args in enumerate(commands):
        # strace the heavy ones: indexing, and a search that loads the query models.
        prefix = _strace(log_dir / f"strace-{i}.txt") if traced and i < 3 else []
        runs.append(subprocess.run([*prefix, *SPYGLASS, "--index", str(index), *args],
                                   capture_output=True, text=True, timeout=600, cwd=REPO,
                                   env=env))
    strace = None
    if traced:
        strace = []
        for trace in sorted(log_dir.glob("strace-*.txt")):
            strace.extend(trace.read_text(encoding="utf-8", errors="replace").splitlines())
    return AuditedRun(base=base, docs=docs, index=index, home=home, tmpdir=tmpdir, config=config,
                      before=before, after=Snapshot.take(docs),
                      events=[json.loads(line) for line in
                              log.read_text(encoding="utf-8").splitlines()],
                      runs=runs, strace=strace, env=env, traced=traced)


def test_the_audited_run_worked(audited: AuditedRun) -> None:
    for run in audited.runs:
        assert run.returncode == 0, (run.args[-4:], run.stderr[-2000:])
        assert "Traceback" not in run.stdout + run.stderr
    assert audited.events, "the audit hook did not run (sitecustomize not picked up?)"
    started = [e["detail"] for e in audited.events if e["kind"] == "start"]
    assert len(started) >= len(audited.runs) + 2
    assert any("multiprocessing" in argv for argv in started), "not in the workers"
    hits = json.loads(audited.runs[2].stdout)
    assert hits and any("generated" in h["path"] for h in hits)
    files = json.loads(audited.runs[-1].stdout)["files"]
    assert files["indexed"] > 250 and files["pending"] == files["keyword_only"]


def test_no_network_access(audited: AuditedRun) -> None:
    net = [e for e in audited.events if e["kind"] == "net"]
    assert net == []
    execs = [e for e in audited.events if e["kind"] == "exec"]
    assert execs == []  # nothing is run through a shell or another program
    if audited.strace is None:
        pytest.skip("strace not usable here: native code was not watched")
    inet = [line for line in audited.strace if re.search(r"\b(?:AF_INET6?|PF_INET6?)\b", line)]
    assert inet == []


def test_a_configured_shared_index_is_the_only_host_reached(audited: AuditedRun) -> None:
    """With a shared index configured, the sockets opened go to its host and nowhere else. The
    host is a listener on this machine that hangs up at once (a server that is not Milvus):
    the search then gives the local results with a note."""
    pytest.importorskip("pymilvus", reason="the shared extra (pymilvus) is needed")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    stop = threading.Event()

    def hang_up() -> None:
        while not stop.is_set():
            try:
                listener.accept()[0].close()
            except TimeoutError:
                continue

    server = threading.Thread(target=hang_up, daemon=True)
    server.start()
    log = Path(audited.env["SPYGLASS_AUDIT_LOG"])
    seen = len(log.read_text(encoding="utf-8").splitlines())
    trace = audited.base / "audit" / "strace-shared.txt"
    prefix = _strace(trace) if audited.traced else []
    try:
        run = subprocess.run([*prefix, *SPYGLASS, "--index", str(audited.index), "search",
                              "lighthouse keeper", "--remote", f"http://127.0.0.1:{port}",
                              "--json"], capture_output=True, text=True, timeout=600, cwd=REPO,
                             env={**audited.env, "SPYGLASS_AUDIT_ALLOW_HOST": "127.0.0.1"})
    finally:
        stop.set()
        server.join()
        listener.close()
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout), "the local results still come"
    assert "127.0.0.1" in run.stderr and "reached" in run.stderr  # the note says why not
    events = [json.loads(line) for line in
              log.read_text(encoding="utf-8").splitlines()[seen:]]
    net = [e for e in events if e["kind"] == "net"]
    # Creating a socket names no address, and urllib3 (under pymilvus) probes for IPv6 on import
    # by binding a socket to ::1 port 0, which sends nothing; every connect and name lookup
    # names the one host.
    probe = {"event": "socket.bind", "detail": "(('::1', 0),)"}
    assert [e for e in net if e["event"] != "socket.__new__" and "127.0.0.1" not in e["detail"]
            and {k: e[k] for k in probe} != probe] == []
    if not audited.traced:
        return  # native code (gRPC) not watched here; the Python side was
    connects = [line for line in trace.read_text(encoding="utf-8").splitlines()
                if re.match(r"^\d+\s+connect\(", line) and "AF_INET" in line]
    assert connects, "the shared index was tried"
    # gRPC may dial the IPv4 host as an IPv4-mapped IPv6 address: the same host.
    to_host = re.compile(rf'sin6?_port=htons\({port}\).*(?:inet_addr\("127\.0\.0\.1"\)'
                         r'|"::ffff:127\.0\.0\.1")')
    assert [c for c in connects if not to_host.search(c)] == []


def test_documents_are_never_changed(audited: AuditedRun) -> None:
    before, after = audited.before, audited.after
    assert len(before.files) > 400
    assert after.files == before.files  # same sha256, size, mtime_ns and mode for every file
    # Same entries and mtimes for every folder: nothing created, renamed or deleted next to
    # the documents, not even briefly (a temporary file would change the folder's mtime).
    assert after.dirs == before.dirs


def _inside(path: str, roots: list[Path]) -> bool:
    return any(path == str(r) or path.startswith(str(r) + os.sep) for r in roots)


def _allowed(audited: AuditedRun) -> list[Path]:
    return [audited.index, Path(os.devnull), audited.base / "audit", audited.config.parent]


def test_writes_only_inside_the_index_folder(audited: AuditedRun) -> None:
    allowed = _allowed(audited)
    writes = [e for e in audited.events if e["kind"] == "write"]
    assert any(_inside(p, [audited.index]) for e in writes for p in e["paths"])
    outside = [e for e in writes if not all(_inside(p, allowed) for p in e["paths"])]
    assert outside == []
    assert not audited.config.exists()  # indexing and searching do not save settings


_SYSCALL = re.compile(r"^\d+\s+(\w+)\((.*)")
_STRACE_PATH = re.compile(r'(?:(?:AT_FDCWD|\d+)(?:<([^>]*)>)?, )?"((?:[^"\\]|\\.)*)"')
_WRITERS = {"creat", "rename", "renameat", "renameat2", "unlink", "unlinkat", "mkdir", "mkdirat",
            "rmdir", "truncate", "chmod", "fchmodat", "utimensat", "link", "linkat", "symlink",
            "symlinkat"}


def _strace_writes(lines: list[str]) -> Iterator[tuple[str, str]]:
    """(syscall, path) for every syscall in the trace that creates, changes or removes a file
    (every path argument: a rename's source and destination)."""
    for line in lines:
        m = _SYSCALL.match(line)
        if not m or line.rstrip().endswith(("ENOENT (No such file or directory)",
                                            "EEXIST (File exists)")):
            continue
        call, rest = m.groups()
        if call in ("open", "openat"):
            if not re.search(r"O_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)", rest.split(") = ")[0]):
                continue
        elif call not in _WRITERS:
            continue
        for dirfd, raw in _STRACE_PATH.findall(rest.split(") = ")[0]):
            path = raw if raw.startswith("/") else os.path.join(dirfd or str(REPO), raw)
            yield call, os.path.normpath(path)


def test_native_writes_only_inside_the_index_folder(audited: AuditedRun) -> None:
    if audited.strace is None:
        pytest.skip("strace not usable here: native code was not watched")
    allowed = _allowed(audited)
    writes = list(_strace_writes(audited.strace))
    assert any(_inside(p, [audited.index]) for _, p in writes)  # the parser sees SQLite
    outside = sorted({(c, p) for c, p in writes if not _inside(p, allowed)})
    assert outside == []


def test_home_and_tmpdir_stay_empty(audited: AuditedRun) -> None:
    # onnxruntime telemetry, model caches, tokenizers' caches, unpacked archives: none of it.
    assert [str(p) for p in audited.home.rglob("*")] == []
    assert [str(p) for p in audited.tmpdir.rglob("*")] == []


def test_index_folder_is_private(audited: AuditedRun, tmp_path: Path) -> None:
    assert stat.S_IMODE(audited.index.stat().st_mode) == 0o700
    # Also with a permissive umask, and when the folder already existed with open permissions.
    fresh, existing = tmp_path / "a" / "fresh-index", tmp_path / "existing-index"
    existing.mkdir(mode=0o755)
    existing.chmod(0o755)
    for index in (fresh, existing):
        # The umask is inherited, not set by a preexec_fn: that forces a plain fork, whose
        # atfork handlers restart gRPC's poller in the child (loaded here by the shared-index
        # tests), and closing the child's fds then aborted it (epoll_wait: bad file descriptor).
        umask = os.umask(0)
        try:
            run = subprocess.run([*SPYGLASS, "--index", str(index), "status"],
                                 capture_output=True, text=True, timeout=120, cwd=REPO)
        finally:
            os.umask(umask)
        assert run.returncode == 0, run.stderr
        assert stat.S_IMODE(index.stat().st_mode) == 0o700, index


# -- no shelling out -------------------------------------------------------------------------------

# Test harnesses that drive the real CLI in child processes (never with a shell). They live in
# core/ so that the packaged app can run them, but nothing in the app's own paths imports them.
HARNESSES = {"core/reliability/crash.py", "core/reliability/bench.py", "core/benchmark/perf.py",
             "core/benchmark/ocr.py"}
_FORBIDDEN_CALLS = {("os", "system"), ("os", "popen"), ("os", "startfile"), ("os", "execv"),
                    ("os", "execvp"), ("os", "execl"), ("os", "execlp"), ("os", "spawnv"),
                    ("os", "spawnl"), ("os", "posix_spawn"), ("os", "posix_spawnp"),
                    ("pty", "spawn"), ("webbrowser", "open"), ("webbrowser", "open_new")}


def _shell_outs(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            for name in modules:
                if name.split(".")[0] in ("subprocess", "pty", "webbrowser", "commands"):
                    yield f"{path}:{node.lineno}: import {name}"
        elif isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
                    and (func.value.id, func.attr) in _FORBIDDEN_CALLS):
                yield f"{path}:{node.lineno}: {func.value.id}.{func.attr}()"
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant)
                                              and kw.value.value is False):
                    yield f"{path}:{node.lineno}: shell={ast.unparse(kw.value)}"
        elif isinstance(node, ast.Attribute) and node.attr in ("QProcess", "startDetached"):
            yield f"{path}:{node.lineno}: {node.attr}"


def test_app_and_engine_never_shell_out() -> None:
    sources = sorted([*REPO.glob("app/**/*.py"), *REPO.glob("core/**/*.py")])
    assert len(sources) > 30
    found = [hit for path in sources for hit in _shell_outs(path)
             if str(path.relative_to(REPO)) not in HARNESSES or "import subprocess" not in hit]
    assert found == []
    # Files are opened through the desktop's handler, never by running a command.
    window = (REPO / "app" / "window.py").read_text(encoding="utf-8")
    assert "QDesktopServices.openUrl" in window
    # And the harnesses, which do run the CLI, never use a shell either.
    for name in HARNESSES:
        path = REPO / name
        if path.exists():
            assert [h for h in _shell_outs(path) if "import subprocess" not in h] == []
