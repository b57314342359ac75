"""The real-exporter corpus replayed into a real Prometheus (test support).

The corpus (`../shared/real-exposition/*.prom`, or `DATAOPS_CORPUS_DIR`) holds what real exporters
emit, one file per exporter; the file stem names the exporter. This module

- parses a file into metric families (name, type, samples with label sets) with
  `prometheus_client.parser`, after dropping the corpus' own annotation comments;
- serves every file at `/metrics/<exporter>` from a loopback HTTP server, counters (and the
  `_sum`/`_count`/`_bucket` of histograms and summaries) growing with wall-clock time so that
  `rate()` and `increase()` see real increases, gauges unchanged;
- starts a real Prometheus (the binary the demo uses) that scrapes every exporter twice, once per
  cluster, with a static label whose *name* the caller chooses (so tests prove nothing assumes
  `cluster`), after backfilling a short history with promtool so that windows and subqueries of the
  panels (`[1h]`, `[24h:10m]`, ...) are evaluated over real points, not only the last seconds.

    with CorpusPrometheus(root, cluster_label="k8s_cluster") as corpus:
        corpus.url            # "http://127.0.0.1:<port>"
        corpus.exporters      # ("airflow-statsd", "argocd", ...)

A counter's value at unix time t is `v + (|v| + 1) * (t - anchor) / GROWTH_SECONDS`: one function of
time for the backfill and the live endpoint, so the two never disagree and never reset. Adding the
same increment to every bucket of a histogram keeps its buckets cumulative and `+Inf == _count`.
Series the corpus stamps with their own timestamps (PowerScale) are served unstamped: the stamps are
from the day the sample was written, which a Prometheus would reject as too old.
"""
from __future__ import annotations

import dataclasses
import http.server
import math
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import requests
from prometheus_client.parser import text_string_to_metric_families

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
PROMETHEUS = os.environ.get("DATAOPS_PROMETHEUS_BIN", "prometheus")
PROMTOOL = os.environ.get("DATAOPS_PROMTOOL_BIN", "promtool")
GROWTH_SECONDS = 3600.0     # a counter grows by (|v| + 1) per hour
SCRAPE_INTERVAL = 2         # seconds, live scrapes
HISTORY_SECONDS = 3600      # backfilled history before the live scrapes
HISTORY_STEP = 30           # seconds between backfilled samples
CLUSTERS = ("corpus-east", "corpus-west")

# `# HELP name ...` and `# TYPE name type` are exposition; every other comment is the corpus' own notes
# (sources, caveats), which a Prometheus parser might take for malformed HELP lines.
_EXPOSITION_COMMENT = re.compile(r"#\s+(HELP|TYPE)\s+[a-zA-Z_:][a-zA-Z0-9_:]*(\s|$)")
_GROWING_TYPES = {"counter", "histogram", "summary"}
# Untyped samples that are counters all the same (Spark servlet, jmx_exporter, Codahale via JMX).
_COUNTER_SUFFIXES = ("_total", "_count", "_Count", "_sum", "_bucket", "TotalCount")
# Gauge-typed samples that only ever grow in the real exporter: airlift CounterStats on Trino's built-in
# /metrics (`..._TotalCount`), oracledb_exporter's gv$sysstat `activity_*`, MinIO v2's TTFB distribution.
_MONOTONIC_GAUGES = re.compile(r".*_TotalCount|oracledb_activity_.*|minio_.*_ttfb_seconds_distribution")


def corpus_dir() -> pathlib.Path:
    """The corpus folder: `DATAOPS_CORPUS_DIR`, else `../shared/real-exposition` beside the repo."""
    env = os.environ.get("DATAOPS_CORPUS_DIR")
    return pathlib.Path(env) if env else REPO_ROOT.parent / "shared" / "real-exposition"


def corpus_files(directory: pathlib.Path | None = None) -> dict[str, pathlib.Path]:
    """Exporter name (file stem) -> corpus file, sorted by name; empty when the folder is absent."""
    folder = directory or corpus_dir()
    return {p.stem: p for p in sorted(folder.glob("*.prom"))}


@dataclasses.dataclass(frozen=True)
class Sample:
    name: str
    labels: tuple[tuple[str, str], ...]   # sorted
    value: float
    grows: bool                            # a counter-like sample (see module doc)


@dataclasses.dataclass(frozen=True)
class Family:
    name: str
    type: str                              # counter | gauge | histogram | summary | untyped | ...
    samples: tuple[Sample, ...]

    @property
    def label_names(self) -> frozenset[str]:
        return frozenset(k for s in self.samples for k, _ in s.labels)


