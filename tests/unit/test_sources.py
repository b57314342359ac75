"""The data source layer: JSON cache with single-flight, credentials from files, the engine's gate."""
from __future__ import annotations

import pickle
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webapp.engine import QueryEngine
from webapp.prometheus import PrometheusClient
from webapp.settings import Settings, SettingsError, load_settings
from webapp.sources.base import SourceError
from webapp.sources.cache import JsonCache, MemoryBackend
from webapp.sources.transport import Credentials, credentials_from_env, session
from webapp.tenancy import Scope, parse_matcher


# ---------------------------------------------------------------- cache
class _Planted:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path(__import__('os').environ['PLANTED']).write_text('ran')",))


def test_cache_stores_json_text_and_never_unpickles(tmp_path, monkeypatch):
    backend = MemoryBackend()
    cache = JsonCache(backend)
    cache.set("k", {"status": "success", "data": [1, 2.5, "x"]}, timeout=60)
    assert backend.get("k") == '{"status":"success","data":[1,2.5,"x"]}'
    assert cache.get("k") == {"status": "success", "data": [1, 2.5, "x"]}
    # What someone with write access to the cache plants is read as data or as a miss, never run.
    monkeypatch.setenv("PLANTED", str(tmp_path / "planted"))
    backend.set("evil", "!" + pickle.dumps(_Planted()).decode("latin-1"), 60)
    assert cache.get("evil") is None and not (tmp_path / "planted").exists()
    with pytest.raises(TypeError):
        cache.set("obj", object(), 60)


def test_concurrent_misses_fetch_once_and_errors_are_not_cached():
    cache = JsonCache()
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return {"v": 1}

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_fetch("k", slow, 60)[0]))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [{"v": 1}] * 8 and len(calls) == 1

    def failing():
        calls.append(1)
        raise SourceError("unreachable", "down")

    for _ in range(2):
        with pytest.raises(SourceError):
            cache.get_or_fetch("bad", failing, 60)
    assert len(calls) == 3  # tried again: the failure was not cached


# ---------------------------------------------------------------- credentials
class _Recorder(BaseHTTPRequestHandler):
    seen: list

    def do_GET(self):
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.server.redirect_to)
            self.end_headers()
            return
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def servers():
    made = []
    for _ in range(2):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        server.seen = []
        threading.Thread(target=server.serve_forever, daemon=True).start()
        made.append(server)
    yield made
    for server in made:
        server.shutdown()
        server.server_close()


def _url(server, path="/"):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_token_is_read_from_its_file_at_request_time_and_stays_with_its_source(tmp_path, servers):
    a, b = servers
    token = tmp_path / "token"
    token.write_text("first-token\n")
    creds = Credentials(token_file=str(token))
    with_token, without = session(creds), session(None)
    with_token.get(_url(a), timeout=5)
    time.sleep(0.01)
    token.write_text("rotated-token\n")
    with_token.get(_url(a), timeout=5)
    without.get(_url(b), timeout=5)
    assert [h for _, h in a.seen] == ["Bearer first-token", "Bearer rotated-token"]
    assert b.seen == [("/", None)]
    # A redirect to another server never carries the credentials there.
    a.redirect_to = _url(b, "/elsewhere")
    with_token.get(_url(a, "/redirect"), timeout=5)
    assert b.seen[-1] == ("/elsewhere", None)
    assert "rotated-token" not in repr(creds) and "rotated-token" not in repr(with_token.auth)


def test_basic_auth_from_files(tmp_path, servers):
    a, _ = servers
    (tmp_path / "u").write_text("viewer\n")
    (tmp_path / "p").write_text("pa:ss\n")
    session(Credentials(username_file=str(tmp_path / "u"), password_file=str(tmp_path / "p"))).get(_url(a), timeout=5)
    assert a.seen[-1][1] == "Basic dmlld2VyOnBhOnNz"


