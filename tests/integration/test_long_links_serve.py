"""Long filter sets end to end through `dataops-monitor serve` (gunicorn), and short links.

Ten clusters and fifty namespaces make a 4 KB URL, past gunicorn's default 4094-byte request
line, which answers a bare 400. `serve` lifts that limit; the share button hands out `/s/<id>`,
stored where every worker finds it.
"""
import os
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest
import requests

from ..conftest import free_port
from .test_redis_cache import redis_url  # noqa: F401 (a fixture: a real redis-server on loopback)


@pytest.fixture
def served(prometheus_url, tmp_path):
    port = free_port()
    env = {**os.environ, "DATAOPS_PROMETHEUS_URL": prometheus_url, "DATAOPS_SHORT_LINKS_DIR": str(tmp_path / "links")}
    # The server's log goes to a file: a pipe nobody reads fills up (a log line per request) and then
    # blocks every worker that writes to it.
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "webapp.cli", "serve", "--port", str(port), "--workers", "2",
                                "--threads", "2"], env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            pytest.fail("serve did not start: " + (tmp_path / "serve.log").read_text(errors="replace")[-4000:])
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def long_view() -> str:
    params = [("from", "now-6h"), ("to", "now")]
    params += [("var-cluster", f"prod-cluster-{i:02d}") for i in range(10)]
    params += [("var-namespace", f"team-{i:02d}-data-platform-spark-jobs-and-airflow-dags-production-eu-1")
               for i in range(50)]
    return "/capacity?" + urlencode(params)


def test_a_4kb_view_is_served_and_shortened_for_every_worker(served):
    path = long_view()
    assert len(path) > 4300
    page = requests.get(served + path, timeout=30)
    assert page.status_code == 200 and "DataOps Monitor" in page.text
    # Every request after the page carries the long URL as its Referer.
    layout = requests.get(served + "/_dash-layout", headers={"Referer": served + path}, timeout=30)
    assert layout.status_code == 200

    stored = requests.post(served + "/s", json={"url": served + path}, timeout=10).json()
    assert stored["path"].startswith("/s/") and len(stored["path"]) == 19
    for _ in range(12):  # gunicorn hands these to both workers
        hop = requests.get(served + stored["path"], allow_redirects=False, timeout=10)
        assert hop.status_code == 302 and hop.headers["Location"].endswith(path)
    assert requests.get(served + "/s/0123456789abcdef", timeout=10).status_code == 404
    assert requests.get(served + "/s/not-an-id", timeout=10).status_code == 404
    assert requests.post(served + "/s", json={"url": "https://evil.example"}, timeout=10).json()["path"] != ""
    assert requests.post(served + "/s", json={"url": 42}, timeout=10).status_code == 400
    too_long = requests.get(served + "/capacity?x=" + "a" * 70000, timeout=10)
    assert too_long.status_code == 414 and "short link" in too_long.text


def test_short_links_in_redis_are_shared_by_every_replica(redis_url):
    from webapp.shortlinks import ShortLinkError, ShortLinks

    one, other = ShortLinks(redis_url), ShortLinks(redis_url)  # two replicas, one Redis
    path = long_view()
    key = one.store("http://replica-1:8050" + path)
    assert other.resolve(key) == path
    with pytest.raises(ShortLinkError):
        other.resolve("0123456789abcdef")


def test_short_links_in_a_folder_are_bounded(tmp_path):
    from webapp.shortlinks import FolderBackend, ShortLinks

    links = ShortLinks(None, str(tmp_path))
    links._backend = FolderBackend(str(tmp_path), max_items=3)
    keys = [links.store(f"/capacity?var-namespace=ns-{i}") for i in range(5)]
    assert links.resolve(keys[-1]) == "/capacity?var-namespace=ns-4"
    assert len([p for p in tmp_path.iterdir() if not p.name.startswith(".")]) == 3
