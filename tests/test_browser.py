"""End to end: lesson 01 run in a real JupyterLab, driven by headless Chromium through Playwright.

What a student does: open the notebook, Run ▸ Run All Cells, look at the figures, move the
prediction explorer's slider. JupyterLab serves a temporary copy of lessons/ (its autosave never
touches the repository) on a free local port with a token; its kernel runs with live widgets
(MNIST_LAB_WIDGETS unset). Screenshots go to build/screenshots/. Deselect with -m "not browser".
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from mnist_lab.data import load_mnist

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
LESSON = "01_baseline.ipynb"
SCREENSHOTS = REPO / "build" / "screenshots"
# Debian's Chromium (Playwright's own browser downloads are blocked here). Without the
# background-networking switches it keeps trying to reach Google's servers.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVER_START_S = 180  # JupyterLab's first start on a loaded 2-core machine is slow
RUN_ALL_S = 600  # lesson 01 trains for 15-60 s; the kernel starts and imports torch first
STOPPED_S = 20  # the kernel idle this long with cells unrun: Run All has stopped
UI_MS = 120_000  # Playwright's default wait for the page to react
CLICK_MS = 15_000  # a click that waits longer is blocked (by a dialog): close it, click again

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # lesson 01 trains on the full training set
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}: "
                       "apt-get install chromium (.ci/run does so when it runs as root)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clear_outputs(path: Path) -> None:
    """Remove a notebook's outputs and execution counts, in place."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, path)


def write_settings(folder: Path) -> None:
    """JupyterLab user settings for the test: every cell in the DOM, no news from the internet."""
    settings = {
        # All cells attached (not only those in view), so every output can be inspected.
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                        "checkForUpdates": False},
    }
    for plugin, values in settings.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


