"""Reading a class's submissions without trusting them (grading).

SUBMISSIONS_DIR holds one folder per student. Nothing in it is trusted: links are never
followed (`lstat`, `O_NOFOLLOW`), only regular files are read (a FIFO or a device is skipped with
a warning), a notebook is read up to MAX_NOTEBOOK_BYTES, its JSON may nest at most MAX_NESTING
deep, and every problem becomes that student's `error` rows, never an exception for the class.
`cells_to_run` picks what the worker executes: imports, the answer cells and cells the student
added, and the definitions of the lesson's other cells (not its experiments).
"""

from __future__ import annotations

import ast
import json
import os
import re
import stat
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ANSWER_TAGS = ("otter_answer_cell", "otter_assign_solution_cell")
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_NESTING = 64  # JSON depth: a notebook needs about 6
MAX_FILES = 500  # notebooks looked at per student
MAX_CODE = 2 * 1024 * 1024  # characters of code run from one notebook


@dataclass(frozen=True)
class Submission:
    """One student's notebook for one lesson, already read (`data`) or why it cannot be."""

    student: str
    lesson: str
    path: Path
    data: bytes = b""
    problem: str = ""


def read_regular(path: Path, limit: int = MAX_NOTEBOOK_BYTES) -> bytes:
    """A regular file's bytes, never through a link, a FIFO or a device (OSError/ValueError)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("not a regular file")
        if info.st_size > limit:
            raise ValueError(f"the notebook is {info.st_size / 2**20:.0f} MB (the limit is "
                             f"{limit / 2**20:.0f} MB); clear its outputs and resubmit")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise ValueError("the notebook grew while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def parse_notebook(data: bytes) -> dict:
    """A submitted notebook as JSON; ValueError says what is wrong with it."""
    depth = _nesting(data)
    if depth > MAX_NESTING:
        raise ValueError(f"not a valid notebook (JSON nested {depth} levels deep)")
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"not a valid notebook (invalid JSON: {str(exc)[:120]})") from None
    if isinstance(nb, dict) and nb.get("nbformat") == 3:
        nb = _from_v3(nb)
    if not isinstance(nb, dict) or not isinstance(nb.get("cells", []), list):
        raise ValueError("not a valid notebook (no list of cells)")
    return nb


def _from_v3(nb: dict) -> dict:
    """An nbformat 3 notebook (old Jupyter) in version 4's shape, as far as grading reads it:
    its worksheets' cells in one list, a code cell's `input` as its `source`."""
    sheets = nb.get("worksheets")
    if not isinstance(sheets, list):
        raise ValueError("not a valid notebook (nbformat 3 without worksheets)")
    cells = [c for sheet in sheets if isinstance(sheet, dict)
             for c in (sheet.get("cells") if isinstance(sheet.get("cells"), list) else [])
             if isinstance(c, dict)]
    return {**nb, "cells": [{**c, "source": c.get("input", "")} if c.get("cell_type") == "code"
                            else c for c in cells]}


def _nesting(data: bytes) -> int:
    """Deepest [ or { nesting outside strings (checked before json.loads recurses)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def lesson_of(name: str, nb: Any, lessons: Mapping[str, Any],
              course: Collection[str] = ()) -> str | None:
    """The lesson a notebook answers, by its name first: metadata.otter.assignment_name, then the
    file name, each exactly or by the part after `NN_` (a notebook from before the lessons were
    renumbered still finds its lesson), then the file's NN_ prefix alone. `course`: every lesson
    of the course, graded or not; a name that is one of them is never taken for another."""
    try:
        assignment = nb["metadata"]["otter"]["assignment_name"]
    except (KeyError, TypeError):
        assignment = None
    candidates = [c for c in (assignment, name.removesuffix(".ipynb")) if isinstance(c, str)]
    for candidate in candidates:
        if candidate in lessons:
            return candidate
    for candidate in (c for c in candidates if c not in course):
        found = [n for n in lessons if _topic(n) and _topic(n) == _topic(candidate)]
        if len(found) == 1:
            return found[0]
    match = re.match(r"(\d\d)(?!\d)", name)
    if match:
        found = [n for n in lessons if n.startswith(match.group(1) + "_")]
        if len(found) == 1:
            return found[0]
    return None


def _topic(lesson: str) -> str:
    """'08_training_recipe' -> 'training_recipe': a lesson's name without its number."""
    match = re.fullmatch(r"\d\d_(\w+)", lesson)
    return match.group(1) if match else ""


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted(it, key=lambda e: e.name)


def _notebooks(folder: Path, warnings: list[str]) -> list[Path]:
    """Notebook paths under a student's folder, without following links or special files."""
    found, todo = [], [folder]
    while todo and len(found) < MAX_FILES:
        for entry in _entries(todo.pop(0)):
            if entry.is_symlink():
                warnings.append(f"{entry.path}: a symbolic link - skipped (links are not followed)")
            elif entry.is_dir(follow_symlinks=False):
                if entry.name != ".ipynb_checkpoints":
                    todo.append(Path(entry.path))
            elif entry.name.endswith(".ipynb"):
                if entry.is_file(follow_symlinks=False):
                    found.append(Path(entry.path))
                else:
                    warnings.append(f"{entry.path}: not a regular file - skipped")
    return found


def find_submissions(root: Path, lessons: Mapping[str, Any], course: Collection[str] = ()
                     ) -> tuple[list[str], list[Submission], list[str]]:
    """Students (one folder each), their submissions (read), and warnings about skipped files."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"{root} is not a folder: pass SUBMISSIONS_DIR, which holds one folder "
                         "per student with that student's NN_name.ipynb files")
    students = [e.name for e in _entries(root)
                if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    if not students:
        raise ValueError(f"{root} has no student folders: put each student's notebooks in "
                         f"{root}/<student_id>/NN_name.ipynb")
    found: dict[tuple[str, str], Submission] = {}
    warnings: list[str] = []
    for student in students:
        try:
            paths = _notebooks(root / student, warnings)
        except OSError as exc:
            warnings.append(f"{root / student}: cannot be listed ({exc})")
            continue
        for path in paths:
            sub = _read(student, path, lessons, course)
            if sub is None:
                warnings.append(f"{path}: not one of the lessons graded here - skipped")
            elif (student, sub.lesson) in found:
                kept = found[(student, sub.lesson)]
                if path.stem == sub.lesson and kept.path.stem != sub.lesson:
                    kept, found[(student, sub.lesson)] = sub, sub
                warnings.append(f"{path}: {student} has another file for {sub.lesson}; "
                                f"graded {kept.path.name}")
            else:
                found[(student, sub.lesson)] = sub
    return students, sorted(found.values(), key=lambda s: (s.student, s.lesson)), warnings


def _read(student: str, path: Path, lessons: Mapping[str, Any],
          course: Collection[str] = ()) -> Submission | None:
    """Read one notebook; a problem reading it is kept in the Submission, never raised."""
    nb, problem, data = None, "", b""
    try:
        data = read_regular(path)
        nb = parse_notebook(data)
    except (OSError, ValueError) as exc:
        problem = str(exc) if isinstance(exc, ValueError) else f"cannot be read ({exc.strerror})"
    lesson = lesson_of(path.name, nb, lessons, course)
    if lesson is None:
        return None
    return Submission(student, lesson, path, data if not problem else b"", problem)
def _source(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""


def _is_tagged(cell: dict) -> bool:
    meta = cell.get("metadata")
    tags = meta.get("tags", []) if isinstance(meta, dict) else []
    return isinstance(tags, list) and any(t in ANSWER_TAGS for t in tags)


def _without_magics(source: str) -> str:
    """Plain Python: IPython magics and shell escapes become `pass`."""
    lines = source.split("\n")
    if lines and lines[0].lstrip().startswith("%%"):
        lines = lines[1:]  # %%time, %%capture: the body is Python; others fail and are noted
    return "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in lines)


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _imports(tree: ast.Module) -> list[ast.stmt]:
    """Import statements anywhere outside function and class bodies (not otter's)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]
            if not any(m.split(".")[0] == "otter" for m in modules):
                found.append(node)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            todo.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, ast.stmt))
    return found


def _modules(node: ast.Import | ast.ImportFrom) -> list[str]:
    """Modules an import statement may load (`from a import b`: a, and a.b if b is one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level or not node.module:
        return []
    return [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]


def _is_cheap(value: ast.expr) -> bool:
    """A literal or a lambda: costs nothing and needs no other cell's results."""
    if isinstance(value, ast.Lambda):
        return True
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _definitions(tree: ast.Module) -> list[ast.stmt]:
    """Top-level functions, classes and cheap assignments: what answers may use, no experiments."""
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    assignments = (ast.Assign, ast.AnnAssign)
    return [node for node in tree.body if isinstance(node, defs) or (
        isinstance(node, assignments) and node.value is not None and _is_cheap(node.value))]


def cells_to_run(nb: dict, lesson: Any) -> list[tuple[str, str]]:
    """(label, code) to run from a submission: imports, then its cells in order (module doc)."""
    cells = [c for c in nb.get("cells", []) if isinstance(c, dict) and c.get("cell_type") == "code"]
    imports, body = [], []
    for n, cell in enumerate(cells, start=1):
        code = _without_magics(_source(cell))
        tree = _parse(code)
        label = f"code cell {n}"
        if tree is not None:
            imports += [(f"an import in {label}", ast.unparse(node)) for node in _imports(tree)]
        cid = cell.get("id") if isinstance(cell.get("id"), str) else None
        answer = _is_tagged(cell) or cid in lesson.answer_ids
        ours = cid in lesson.cell_ids or _source(cell).strip() in lesson.sources
        if answer or not ours:  # the student's own code runs whole
            body.append((label, code))
        elif tree is not None and (defs := _definitions(tree)):
            body.append((f"the definitions in {label}",
                         ast.unparse(ast.Module(body=defs, type_ignores=[]))))
    seen: set[str] = set()
    unique = [(label, code) for label, code in imports if not (code in seen or seen.add(code))]
    return unique + body