def _grows(family_type: str, sample_name: str, labels: dict) -> bool:
    if family_type in _GROWING_TYPES:
        return "quantile" not in labels and not sample_name.endswith("_created")
    if family_type in ("unknown", "untyped"):
        return sample_name.endswith(_COUNTER_SUFFIXES)
    if family_type == "gauge":
        return _MONOTONIC_GAUGES.fullmatch(sample_name) is not None
    return False


def parse_exposition(text: str) -> list[Family]:
    """Metric families of a Prometheus text exposition, merged by name, samples de-duplicated.

    The corpus' own comments are dropped first. `prometheus_client` appends `_total` to the samples of
    a counter whose exposed name lacks it (its OpenMetrics view); the exposed name is restored here,
    because the names a Prometheus stores are the exposed ones."""
    clean = "\n".join(line for line in text.splitlines()
                      if not line.lstrip().startswith("#") or _EXPOSITION_COMMENT.match(line.lstrip()))
    exposed = {m.group(1) for m in re.finditer(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{\s]", clean, re.M)}
    merged: dict[str, tuple[str, dict]] = {}
    for fam in text_string_to_metric_families(clean):
        if not fam.samples:
            continue
        kind = "untyped" if fam.type == "unknown" else fam.type
        prior_kind, samples = merged.get(fam.name, (kind, {}))
        if prior_kind == "untyped":
            prior_kind = kind
        for s in fam.samples:
            name = s.name
            if name not in exposed and name.endswith("_total") and name[:-6] in exposed:
                name = name[:-6]
            key = (name, tuple(sorted(s.labels.items())))
            samples.setdefault(key, Sample(name, key[1], float(s.value), _grows(kind, name, s.labels)))
        merged[fam.name] = (prior_kind, samples)
    return [Family(name, kind, tuple(samples.values())) for name, (kind, samples) in merged.items()]


def load_corpus(directory: pathlib.Path | None = None) -> dict[str, list[Family]]:
    """Exporter name -> its metric families."""
    return {name: parse_exposition(path.read_text(encoding="utf-8"))
            for name, path in corpus_files(directory).items()}


def value_at(sample: Sample, t: float, anchor: float) -> float:
    """The sample's value at unix time t (counters grow from `anchor`, everything else is constant)."""
    if not sample.grows or not math.isfinite(sample.value):
        return sample.value
    return sample.value + (abs(sample.value) + 1.0) * max(0.0, t - anchor) / GROWTH_SECONDS


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def _number(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def series_text(sample: Sample) -> str:
    """`name{a="b",...}` with escaped label values."""
    if not sample.labels:
        return sample.name
    return sample.name + "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in sample.labels) + "}"


def render_exposition(families: list[Family], t: float, anchor: float) -> str:
    """Prometheus text format (0.0.4) of the families at time t."""
    lines = []
    for fam in families:
        typed = fam.type if fam.type in ("counter", "gauge", "histogram", "summary") else "untyped"
        names = {s.name for s in fam.samples}
        type_name = next(iter(names)) if typed == "counter" and len(names) == 1 else fam.name
        lines.append(f"# TYPE {type_name} {typed}")
        lines += [f"{series_text(s)} {_number(value_at(s, t, anchor))}" for s in fam.samples]
    return "\n".join(lines) + "\n"


def write_backfill(path: pathlib.Path, corpus: dict[str, list[Family]], targets: list[dict[str, str]],
                   t0: float, t1: float, step: float, anchor: float) -> int:
    """OpenMetrics text for promtool: every target's series on the grid [t0, t1]; returns samples written.

    `targets` are the label sets Prometheus attaches (job, instance, the cluster label) with the key
    `exporter` naming the corpus file. No TYPE lines: the TSDB stores no types, and untyped samples
    keep their exposed names in OpenMetrics."""
    grid = [t0 + i * step for i in range(int((t1 - t0) // step) + 1)]
    written = 0
    with open(path, "w", encoding="utf-8") as fh:
        for target in targets:
            extra = tuple((k, v) for k, v in target.items() if k != "exporter")
            up = Family("up", "gauge", (Sample("up", (), 1.0, False),))  # the target was up all along
            for fam in [up, *corpus[target["exporter"]]]:
                for s in fam.samples:
                    labels = dict(s.labels)
                    labels.update(extra)
                    head = series_text(Sample(s.name, tuple(sorted(labels.items())), s.value, s.grows))
                    fh.write("".join(f"{head} {_number(value_at(s, t, anchor))} {t:.3f}\n" for t in grid))
                    written += len(grid)
        fh.write("# EOF\n")
    return written


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = "corpus-exporter"

    def do_GET(self):  # noqa: N802 (http.server's naming)
        corpus = self.server.corpus  # type: ignore[attr-defined]
        name = self.path.split("?", 1)[0].removeprefix("/metrics/")
        if not self.path.startswith("/metrics/") or name not in corpus:
            self.send_error(404, "unknown exporter")
            return
        body = render_exposition(corpus[name], time.time(), self.server.anchor).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the scraper gave up (Prometheus stopping): nothing to answer

    def log_message(self, *args):
        pass


class CorpusEndpoint:
    """A loopback HTTP server serving each corpus file at `/metrics/<exporter>`."""

    def __init__(self, corpus: dict[str, list[Family]], anchor: float, port: int = 0):
        self.corpus = corpus
        self.anchor = anchor
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self._server.corpus = corpus      # type: ignore[attr-defined]
        self._server.anchor = anchor      # type: ignore[attr-defined]
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="corpus-endpoint", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class CorpusPrometheus:
    """A real Prometheus scraping every corpus exporter, once per cluster of `CLUSTERS`.

    Targets carry `job=<exporter>`, `instance=<exporter>-<cluster>` and `<cluster_label>=<cluster>`.
    `exporters` limits the replay to some corpus files (default: all). `critical_services` is what a
    platform team would set as `DATAOPS_CRITICAL_SERVICES` for this corpus: its metastore, query engine,
    object store and delivery targets (no scrape job is named the design's `platform-critical`)."""

    critical_services = 'job=~"hive-metastore|trino|minio|argocd"'

    def __init__(self, data_root: pathlib.Path, cluster_label: str = "k8s_cluster",
                 exporters: tuple[str, ...] | None = None, directory: pathlib.Path | None = None,
                 history_seconds: int = HISTORY_SECONDS):
        corpus = load_corpus(directory)
        self.corpus = {k: v for k, v in corpus.items() if exporters is None or k in exporters}
        self.cluster_label = cluster_label
        self.folder = pathlib.Path(data_root)
        self.history_seconds = history_seconds
        self.url: str | None = None
        self.endpoint: CorpusEndpoint | None = None
        self.proc: subprocess.Popen | None = None

    @property
    def exporters(self) -> tuple[str, ...]:
        return tuple(self.corpus)

    def targets(self) -> list[dict[str, str]]:
        return [{"exporter": name, "job": name, "instance": f"{name}-{cluster}", self.cluster_label: cluster}
                for name in self.corpus for cluster in CLUSTERS]

    def _config(self, port: int) -> str:
        lines = ["global:", f"  scrape_interval: {SCRAPE_INTERVAL}s", f"  scrape_timeout: {SCRAPE_INTERVAL}s",
                 "scrape_configs:"]
        for name in self.corpus:
            lines += [f"  - job_name: \"{name}\"", "    honor_labels: true",
                      f"    metrics_path: \"/metrics/{name}\"", "    static_configs:"]
            for t in (t for t in self.targets() if t["exporter"] == name):
                lines += [f"      - targets: [\"127.0.0.1:{port}\"]", "        labels:",
                          f"          instance: \"{t['instance']}\"",
                          f"          {self.cluster_label}: \"{t[self.cluster_label]}\""]
        return "\n".join(lines) + "\n"

    def start(self) -> str:
        """Backfill, serve, start Prometheus and wait for two live scrapes of every target."""
        if self.folder.exists():
            shutil.rmtree(self.folder)
        tsdb = self.folder / "tsdb"
        tsdb.mkdir(parents=True)
        now = time.time()
        anchor = math.floor(now) - self.history_seconds
        if self.history_seconds > 0:
            om = self.folder / "backfill.om"
            write_backfill(om, self.corpus, self.targets(), anchor, now - 2 * SCRAPE_INTERVAL, HISTORY_STEP,
                           anchor)
            done = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(om), str(tsdb),
                                   "--max-block-duration=192h"], capture_output=True, text=True, check=False)
            om.unlink(missing_ok=True)
            if done.returncode != 0:
                raise RuntimeError(f"promtool failed ({done.returncode}):\n{done.stderr[-3000:]}")
        self.endpoint = CorpusEndpoint(self.corpus, anchor)
        self.endpoint.start()
        config = self.folder / "prometheus.yml"
        config.write_text(self._config(self.endpoint.port))
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.folder / "prometheus.log", "ab")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
             "--storage.tsdb.retention.time=30d", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        try:
            self._wait_for_scrapes(len(self.targets()))
        except BaseException:
            self.stop()
            raise
        return self.url

    def _wait_for_scrapes(self, n_targets: int, timeout: float = 90) -> None:
        # Two live scrapes: `scrape_samples_scraped` is not backfilled (`up` is).
        query = "count(count_over_time(scrape_samples_scraped[1m]) >= 2)"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited:\n{self.log_tail()}")
            try:
                answer = requests.get(f"{self.url}/api/v1/query", params={"query": query}, timeout=5).json()
                result = answer.get("data", {}).get("result", [])
                if result and int(float(result[0]["value"][1])) >= n_targets:
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"not every corpus target was scraped twice within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join((self.folder / "prometheus.log").read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        endpoint, self.endpoint = self.endpoint, None
        if endpoint is not None:
            endpoint.stop()
        self.url = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


# ---------------------------------------------------------------------------------------------- measure
@dataclasses.dataclass(frozen=True)
class PanelOutcome:
    page: str          # Level 1 path, e.g. "/workloads", or "/" for tiles
    panel: str         # panel id, or "<tile>:<signal index>" for tile signals
    state: str         # ok | empty | error | missing (runner states)
    detail: str = ""   # the error, or the missing metrics


def measure(url: str, cluster_label: str | None = None, critical_services: str | None = None) -> list[PanelOutcome]:
    """Run every Level 1 PromQL panel and every tile signal against `url` (default view: last 6 hours,
    every variable All) and return one outcome each. `cluster_label` is passed as the app's cluster
    label setting where the app has one, `critical_services` as its critical-services setting."""
    from webapp.catalog import TILES, level1
    from webapp.runner import evaluate_tiles, run_panels
    from webapp.viewstate import parse_view_state

    engine = engine_for(url, cluster_label, critical_services)
    view = parse_view_state({})
    outcomes: list[PanelOutcome] = []
    for dashboard in level1():
        panels = [p for p in dashboard.panels if p.source == "prometheus"]
        for panel_id, data in run_panels(engine, panels, view).items():
            detail = getattr(data, "missing_text", "") or (data.error or "")
            outcomes.append(PanelOutcome(dashboard.path, panel_id, data.state, detail))
    for health in evaluate_tiles(engine, TILES, view):
        outcomes.append(PanelOutcome("/", f"tile:{health.tile.domain}", health.status,
                                     f"{health.signals_with_data}/{len(health.tile.signals)} signals with data"))
    return outcomes


def engine_for(url: str, cluster_label: str | None = None, critical_services: str | None = None):
    """A query engine on `url` (no cache) with these cluster label and critical-services settings
    (default: the app's)."""
    from webapp.engine import QueryEngine
    from webapp.prometheus import PrometheusClient

    kwargs = {"cluster_label": cluster_label} if cluster_label else {}
    if critical_services:
        kwargs["critical_services"] = critical_services
    return QueryEngine(PrometheusClient(url, 30, {}), None, max_workers=4, **kwargs)


def coverage_table(outcomes: list[PanelOutcome]) -> str:
    """Per page: panels, with data, missing, empty, error; and the total."""
    pages: dict[str, dict[str, int]] = {}
    for o in outcomes:
        if o.page == "/":
            continue
        counts = pages.setdefault(o.page, {"ok": 0, "missing": 0, "empty": 0, "error": 0})
        counts[o.state] = counts.get(o.state, 0) + 1
    rows = ["| page | panels | with data | missing | empty | error |", "|---|---:|---:|---:|---:|---:|"]
    total = {"n": 0, "ok": 0, "missing": 0, "empty": 0, "error": 0}
    for page, c in pages.items():
        n = sum(c.values())
        rows.append(f"| {page} | {n} | {c['ok']} | {c['missing']} | {c['empty']} | {c['error']} |")
        total["n"] += n
        for k in ("ok", "missing", "empty", "error"):
            total[k] += c[k]
    rows.append(f"| total | {total['n']} | {total['ok']} | {total['missing']} | {total['empty']} | {total['error']} |")
    tiles = [o for o in outcomes if o.page == "/"]
    rows += ["", "| tile | status | signals |", "|---|---|---|"]
    rows += [f"| {o.panel.removeprefix('tile:')} | {o.state} | {o.detail} |" for o in tiles]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    """`python -m tests.corpus [--cluster-label NAME] [--list-empty]`: replay the corpus into a real
    Prometheus, run every Level 1 panel and tile, print the coverage per page."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.corpus", description=main.__doc__)
    parser.add_argument("--cluster-label", default="k8s_cluster")
    parser.add_argument("--list-empty", action="store_true", help="also list the panels without data")
    args = parser.parse_args(argv)
    with CorpusPrometheus(REPO_ROOT / ".demo-data" / "corpus-measure", cluster_label=args.cluster_label) as corpus:
        outcomes = measure(corpus.url, args.cluster_label, corpus.critical_services)
    print(coverage_table(outcomes))
    if args.list_empty:
        print()
        for o in outcomes:
            if o.page != "/" and o.state != "ok":
                print(f"{o.page}\t{o.panel}\t{o.state}\t{o.detail}")


if __name__ == "__main__":
    main()
