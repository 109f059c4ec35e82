"""The course site: the student notebooks as static web pages, with a syllabus and navigation.

`make site` renders the committed lessons/NN_*.ipynb; the main job (`make run`) renders the
notebooks it has just executed, so the site shows what the current code produces. Pages come from
nbconvert's "lab" template with every figure embedded as a data URI: the folder works opened from
disk or from any static host, offline. Maths is typeset by KaTeX, copied into the site from its
npm package (`npm pack katex@KATEX_VERSION`, cached in build/vendor), so no page loads anything
from a CDN. Only student notebooks are rendered, and the otter plumbing (its set-up cell and the
`grader.check` cells with their pass/fail output) is left out; the remaining cells are numbered
1, 2, 3... without the gaps those cells would leave.
"""

from __future__ import annotations

import copy
import html
import re
import shutil
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2
import nbformat
from nbconvert import HTMLExporter
from nbconvert.filters import markdown2html

from mnist_lab.course.paths import REPO

LESSONS = REPO / "lessons"
SITE = REPO / "build" / "site"
VENDOR = REPO / "build" / "vendor"  # downloaded front-end packages, kept between builds
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
KATEX_VERSION = "0.19.1"
# the parts of KaTeX's npm package a page needs: the typesetter, its auto-render add-on (finds
# $...$ in the text), its style sheet and fonts
KATEX_FILES = ("katex.min.js", "katex.min.css", "contrib/auto-render.min.js", "fonts/")

# One lesson page: nbconvert's JupyterLab look, with navigation above and below the notebook.
# require.js is only needed by live widgets, which a static page has none of; leaving it out
# spares every page a request to a CDN. Maths is typeset by the site's own copy of KaTeX in
# place of nbconvert's MathJax from a CDN; the notebook's $...$ and $$...$$ are left as text by
# nbconvert, and KaTeX's auto-render typesets them when the page opens (code is left alone).
PAGE_TEMPLATE = r"""{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block html_head_js_mathjax -%}
<link rel="stylesheet" href="katex/katex.min.css">
<script defer src="katex/katex.min.js"></script>
<script defer src="katex/contrib/auto-render.min.js"></script>
<script>
document.addEventListener("DOMContentLoaded", () => renderMathInElement(document.body, {
  delimiters: [{left: "$$", right: "$$", display: true}, {left: "$", right: "$", display: false},
               {left: "\\(", right: "\\)", display: false},
               {left: "\\[", right: "\\]", display: true}],
  throwOnError: false}));
</script>
{%- endblock html_head_js_mathjax -%}
{% block extra_css %}<style type="text/css">{{ resources.site_css }}</style>{% endblock extra_css %}
{%- block body_header -%}
{{ super() }}
{{ resources.site_nav }}
{%- endblock body_header -%}
{% block body_footer %}
{{ resources.site_nav }}
{{ super() }}
{% endblock body_footer %}
"""

NAV_CSS = """
nav.mnist-lab-nav { display: flex; justify-content: space-between; gap: 1em;
  max-width: 1100px; margin: 0.8em auto; padding: 0.5em 1em; font: 15px/1.4 sans-serif;
  border: 1px solid #ddd; border-radius: 6px; background: #fafafa; }
nav.mnist-lab-nav a { text-decoration: none; color: #1a5fb4; }
nav.mnist-lab-nav span.none { color: #aaa; }
/* the notebook no wider than the navigation above it, centred under it */
main { max-width: 1100px; margin: 0 auto; box-sizing: border-box; }
main img { max-width: 100%; height: auto; }
"""

INDEX_CSS = """
body { font: 16px/1.5 sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; }
table { border-collapse: collapse; width: 100%; }
td { vertical-align: top; padding: 0.55em 0.6em; border-top: 1px solid #ddd; }
td.number { font-weight: bold; width: 2.5em; color: #666; }
a { color: #1a5fb4; text-decoration: none; }
details { margin-top: 0.3em; font-size: 14px; color: #444; }
details ul { margin: 0.3em 0; padding-left: 1.3em; }
"""


@dataclass(frozen=True)
class Lesson:
    """One lesson as the syllabus lists it (course site)."""

    number: str  # "01"
    title: str  # "The book's baseline network"
    summary: str  # one line: the first learning objective
    objectives: tuple[str, ...]  # the "You will learn to" list, as Markdown
    notebook: Path

    @property
    def page(self) -> str:
        """The lesson page's file name inside the site folder."""
        return f"{self.notebook.stem}.html"


