"""A round-robin reverse proxy on loopback, standing in for the portal's proxy in front of replicas.

Each request goes to the next replica in turn (as a Kubernetes Service or the portal's proxy
spreads connections); `backends_used` records which one answered, in order. Request headers the
portal sets (``X-Request-Id``, ``X-Forwarded-Groups``, ``Content-Type``) are passed on.
"""
from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

PASSED_HEADERS = ("Content-Type", "X-Request-Id", "X-Forwarded-Groups", "Accept")


class PortalProxy:
    def __init__(self, backends: list[str]):
        self.backends = [b.rstrip("/") for b in backends]
        self.backends_used: list[str] = []
        self._next = itertools.cycle(self.backends)
        self._lock = threading.Lock()
        self._session = requests.Session()
        # A keep-alive connection gunicorn closed while idle is retried once on a new one, as
        # nginx's proxy_next_upstream does (Dash callbacks are idempotent).
        self._session.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0,
                                                                     other=0, allowed_methods=None),
                                                   pool_maxsize=64))
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self, method: str):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                with proxy._lock:
                    backend = next(proxy._next)
                    proxy.backends_used.append(backend)
                headers = {h: self.headers[h] for h in PASSED_HEADERS if self.headers.get(h)}
                try:
                    answer = proxy._session.request(method, backend + self.path, data=body, headers=headers,
                                                    timeout=60, allow_redirects=False)
                    status, payload, ctype = answer.status_code, answer.content, answer.headers.get("Content-Type", "")
                except requests.RequestException as exc:
                    status, payload, ctype = 502, f"bad gateway: {type(exc).__name__}: {exc}".encode(), "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._forward("GET")

            def do_POST(self):
                self._forward("POST")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
