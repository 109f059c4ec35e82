"""The course site (mnist_lab.course.site): syllabus, navigation, figures, no solutions shown."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from mnist_lab.course import site

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "course" / "solutions"
SAMPLE = ["00_setup_and_data.ipynb", "01_baseline.ipynb", "02_loss_functions.ipynb"]


class _Page(HTMLParser):
    """A page's links, images and visible text (what a reader can see, markup removed)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []
        self._skip = 0  # inside <style> or <script>

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.text = ["".join(page.text)]
    return page


def local_links(page: _Page) -> list[str]:
    return [h for h in page.links if not re.match(r"^(https?:|mailto:|#|data:)", h)]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The site of three real lessons, built once for this module."""
    lessons = tmp_path_factory.mktemp("lessons")
    for name in SAMPLE:
        shutil.copy(REPO / "lessons" / name, lessons / name)
    out = tmp_path_factory.mktemp("site")
    site.build_site(lessons, out)
    return out


def test_index_links_every_lesson(built):
    links = parse(built / "index.html").links
    for name in SAMPLE:
        assert name.replace(".ipynb", ".html") in links


def test_index_shows_titles_and_summaries(built):
    text = parse(built / "index.html").text[0]
    assert "The book's baseline network" in text
    assert "Build the book's first classifier" in text  # the first learning objective


def test_every_local_link_resolves_to_a_file(built):
    for page in built.glob("*.html"):
        for href in local_links(parse(page)):
            assert (built / href).is_file(), f"{page.name} links to missing {href}"


def test_pages_link_index_previous_and_next(built):
    first, middle, last = (parse(built / n.replace(".ipynb", ".html")) for n in SAMPLE)
    assert "index.html" in local_links(middle)
    assert {"00_setup_and_data.html", "02_loss_functions.html"} <= set(local_links(middle))
    assert "01_baseline.html" in local_links(first) and "01_baseline.html" in local_links(last)
    assert "02_loss_functions.html" not in local_links(last)  # no self-link, no wrap-around


def test_figures_are_embedded_images(built):
    images = parse(built / "01_baseline.html").images
    assert len(images) >= 3
    assert all(src.startswith("data:image/png;base64,") for src in images)


def solution_lines(notebook: Path) -> list[str]:
    """The code lines between BEGIN SOLUTION and END SOLUTION in a solution notebook."""
    lines = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        inside = False
        for line in cell.source.splitlines():
            if "BEGIN SOLUTION" in line or "END SOLUTION" in line:
                inside = "BEGIN" in line
            elif inside and line.strip() and not line.strip().startswith("#"):
                lines.append(line.strip())
    return lines


def solution_only_lines(name: str) -> list[str]:
    """Solution lines of a lesson that its student notebook does not contain anywhere."""
    student = "\n".join(c.source for c in nbformat.read(REPO / "lessons" / name, 4).cells)
    return [line for line in solution_lines(SOLUTIONS / name) if line not in student]


@pytest.mark.parametrize("name", SAMPLE)
def test_no_page_shows_a_solution(built, name):
    solution = solution_only_lines(name)
    assert solution, "the solution notebook should have solution lines to look for"
    for page in built.glob("*.html"):
        text = parse(page).text[0]
        assert "BEGIN SOLUTION" not in text
        for line in solution:
            assert line not in text, f"{page.name} shows a solution line of {name}: {line!r}"


def hidden_test_names(notebook: Path) -> list[str]:
    """The names of the hidden test functions stored in a solution notebook."""
    tests = nbformat.read(notebook, as_version=4).metadata["otter"]["tests"]
    return [name for source in tests.values()
            for name in re.findall(r"hidden=True\)\s*\ndef (\w+)", source)]


@pytest.mark.parametrize("name", SAMPLE)
def test_no_page_shows_grader_output_or_hidden_tests(built, name):
    hidden = hidden_test_names(SOLUTIONS / name)
    assert hidden, "the solution notebook should have hidden tests to look for"
    for page in built.glob("*.html"):
        text = parse(page).text[0]
        assert "grader.check" not in text and "Test case failed" not in text
        assert "otter.Notebook" not in text
        for name in hidden:
            assert name not in text


def test_read_lesson_takes_title_and_objectives_from_first_markdown_cell(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import otter"),
        nbformat.v4.new_markdown_cell(
            "# 42 · Widgets\n\n**You will learn to**\n- move a *slider*\n  and watch;\n"
            "- stop.\n\nMore text.")])
    lesson = site.read_lesson(tmp_path / "42_widgets.ipynb", nb)
    assert (lesson.number, lesson.title) == ("42", "Widgets")
    assert lesson.objectives == ("move a *slider* and watch;", "stop.")
    assert lesson.summary == "Move a *slider* and watch."
    assert lesson.page == "42_widgets.html"


def test_build_site_without_notebooks_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no lesson notebooks .*make run"):
        site.build_site(tmp_path, tmp_path / "site")


def test_cli_site_reports_a_missing_lessons_folder_without_traceback(tmp_path, capsys):
    from mnist_lab.course.cli import main

    assert main(["site", str(tmp_path), "--out", str(tmp_path / "site")]) == 1
    assert "no lesson notebooks" in capsys.readouterr().err


# ---- offline: KaTeX copied in, nothing from a CDN ----


class _Assets(HTMLParser):
    """The URLs a page loads by itself: scripts, style sheets, images, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe") and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_no_page_loads_anything_from_another_site(built):
    for page in built.glob("*.html"):
        assets = _Assets()
        assets.feed(page.read_text(encoding="utf-8"))
        remote = [u for u in assets.urls if re.match(r"^(https?:)?//", u)]
        assert remote == [], f"{page.name} loads {remote}"
        for url in assets.urls:
            if not url.startswith("data:"):
                assert (built / url).is_file(), f"{page.name} loads missing {url}"


def test_katex_and_its_fonts_are_copied_into_the_site(built):
    assert (built / "katex" / "katex.min.js").is_file()
    assert (built / "katex" / "contrib" / "auto-render.min.js").is_file()
    assert list((built / "katex" / "fonts").glob("*.woff2"))


def test_cells_are_numbered_without_gaps_where_grader_cells_were():
    nb = nbformat.read(REPO / "lessons" / "01_baseline.ipynb", as_version=4)
    counts = [c.execution_count for c in site.for_site(nb).cells
              if c.cell_type == "code" and c.execution_count]
    assert counts == list(range(1, len(counts) + 1))
    assert len(counts) > 10


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}")
def test_a_page_typesets_its_maths_offline_and_is_no_wider_than_its_navigation(built):
    """Lesson 02 in headless Chromium with every request that is not a local file refused."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    refused: list[str] = []

    def offline(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.route("**/*", offline)
            page.goto((built / "02_loss_functions.html").as_uri())
            page.wait_for_selector(".katex", timeout=30_000)
            typeset = page.locator(".katex").count()
            raw = page.evaluate("""() => [...document.querySelectorAll('.jp-RenderedMarkdown')]
                .map(e => e.innerText).filter(t => /\\$[^$]*\\\\[a-z]+/.test(t))""")
            widths = page.evaluate("""() => ({
                nav: document.querySelector('nav.mnist-lab-nav').getBoundingClientRect().width,
                main: document.querySelector('main').getBoundingClientRect().width})""")
        finally:
            browser.close()
    assert refused == []
    assert typeset >= 5  # lesson 02 writes its losses as formulas
    assert raw == [], f"formulas left as raw LaTeX: {raw[:2]}"
    assert widths["main"] <= widths["nav"] + 1