class JupyterLab:
    """A JupyterLab server in its own process group, serving `root` on 127.0.0.1."""

    def __init__(self, root: Path, home: Path) -> None:
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        self.log = home / "jupyterlab.log"
        env = {k: v for k, v in os.environ.items() if k != "MNIST_LAB_WIDGETS"}  # live widgets
        for name, sub in (("JUPYTERLAB_SETTINGS_DIR", "settings"),
                          ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
                          ("JUPYTER_RUNTIME_DIR", "runtime"), ("JUPYTER_CONFIG_DIR", "config")):
            env[name] = str(home / sub)
        write_settings(home / "settings")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}"]
        if os.geteuid() == 0:  # CI containers run as root; JupyterLab refuses unless told
            cmd.append("--allow-root")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}?token={self.token}"

    def api(self, path: str, body: dict | None = None) -> object:
        """GET (or POST `body` to) one of the server's REST endpoints; the decoded JSON reply."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url(path), data=data, method="POST" if data else
                                         "GET", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)

    def start_session(self, notebook: str) -> str:
        """Start the notebook's kernel session before any page opens it; its kernel id.

        Opening a notebook with no session makes JupyterLab start a kernel, and at times start a
        second and drop the first: a Run All sent across that swap loses its queued cells. With
        a session already there, the page connects to it and starts nothing."""
        reply = self.api("api/sessions", {"path": notebook, "name": notebook, "type": "notebook",
                                          "kernel": {"name": "python3"}})
        return reply["kernel"]["id"]

    def kernel_state(self) -> str:
        """The execution state of the one kernel ("idle", "busy", "starting"...)."""
        kernels = self.api("api/kernels")
        if len(kernels) != 1:
            pytest.fail(f"expected one kernel, the server has {len(kernels)}: {kernels}\n"
                        f"{self.log_tail()}")
        return kernels[0]["execution_state"]

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def wait_ready(self, timeout: float = SERVER_START_S) -> None:
        """Wait until the server answers its status API; fail with its log if it does not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"JupyterLab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url("api/status"), timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        pytest.fail(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the server and its kernels (kernels run in sessions of their own)."""
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)  # the server shuts its kernels down
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=10)
        for proc in alive:  # a kernel the server could not stop
            proc.kill()


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[JupyterLab]:
    """JupyterLab on a temporary copy of lessons/."""
    home = tmp_path_factory.mktemp("jupyterlab")
    root = home / "lessons"
    shutil.copytree(REPO / "lessons", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    clear_outputs(root / LESSON)  # so every output and prompt the test sees comes from this run
    server = JupyterLab(root, home)
    # pytest tidies up on Ctrl-C but not on SIGTERM (a CI timeout): treat both alike, so the
    # teardown below still stops the server and its kernel.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        server.wait_ready()
        server.start_session(LESSON)
        yield server
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="module")
def lesson01(lab, tmp_path_factory):
    """Chromium showing lesson 01 after Run ▸ Run All Cells has finished."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=UI_MS,
            # a fresh profile for each run
            env={**os.environ, "HOME": str(tmp_path_factory.mktemp("chromium-home"))})
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            tab.set_default_timeout(UI_MS)
            tab.goto(lab.url(f"lab/tree/{LESSON}"))
            run_all_cells(tab, lab)
            screenshot_whole_notebook(tab, SCREENSHOTS / "jupyterlab_lesson01.png")
            yield tab
        finally:
            browser.close()


def screenshot_whole_notebook(tab, path: Path) -> None:
    """A screenshot of the whole notebook: JupyterLab scrolls inside a panel, not the page, so
    the window is made as tall as the notebook for the picture, then set back."""
    size = tab.viewport_size
    height = tab.evaluate("""() => Math.max(0, ...[...document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')].map(e => e.scrollHeight))
        """) or size["height"]
    tab.set_viewport_size({"width": size["width"], "height": min(height + 200, 16_000)})
    tab.wait_for_timeout(1_000)  # let JupyterLab lay the panels out again
    tab.evaluate("""() => document.querySelectorAll(
        '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')
        .forEach(e => { e.scrollTop = 0; })""")  # Run All left it scrolled to the last cell
    tab.wait_for_timeout(500)
    path.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(path), full_page=True)
    tab.set_viewport_size(size)
    tab.wait_for_timeout(1_000)


def code_prompts(tab) -> list[str]:
    """The input prompts of the notebook's code cells: "[3]:", "[*]:" (running) or "[ ]:"."""
    return tab.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt",
        "els => els.map(e => e.textContent.trim())")


def run_all_cells(tab, lab: JupyterLab) -> None:
    """Wait for the kernel, choose Run ▸ Run All Cells, wait until every code cell has run.

    The notebook's outputs were cleared, so a prompt with a number proves the cell ran now. A run
    that stops with cells unrun and no error shown (the page lost its queue: the kernel went
    idle and stayed idle) is tried once more after reloading the page; an error fails at once.
    """
    for attempt in (1, 2):
        tab.wait_for_selector(".jp-NotebookPanel .jp-CodeCell")
        wait_until_connected(tab)
        choose_run_all(tab)
        if wait_until_all_ran(tab, lab):
            return
        if attempt == 1 and not error_outputs(tab):
            print(f"Run All stopped early, without an error: {code_prompts(tab)}; once more")
            tab.reload()
            continue
        fail_with_screenshot(tab, f"cells not all run: {code_prompts(tab)}\n"
                                  f"outputs of the cells that ran:\n{cell_outputs(tab)}\n"
                                  f"JupyterLab's log ends:\n{lab.log_tail()}")


def wait_until_connected(tab) -> None:
    """Until the page shows its kernel idle, closing any dialog that opens meanwhile (a "Select
    Kernel" dialog would otherwise wait for an answer while the page stays unconnected)."""
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        accept_dialogs(tab)
        if tab.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count():
            return
        time.sleep(1)
    fail_with_screenshot(tab, f"the page showed no idle kernel within {SERVER_START_S} s")


def choose_run_all(tab) -> None:
    """Run ▸ Run All Cells, until a cell is queued or done. A dialog can open at any moment and
    take a click, and Run All itself asks for a kernel when the page has not found the
    notebook's session yet: dialogs are answered while waiting, and the menu chosen again."""
    started = ("() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]"
               ".some(e => e.textContent.includes('*'))")
    for _ in range(4):
        accept_dialogs(tab)
        try:
            tab.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click(timeout=CLICK_MS)
            tab.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click(
                timeout=CLICK_MS)
        except playwright_api.TimeoutError:
            tab.keyboard.press("Escape")  # an open menu, or a dialog in the way
            continue
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # a cell queued: the run has begun
            if tab.evaluate(started):
                return
            if accept_dialogs(tab):  # a kernel chosen for a Run All that waited for one:
                deadline = min(deadline, time.monotonic() + 5)  # it may have gone; try again
            time.sleep(1)
    fail_with_screenshot(tab, "Run All Cells did not start any cell")


def wait_until_all_ran(tab, lab: JupyterLab) -> bool:
    """True once every code cell has a number and the kernel is idle; False if the run stopped
    (the server's kernel idle for STOPPED_S with cells unrun) or RUN_ALL_S passed."""
    deadline, idle_since = time.monotonic() + RUN_ALL_S, None
    while time.monotonic() < deadline:
        prompts = code_prompts(tab)
        idle = tab.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").count() > 0
        if prompts and idle and all(p[1:-2].strip().isdigit() for p in prompts):
            return True
        if lab.kernel_state() == "idle":  # between two cells it is idle for milliseconds only
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > STOPPED_S:
                return False
        else:
            idle_since = None
        time.sleep(2)
    return False


def error_outputs(tab) -> list[str]:
    """The text of every error or stderr output in the notebook."""
    return tab.eval_on_selector_all(
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
        ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']",
        "els => els.map(e => e.textContent.slice(0, 500))")


def cell_outputs(tab) -> str:
    """The prompt and the start of the output of each code cell that shows output."""
    cells = tab.eval_on_selector_all(
        ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell",
        """els => els.map(e => [e.querySelector('.jp-InputPrompt').textContent.trim(),
            [...e.querySelectorAll('.jp-OutputArea-output')].map(o => o.textContent).join(' ')])""")
    return "\n".join(f"{prompt} {text[:400]}" for prompt, text in cells if text.strip())


def accept_dialogs(tab) -> int:
    """Close any open JupyterLab dialog: its default button, else Escape. Its text is printed,
    so that a failing run shows which dialog was in the way.

    Run All opens "Select Kernel" when the page has not connected to the notebook's session
    (seen in about half the runs on a loaded machine). Its default would start a second kernel
    beside the one `start_session` started, so the session's own kernel ("01_baseline.ipynb
    (id)") is chosen instead. Returns how many dialogs were open."""
    dialogs = tab.locator(".jp-Dialog").all()
    for dialog in dialogs:
        with contextlib.suppress(playwright_api.Error):
            print(f"JupyterLab dialog: {dialog.inner_text(timeout=CLICK_MS)[:300]!r}")
            for select in dialog.locator("select").all():
                ours = [o for o in select.locator("option").all_inner_texts()
                        if o.strip().startswith(f"{LESSON} (")]
                if ours:
                    select.select_option(label=ours[0].strip(), timeout=CLICK_MS)
            accept = dialog.locator(".jp-mod-accept")
            if accept.count():
                accept.first.click(timeout=CLICK_MS)
            else:
                tab.keyboard.press("Escape")
    return len(dialogs)


def fail_with_screenshot(tab, message: str) -> None:
    """Fail the test, keeping a screenshot of what the browser showed."""
    path = SCREENSHOTS / "jupyterlab_lesson01_failure.png"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(path))
    pytest.fail(f"{message} (screenshot: {path})")


