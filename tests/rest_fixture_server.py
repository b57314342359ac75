"""A real local HTTP server (http.server in a thread) for the REST client unit tests.

Routes map an exact request path (with query string, as the client sends it) or a path prefix to
a handler ``(handler, path) -> (status, content_type, body bytes)``; every request is recorded in
``server.requests`` (raw request paths) so tests can check what was asked for."""
from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FixtureServer:
    def __init__(self, routes: dict, default=(404, "text/plain", b"not found")):
        self.routes = routes
        self.default = default
        self.requests: list[str] = []
        self.headers: list[dict] = []
        owner = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _answer(self):
                owner.requests.append(self.path)
                owner.headers.append(dict(self.headers))
                r = owner.routes.get(self.path) or owner.routes.get(self.path.split("?")[0]) or owner.default
                if callable(r):
                    r = r(self)
                if r is None:
                    return
                status, ctype, body = r
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._answer()

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.body = self.rfile.read(n) if n else b""
                self._answer()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def slow(seconds: float, answer):
    def h(_handler):
        time.sleep(seconds)
        return answer
    return h
