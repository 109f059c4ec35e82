"""Run one submission's code and a lesson's tests in a separate, limited process (grading).

`mnist-lab grade` (mnist_lab.course.grading) grades each submission in a `Sandbox`: a server process
that imported torch (and the lessons' other imports) once, then forks one grading process per
job, so a fresh process costs a fraction of a second instead of seconds of imports. The grading
process
1. starts a process group of its own, lowers its address-space limit (RLIMIT_AS, the hard limit
   too), sends stdout/stderr to the parent, reads /dev/null as stdin (an `input()` cannot
   hang), moves to its temporary folder and gets a short, safe environment;
2. receives its job (cells to run, test files, a random token) over a socket, so the tests never
   touch the disk;
3. compiles the tests, runs each against wrong answers (the canary baseline: all must fail) and
   snapshots the objects the checks rely on (mnist_lab, torch, builtins, this module);
4. runs the student's cells, each guarded so one failing cell doesn't stop the rest;
5. runs each exercise's tests, then re-checks the snapshot and the canary: a checker that now
   accepts a wrong answer, or a replaced function, means the submission tampered with it.
Results go back one line per event over a pipe of their own, signed with the token (keyed
BLAKE2): nothing the student prints, or writes to a guessed descriptor, passes for a result. The
parent enforces the wall-clock limit, keeps at most `output_bytes` of stdout/stderr, and kills
the process group at the end. A small monitor process between server and grading process
reports the exit status (a signal number after a segfault, say).

The tests are otter's exception-format test files, run by a small runner here that calls the
`@test_case` functions the way otter's `test_case.call_func` does: importing otter itself pulls
in nbconvert and jsonschema, seconds per process. (The parent parses the files with otter, so
names and points follow otter's rules exactly.)

This survives crashes, endless loops, memory hogs, floods of output and casual monkeypatching.
It is not a security boundary: the code runs as the grader's user (see course/README.md).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import hashlib
import hmac
import importlib
import json
import os
import resource
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType
from typing import Any

GB = 1024**3
_MAX_LINE = 4 * 1024 * 1024  # a result line longer than this is not ours
_MAX_MESSAGE = 2000  # characters of one test's message sent back
_INT = 8  # bytes of a pid or an exit status on the server's socket
# Environment variables the grading process keeps; everything else (tokens, keys) is dropped.
_KEEP_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "XDG_CACHE_HOME", "VIRTUAL_ENV")
_SAFE_ENV = {
    "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1",
    "MPLBACKEND": "Agg", "MNIST_LAB_PROGRESS": "0",
    # Two submissions are graded side by side on two cores: one thread each (and no idle
    # BLAS threads in the server, which forks).
    "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
# `python -I` ignores PYTHONPATH and the current folder: the server gets the parent's sys.path.
_SERVER = ("import json, sys; sys.path[:] = json.loads(sys.argv[3]); "
           "from mnist_lab.course.sandbox import _server_main; _server_main()")


@dataclass(frozen=True)
class Limits:
    """Limits for one grading process (grading)."""

    timeout: float = 60.0  # seconds for the student's cells and the tests, per process
    memory_gb: float = 4.0  # address space; importing torch alone reserves about 1 GB of it
    output_bytes: int = 64 * 1024  # stdout/stderr kept for the instructor's log
    startup: float = 180.0  # seconds for the server's imports and the process to get ready

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.startup <= 0:
            raise ValueError(f"timeouts must be positive, got {self.timeout} and {self.startup}")
        if self.memory_gb < 1.5:
            raise ValueError(f"memory_gb={self.memory_gb} is too small: torch needs about 1.5 GB "
                             "of address space just to import; use 4 or more")


@dataclass(frozen=True)
class Job:
    """What one grading process runs: the student's cells, then each exercise's tests."""

    cells: tuple[tuple[str, str], ...]  # (label for messages, code), in notebook order
    exercises: tuple[tuple[str, str, int], ...]  # (name, test-file source, number of test cases)


@dataclass(frozen=True)
class Outcome:
    """What came back from one grading process."""

    events: tuple[dict, ...]  # verified result events, in order
    returncode: int | None  # negative: killed by that signal
    timed_out: bool
    output: str  # the first `output_bytes` of stdout/stderr
    forged_lines: int  # lines on the result pipe without a valid signature
    seconds: float

    @property
    def finished(self) -> bool:
        """Whether the grading process reported to the end."""
        return any(e["event"] == "done" for e in self.events)

    @property
    def current_exercise(self) -> str | None:
        """The exercise being tested when the process stopped (None: it stopped before)."""
        current = None
        for e in self.events:
            if e["event"] == "start":
                current = e.get("exercise")
            elif e["event"] == "exercise":
                current = None
        return current

    def ending(self) -> str:
        """Why the process stopped early, in words."""
        if self.timed_out:
            return "stopped at the time limit"
        code = self.returncode
        if code is not None and code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            return f"the grading process was killed by {name}"
        if code is None:
            return "the grading process ended unexpectedly"
        return f"the grading process ended unexpectedly (exit code {code})"


# ---------------------------------------------------------------------------------------------
# Parent side


class Sandbox:
    """Grading processes forked from a server that imported torch and `preload` once (grading).

    Use as a context manager; `run` is safe to call from several threads at once.
    """

    def __init__(self, limits: Limits | None = None, preload: Iterable[str] = ()):
        self.limits = limits or Limits()
        self._folder = Path(tempfile.mkdtemp(prefix="mnist-lab-sandbox-"))
        self._preload = json.dumps(sorted(preload))
        env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
        env.update({k: v for k, v in os.environ.items() if k.startswith("MNIST_LAB_")})
        self._env = {**env, **_SAFE_ENV}
        self._lock = threading.Lock()
        self._starts = 0
        self._start_server()

    def _start_server(self) -> None:
        self._starts += 1
        self._address = str(self._folder / f"server{self._starts}")
        self._server = subprocess.Popen(
            [sys.executable, "-I", "-c", _SERVER, self._address, self._preload,
             json.dumps([os.path.abspath(p) for p in sys.path])],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=self._env,
            cwd=self._folder, start_new_session=True)

    def _running_server(self) -> str:
        """The server's address, after starting a new one if a submission killed it."""
        with self._lock:
            if self._server.poll() is not None and self._starts < 20:
                self._server.stdin.close()
                self._start_server()
            return self._address

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server (it also stops by itself when this process ends)."""
        self._server.stdin.close()  # end of file tells the server to exit
        try:
            self._server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._server.kill()
            self._server.wait()
        shutil.rmtree(self._folder, ignore_errors=True)

    def run(self, job: Job, workdir: Path) -> Outcome:
        """Run `job` in a fresh, limited process with `workdir` as its folder."""
        start = time.monotonic()
        for _ in range(3):  # again if a server, killed by another submission, dropped it
            token = secrets.token_bytes(32)
            got = self._run_once(job, workdir, token)
            if got.pid is not None:
                break
        events, forged = _verify(got.lines, token)
        return Outcome(tuple(events), got.returncode, got.timed_out,
                       got.output.decode("utf-8", "replace"), forged, time.monotonic() - start)

    def _run_once(self, job: Job, workdir: Path, token: bytes) -> _Collected:
        out_r, out_w = os.pipe()
        result_r, result_w = os.pipe()
        request = json.dumps({
            "cells": job.cells, "exercises": job.exercises, "token": token.hex(),
            "workdir": str(workdir), "memory": int(self.limits.memory_gb * GB),
            "cpu_seconds": int(self.limits.timeout + 60),  # a backstop if this process dies
            "env": {**self._env, "TMPDIR": str(workdir)},
        }).encode()
        conn = socket.socket(socket.AF_UNIX)
        try:
            self._connect(conn)
            try:
                socket.send_fds(conn, [len(request).to_bytes(_INT, "little")], [out_w, result_w])
                conn.sendall(request)
            except OSError:  # the server died: no process was started
                return _Collected([], b"", False, None, None)
            os.close(out_w)
            os.close(result_w)
            out_w = result_w = -1
            return _collect(conn, out_r, result_r, self.limits)
        finally:
            for fd in (out_r, out_w, result_r, result_w):
                if fd >= 0:
                    os.close(fd)
            conn.close()

    def _connect(self, conn: socket.socket) -> None:
        """Connect to the server, waiting while it starts (it binds before its imports)."""
        deadline = time.monotonic() + self.limits.startup
        while True:
            address = self._running_server()
            try:
                conn.connect(address)
                return
            except (FileNotFoundError, ConnectionRefusedError):
                if self._starts >= 20 or time.monotonic() > deadline:
                    raise RuntimeError("the grading server did not start; run `python -c "
                                       "'import torch, mnist_lab.checks'` to see why") from None
                time.sleep(0.05)


@dataclass
class _Collected:
    lines: list[bytes]
    output: bytes
    timed_out: bool
    pid: int | None  # None: no grading process was started
    returncode: int | None


def _collect(conn: socket.socket, out_fd: int, result_fd: int, limits: Limits) -> _Collected:
    """Read result lines, output (capped) and the exit status, within the time limits."""
    sel = selectors.DefaultSelector()
    for fd, name in ((out_fd, "out"), (result_fd, "result"), (conn.fileno(), "status")):
        sel.register(fd, selectors.EVENT_READ, name)
    buf = {"out": bytearray(), "result": bytearray(), "status": bytearray()}
    try:
        timed_out = _read_until_exit(sel, buf, limits)
    finally:  # also on KeyboardInterrupt: no grading process outlives the grader
        sel.close()
        pid = _int(buf["status"][:_INT])
        if pid is not None:  # the process and whatever it left behind
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
    conn.settimeout(10)
    with contextlib.suppress(OSError):  # the monitor's report of the exit status
        while len(buf["status"]) < 2 * _INT and (data := conn.recv(64)):
            buf["status"] += data
    lines = [line for line in bytes(buf["result"]).split(b"\n") if line]
    returncode = _int(buf["status"][_INT:2 * _INT])
    return _Collected(lines, bytes(buf["out"]), timed_out, pid, returncode)


def _read_until_exit(sel: selectors.BaseSelector, buf: dict, limits: Limits) -> bool:
    """Fill `buf` until the process has exited and its pipes are drained; True on a timeout."""
    deadline, ready, drain_until = time.monotonic() + limits.startup, False, None
    while sel.get_map():
        now = time.monotonic()
        if len(buf["status"]) >= 2 * _INT:  # it exited: read what is left, briefly
            drain_until = drain_until or now + 2.0
            if now > drain_until:
                return False
        elif now >= deadline:
            return True
        for key, _ in sel.select(timeout=(drain_until or deadline) - now):
            try:
                data = os.read(key.fd, 1 << 16)
            except OSError:  # e.g. the connection reset by a dying server: treat as closed
                data = b""
            if not data:
                sel.unregister(key.fd)
            elif key.data == "out":  # keep the first part, read and drop the rest
                buf["out"] += data[: max(0, limits.output_bytes - len(buf["out"]))]
            else:
                buf[key.data] += data
        if not ready and b'"event": "ready"' in buf["result"]:
            ready, deadline = True, time.monotonic() + limits.timeout  # the student's clock
        if len(buf["result"]) > 64 * _MAX_LINE:  # a flood on the result pipe: not ours
            buf["result"][:] = b"<flood>"
            return False
    return False


def _int(data: bytes) -> int | None:
    return int.from_bytes(data, "little", signed=True) if len(data) == _INT else None


def _sign(token: bytes, body: bytes) -> str:
    return hashlib.blake2b(body, key=token, digest_size=16).hexdigest()


def _verify(lines: list[bytes], token: bytes) -> tuple[list[dict], int]:
    """Keep the lines signed with `token` that parse as events; count the others."""
    events, forged = [], 0
    for line in lines:
        sig, _, body = line.partition(b" ")
        event = None
        if len(line) <= _MAX_LINE and hmac.compare_digest(sig, _sign(token, body).encode()):
            try:
                event = json.loads(body)
            except ValueError:
                event = None
        if isinstance(event, dict) and isinstance(event.get("event"), str):
            events.append(event)
        else:
            forged += 1
    return events, forged


# ---------------------------------------------------------------------------------------------
# Server side: `python -I -c _SERVER ADDRESS PRELOAD SYS_PATH`, started by Sandbox.


def _server_main() -> None:
    """Import once, then fork a monitor per request; exit when stdin closes (parent gone)."""
    address, preload = sys.argv[1], json.loads(sys.argv[2])
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(address)  # before the slow imports: early requests wait in the backlog
    listener.listen(64)
    for name in ["torch", "mnist_lab.checks", "mnist_lab.course.sandbox", *preload]:
        with contextlib.suppress(Exception):  # the student's own import will say what failed
            importlib.import_module(name)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # monitors are reaped automatically
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    sel.register(sys.stdin, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is not listener:
                os._exit(0)  # stdin is readable only at its end: the parent has gone
            conn, _ = listener.accept()
            if os.fork() == 0:
                sel.close()
                listener.close()
                _monitor(conn)
            conn.close()


def _monitor(conn: socket.socket) -> None:
    """Fork the grading process, send its pid, wait for it, send its exit status."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        head, fds, _, _ = socket.recv_fds(conn, _INT, 2)
        size = int.from_bytes(head, "little")
        data = bytearray()
        while len(data) < size:
            data += conn.recv(min(1 << 20, size - len(data))) or _eof()
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            conn.close()
            child_main(request, *fds)
        for fd in fds:
            os.close(fd)
        conn.sendall(pid.to_bytes(_INT, "little", signed=True))
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        conn.sendall(status.to_bytes(_INT, "little", signed=True))
        code = 0
    finally:
        os._exit(code)


