"""Hostile submissions against `mnist-lab grade`: each class of attack, and what stops it.

One class of hostile students (built here from the 90_fixture lesson) is graded once, with an
honest student among them, in bubblewrap sandboxes. Each attacker's `double` answer returns the
right result only if its attack worked, so "the attack failed" reads as "0 points", and every
attack also prints what it saw (kept in the instructor's log). Skipped where bwrap cannot run.
"""

from __future__ import annotations

import copy
import csv
import json
import os
from pathlib import Path

import pytest

import mnist_lab
from mnist_lab.course.grading import GradeConfig, grade_class, load_lessons
from mnist_lab.course.paths import REPO
from mnist_lab.course.report import summarize, write_outputs
from mnist_lab.course.sandbox import Limits, bwrap_problem

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    bool(bwrap_problem()), reason=f"no sandbox: {bwrap_problem()}")]

FIXTURES = Path(__file__).parent / "fixtures" / "grading"
BASE = json.loads((FIXTURES / "submissions" / "alice" / "90_fixture.json").read_text())
LIMITS = Limits(timeout=8.0, memory_gb=2.0, processes=32)
MARK = "sleep 37.123"  # a daemon's command line, looked for after grading


def notebook(cells: list[str], double: str = "def double(x):\n    return x") -> dict:
    """The fixture lesson answered with `double` (wrong by default) plus the student's cells."""
    nb = copy.deepcopy(BASE)
    for cell in nb["cells"]:
        if "def double" in "".join(cell.get("source", "")):
            cell["source"] = double
    for k, source in enumerate(cells):
        nb["cells"].append({"cell_type": "code", "id": f"evil-{k}", "metadata": {},
                            "outputs": [], "execution_count": None, "source": source})
    return nb


KEEPER = """
import ctypes, os, platform
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL = {'x86_64': (248, 250), 'aarch64': (217, 219)}.get(platform.machine(), (0, 0))
USER_KEYRING = ctypes.c_int(-4)

def keep_and_crash(x):
    if x.dim() == 2:  # the hidden test's input
        data = repr(x.tolist()).encode()
        libc.syscall(ADD_KEY, b'user', b'kept', data, len(data), USER_KEYRING)
        os._exit(int(x[1, 3]))
    return 2 * x

def leaky(x):
    key = libc.syscall(KEYCTL, 10, USER_KEYRING, b'user', b'kept', 0)  # KEYCTL_SEARCH
    buf = ctypes.create_string_buffer(4096)
    n = libc.syscall(KEYCTL, 11, ctypes.c_long(key), buf, 4096)  # KEYCTL_READ
    raise ValueError('kept: ' + buf.raw[:max(n, 0)].decode())"""


