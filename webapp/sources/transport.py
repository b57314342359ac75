"""The one HTTP transport: a `requests.Session` per data source, with that source's credentials.

Credentials are read from files (Kubernetes secrets mounted as volumes), again whenever a file
changes, so a rotated secret is picked up without a restart. Each source has its own session and
never follows redirects with credentials to another host; the values are never logged nor shown
(`repr` names the files only).

Settings, per source (`PROMETHEUS`, `SPARK_HISTORY`, `AIRFLOW`, `ALERTMANAGER`):
`DATAOPS_<SOURCE>_TOKEN_FILE` (bearer token), `DATAOPS_<SOURCE>_USERNAME_FILE` and
`DATAOPS_<SOURCE>_PASSWORD_FILE` (basic auth; Airflow: the login for its JWT),
`DATAOPS_<SOURCE>_CA_FILE` (CA bundle), `DATAOPS_<SOURCE>_CERT_FILE` and `DATAOPS_<SOURCE>_KEY_FILE`
(client certificate).
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import threading
from collections.abc import Mapping

import requests
from urllib3.util.retry import Retry

from ..telemetry import TracedAdapter

SOURCE_PREFIXES = {"prometheus": "PROMETHEUS", "spark_history": "SPARK_HISTORY", "airflow": "AIRFLOW",
                   "alertmanager": "ALERTMANAGER"}
FIELDS = ("token_file", "username_file", "password_file", "ca_file", "cert_file", "key_file")


class CredentialsError(ValueError):
    """A credentials file is missing or unreadable (the message names the setting, never the value)."""


class _SecretFile:
    """A file's stripped text, re-read when its modification time changes."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._stamp: float | None = None
        self._value = ""

    def read(self) -> str:
        try:
            stamp = os.stat(self.path).st_mtime_ns
        except OSError:
            stamp = None
        with self._lock:
            if stamp is None or stamp != self._stamp:
                try:
                    self._value = pathlib.Path(self.path).read_text().strip()
                except OSError:
                    self._value = ""
                self._stamp = stamp
            return self._value


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Paths of one source's credential files (None: not used)."""

    token_file: str | None = None
    username_file: str | None = None
    password_file: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None

    def __bool__(self) -> bool:
        return any(getattr(self, f) for f in FIELDS)

    def check(self, name: str) -> None:
        """Raise CredentialsError unless every named file can be read (at start, clearly)."""
        if bool(self.username_file) != bool(self.password_file):
            raise CredentialsError(f"{name}: give both USERNAME_FILE and PASSWORD_FILE")
        if self.key_file and not self.cert_file:
            raise CredentialsError(f"{name}: KEY_FILE needs CERT_FILE")
        for field in FIELDS:
            path = getattr(self, field)
            if path and not os.access(path, os.R_OK):
                raise CredentialsError(f"{name}: {field.upper()} {path!r} cannot be read")

    def login(self) -> tuple[str, str] | None:
        """(username, password) from their files, or None."""
        if not (self.username_file and self.password_file):
            return None
        return _secret(self.username_file).read(), _secret(self.password_file).read()

    def token(self) -> str | None:
        return _secret(self.token_file).read() if self.token_file else None


_SECRETS: dict[str, _SecretFile] = {}
_SECRETS_LOCK = threading.Lock()


def _secret(path: str) -> _SecretFile:
    with _SECRETS_LOCK:
        return _SECRETS.setdefault(path, _SecretFile(path))


class FileAuth(requests.auth.AuthBase):
    """Bearer token or basic auth from files, read at request time (rotation needs no restart)."""

    def __init__(self, credentials: Credentials, basic: bool = True):
        self.credentials = credentials
        self.basic = basic

    def __call__(self, r):
        token = self.credentials.token()
        if token:
            r.headers["Authorization"] = f"Bearer {token}"
        elif self.basic and (login := self.credentials.login()):
            return requests.auth.HTTPBasicAuth(*login)(r)
        return r

    def __repr__(self) -> str:
        return "FileAuth(<redacted>)"


class _NoCrossHostAuth(requests.Session):
    """A session that drops credentials on any redirect (requests already drops them across hosts),
    and whose own CA bundle wins over `REQUESTS_CA_BUNDLE` / `CURL_CA_BUNDLE` (requests lets those
    replace a session's `verify`: psf/requests#4650)."""

    def rebuild_auth(self, prepared_request, response):
        prepared_request.headers.pop("Authorization", None)

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and isinstance(self.verify, str):
            settings["verify"] = self.verify
        return settings


def session(credentials: Credentials | None = None, basic_auth: bool = True, retry: Retry | None = None,
            pool_maxsize: int = 32, source: str = "rest") -> requests.Session:
    """A session for one source (`source`: its registry name, for the upstream metrics and request
    ids of `webapp.telemetry.TracedAdapter`): its credentials, CA bundle and client certificate; the
    retry policy given (default: connect errors once, statuses never: Prometheus answers 503 for
    timeouts)."""
    s = _NoCrossHostAuth()
    retry = retry or Retry(total=1, connect=1, read=False, status=0, other=0, allowed_methods=None,
                           status_forcelist=(), raise_on_status=False, backoff_factor=0)
    adapter = TracedAdapter(source, max_retries=retry, pool_connections=4, pool_maxsize=pool_maxsize)
    s.mount("http://", adapter)
    s.mount("https://", adapter)

    if credentials:
        s.auth = FileAuth(credentials, basic=basic_auth)
        if credentials.ca_file:
            s.verify = credentials.ca_file
        if credentials.cert_file:
            s.cert = (credentials.cert_file, credentials.key_file) if credentials.key_file else credentials.cert_file
    return s


def credentials_from_env(env: Mapping[str, str]) -> dict[str, Credentials]:
    """Credentials per source from `DATAOPS_<SOURCE>_*_FILE`; raises CredentialsError."""
    out = {}
    for name, prefix in SOURCE_PREFIXES.items():
        values = {f: env.get(f"DATAOPS_{prefix}_{f.upper()}") or None for f in FIELDS}
        creds = Credentials(**values)
        if creds:
            creds.check(f"DATAOPS_{prefix}")
            out[name] = creds
    return out