def test_every_cell_runs_without_error(lesson01):
    page = lesson01
    failures = error_outputs(page)
    assert failures == [], "cells wrote errors or stderr:\n" + "\n---\n".join(failures)
    assert all(p[1:-2].strip().isdigit() for p in code_prompts(page))


def output_images(page, cell_text: str) -> list[int]:
    """The natural widths of the images in the outputs of the code cell containing `cell_text`."""
    cell = page.locator(".jp-CodeCell", has_text=cell_text).first
    return cell.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")


def test_record_19_bar_chart_is_shown(lesson01):
    page = lesson01
    widths = output_images(page, "record = outputs[19]")
    assert widths and all(width > 0 for width in widths)


EXPLORER = ".mnist-lab-prediction-explorer"


def explorer_state(page) -> dict:
    """What the prediction explorer shows: its caption text and its image's bytes (base64)."""
    explorer = page.locator(EXPLORER).first
    return explorer.evaluate("""async (box) => {
        const img = box.querySelector('img');
        const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
        let text = '';
        for (const b of bytes) text += String.fromCharCode(b);
        return {caption: box.querySelector('.widget-html-content').textContent,
                image: btoa(text), width: img.naturalWidth};
    }""")


def test_prediction_explorer_is_shown(lesson01):
    page = lesson01
    explorer = page.locator(EXPLORER)
    explorer.first.wait_for(state="visible")
    assert explorer.locator(".widget-slider", has_text="test image").count() == 1
    state = explorer_state(page)
    assert state["width"] > 0
    assert "true label" in state["caption"]