def lesson_notebooks(folder: Path = LESSONS) -> list[Path]:
    """The notebooks named NN_*.ipynb in `folder`, in course order."""
    return sorted(Path(folder).glob(LESSON_GLOB))


def read_lesson(path: Path, nb: nbformat.NotebookNode | None = None) -> Lesson:
    """The syllabus entry of one notebook, from its first markdown cell (title and objectives)."""
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    number, _, rest = Path(path).stem.partition("_")
    title = rest.replace("_", " ").capitalize()  # fallback: the file name
    objectives: tuple[str, ...] = ()
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None:
        heading = re.search(r"^#\s+(.+)$", first.source, flags=re.M)
        if heading:
            # "01 · The book's baseline network": drop the number, it has its own column.
            title = re.sub(r"^\d+\s*[·:.\-–—]\s*", "", heading.group(1).strip())
        objectives = _objectives(first.source)
    summary = _sentence(objectives[0]) if objectives else ""
    return Lesson(number, title, summary, objectives, Path(path))


def _objectives(markdown: str) -> tuple[str, ...]:
    """The bullet list after "You will learn to", each item joined onto one line."""
    _, found, after = markdown.partition("You will learn to")
    if not found:
        return ()
    items: list[str] = []
    for line in after.splitlines()[1:]:
        if line.startswith("- "):
            items.append(line[2:].strip())
        elif items and line.startswith("  ") and line.strip():
            items[-1] += " " + line.strip()  # a wrapped item continues on an indented line
        elif items:
            break  # the list has ended
    return tuple(items)


def _sentence(objective: str) -> str:
    """An objective ("build the network;") as a sentence ("Build the network.")."""
    text = objective.rstrip(" ;,.") + "."
    return text[0].upper() + text[1:]


def for_site(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of a student notebook without otter's plumbing: its set-up and check cells."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not _is_grader_cell(c)]
    for cell in nb.cells:
        if cell.cell_type == "code":
            # A live widget cannot show on a static page; keep its fallback (text, image).
            for out in cell.outputs:
                out.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    nb.metadata.pop("widgets", None)
    nb.metadata.pop("otter", None)  # the public tests' source: not for readers
    _renumber(nb)
    return nb


def _renumber(nb: nbformat.NotebookNode) -> None:
    """Number the code cells that ran 1, 2, 3... (the removed grader cells left gaps)."""
    ran = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    for number, cell in enumerate(ran, start=1):
        cell.execution_count = number
        for out in cell.outputs:
            if "execution_count" in out:
                out.execution_count = number


def _is_grader_cell(cell: nbformat.NotebookNode) -> bool:
    """Otter's cells: its set-up (`otter.Notebook(...)`), `grader.check(...)` and export."""
    if cell.cell_type != "code":
        return False
    source = cell.source
    return ("otter.Notebook(" in source or "grader.check" in source
            or "grader.export" in source or source.lstrip().startswith("# Initialize Otter"))


def _nav(lessons: list[Lesson], i: int) -> str:
    """The navigation bar of lesson i: previous lesson, the syllabus, next lesson."""

    def link(j: int, arrow_left: bool) -> str:
        if not 0 <= j < len(lessons):
            return '<span class="none"></span>'
        lesson = lessons[j]
        label = html.escape(f"{lesson.number} · {lesson.title}")
        text = f"← {label}" if arrow_left else f"{label} →"
        rel = "prev" if arrow_left else "next"
        return f'<a class="{rel}" rel="{rel}" href="{lesson.page}">{text}</a>'

    return (f'<nav class="mnist-lab-nav">{link(i - 1, True)}'
            f'<a class="index" href="index.html">Syllabus</a>{link(i + 1, False)}</nav>')


def render_index(lessons: list[Lesson], title: str = "mnist-lab: the course") -> str:
    """The front page: every lesson's number, title (linked), summary and learning objectives."""
    rows = []
    for lesson in lessons:
        goals = "".join(f"<li>{_inline_markdown(o)}</li>" for o in lesson.objectives)
        details = (f"<details><summary>You will learn to</summary><ul>{goals}</ul></details>"
                   if goals else "")
        rows.append(
            f'<tr><td class="number">{html.escape(lesson.number)}</td>'
            f'<td><a href="{lesson.page}">{html.escape(lesson.title)}</a><br>'
            f'{_inline_markdown(lesson.summary)}{details}</td></tr>')
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
            f"<title>{html.escape(title)}</title>\n<style>{INDEX_CSS}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n"
            f"<p>Training neural networks on MNIST, one idea at a time. Each lesson is a Jupyter "
            f"notebook in <code>lessons/</code>; these pages show it run top to bottom (the "
            f"exercises left for you).</p>\n"
            f'<table class="syllabus">\n' + "\n".join(rows) + "\n</table>\n</body>\n</html>\n")


