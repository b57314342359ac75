"""Responses are compressed (brotli or gzip) for clients that accept it; static files once."""
from __future__ import annotations

import gzip
import re

import brotli

from webapp.app import create_app
from webapp.compression import StaticCompressedCache, static_key
from webapp.settings import Settings

PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"


def _app():
    # No request here reaches the data source: static files, the index, layout and dependencies.
    return create_app(Settings(prometheus_url="http://127.0.0.1:9"))


def test_plotly_js_is_served_with_brotli_and_gzip():
    client = _app().server.test_client()
    plain = client.get(PLOTLY, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    br = client.get(PLOTLY, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in br.headers["Vary"]
    assert brotli.decompress(br.data) == plain.data
    assert len(br.data) < len(plain.data) / 3
    gz = client.get(PLOTLY, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gz.data) == plain.data


def test_fingerprinted_scripts_are_cached_for_a_year_and_compressed():
    client = _app().server.test_client()
    html = client.get("/").get_data(as_text=True)
    script = next(s for s in re.findall(r'src="([^"]+)"', html) if "dash_renderer" in s)
    answer = client.get(script, headers={"Accept-Encoding": "br"})
    assert answer.headers["Content-Encoding"] == "br"
    assert "max-age=31536000" in answer.headers["Cache-Control"]


def test_json_answers_are_compressed():
    client = _app().server.test_client()
    answer = client.get("/_dash-dependencies", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(answer.data).startswith(b"[")


def test_only_static_files_are_kept_compressed():
    cache = StaticCompressedCache(max_bytes=10)
    cache.set("br;-", b"dynamic")
    assert cache.get("br;-") is None
    cache.set("br;/assets/app.css?", b"12345")
    assert cache.get("br;/assets/app.css?") == b"12345"
    cache.set("br;/assets/big.js?", b"123456789")  # over the budget: not kept
    assert cache.get("br;/assets/big.js?") is None
    app = _app().server
    with app.test_request_context("/_dash-update-component", method="POST"):
        from flask import request
        assert static_key(request) == "-"
    with app.test_request_context(PLOTLY):
        from flask import request
        assert static_key(request) == PLOTLY + "?"