def test_moving_the_slider_shows_another_digit(lesson01):
    page = lesson01
    explorer = page.locator(EXPLORER).first
    explorer.scroll_into_view_if_needed()
    before = explorer_state(page)
    readout = explorer.locator(".widget-readout").first
    start = int(readout.text_content())
    explorer.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowRight")  # one image further, as a student would step
    page.wait_for_function(
        "([sel, old]) => document.querySelector(sel + ' .widget-readout').textContent.trim()"
        " !== String(old)", arg=[EXPLORER, start])
    page.wait_for_function(
        "([sel, old]) => !document.querySelector(sel + ' .widget-html-content')"
        ".textContent.includes('test image ' + old + ':')", arg=[EXPLORER, start])
    deadline = time.monotonic() + UI_MS / 1000
    after = explorer_state(page)
    while after["image"] == before["image"] and time.monotonic() < deadline:
        time.sleep(0.5)  # the kernel redraws the figure, then the frontend swaps the bytes
        after = explorer_state(page)
    page.screenshot(path=str(SCREENSHOTS / "jupyterlab_lesson01_explorer.png"))
    assert after["image"] != before["image"]  # another picture
    assert f"test image {start + 1}:" in after["caption"]
    _, labels = load_mnist("test")  # the explorer walks the test set in file order
    assert f"true label {int(labels[start])}," in before["caption"]
    assert f"true label {int(labels[start + 1])}," in after["caption"]


DRAW = ".mnist-lab-draw-digit"
DOCS = REPO / "docs"


def one_stroke(cx: float, top: float, bottom: float) -> list[tuple[float, float]]:
    """A "1": a short upstroke into a long vertical line, in canvas-relative pixels."""
    flick = [(cx - 30 + 6 * k, top + 25 - 5 * k) for k in range(6)]
    return flick + [(cx, top + (bottom - top) * k / 30) for k in range(31)]


def zero_stroke(cx: float, cy: float, rx: float, ry: float) -> list[tuple[float, float]]:
    """A "0": one oval, closed, drawn anticlockwise from the top as people do."""
    return [(cx - rx * math.sin(2 * math.pi * k / 48), cy - ry * math.cos(2 * math.pi * k / 48))
            for k in range(51)]


def draw(page, canvas, points) -> None:
    """Press the mouse at the first point, move through the rest, release: one real stroke."""
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
    page.mouse.up()


def drawing_state(page) -> dict:
    """The drawing panel's answer line and its preview image's source."""
    return page.locator(DRAW).first.evaluate("""box => ({
        answer: box.querySelector('.mnist-lab-draw-answer').textContent,
        preview: box.querySelector('.mnist-lab-draw-image img, img.mnist-lab-draw-image').src})""")


def wait_for_answer(page, digit: int) -> dict:
    page.wait_for_function(
        "([sel, d]) => document.querySelector(sel + ' .mnist-lab-draw-answer')"
        ".textContent.includes('says ' + d)", arg=[DRAW, digit])
    return drawing_state(page)


def click_until(page, button, done_js: str, arg, what: str) -> None:
    """Click `button` until `done_js` holds: a click can miss while the panel's layout moves
    (a new image arrives) or a dialog is open; clicking Clear or Undo twice does no harm."""
    for _ in range(3):
        button.click()
        try:
            page.wait_for_function(done_js, arg=arg, timeout=30_000)
            return
        except playwright_api.TimeoutError:
            accept_dialogs(page)
    fail_with_screenshot(page, f"{what}: still {drawing_state(page)['answer']!r} after three "
                               "clicks")


def test_drawing_a_one_and_a_zero_with_the_mouse(lesson01):
    page = lesson01
    panel = page.locator(DRAW).first
    panel.scroll_into_view_if_needed()
    canvas = panel.locator("canvas.mnist-lab-draw-canvas")
    canvas.wait_for(state="visible")
    empty = drawing_state(page)
    assert "Draw a digit" in empty["answer"]

    draw(page, canvas, one_stroke(140, 40, 240))
    one = wait_for_answer(page, 1)  # the network reads the stroke as a 1
    assert one["preview"] != empty["preview"]  # the three preprocessing stages are shown

    click_until(page, panel.locator("button", has_text="Clear"),
                "sel => document.querySelector(sel + ' .mnist-lab-draw-answer')"
                ".textContent.includes('Draw a digit')", DRAW, "Clear did not clear the drawing")
    draw(page, canvas, zero_stroke(140, 140, 60, 95))
    zero = wait_for_answer(page, 0)
    assert zero["preview"] != one["preview"]
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / "draw_digit.png"))
    # The README's picture is updated only on request: a test run leaves tracked files alone.
    if os.environ.get("MNIST_LAB_UPDATE_DOCS") == "1":
        shutil.copy(SCREENSHOTS / "draw_digit.png", DOCS / "draw_digit.png")
