"""The scaled mode's nginx (drills/cluster.py, `make run-scaled`): anonymous readers get the
signed mirror's files, everyone else the web processes; request bodies and answers are never
spooled to nginx's disk. Run against a real nginx with a stand-in web process."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from drills.cluster import Cluster, ClusterError, Proc, port_answers, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")


class App(http.server.BaseHTTPRequestHandler):
    """Answers every request with 'app <method> <path>' (the web processes' stand-in); a path
    with `public` in its query is answered `Cache-Control: public`, one with `cookie` sets one;
    `served` counts what reached it."""

    served: list[str] = []

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        App.served.append(self.path)
        text = f"app {self.command} {self.path} {len(body)} #{len(App.served)}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(text)))
        if "public" in self.path:
            self.send_header("Cache-Control", "public, max-age=60")
        if "cookie" in self.path:
            self.send_header("Set-Cookie", "csrftoken=x")
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def front(tmp_path):
    app = http.server.ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    cluster = Cluster(tmp_path / "scaled")
    cluster.env = {"JIANDU_DATA_DIR": str(tmp_path / "scaled" / "data")}
    cluster.procs.append(Proc("web1", [], tmp_path / "web1.log", {}, port=app.server_address[1]))
    page = cluster.mirror_dir / "en" / "cases" / "a-case"
    page.mkdir(parents=True)
    (page / "index.html").write_text("mirror page")
    (cluster.mirror_dir / "index.html").write_text("mirror home")
    (cluster.mirror_dir / "cases" / "api").mkdir(parents=True)
    (cluster.mirror_dir / "cases" / "api" / "cases.json").write_text("[]")
    (cluster.mirror_dir / "static").mkdir()
    (cluster.mirror_dir / "static" / "site.css").write_text("body {}")
    cluster._nginx()
    yield cluster
    cluster.stop()
    app.shutdown()


def fetch(url: str, *, cookie: str = "", data: bytes | None = None) -> str:
    request = urllib.request.Request(url, data=data, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read().decode().split(" #")[0]


def test_the_configuration_is_valid_nginx(front, tmp_path):
    conf = front.data_dir / "nginx" / "nginx.conf"
    done = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(conf.parent)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_an_anonymous_reader_gets_the_mirror_page(front):
    assert fetch(f"{front.base_url}/en/cases/a-case/") == "mirror page"


def test_a_language_independent_file_is_served_once_whatever_the_prefix(front):
    assert fetch(f"{front.base_url}/cases/api/cases.json") == "[]"
    assert fetch(f"{front.base_url}/en/cases/api/cases.json") == "[]"
    assert fetch(f"{front.base_url}/zh-hant/cases/api/cases.json") == "[]"
    assert (
        fetch(f"{front.base_url}/en/cases/api/other.json") == "app GET /en/cases/api/other.json 0"
    )


def test_a_page_the_mirror_lacks_goes_to_the_web_process(front):
    assert fetch(f"{front.base_url}/en/cases/other/") == "app GET /en/cases/other/ 0"


def test_a_signed_in_reader_never_gets_the_mirror(front):
    answer = fetch(f"{front.base_url}/en/cases/a-case/", cookie="jiandu_session=abc")
    assert answer == "app GET /en/cases/a-case/ 0"


def test_a_query_string_goes_to_the_web_process(front):
    assert fetch(f"{front.base_url}/en/cases/a-case/?q=x") == "app GET /en/cases/a-case/?q=x 0"


def test_a_post_goes_to_the_web_process_with_its_body(front):
    answer = fetch(f"{front.base_url}/en/cases/a-case/", data=b"x" * 100_000)
    assert answer == "app POST /en/cases/a-case/ 100000"


def test_static_files_come_from_the_mirror_copy_else_the_web_process(front):
    assert fetch(f"{front.base_url}/static/site.css") == "body {}"
    assert fetch(f"{front.base_url}/static/other.css") == "app GET /static/other.css 0"


def test_the_tip_line_is_never_served_from_the_mirror(front):
    # The mirror has an index.html at its root; the tip line lives at "/".
    assert fetch(f"{front.base_url}/") == "app GET / 0"


def test_nothing_is_spooled_to_nginx_disk(front):
    conf = (front.data_dir / "nginx" / "nginx.conf").read_text()
    assert "proxy_request_buffering off;" in conf
    assert "proxy_max_temp_file_size 0;" in conf
    assert "access_log off;" in conf
    fetch(f"{front.base_url}/upload/", data=b"secret" * 200_000)
    body_temp = front.data_dir / "nginx" / "body"
    assert not any(path.is_file() for path in body_temp.rglob("*"))


def test_a_body_without_files_reaches_the_app_complete_and_bounded(front):
    """Issue 17 (slow bodies): on paths that take no file nginx holds the body, in memory
    only, and passes it on complete; past 1 MiB it refuses. The file paths still stream."""
    assert fetch(f"{front.base_url}/en/cases/a-case/", data=b"x" * 1_000_000).endswith(" 1000000")
    with pytest.raises(urllib.error.HTTPError) as refused:
        fetch(f"{front.base_url}/en/cases/a-case/", data=b"x" * (1024 * 1024 + 1))
    assert refused.value.code == 413
    for path in ("/en/upload/", "/submit/", "/zh-hant/newsroom/x/", "/log/verify/"):
        assert fetch(f"{front.base_url}{path}", data=b"x" * 2_000_000).endswith(" 2000000")
    body_temp = front.data_dir / "nginx" / "body"
    assert not any(path.is_file() for path in body_temp.rglob("*"))


def test_the_front_stops_with_the_cluster(front):
    front.stop()
    wait_for(lambda: not port_answers(front.port), "nginx stop", 10)


def test_entry_bundles_are_served_gzip_compressed(front):
    """The log's entry bundles (JSON, public) from the mirror, compressed for readers that ask."""
    import gzip

    bundle = front.mirror_dir / "log" / "tile" / "entries" / "000.p" / "3"
    bundle.parent.mkdir(parents=True)
    data = b'{"kind":"page","case":"a-case","action":"publish"}\n' * 40
    bundle.write_bytes(data)
    request = urllib.request.Request(
        f"{front.base_url}/log/tile/entries/000.p/3", headers={"Accept-Encoding": "gzip"}
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(answer.read()) == data
    assert fetch(f"{front.base_url}/log/tile/entries/000.p/3") == data.decode()


def test_the_data_dir_the_makefile_exports_is_not_the_clusters(tmp_path, monkeypatch):
    """Issue 22 item 0: `make` exports JIANDU_DATA_DIR=var (for `make run`), and
    `make run-scaled` keeps its cluster in var/scaled; a fresh start removed var whole, then
    wrote the machine's database password into var/scaled. The cluster's data dir is its own."""
    parent = tmp_path / "var"
    monkeypatch.setenv("JIANDU_DATA_DIR", str(parent))
    monkeypatch.setenv("JIANDU_THREADS", "3")  # other Jiandu settings still pass
    (parent / "demo").mkdir(parents=True)
    (parent / "demo" / "keep").write_text("make run's data")
    cluster = Cluster(parent / "scaled", fresh=True)
    try:
        cluster.env = cluster._base_env()
        assert cluster.env["JIANDU_DATA_DIR"] == str(parent / "scaled" / "data")
        assert cluster.env["JIANDU_THREADS"] == "3"
        (parent / "scaled" / "data").mkdir()
        (parent / "scaled" / "data" / "old").write_text("last run")
        cluster._clear_last_run()
        assert not (parent / "scaled" / "data").exists()
        assert (parent / "demo" / "keep").read_text() == "make run's data"
        assert (parent / "scaled" / "logs").is_dir()
        (parent / "scaled" / "postgres-password").write_text("x")  # where it failed
    finally:
        cluster.stop()


def test_a_fresh_start_never_removes_a_folder_holding_the_cluster(tmp_path):
    cluster = Cluster(tmp_path / "var" / "scaled", fresh=True,
                      extra_env={"JIANDU_DATA_DIR": str(tmp_path / "var")})  # fmt: skip
    try:
        cluster.env = cluster._base_env()
        with pytest.raises(ClusterError):
            cluster._clear_last_run()
        assert (tmp_path / "var" / "scaled" / "logs").is_dir()
    finally:
        cluster.stop()


def test_public_answers_of_the_web_processes_are_kept_a_second(front):
    """Issue 22 item 3: a search (a query: no mirror page) answered `public` is kept one
    second (two at most) per address, so readers' repeated searches do not queue in the web
    processes."""
    url = f"{front.base_url}/en/cases/search/?q=lei&public=1"
    App.served.clear()
    assert fetch(url) == "app GET /en/cases/search/?q=lei&public=1 0"
    assert fetch(url) == "app GET /en/cases/search/?q=lei&public=1 0"
    assert fetch(f"{front.base_url}/zh-hant/cases/search/?q=lei&public=1").startswith("app GET")
    assert App.served == [
        "/en/cases/search/?q=lei&public=1",
        "/zh-hant/cases/search/?q=lei&public=1",
    ]
    time.sleep(2.5)  # one second, counted by nginx in whole seconds
    fetch(url)
    fetch(url)  # the stale copy while the new one is fetched in the background
    wait_for(lambda: App.served.count("/en/cases/search/?q=lei&public=1") == 2, "refresh", 5)
    assert App.served.count("/en/cases/search/?q=lei&public=1") == 2


def test_only_anonymous_public_cookieless_answers_are_kept(front):
    App.served.clear()
    for _ in range(2):
        fetch(f"{front.base_url}/en/cases/search/?q=private")  # no Cache-Control: public
        fetch(f"{front.base_url}/en/cases/search/?q=public-cookie")  # sets a cookie
        fetch(f"{front.base_url}/en/cases/search/?q=public-signed-in", cookie="jiandu_session=a")
        fetch(f"{front.base_url}/newsroom/?q=public")  # not a public page's location
    assert len(App.served) == 8
    # A signed-in reader never gets what an anonymous reader's request left there.
    fetch(f"{front.base_url}/en/cases/search/?q=public-shared")
    App.served.clear()
    fetch(f"{front.base_url}/en/cases/search/?q=public-shared", cookie="jiandu_session=b")
    assert App.served == ["/en/cases/search/?q=public-shared"]
