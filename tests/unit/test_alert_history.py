"""The demo's alert history (webapp/demo/alerthistory.py): the rule manager's state machine replayed
over a range result, recording rules inlined, and the OpenMetrics file promtool reads."""
from __future__ import annotations

import pytest

from webapp.demo.alerthistory import AlertRule, inline_records, replay, write_openmetrics


def test_replay_is_pending_until_for_has_elapsed_then_firing_and_restarts_after_a_gap():
    rule = AlertRule("Slow", "x > 1", hold=120.0, labels={"severity": "high"})
    grid = [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
    matrix = [{"metric": {"__name__": "x", "job": "a"}, "values": [[0, "2"], [60, "2"], [120, "2"], [240, "2"]]}]
    out = {(labels["__name__"], labels.get("alertstate")): (labels, samples) for labels, samples in replay(rule, matrix, grid)}
    labels, pending = out[("ALERTS", "pending")]
    assert labels == {"__name__": "ALERTS", "job": "a", "severity": "high", "alertname": "Slow", "alertstate": "pending"}
    assert [t for t, _ in pending] == [0.0, 60.0, 240.0]            # 240: a new activation after the gap
    assert [t for t, _ in out[("ALERTS", "firing")][1]] == [120.0]
    assert out[("ALERTS_FOR_STATE", None)][1] == [(0.0, 0.0), (60.0, 0.0), (120.0, 0.0), (240.0, 240.0)]


def test_recording_rules_are_inlined_by_name_and_exact_labels():
    records = [("job:x:rate5m", "rate(x[5m])", {"window": "5m"}), ("job:x:rate5m", "rate(x[1h])", {"window": "1h"})]
    assert inline_records('job:x:rate5m{window="1h"} > 1', records) == "(rate(x[1h])) > 1"
    with pytest.raises(ValueError):
        inline_records('job:x:rate5m{window=~"5m|1h"} > 1', records)


def test_openmetrics_escapes_label_values_and_skips_nan(tmp_path):
    path = tmp_path / "alerts.om"
    n = write_openmetrics(path, [({"__name__": "ALERTS", "name": 'a"b\\c\nd'}, [(1.0, 1.0), (2.0, float("nan"))])])
    assert n == 1
    assert path.read_text() == '# TYPE ALERTS gauge\nALERTS{name="a\\"b\\\\c\\nd"} 1 1.000\n# EOF\n'