def test_credentials_settings_name_the_setting_never_the_value(tmp_path):
    (tmp_path / "token").write_text("t0p-secret")
    found = credentials_from_env({"DATAOPS_SPARK_HISTORY_TOKEN_FILE": str(tmp_path / "token"),
                                  "DATAOPS_AIRFLOW_CA_FILE": str(tmp_path / "token")})
    assert found["spark_history"].token() == "t0p-secret" and found["airflow"].ca_file
    assert "prometheus" not in found
    with pytest.raises(SettingsError, match="DATAOPS_PROMETHEUS.*cannot be read"):
        load_settings({"DATAOPS_PROMETHEUS_TOKEN_FILE": str(tmp_path / "missing")})
    with pytest.raises(SettingsError, match="both USERNAME_FILE and PASSWORD_FILE"):
        load_settings({"DATAOPS_AIRFLOW_USERNAME_FILE": str(tmp_path / "token")})


@pytest.fixture
def tls_server(tmp_path):
    """A real HTTPS server (certificates from a throwaway CA) that requires a client certificate;
    yields (url, files) with the CA bundle and a client certificate and key as PEM files."""
    import ssl

    import trustme

    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    client = ca.issue_cert("dataops-monitor.example")
    files = {"ca": tmp_path / "ca.pem", "cert": tmp_path / "client.pem", "key": tmp_path / "client.key"}
    ca.cert_pem.write_to_path(str(files["ca"]))
    client.cert_chain_pems[0].write_to_path(str(files["cert"]))
    client.private_key_pem.write_to_path(str(files["key"]))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.seen = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}", {k: str(v) for k, v in files.items()}
    server.shutdown()
    server.server_close()


def test_ca_bundle_and_client_certificate_from_files(tls_server, monkeypatch):
    import certifi

    from webapp.sources import build_sources

    # A machine-wide bundle, as many images set: the source's own CA bundle must still win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    url, files = tls_server
    env = {"DATAOPS_ALERTMANAGER_URL": url, "DATAOPS_ALERTMANAGER_CA_FILE": files["ca"],
           "DATAOPS_ALERTMANAGER_CERT_FILE": files["cert"], "DATAOPS_ALERTMANAGER_KEY_FILE": files["key"]}
    settings = load_settings(env)
    sources = build_sources(settings, JsonCache(), dict(settings.source_credentials))
    assert sources["alertmanager"].health().up is True  # the server's CA trusted, our certificate accepted
    # Without the CA bundle the server is not trusted; without the client certificate it refuses us.
    for missing in ("DATAOPS_ALERTMANAGER_CA_FILE", "DATAOPS_ALERTMANAGER_CERT_FILE"):
        partial = load_settings({k: v for k, v in env.items() if k != missing and not (
            missing.endswith("CERT_FILE") and k.endswith("KEY_FILE"))})
        health = build_sources(partial, JsonCache(), dict(partial.source_credentials))["alertmanager"].health()
        assert health.up is False and files["key"] not in health.message, missing


@pytest.mark.parametrize("raw,sent", [("raw", "0s"), ("0s", "0s"), ("auto", "auto"), ("5m", "5m"), ("1h", "1h"),
                                      ("1h30m", "1h30m")])
def test_max_source_resolution_as_thanos_takes_it(raw, sent):
    settings = load_settings({"DATAOPS_THANOS_MAX_SOURCE_RESOLUTION": raw})
    assert settings.thanos_params["max_source_resolution"] == sent


# ---------------------------------------------------------------- the engine's gate
class _Source:
    name, title = "fake", "The fake source"

    def __init__(self):
        self.fetched = []

    def scope(self, request, scope):
        if scope and request not in ("team-a",):
            raise SourceError("not_found", "outside", 404, self.title)
        return request

    def cache_key(self, request):
        return request

    def ttl(self, request):
        return 60

    def fetch(self, request):
        self.fetched.append(request)
        return {"entity": request}

    def cacheable(self, answer):
        return True


