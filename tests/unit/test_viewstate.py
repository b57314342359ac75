from webapp.viewstate import parse_view_state

NOW = 1_764_147_723.0


def test_defaults():
    view = parse_view_state({}, NOW)
    assert view.time_range.raw_from == "now-6h" and view.variables == {} and not view.notes


def test_multi_value_and_all():
    view = parse_view_state({"var-namespace": ["a", "b", "a"], "var-cluster": "All"}, NOW)
    assert view.variables == {"namespace": ("a", "b"), "cluster": ()}


def test_hostile_and_unknown_parameters_are_noted_not_fatal():
    view = parse_view_state({"var-namespace": ['a"} or vector(1) #', "", "x\ny"], "var-evil": "1",
                             "from": "garbage", "refresh": "often", "theme": "<b>", "foo": "bar"}, NOW)
    assert view.variables["namespace"] == ('a"} or vector(1) #',)
    assert view.time_range.raw_from == "now-6h"
    text = " ".join(view.notes)
    for fragment in ("unknown variable 'evil'", "invalid value of namespace", "time range", "refresh",
                     "theme", "'foo'"):
        assert fragment in text


def test_kiosk_refresh_theme_and_round_trip():
    view = parse_view_state({"kiosk": "", "refresh": "30s", "theme": "dark", "from": "now-24h",
                             "var-namespace": ["x", "y"]}, NOW)
    assert view.kiosk and view.refresh_seconds == 30 and view.theme == "dark"
    params = view.query_params()
    assert ("var-namespace", "x") in params and ("var-namespace", "y") in params and ("kiosk", "") in params
    again = parse_view_state({"from": "now-24h", "var-namespace": ["x", "y"], "refresh": "30s"}, NOW)
    assert again.variables == view.variables


def test_too_many_values_are_capped():
    view = parse_view_state({"var-namespace": [f"n{i}" for i in range(80)]}, NOW)
    assert len(view.variables["namespace"]) == 50 and any("first 50" in n for n in view.notes)
