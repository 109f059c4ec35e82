"""What grading writes to OUT_DIR, written so that nothing in OUT_DIR can redirect it (grading).

OUT_DIR gets `grades.csv` (one row per student × lesson × exercise), `feedback/<student>.md`
(results and hints; hidden tests never shown), `logs/<student>/<lesson>.txt` (for the
instructor only: every test's full message and the captured output) and `summary.txt`.
Every file is written to a temporary name and renamed into place, through directory file
descriptors opened with O_NOFOLLOW: a link planted in OUT_DIR is replaced, never followed.
CSV cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a
leading apostrophe. Text that cannot be encoded (a lone surrogate in a student's exception
message, a folder name that is not UTF-8) is written with backslash escapes, and a student
folder's name too long for a file name is shortened with a hash: neither stops the class.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

STATUSES = ("passed", "failed", "error", "timeout", "missing")
COLUMNS = ("student", "lesson", "exercise", "points", "max_points", "status", "message")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Grade:
    """One row of grades.csv, plus the longer student-safe text for the feedback file."""

    student: str
    lesson: str
    exercise: str
    points: float
    max_points: float
    status: str
    message: str
    feedback: str = ""

    def row(self) -> tuple[str, ...]:
        """The CSV row, in COLUMNS order, each cell safe to open in a spreadsheet."""
        return tuple(map(safe_cell, (self.student, self.lesson, self.exercise,
                                     f"{self.points:g}", f"{self.max_points:g}", self.status,
                                     self.message)))


@dataclass(frozen=True)
class Graded:
    """Everything grading one submission (or noting its absence) produced."""

    student: str
    lesson: str
    grades: tuple[Grade, ...]
    notes: tuple[str, ...] = ()  # cells that raised while grading (shown to the student)
    log: str = ""  # instructor-only details


def safe_cell(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: formulas are neutralised with a leading '."""
    return "'" + text if text.startswith(_FORMULA) else text


def csv_text(graded: Sequence[Graded]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(g.row() for item in graded for g in item.grades)
    return out.getvalue()


def feedback_markdown(student: str, graded: Sequence[Graded]) -> str:
    """One student's feedback: per lesson, each exercise's points, result and hint."""
    out = [f"# Feedback for {student}", ""]
    for item in graded:
        got = sum(g.points for g in item.grades)
        total = sum(g.max_points for g in item.grades)
        out += [f"## {item.lesson}: {got:g} / {total:g} points", "",
                "| exercise | points | result |", "|---|---|---|"]
        out += [f"| {g.exercise} | {g.points:g} / {g.max_points:g} | {g.status} |"
                for g in item.grades]
        out.append("")
        for g in item.grades:
            if g.status != "passed":
                out += [f"### {g.exercise}: {g.status}", "", "```",
                        g.feedback.replace("```", "'''"), "```", ""]
        if item.notes:
            out += ["Code cells that raised an error while grading:", "", "```",
                    *(n.replace("```", "'''") for n in item.notes), "```", ""]
    return "\n".join(out)


def summarize(graded: Sequence[Graded], seconds: float | None = None) -> str:
    """Students, mean score per exercise, and how many results have each status."""
    rows = [g for item in graded for g in item.grades]
    handed = [item for item in graded if any(g.status != "missing" for g in item.grades)]
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    out = [f"Graded {_count(len({g.student for g in graded}), 'student')}: "
           f"{_count(len(handed), 'submission')} of "
           f"{_count(len({g.lesson for g in graded}), 'lesson')}{took}.",
           "Mean points per exercise (over submissions), and statuses:"]
    by_exercise: dict[tuple[str, str], list[Grade]] = {}
    for g in rows:
        by_exercise.setdefault((g.lesson, g.exercise), []).append(g)
    for (lesson, exercise), grades in by_exercise.items():
        scored = [g.points for g in grades if g.status != "missing"]
        mean = f"{sum(scored) / len(scored):.2f}" if scored else "-"
        counts = Counter(g.status for g in grades)
        statuses = ", ".join(f"{s} {counts[s]}" for s in STATUSES if counts[s])
        out.append(f"  {lesson} {exercise}: {mean} / {grades[0].max_points:g}  ({statuses})")
    counts = Counter(g.status for g in rows)
    out.append("All results: " + ", ".join(f"{s} {counts[s]}" for s in STATUSES))
    return "\n".join(out)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def write_outputs(graded: Sequence[Graded], out_dir: Path, summary: str,
                  notes: Sequence[str] = ()) -> None:
    """grades.csv, feedback/<student>.md, logs/<student>/<lesson>.txt and summary.txt."""
    out_dir = Path(out_dir)
    if out_dir.is_symlink():
        raise ValueError(f"OUT_DIR {out_dir} is a symbolic link: pass the real folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    root = _open_dir(None, str(out_dir))
    try:
        _write(root, "grades.csv", csv_text(graded))
        feedback = _subdir(root, "feedback")
        logs = _subdir(root, "logs")
        for student in sorted({g.student for g in graded}):
            mine = [g for g in graded if g.student == student]
            _write(feedback, file_name(student, ".md"), feedback_markdown(student, mine))
            if any(item.log for item in mine):
                folder = _subdir(logs, file_name(student))
                for item in mine:
                    if item.log:
                        _write(folder, f"{item.lesson}.txt", item.log)
                os.close(folder)
        extra = "".join(f"note: {n}\n" for n in notes)
        _write(root, "summary.txt", summary + "\n" + extra)
        os.close(feedback)
        os.close(logs)
    finally:
        os.close(root)


def file_name(student: str, suffix: str = "", limit: int = 200) -> str:
    """`student + suffix` as a file name; a name over `limit` bytes (the file system allows
    255, and _write adds a temporary suffix) keeps its start and gets a hash of the whole."""
    raw = os.fsencode(student)
    if len(raw) + len(suffix) <= limit:
        return student + suffix
    digest = hashlib.sha256(raw).hexdigest()[:12]
    start = raw[: limit - len(suffix) - 13].decode("utf-8", "ignore")
    return f"{start}-{digest}{suffix}"


def _open_dir(parent: int | None, name: str) -> int:
    return os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent)


def _subdir(parent: int, name: str) -> int:
    """A sub-folder of `parent`; a link or file of that name is replaced by a real folder."""
    try:
        return _open_dir(parent, name)
    except FileNotFoundError:
        pass
    except OSError:  # a symlink (ELOOP) or a file (ENOTDIR) planted there
        os.unlink(name, dir_fd=parent)
    os.mkdir(name, 0o755, dir_fd=parent)
    return _open_dir(parent, name)


def _write(folder: int, name: str, text: str) -> None:
    """Write `name` in `folder` atomically: a new temporary file, renamed over the old name."""
    temp = f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644,
                 dir_fd=folder)
    # Student text may hold lone surrogates (JSON allows them): escaped, never an error.
    with open(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, name, src_dir_fd=folder, dst_dir_fd=folder)