def _eof() -> bytes:
    raise EOFError("the grader closed the connection before sending the whole job")


# ---------------------------------------------------------------------------------------------
# Grading process: everything below runs with the student's code.


def child_main(request: dict, out_fd: int, result_fd: int) -> None:
    """Body of the grading process (forked by the server's monitor); never returns."""
    os.setsid()  # a process group of its own: the parent kills everything it starts
    _limit_resources(request["memory"], request["cpu_seconds"])
    for fd in (1, 2):  # prints go to the parent, which keeps the first part
        os.dup2(out_fd, fd)
    os.close(out_fd)
    _detach_stdin()
    os.chdir(request["workdir"])
    os.environ.clear()
    os.environ.update(request["env"])
    channel = _Channel(result_fd, bytes.fromhex(request.pop("token")))
    try:
        _grade(Job(tuple(map(tuple, request["cells"])),
                   tuple(map(tuple, request["exercises"]))), channel)
    except BaseException as exc:  # a failure of the grader itself: report it, never hang
        channel.send({"event": "crash", "message": _text(exc)})
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BaseException):  # the student may have replaced or closed it
            stream.flush()
    os._exit(0)  # skip atexit handlers and threads the student's code may have left behind


def _limit_resources(memory_bytes: int, cpu_seconds: int) -> None:
    """Cap address space and CPU time (hard limits too: they cannot be raised back), no cores."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _detach_stdin() -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)


class _Channel:
    """Signed result lines on the inherited pipe."""

    def __init__(self, fd: int, token: bytes):
        self._fd, self._token = fd, token

    def send(self, event: dict) -> None:
        body = json.dumps(event, ensure_ascii=True).encode()
        line = _sign(self._token, body).encode() + b" " + body + b"\n"
        while line:
            line = line[os.write(self._fd, line):]


def _text(exc: BaseException) -> str:
    """An exception as 'Type: message', short, even if its __str__ misbehaves."""
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:_MAX_MESSAGE]


class _TestCase:
    """Otter's `@test_case(points=..., hidden=...)` decorator, for the child's own runner."""

    def __init__(self, name=None, points=None, hidden=False, success_message=None,
                 failure_message=None):
        self.name, self.hidden = name, hidden
        self.func = None

    def __call__(self, func):
        self.func = func
        return self

    @property
    def params(self) -> list[str]:
        code = self.func.__code__
        return list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])

    def call(self, env: dict) -> None:
        """Call the test like otter: each parameter from `env` (None if absent); `env` itself."""
        self.func(**{p: env if p == "env" else env.get(p) for p in self.params})


@dataclass
class _Exercise:
    name: str
    cases: list[_TestCase]


def _load_tests(name: str, source: str, count: int) -> _Exercise:
    """Compile one exception-format test file with `test_case` provided here, not by otter."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body if not (
        isinstance(node, ast.ImportFrom) and (node.module or "").startswith("otter"))]
    env: dict[str, Any] = {"test_case": _TestCase, "__name__": f"tests_{name}"}
    exec(compile(tree, f"<tests of {name}>", "exec"), env)
    cases = [v for v in env.values() if isinstance(v, _TestCase)]
    if len(cases) != count:
        raise RuntimeError(f"{name}: found {len(cases)} test cases, the grader expected {count}")
    return _Exercise(name, cases)