def attacks(paths: dict[str, str]) -> dict[str, dict]:
    """student -> notebook. `paths` are secrets outside the sandbox the attackers look for."""
    secrets = json.dumps(sorted(paths.values()))
    return {
        "honest": notebook([], "def double(x):\n    return 2 * x"),
        # Reading the hidden tests, the solutions, other students, the grader's files.
        "reader": notebook([f"""
import os
found = []
for p in {secrets}:
    try:
        with open(p, 'rb') as f:
            f.read(10)
        found.append(p)
    except OSError as e:
        print('blocked', p, type(e).__name__)
print('LEAKED' if found else 'nothing leaked', found)
OK = bool(found)"""], "def double(x):\n    return 2 * x if OK else x"),
        # The checks patched in the student's own process: they do not run there.
        "patcher": notebook(["""
import torch
from mnist_lab import checks
torch.isclose = lambda a, b, **k: torch.ones_like(a, dtype=torch.bool)
torch.Tensor.__bool__ = lambda self: True
checks.check_function = lambda *a, **k: True
checks.check_close = lambda *a, **k: True"""]),
        # A Tensor subclass that claims to be close to anything.
        "liar": notebook(["""
import torch
class Liar(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func is torch.isclose:
            return torch.ones(args[0].shape, dtype=torch.bool)
        if func in (torch.equal, torch.allclose):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})
"""], "def double(x):\n    return x.as_subclass(Liar)"),
        # Killing everything it can see: the zygote, init, the grader by guessed pids.
        "killer": notebook(["""
import os, signal
for pid in [1, os.getppid(), *range(2, 400)]:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass"""], "def double(x):\n    return 2 * x"),
        # A daemon that outlives its submission, and one that writes into the output later.
        "daemon": notebook([f"""
import subprocess, os
subprocess.Popen(['/bin/sh', '-c', '{MARK}'], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    import time
    time.sleep(3)
    for p in {secrets}:
        try:
            open(p, 'a').write('=HYPERLINK(1)')
        except OSError:
            pass
    os._exit(0)"""], "def double(x):\n    return 2 * x"),
        # A fork bomb, bounded by the sandbox's process limit.
        "bomb": notebook(["""
import os, time
count = 0
for _ in range(2000):
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        count += 1
    except OSError:
        break
print('forked', count)
BOMB = count"""], "def double(x):\n    return 2 * x if BOMB >= 2000 else x"),
        # Memory across processes: four children of 700 MB each against 2 GB for the sandbox.
        "hog": notebook(["""
import os
oks = 0
pids = []
for _ in range(4):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        block = bytearray(700 * 2**20)
        os.write(w, b'k')
        import time
        time.sleep(5)
        os._exit(0)
    pids.append((pid, r))
    os.close(w)
for pid, r in pids:
    oks += len(os.read(r, 1))
print('children that held their memory', oks)
HOG = oks"""], "def double(x):\n    return 2 * x if HOG == 4 else x"),
        # The network, and writing into the library or the Python install.
        "network": notebook([f"""
import socket, os
reached = []
for host in [('1.1.1.1', 53), ('pypi.org', 443)]:
    try:
        socket.create_connection(host, timeout=2).close()
        reached.append(host)
    except OSError as e:
        print('no network', host, type(e).__name__)
written = []
import mnist_lab, torch
for target in [mnist_lab.__file__, torch.__file__, '{os.path.dirname(mnist_lab.__file__)}/x.py']:
    try:
        with open(target, 'a') as f:
            f.write('# owned')
        written.append(target)
    except OSError as e:
        print('read-only', target, type(e).__name__)
print('CUDA_VISIBLE_DEVICES=%r' % os.environ.get('CUDA_VISIBLE_DEVICES'))
print('processes seen', sorted(p for p in os.listdir('/proc') if p.isdigit()))
NET = bool(reached or written)"""], "def double(x):\n    return 2 * x if NET else x"),
        # A huge exception message that quotes the hidden input.
        "quoter": notebook([], "def double(x):\n    raise ValueError(repr(x.tolist()) * 10000)"),
        # A result too big to send back.
        "flood": notebook([], "def double(x):\n    import torch\n"
                              "    return torch.zeros(80_000_000)"),
        # The hidden input in an exception message after "Hint: ", where a check that gives no
        # hint of its own would take the hint from.
        "hinter": notebook([], "def double(x):\n    raise ValueError('Hint: ' + repr(x.tolist()))"),
        # The hidden input of q1 kept, and quoted back in q2's public failure (shown whole).
        "echo": notebook(["SEEN = []\n\ndef leaky(x):\n    raise ValueError(repr(SEEN))"],
                         "def double(x):\n    SEEN.append(x.tolist())\n    return 2 * x"),
        # The hidden input kept in the kernel's keyring (it outlives the process), then a
        # crash whose exit code spells part of it; q2's public test, run again in the next
        # session, quotes what was kept.
        "keeper": notebook([KEEPER], "def double(x):\n    return keep_and_crash(x)"),
        # A lone surrogate (valid in JSON, not in UTF-8) in an exception message.
        "surrogate": notebook([], "def double(x):\n    raise ValueError('\\ud800')"),
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("attack")
    subs, out, victim = root / "submissions", root / "out", root / "victim.txt"
    victim.write_text("victim")
    paths = {"solutions": str(FIXTURES / "solutions" / "90_fixture.json"),
             "course": str(REPO / "course" / "lessons" / "01_baseline.py"),
             "other": str(subs / "honest" / "90_fixture.ipynb"),
             "victim": str(victim), "out": str(out / "grades.csv")}
    for student, nb in attacks(paths).items():
        (subs / student).mkdir(parents=True)
        (subs / student / "90_fixture.ipynb").write_text(json.dumps(nb))
    _special_files(subs, paths["solutions"])
    solutions = root / "solutions"
    solutions.mkdir()
    (solutions / "90_fixture.ipynb").write_text((FIXTURES / "solutions" / "90_fixture.json")
                                                .read_text())
    library = Path(mnist_lab.__file__).read_bytes()
    results, notes = grade_class(subs, load_lessons(solutions), GradeConfig(LIMITS, jobs=2))
    out.mkdir()
    (out / "feedback").symlink_to(root / "elsewhere", target_is_directory=True)
    (out / "grades.csv").symlink_to(victim)
    write_outputs(results, out, summarize(results), notes)
    import time

    time.sleep(4)  # the daemon's write would have happened by now
    return {"out": out, "root": root, "victim": victim, "notes": notes, "library": library}


def _special_files(subs: Path, solutions: str) -> None:
    """Students whose files are links, FIFOs, huge, deeply nested or oddly shaped."""
    (subs / "linker").mkdir()
    (subs / "linker" / "90_fixture.ipynb").symlink_to(solutions)
    (subs / "piper").mkdir()
    os.mkfifo(subs / "piper" / "90_fixture.ipynb")
    (subs / "giant").mkdir()
    with open(subs / "giant" / "90_fixture.ipynb", "wb") as f:
        f.truncate(200 * 2**20)  # sparse: 200 MB of zeros on no disk
    (subs / "deep").mkdir()
    (subs / "deep" / "90_fixture.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (subs / "odd").mkdir()
    odd = notebook([])
    odd["cells"].append({"cell_type": "code", "metadata": "a string", "source": ["x", 3],
                         "id": ["not", "a", "string"]})
    odd["cells"].append({"cell_type": "code", "source": "x = (" * 5000 + ")" * 5000})
    (subs / "odd" / "90_fixture.ipynb").write_text(json.dumps(odd))
    (subs / "=1+1").mkdir()
    (subs / "=1+1" / "90_fixture.ipynb").write_text(json.dumps(notebook([])))


def rows(graded: dict, student: str) -> list[list[str]]:
    with open(graded["out"] / "grades.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f) if r[0] == student]


def points(graded: dict, student: str) -> float:
    return sum(float(r[3]) for r in rows(graded, student) if r[2] == "q1_double")


def log(graded: dict, student: str) -> str:
    return (graded["out"] / "logs" / student / "90_fixture.txt").read_text(encoding="utf-8")


def test_the_honest_student_gets_full_marks_among_attackers(graded):
    assert [r[5] for r in rows(graded, "honest")] == ["passed", "passed"]


def test_hidden_tests_solutions_other_students_and_outputs_cannot_be_read(graded):
    assert points(graded, "reader") == 0
    assert "nothing leaked" in log(graded, "reader")


def test_patching_torch_and_the_checks_in_the_workers_process_changes_nothing(graded):
    assert points(graded, "patcher") == 0
    assert rows(graded, "patcher")[0][5] == "failed"


def test_a_tensor_subclass_cannot_lie_to_the_comparison(graded):
    assert points(graded, "liar") == 0


def test_killing_every_visible_process_harms_only_the_killer(graded):
    assert rows(graded, "killer")  # graded (whatever it got), and the class went on
    assert [r[5] for r in rows(graded, "honest")] == ["passed", "passed"]


def test_no_daemon_outlives_the_grade_or_writes_afterwards(graded):
    leftovers = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if MARK in cmdline:
            leftovers.append(pid)
    assert leftovers == []
    assert graded["victim"].read_text() == "victim"


def test_a_fork_bomb_is_stopped_by_the_process_limit(graded):
    assert points(graded, "bomb") == 0
    forked = [line for line in log(graded, "bomb").splitlines() if line.startswith("forked")]
    assert not forked or int(forked[0].split()[1]) < LIMITS.processes


def test_memory_is_limited_for_the_whole_process_tree(graded):
    assert points(graded, "hog") == 0


def test_no_network_no_writes_to_the_library_and_no_gpu(graded):
    text = log(graded, "network")
    assert points(graded, "network") == 0
    assert "CUDA_VISIBLE_DEVICES=''" in text
    assert Path(mnist_lab.__file__).read_bytes() == graded["library"]


def test_the_sandbox_sees_only_its_own_processes(graded):
    seen = [line for line in log(graded, "network").splitlines()
            if line.startswith("processes seen")][0]
    assert len(eval(seen.removeprefix("processes seen "))) <= 4  # init, zygote, worker, ls


def test_a_hidden_tests_input_quoted_in_an_exception_never_reaches_feedback(graded):
    text = (graded["out"] / "feedback" / "quoter.md").read_text()
    assert "raised ValueError" in text
    assert "[[0.0, 1.0, 2.0, 3.0]" not in text and len(text) < 20_000


def test_a_hint_spelled_in_the_students_exception_never_reaches_feedback(graded):
    text = (graded["out"] / "feedback" / "hinter.md").read_text()
    assert "A hidden test failed: it raised an error." in text
    assert "[[0.0, 1.0, 2.0, 3.0]" not in text


def test_a_hidden_input_kept_by_the_worker_is_not_quoted_by_a_later_public_test(graded):
    text = (graded["out"] / "feedback" / "echo.md").read_text()
    assert "[[-1.0, -0.5, 0.0, 0.5, 1.0]]" in text  # q1's public input: the student has it
    assert "[[0.0, 1.0, 2.0, 3.0]" not in text  # q1's hidden input
    assert points(graded, "echo") == 2


def test_a_crash_in_a_hidden_test_tells_nothing_and_keeps_nothing_for_the_next_session(graded):
    text = (graded["out"] / "feedback" / "keeper.md").read_text()
    assert "during a hidden test" in rows(graded, "keeper")[0][6]
    assert "exit code 7" not in text and "[[0.0, 1.0, 2.0, 3.0]" not in text
    assert "exit status 7" in log(graded, "keeper")  # the instructor still sees it


def test_a_lone_surrogate_in_an_exception_message_does_not_stop_the_outputs(graded):
    assert rows(graded, "surrogate")[0][5] == "failed"
    assert "\\ud800" in (graded["out"] / "feedback" / "surrogate.md").read_text()
    assert (graded["out"] / "summary.txt").exists()


def test_a_result_too_big_to_send_fails_only_that_student(graded):
    assert points(graded, "flood") == 0 and rows(graded, "flood")


def test_links_and_fifos_are_skipped_never_followed(graded):
    for student in ("linker", "piper"):  # no notebook read: the lesson is missing
        assert {r[5] for r in rows(graded, student)} == {"missing"}
    notes = "\n".join(graded["notes"])
    assert "symbolic link" in notes and "not a regular file" in notes


def test_huge_deep_and_malformed_notebooks_are_that_students_errors(graded):
    assert {r[5] for r in rows(graded, "giant")} == {"error"}
    assert "200 MB" in rows(graded, "giant")[0][6]
    assert {r[5] for r in rows(graded, "deep")} == {"error"}
    assert rows(graded, "odd")  # graded: the strange cells are skipped or noted


def test_out_dir_links_are_replaced_not_followed(graded):
    out = graded["out"]
    assert graded["victim"].read_text() == "victim"
    assert not (out / "grades.csv").is_symlink() and not (out / "feedback").is_symlink()
    assert not (graded["root"] / "elsewhere").exists()


def test_a_student_folder_named_like_a_formula_is_neutralised(graded):
    text = (graded["out"] / "grades.csv").read_text()
    assert "\n'=1+1,90_fixture" in text and "\n=1+1" not in text


# --- what one submission leaves for the next one in the same sandbox ------------------------

PLANT = """
import ctypes, os
planted = []
for path in ['/opt/mnist-lab/statistics.py', '/statistics.py', '/dev/statistics.py']:
    try:
        with open(path, 'w') as f:
            f.write('def mean(x):\\n    return 0\\n')
        planted.append(path)
    except OSError as e:
        print('cannot write', path, type(e).__name__)
os.makedirs('/tmp/keep')
with open('/tmp/keep/block', 'wb') as f:
    f.write(b'x' * 2**20)
os.chmod('/tmp/keep', 0)  # the zygote cannot empty it
with open('/dev/shm/block', 'wb') as f:
    f.write(b'x' * 2**20)
print('shm', ctypes.CDLL(None).shmget(0, 2**20, 0o1000 | 0o600))  # outlives its process
# A checkout under /tmp (a CI clone) is bound read-only into the sandbox's /tmp: the folders
# leading to it are the sandbox's own, and writable.
for bind in [line.split()[4] for line in open('/proc/self/mountinfo')]:
    if bind.startswith('/tmp/'):
        try:
            with open(os.path.join(os.path.dirname(bind), 'planted'), 'w') as f:
                f.write('x')
        except OSError as e:
            print('cannot write beside', bind, type(e).__name__)
print('planted', planted)"""

LOOK = """
import os, statistics
BINDS = [line.split()[4] for line in open('/proc/self/mountinfo')]
def stray(folder):  # what is in folder beyond the sandbox's binds and the folders leading to them
    found = []
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if any(b.startswith(path + '/') for b in BINDS):
            found += stray(path)
        elif path not in BINDS:
            found.append(path)
    return found
LEFT = [statistics.__file__, stray('/tmp'), os.listdir('/dev/shm'),
        open('/proc/sysvipc/shm').read().count(chr(10))]
print('left for me', LEFT)
CLEAN = statistics.mean([2, 4]) == 3 and LEFT[1:] == [[os.getcwd()], [], 1]"""


def test_honest_submissions_share_one_sandbox_per_job_slot(tmp_path, monkeypatch):
    """A fresh sandbox costs seconds (bwrap, importing torch): it is started again only when a
    submission left something behind. The sandbox's own binds (a checkout under /tmp, as in a
    CI clone) are not leftovers."""
    from mnist_lab.course import sandbox

    starts = []
    real_start = sandbox.Slot.start
    monkeypatch.setattr(sandbox.Slot, "start", lambda self: starts.append(1) or real_start(self))
    subs, solutions = tmp_path / "submissions", tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "90_fixture.ipynb").write_text((FIXTURES / "solutions" / "90_fixture.json")
                                                .read_text())
    for student in ("a", "b", "c"):
        (subs / student).mkdir(parents=True)
        (subs / student / "90_fixture.ipynb").write_text(json.dumps(notebook(
            ["open('scratch.txt', 'w').write('x')"], "def double(x):\n    return 2 * x")))
    results, _ = grade_class(subs, load_lessons(solutions), GradeConfig(LIMITS, jobs=1))
    assert all(g.status == "passed" for r in results for g in r.grades[:1])
    assert len(starts) == 1


def test_nothing_a_submission_leaves_reaches_the_next_one_in_its_sandbox(tmp_path):
    subs, solutions = tmp_path / "submissions", tmp_path / "solutions"
    solutions.mkdir()
    (solutions / "90_fixture.ipynb").write_text((FIXTURES / "solutions" / "90_fixture.json")
                                                .read_text())
    students = {"a_planter": notebook([PLANT]),  # one sandbox, in this order (jobs=1)
                "b_next": notebook([LOOK], "def double(x):\n    return 2 * x if CLEAN else x")}
    for student, nb in students.items():
        (subs / student).mkdir(parents=True)
        (subs / student / "90_fixture.ipynb").write_text(json.dumps(nb))
    results, _ = grade_class(subs, load_lessons(solutions), GradeConfig(LIMITS, jobs=1))
    victim = [g for g in results if g.student == "b_next"][0]
    assert [g.status for g in victim.grades] == ["passed", "passed"], victim.log
    assert "planted []" in [g for g in results if g.student == "a_planter"][0].log
