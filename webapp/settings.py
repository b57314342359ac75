"""Settings: read once from the environment into one immutable object.

Bad values fail at start with a message that names the variable; tests build their own
`Settings(...)` and pass it to `create_app`.
"""
from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

# Thanos takes a duration (0s = raw data, 5m, 1h, ...) or `auto`; `raw` is our name for 0s.
_RESOLUTION = re.compile(r"^(raw|auto|0|(\d+(ms|s|m|h|d|w|y))+)$")
_ORIGIN = re.compile(r"^(https?://[A-Za-z0-9.\-]+(:\d{1,5})?|'self'|'none')$")


class SettingsError(ValueError):
    """A setting has a value the app cannot use; the message names it."""


@dataclasses.dataclass(frozen=True)
class Settings:
    prometheus_url: str | None = None  # None: the embedded demo platform
    host: str = "127.0.0.1"
    port: int = 8050
    query_timeout_seconds: float = 20.0
    thanos_dedup: bool | None = None
    thanos_partial_response: bool | None = None
    thanos_max_source_resolution: str | None = None
    redis_url: str | None = None
    cache_default_timeout: int = 300
    frame_ancestors: tuple[str, ...] = ("'self'",)
    tenancy_file: str | None = None
    max_concurrent_queries: int = 8
    demo_scale: str = "small"
    demo_data_root: str = ".demo-data"
    spark_history_url: str | None = None
    airflow_api_url: str | None = None
    alertmanager_url: str | None = None
    timezone: str = "utc"          # Grafana's `timezone` default: utc, browser or an IANA name
    min_refresh_seconds: int = 5   # Grafana's min_refresh_interval: no page refreshes faster
    short_links_dir: str | None = None  # where short links live without Redis (default: in the worker tmp dir)
    dashboards_dir: str | None = None  # a folder of dashboard files (YAML/JSON), served at /d/<uid>
    cluster_label: str = "cluster"  # the data source's name for the cluster label (webapp/labelnames.py)
    critical_services: str = 'job="platform-critical"'  # labelnames.CRITICAL_SERVICES; matchers of `up`
    worker_tmp_dir: str | None = None  # None: /dev/shm when writable, else the temporary directory
    log_format: str = "json"
    source_credentials: tuple = ()  # (source name, webapp.sources.transport.Credentials) pairs
    explore_url: str | None = None  # the data source's UI as browsers reach it (None: prometheus_url)

    @property
    def explore_base(self) -> str | None:
        """Where a panel's "Explore" opens its queries: `/graph` of Prometheus or Thanos Query."""
        return self.explore_url or self.prometheus_url

    @property
    def thanos_params(self) -> dict[str, str]:
        """Extra query parameters Thanos Query understands; empty for plain Prometheus."""
        params: dict[str, str] = {}
        if self.thanos_dedup is not None:
            params["dedup"] = str(self.thanos_dedup).lower()
        if self.thanos_partial_response is not None:
            params["partial_response"] = str(self.thanos_partial_response).lower()
        if self.thanos_max_source_resolution:
            raw = self.thanos_max_source_resolution
            params["max_source_resolution"] = "0s" if raw == "raw" else raw
        return params

    def with_prometheus(self, url: str) -> Settings:
        """A copy pointing at another data source (the demo platform uses this)."""
        return dataclasses.replace(self, prometheus_url=_url("DATAOPS_PROMETHEUS_URL", url))