def _grade(job: Job, channel: _Channel) -> None:
    import torch  # imported (and snapshotted) before any student code runs

    torch.set_num_threads(1)
    exercises = [_load_tests(*ex) for ex in job.exercises]
    baseline = _canary(exercises, torch)  # also imports every module the tests use
    guard = _Guard()
    channel.send({"event": "ready"})

    env = {"__name__": "__main__", "__builtins__": builtins, "display": _no_display}
    notes = [note for label, code in job.cells if (note := _run_cell(label, code, env))]
    channel.send({"event": "setup", "notes": notes})
    for exercise in [None, *exercises]:
        if exercise is not None:
            channel.send({"event": "start", "exercise": exercise.name})
            cases = [_run_case(case, env, torch) for case in exercise.cases]
        problem = guard.changed() or _canary_changed(baseline, exercises, torch)
        if problem:
            channel.send({"event": "tampered", "reason": problem})
            return
        if exercise is not None:
            channel.send({"event": "exercise", "exercise": exercise.name, "cases": cases})
    channel.send({"event": "done"})


def _no_display(*args, **kwargs) -> None:
    """IPython's `display`, which graded code may call: shows nothing here."""


def _run_cell(label: str, code: str, env: dict) -> str | None:
    """Execute one cell in `env`; return a note if it raised (the next cells still run)."""
    try:
        exec(compile(code, label, "exec"), env)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: the next cell runs
        return f"{label} raised {_text(exc)}"[:500]
    return None


