import pytest

from webapp.settings import Settings, SettingsError, load_settings


def test_defaults_and_thanos_params():
    s = load_settings({})
    assert s.prometheus_url is None and s.port == 8050 and s.thanos_params == {}
    s = load_settings({"DATAOPS_PROMETHEUS_URL": "http://thanos:9090/", "DATAOPS_THANOS_DEDUP": "true",
                       "DATAOPS_THANOS_PARTIAL_RESPONSE": "0", "DATAOPS_THANOS_MAX_SOURCE_RESOLUTION": "5m",
                       "DATAOPS_FRAME_ANCESTORS": "https://portal.example.com, 'self'"})
    assert s.prometheus_url == "http://thanos:9090"
    assert s.thanos_params == {"dedup": "true", "partial_response": "false", "max_source_resolution": "5m"}
    assert s.frame_ancestors == ("https://portal.example.com", "'self'")


@pytest.mark.parametrize("env,fragment", [
    ({"DATAOPS_PROMETHEUS_URL": "thanos:9090"}, "DATAOPS_PROMETHEUS_URL"),
    ({"DATAOPS_PORT": "99999"}, "DATAOPS_PORT"),
    ({"DATAOPS_PORT": "eighty"}, "DATAOPS_PORT"),
    ({"DATAOPS_QUERY_TIMEOUT": "0"}, "DATAOPS_QUERY_TIMEOUT"),
    ({"DATAOPS_THANOS_DEDUP": "maybe"}, "DATAOPS_THANOS_DEDUP"),
    ({"DATAOPS_THANOS_MAX_SOURCE_RESOLUTION": "fast"}, "MAX_SOURCE_RESOLUTION"),
    ({"DATAOPS_REDIS_URL": "http://redis"}, "DATAOPS_REDIS_URL"),
    ({"DATAOPS_FRAME_ANCESTORS": "javascript:alert(1)"}, "DATAOPS_FRAME_ANCESTORS"),
    ({"DATAOPS_FRAME_ANCESTORS": "https://a.example; script-src *"}, "DATAOPS_FRAME_ANCESTORS"),
    ({"DATAOPS_TENANCY_FILE": "/etc/hosts"}, "DATAOPS_TENANCY_FILE"),
    ({"DATAOPS_TENANCY_FILE": "/no/such/file"}, "cannot read"),
])
def test_bad_values_fail_with_a_message_naming_the_setting(env, fragment):
    with pytest.raises(SettingsError) as err:
        load_settings(env)
    assert fragment in str(err.value)


def test_cli_reports_bad_settings_without_a_traceback(capsys, monkeypatch):
    from webapp.cli import main
    monkeypatch.setenv("DATAOPS_PORT", "nope")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "DATAOPS_PORT" in err and "Traceback" not in err


def test_serve_requires_a_data_source(capsys, monkeypatch):
    from webapp.cli import main
    monkeypatch.delenv("DATAOPS_PROMETHEUS_URL", raising=False)
    assert main(["serve"]) == 2
    assert "DATAOPS_PROMETHEUS_URL" in capsys.readouterr().err


def test_with_prometheus_validates():
    with pytest.raises(SettingsError):
        Settings().with_prometheus("not a url")