def test_every_source_goes_through_the_tenant_gate_and_the_cache():
    source = _Source()
    scope = {"now": ()}
    engine = QueryEngine(PrometheusClient("http://127.0.0.1:9"), JsonCache(), sources={"fake": source},
                         scope=lambda: scope["now"])
    assert engine.fetch("fake", "team-b") == {"entity": "team-b"}
    assert engine.fetch("fake", "team-b") == {"entity": "team-b"} and source.fetched == ["team-b"]
    scope["now"] = Scope((parse_matcher('namespace="a"'),))
    assert engine.fetch("fake", "team-a") == {"entity": "team-a"}
    with pytest.raises(SourceError) as hidden:
        engine.fetch("fake", "team-b")
    assert hidden.value.kind == "not_found"
    scope["now"] = None
    answers = engine.fetch_many([("fake", "team-a"), ("prometheus", "ignored")])
    assert [a.kind for a in answers] == ["forbidden", "forbidden"]
    assert source.fetched == ["team-b", "team-a"]


def test_repeated_group_headers_are_read_as_one_list(tmp_path):
    from flask import Flask

    from webapp.app import _scope_provider

    (tmp_path / "tenancy.yml").write_text(
        "header: X-Portal-Groups\ngroups:\n  team-a: ['namespace=\"a\"']\n  team-b: ['namespace=\"b\"']\n")
    scope = _scope_provider(Settings(prometheus_url="http://127.0.0.1:9", tenancy_file=str(tmp_path / "tenancy.yml")))
    flask_app = Flask(__name__)
    with flask_app.test_request_context(headers=[("X-Portal-Groups", "strangers"), ("X-Portal-Groups", "team-b")]):
        assert scope() == (parse_matcher('namespace="b"'),)
    with flask_app.test_request_context(headers=[("X-Portal-Groups", "strangers")]):
        assert scope() is None
    assert scope() is None  # outside a request: nothing


def test_repeated_json_group_headers_keep_the_commas_of_ldap_names(tmp_path):
    from flask import Flask

    from webapp.app import _scope_provider

    (tmp_path / "tenancy.yml").write_text(
        'header: X-Portal-Groups\nheader_format: json\ngroups:\n'
        '  "cn=a,ou=groups,dc=corp": [\'namespace="a"\']\n  "cn=b,ou=groups,dc=corp": [\'namespace="b"\']\n')
    scope = _scope_provider(Settings(prometheus_url="http://127.0.0.1:9", tenancy_file=str(tmp_path / "tenancy.yml")))
    flask_app = Flask(__name__)
    for headers in ([("X-Portal-Groups", '["cn=x,dc=corp"]'), ("X-Portal-Groups", '["cn=b,ou=groups,dc=corp"]')],
                    [("X-Portal-Groups", '"cn=x,dc=corp"'), ("X-Portal-Groups", '"cn=b,ou=groups,dc=corp"')]):
        with flask_app.test_request_context(headers=headers):
            assert scope() == (parse_matcher('namespace="b"'),)
    with flask_app.test_request_context(headers=[("X-Portal-Groups", '["cn=b,ou=groups,dc=corp"]'),
                                                 ("X-Portal-Groups", "not json")]):
        assert scope() is None  # one unreadable header: nothing, not a guess


def test_the_metric_inventory_goes_through_the_engine_unscoped():
    from webapp.datasources import metric_inventory
    from webapp.metrics import AppMetrics
    from webapp.sources.prometheus import LabelValues, PrometheusSource

    class Inventory(PrometheusSource):
        def __init__(self):
            super().__init__(PrometheusClient("http://127.0.0.1:9"))
            self.fetched = []

        def fetch(self, request):
            self.fetched.append(request)
            return ["kube_pod_info", "up"]

    source, metrics, scope = Inventory(), AppMetrics(), {"now": Scope((parse_matcher('namespace="a"'),))}
    engine = QueryEngine(source.client, JsonCache(), metrics=metrics, sources={"prometheus": source},
                         scope=lambda: scope["now"])
    assert metric_inventory(engine) == {"kube_pod_info", "up"}
    assert metric_inventory(engine) == {"kube_pod_info", "up"}
    (request,) = source.fetched  # once: the second came from the cache
    assert isinstance(request, LabelValues) and request.label == "__name__" and request.match == ()  # names only
    assert metrics.registry.get_sample_value("dataops_cache_misses_total", {"source": "prometheus"}) == 1
    scope["now"] = None
    assert metric_inventory(engine) is None and len(source.fetched) == 1  # a stranger: nothing is asked