def _reset_torch(torch) -> None:
    """Same starting state for every test, whatever the student's cells switched."""
    torch.set_grad_enabled(True)
    torch.set_default_dtype(torch.float32)
    torch.manual_seed(0)


def _run_case(case: _TestCase, env: dict, torch) -> dict:
    """Run one test case; its result as plain data."""
    _reset_torch(torch)
    missing = [p for p in case.params if p != "env" and p not in env]
    if missing:
        return {"passed": False, "kind": "undefined", "message": f"`{missing[0]}` is not defined"}
    try:
        case.call(env)
    except BaseException as exc:  # any failure of the answer is a failed test, never a crash
        kind = "assertion" if isinstance(exc, AssertionError) else "exception"
        return {"passed": False, "kind": kind, "message": _text(exc)}
    return {"passed": True, "kind": "passed", "message": ""}


# The canary: a wrong answer must fail every test, before and after the student's code ran.

def _wrong_answers(torch) -> tuple:
    """None, and an object that is wrong as a function and as a value (random class name)."""
    wrong = type(f"Answer{secrets.token_hex(4)}", (), {
        "__call__": lambda self, *a, **k: torch.full((1,), 12345.0),
        "__float__": lambda self: 12345.0,
    })
    return None, wrong()


def _rejects(case: _TestCase, answer: Any, torch) -> bool:
    env = {p: answer for p in case.params if p != "env"}
    _reset_torch(torch)
    try:
        case.call(env)
    except BaseException:
        return True
    return False