def _inline_markdown(text: str) -> str:
    """One line of Markdown (emphasis, code) as HTML, without the paragraph around it."""
    rendered = markdown2html(text).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", rendered, flags=re.S)


def _exporter() -> HTMLExporter:
    """nbconvert's lab-template exporter with the site's page template; figures embedded."""
    loader = jinja2.DictLoader({"mnist_lab_page.html.j2": PAGE_TEMPLATE})
    return HTMLExporter(template_name="lab", template_file="mnist_lab_page.html.j2",
                        extra_loaders=[loader], embed_images=True)


def katex_package(cache: Path = VENDOR, version: str = KATEX_VERSION) -> Path:
    """KaTeX's npm package (a .tgz) in `cache`, fetched with `npm pack` the first time."""
    tarball = Path(cache) / f"katex-{version}.tgz"
    if tarball.is_file():
        return tarball
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError(
            f"the site typesets maths with KaTeX from npm, and npm is not installed: install "
            f"Node.js (apt-get install npm), or put katex-{version}.tgz into {cache}")
    Path(cache).mkdir(parents=True, exist_ok=True)
    # npm checks the tarball against the registry's integrity hash
    subprocess.run([npm, "pack", f"katex@{version}", "--pack-destination", str(cache)],
                   check=True, capture_output=True, cwd=cache)
    return tarball


def copy_katex(out: Path, tarball: Path | None = None) -> Path:
    """Unpack KaTeX's script, auto-render, style sheet and fonts into out/katex."""
    tarball = tarball or katex_package()
    target = Path(out) / "katex"
    prefix = "package/dist/"
    with tarfile.open(tarball) as archive:
        members = [m for m in archive.getmembers() if m.isfile() and m.name.startswith(prefix)
                   and m.name[len(prefix):].startswith(KATEX_FILES)]
        for member in members:
            path = target / member.name[len(prefix):]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(archive.extractfile(member).read())
    return target


def build_site(lessons: Path = LESSONS, out: Path = SITE) -> list[Path]:
    """Render every lessons/NN_*.ipynb into `out` (one page each) plus index.html (course site).

    Returns the written pages, index first. `lessons` may hold student notebooks just executed
    (the main job's build/lessons) or the committed ones.
    """
    paths = lesson_notebooks(lessons)
    if not paths:
        raise FileNotFoundError(
            f"no lesson notebooks (NN_name.ipynb) in {lessons}: build the site from the course's "
            f"lessons/ folder, or run the lessons first (`make run` writes build/lessons)")
    notebooks = [nbformat.read(p, as_version=4) for p in paths]
    syllabus = [read_lesson(p, nb) for p, nb in zip(paths, notebooks)]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    copy_katex(out)
    index = out / "index.html"
    index.write_text(render_index(syllabus), encoding="utf-8")
    written = [index]
    exporter = _exporter()
    for i, (lesson, nb) in enumerate(zip(syllabus, notebooks)):
        resources = {"metadata": {"name": f"{lesson.number} · {lesson.title}"},
                     "site_nav": _nav(syllabus, i), "site_css": NAV_CSS}
        body, _ = exporter.from_notebook_node(for_site(nb), resources=resources)
        page = out / lesson.page
        page.write_text(body, encoding="utf-8")
        written.append(page)
    return written


def main(argv: list[str] | None = None) -> int:
    """`python -m mnist_lab.course.site [LESSONS [OUT]]`: build the site; print where it is."""
    args = sys.argv[1:] if argv is None else argv
    lessons = Path(args[0]) if args else LESSONS
    out = Path(args[1]) if len(args) > 1 else SITE
    start = time.perf_counter()
    try:
        pages = build_site(lessons, out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"course site: {len(pages) - 1} lessons in {time.perf_counter() - start:.1f} s, "
          f"open {pages[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
