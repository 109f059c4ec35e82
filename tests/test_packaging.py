"""Packaging facts a newcomer relies on: exact pins, a matching conda file, no torchvision."""

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# conda-forge spells a few packages differently from PyPI.
CONDA_NAMES = {"pytorch": "torch"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower()


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _pyproject_packages(extras: tuple[str, ...] = ("lab", "test", "course")) -> set[str]:
    project = _pyproject()["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in extras:
        names |= {_name(r) for r in project["optional-dependencies"][extra]}
    return names


def _conda_packages() -> set[str]:
    names = set()
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.match(r"\s+- ([A-Za-z0-9_.-]+)", line)
        if m and m.group(1) not in ("conda-forge",):
            names.add(CONDA_NAMES.get(m.group(1).lower(), m.group(1).lower()))
    return names - {"python", "pip"}


def test_environment_yml_names_the_same_packages_as_pyproject():
    assert _conda_packages() == _pyproject_packages()


def test_constraints_pin_every_runtime_dependency_exactly():
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    missing = {n for n in _pyproject_packages() if n.replace("_", "-") not in pins}
    assert not missing, f"not pinned in constraints.txt: {sorted(missing)}"


def test_torch_is_pinned_to_the_cpu_friendly_release():
    text = (ROOT / "constraints.txt").read_text()
    assert re.search(r"^torch==2\.13\.0$", text, flags=re.M)


def test_console_script_points_at_the_cli():
    assert _pyproject()["project"]["scripts"]["mnist-lab"] == "mnist_lab.course.cli:main"


def test_no_required_module_imports_torchvision():
    for path in (ROOT / "mnist_lab").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "torchvision" for n in names), path.name


def test_the_library_never_imports_the_course_tooling():
    for path in (ROOT / "mnist_lab").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n.startswith("mnist_lab.course") for n in names), (
                f"{path.name} imports the course tooling; the library must work without it")


def test_every_subpackage_is_listed_for_setuptools():
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "mnist_lab").rglob("__init__.py")}
    assert found <= listed, f"not packaged by a regular install: {sorted(found - listed)}"