def _canary(exercises: list[_Exercise], torch) -> tuple[bool, ...]:
    """For every test case (and two plain checks): does it reject wrong answers?"""
    from mnist_lab import checks  # the same lookup path the tests use

    answers = _wrong_answers(torch)
    verdicts = [all(_rejects(case, a, torch) for a in answers)
                for exercise in exercises for case in exercise.cases]
    plain = [_TestCase()(lambda: checks.check_function(
                 lambda x: x + 1, lambda x: 2 * x, [(torch.ones(3),)], quiet=True)),
             _TestCase()(lambda: checks.check_close(1.0, 2.0, quiet=True))]
    return (*verdicts, *(_rejects(case, None, torch) for case in plain))


def _canary_changed(baseline: tuple[bool, ...], exercises: list[_Exercise], torch) -> str | None:
    now = _canary(exercises, torch)
    if any(before and not after for before, after in zip(baseline, now)):
        return "a deliberately wrong answer passed the checks"
    return None


class _Guard:
    """Identity snapshot of what the checks rely on; `changed()` names what was replaced."""

    def __init__(self):
        import torch

        owners = [builtins, torch, torch.Tensor, torch.nn.functional, json, hashlib, os,
                  _TestCase, _Channel]
        owners += [m for n, m in sorted(sys.modules.items()) if n.startswith("mnist_lab") and m]
        self._modules = {n: m for n, m in sys.modules.items()
                         if n.startswith(("mnist_lab", "torch")) and m}
        self._items = [(owner, key, value, _code(value))
                       for owner in owners for key, value in list(vars(owner).items())]
        self._torch_dir = os.path.dirname(torch.__file__)

    def changed(self) -> str | None:
        for name, module in self._modules.items():
            if sys.modules.get(name) is not module:
                return f"sys.modules[{name!r}] was replaced"
        for owner, key, value, code in self._items:
            now = vars(owner).get(key, _MISSING)
            same = now is value and _code(now) is code
            if not (same or self._torch_wrapper(now, value)):
                return f"{getattr(owner, '__name__', owner)}.{key} was replaced"
        return None

    def _torch_wrapper(self, new: Any, old: Any) -> bool:
        """torch.compile wraps a few torch functions (manual_seed...) around the originals."""
        return (isinstance(new, FunctionType) and getattr(new, "__wrapped__", None) is old
                and new.__code__.co_filename.startswith(self._torch_dir))


_MISSING = object()


def _code(value: Any) -> Any:
    """A Python function's code object (it can be swapped in place), else None."""
    return value.__code__ if isinstance(value, FunctionType) else None
