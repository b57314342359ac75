"""The corpus replay's parsing and growth rules (tests/corpus.py), on small expositions."""
from __future__ import annotations

import math

from tests.corpus import Sample, corpus_files, parse_exposition, render_exposition, value_at

TEXT = """# ---- source: upstream fixture, HELP = a note that is no HELP line ----
# TYPE spark_application_failure_count counter
spark_application_failure_count{app_type="Unknown"} 3
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 10
# TYPE node_memory_MemTotal_bytes gauge
node_memory_MemTotal_bytes 100
# TYPE req histogram
req_bucket{le="1"} 0
req_bucket{le="+Inf"} 4
req_sum 2.5
req_count 4
# TYPE lat summary
lat{quantile="0.5"} 0.2
lat_sum 9
lat_count 3
metrics_executor_completedTasks_total{executor_id="1"} 7
metrics_executor_activeTasks{executor_id="1"} 2
node_memory_MemTotal_bytes 100
"""


def families():
    return {f.name: f for f in parse_exposition(TEXT)}


def test_exposed_names_are_kept_and_duplicates_merged():
    names = {s.name for f in parse_exposition(TEXT) for s in f.samples}
    assert "spark_application_failure_count" in names          # not renamed to ..._total
    assert "node_cpu_seconds_total" in names
    assert sum(1 for f in parse_exposition(TEXT) for s in f.samples if s.name == "node_memory_MemTotal_bytes") == 1


def test_counters_grow_and_gauges_do_not():
    samples = {(s.name, s.labels): s for f in parse_exposition(TEXT) for s in f.samples}
    grows = {name for (name, _), s in samples.items() if s.grows}
    assert {"spark_application_failure_count", "node_cpu_seconds_total", "req_bucket", "req_sum", "req_count",
            "lat_sum", "lat_count", "metrics_executor_completedTasks_total"} <= grows
    assert not grows & {"node_memory_MemTotal_bytes", "lat", "metrics_executor_activeTasks"}


def test_histogram_stays_cumulative_while_growing():
    fam = families()["req"]
    for t in (0, 10, 3600, 86400):
        values = {dict(s.labels).get("le", s.name): value_at(s, t, 0) for s in fam.samples}
        assert values["1"] <= values["+Inf"] == values["req_count"]
    counter = Sample("x_total", (), 5.0, True)
    assert value_at(counter, 100, 0) < value_at(counter, 200, 0)
    assert math.isnan(value_at(Sample("g", (), math.nan, True), 100, 0))


def test_rendered_exposition_parses_back_to_the_same_series():
    text = render_exposition(parse_exposition(TEXT), 1000.0, 0.0)
    again = {(s.name, s.labels) for f in parse_exposition(text) for s in f.samples}
    assert again == {(s.name, s.labels) for f in parse_exposition(TEXT) for s in f.samples}


def test_every_corpus_file_parses_with_samples():
    files = corpus_files()
    assert len(files) >= 16
    for name, path in files.items():
        fams = parse_exposition(path.read_text(encoding="utf-8"))
        assert fams and all(f.samples for f in fams), name