def _url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def _number(name: str, value: str, kind: type, low: float, high: float):
    try:
        number = kind(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value!r}")
    return number


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `DATAOPS_*` environment variables (see README)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}

    def get(name: str) -> str | None:
        raw = env.get(name)
        return raw if raw not in (None, "") else None

    if (v := get("DATAOPS_PROMETHEUS_URL")) is not None:
        values["prometheus_url"] = _url("DATAOPS_PROMETHEUS_URL", v)
    if (v := get("DATAOPS_HOST")) is not None:
        values["host"] = v
    if (v := get("DATAOPS_PORT")) is not None:
        values["port"] = _number("DATAOPS_PORT", v, int, 1, 65535)
    if (v := get("DATAOPS_QUERY_TIMEOUT")) is not None:
        values["query_timeout_seconds"] = _number("DATAOPS_QUERY_TIMEOUT", v, float, 0.1, 600)
    if (v := get("DATAOPS_THANOS_DEDUP")) is not None:
        values["thanos_dedup"] = _bool("DATAOPS_THANOS_DEDUP", v)
    if (v := get("DATAOPS_THANOS_PARTIAL_RESPONSE")) is not None:
        values["thanos_partial_response"] = _bool("DATAOPS_THANOS_PARTIAL_RESPONSE", v)
    if (v := get("DATAOPS_THANOS_MAX_SOURCE_RESOLUTION")) is not None:
        if not _RESOLUTION.match(v):
            raise SettingsError(f"DATAOPS_THANOS_MAX_SOURCE_RESOLUTION must be raw, auto or a duration (0s, 5m, 1h), "
                                f"got {v!r}")
        values["thanos_max_source_resolution"] = "0s" if v in ("raw", "0") else v
    if (v := get("DATAOPS_REDIS_URL")) is not None:
        if urlsplit(v).scheme not in ("redis", "rediss", "unix"):
            raise SettingsError(f"DATAOPS_REDIS_URL must be a redis:// URL, got {v!r}")
        values["redis_url"] = v
    if (v := get("DATAOPS_CACHE_TIMEOUT")) is not None:
        values["cache_default_timeout"] = _number("DATAOPS_CACHE_TIMEOUT", v, int, 0, 86400)
    if (v := get("DATAOPS_FRAME_ANCESTORS")) is not None:
        origins = tuple(o for o in v.replace(",", " ").split() if o)
        bad = [o for o in origins if not _ORIGIN.match(o)]
        if bad:
            raise SettingsError(f"DATAOPS_FRAME_ANCESTORS has invalid origins: {', '.join(bad)}")
        values["frame_ancestors"] = origins
    if (v := get("DATAOPS_TENANCY_FILE")) is not None:
        from .tenancy import ScopeError, load_tenancy
        try:
            load_tenancy(v)
        except ScopeError as exc:
            raise SettingsError(f"DATAOPS_TENANCY_FILE: {exc}") from None
        values["tenancy_file"] = v
    if (v := get("DATAOPS_MAX_CONCURRENT_QUERIES")) is not None:
        values["max_concurrent_queries"] = _number("DATAOPS_MAX_CONCURRENT_QUERIES", v, int, 1, 64)
    if (v := get("DATAOPS_DEMO_SCALE")) is not None:
        values["demo_scale"] = v
    if (v := get("DATAOPS_DEMO_DATA")) is not None:
        values["demo_data_root"] = v
    if (v := get("DATAOPS_CLUSTER_LABEL")) is not None:
        from .labelnames import validate_label_name
        try:
            values["cluster_label"] = validate_label_name(v)
        except ValueError as exc:
            raise SettingsError(f"DATAOPS_CLUSTER_LABEL: {exc}") from None
    if (v := get("DATAOPS_CRITICAL_SERVICES")) is not None:
        from .labelnames import validate_critical_services
        try:
            values["critical_services"] = validate_critical_services(v)
        except ValueError as exc:
            raise SettingsError(f"DATAOPS_CRITICAL_SERVICES: {exc}") from None
    for name, field in (
        ("DATAOPS_SPARK_HISTORY_URL", "spark_history_url"),
        ("DATAOPS_AIRFLOW_API_URL", "airflow_api_url"),
        ("DATAOPS_ALERTMANAGER_URL", "alertmanager_url"),
        ("DATAOPS_EXPLORE_URL", "explore_url"),
    ):
        if (v := get(name)) is not None:
            values[field] = _url(name, v)
    if (v := get("DATAOPS_TIMEZONE")) is not None:
        from .timezones import TimeZoneError, zone_for
        if v != "browser":
            try:
                zone_for(v)
            except TimeZoneError as exc:
                raise SettingsError(f"DATAOPS_TIMEZONE must be utc, browser or an IANA name: {exc}") from None
        values["timezone"] = v
    if (v := get("DATAOPS_MIN_REFRESH")) is not None:
        from .timerange import TimeParseError, parse_duration
        try:
            values["min_refresh_seconds"] = parse_duration(v)
        except TimeParseError:
            raise SettingsError(f"DATAOPS_MIN_REFRESH must be a duration such as 5s or 1m, got {v!r}") from None
        if not 1 <= values["min_refresh_seconds"] <= 86400:
            raise SettingsError(f"DATAOPS_MIN_REFRESH must be between 1s and 1d, got {v!r}")
    if (v := get("DATAOPS_SHORT_LINKS_DIR")) is not None:
        values["short_links_dir"] = v
    if (v := get("DATAOPS_DASHBOARDS_DIR")) is not None:
        from .dashboards.loader import DashboardFileError, load_dir
        try:
            load_dir(v)
        except DashboardFileError as exc:
            raise SettingsError(f"DATAOPS_DASHBOARDS_DIR: {exc}") from None
        values["dashboards_dir"] = v
    if (v := get("DATAOPS_WORKER_TMP_DIR")) is not None:
        values["worker_tmp_dir"] = v
    if (v := get("DATAOPS_LOG_FORMAT")) is not None:
        if v not in ("json", "text"):
            raise SettingsError(f"DATAOPS_LOG_FORMAT must be json or text, got {v!r}")
        values["log_format"] = v
    from .sources.transport import CredentialsError, credentials_from_env
    try:
        values["source_credentials"] = tuple(credentials_from_env(env).items())
    except CredentialsError as exc:
        raise SettingsError(str(exc)) from None
    return Settings(**values)
