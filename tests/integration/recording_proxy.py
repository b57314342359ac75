"""A small recording proxy in front of the real Prometheus, standing in for Thanos Query.

It records every query the app sends, can add a Thanos-style `warnings` list to answers, and
can be stopped and restarted on the same port to simulate an outage.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests


class RecordingProxy:
    def __init__(self, upstream: str, port: int = 0):
        self.upstream = upstream.rstrip("/")
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.auth_schemes: list[tuple[str, str]] = []  # (path, scheme of Authorization or "")
        self.inject_warnings: list[str] = []
        self.request_ids: list[str | None] = []  # X-Request-Id of each request, in order
        self._lock = threading.Lock()
        self.port = port
        self.server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.requests]

    def queries(self) -> list[str]:
        with self._lock:
            return [form["query"][0] for _, form in self.requests if "query" in form]

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, method: str):
                split = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                form = parse_qs(body if method == "POST" else split.query, keep_blank_values=True)
                auth = self.headers.get("Authorization", "")
                with proxy._lock:
                    proxy.requests.append((split.path, form))
                    proxy.auth_schemes.append((split.path, auth.split(" ")[0]))
                    proxy.request_ids.append(self.headers.get("X-Request-Id"))
                headers = {"Content-Type": self.headers.get("Content-Type", "")}
                if auth:
                    headers["Authorization"] = auth
                upstream = requests.request(method, proxy.upstream + split.path, params=split.query if method == "GET" else None,
                                            data=body if method == "POST" else None, timeout=30, headers=headers)
                payload = upstream.content
                if proxy.inject_warnings and split.path.startswith("/api/v1/query"):
                    doc = json.loads(payload)
                    doc["warnings"] = list(proxy.inject_warnings)
                    payload = json.dumps(doc).encode()
                self.send_response(upstream.status_code)
                self.send_header("Content-Type", upstream.headers.get("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
