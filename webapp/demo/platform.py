"""DemoPlatform: the embedded simulated DataOps platform behind a real Prometheus.

    p = DemoPlatform(pathlib.Path(".demo-data"), scale="small")
    url = p.start()        # "http://127.0.0.1:<port>"
    ...
    p.stop()

Data folder ``<data_root>/<scale>-seed<seed>-v<GENERATOR_VERSION>/``:
``state.json`` (anchor, backfilled start/end, live_until), ``tsdb/`` (Prometheus storage),
``prometheus.yml``, ``prometheus.log``.
"""
from __future__ import annotations

import atexit
import hashlib
import json
import math
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import time

import requests

from .components import all_components
from .exporter import LiveExporter
from .generate import GENERATOR_VERSION, write_backfill
from .world import SCALES, ScaleSpec, World, build_world

__all__ = ["DemoPlatform", "SCALES", "ScaleSpec", "DemoPlatformError"]

PROMETHEUS = os.environ.get("DATAOPS_PROMETHEUS_BIN", "prometheus")
PROMTOOL = os.environ.get("DATAOPS_PROMTOOL_BIN", "promtool")
SCRAPE_INTERVAL = 15
ALERT_HISTORY_HOURS = 24  # alert state backfilled this far back (a day: the longest quick range most use)


class DemoPlatformError(RuntimeError):
    pass


def _terminate(proc: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM (Prometheus flushes its head), SIGKILL after `timeout` seconds."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _yaml_str(s: str) -> str:
    return json.dumps(s)  # JSON strings are valid YAML scalars


class DemoPlatform:
    def __init__(self, data_root: pathlib.Path, scale: str = "small", seed: int = 42, prometheus_port: int = 0,
                 exporter_port: int = 0, rule_files=(), credentials: bool = False, progress=None):
        """`credentials`: the demo's History Server and Airflow API want credentials, written as files
        under the data folder (`self.credentials.for_app()` gives the app their paths). `progress`: called
        with a line of text as each stage of `start` begins (a first start takes minutes)."""
        self.progress = progress or (lambda _text: None)
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
        self.data_root = pathlib.Path(data_root)
        self.scale = SCALES[scale]
        self.seed = int(seed)
        self.prometheus_port = prometheus_port
        self.exporter_port = exporter_port
        self.rule_files = [pathlib.Path(r).resolve() for r in rule_files]
        self.folder = self.data_root / f"{scale}-seed{self.seed}-v{GENERATOR_VERSION}"
        self.tsdb = self.folder / "tsdb"
        self.state_file = self.folder / "state.json"
        self.log_file = self.folder / "prometheus.log"
        self.config_file = self.folder / "prometheus.yml"
        from .components.journey import JourneyHistory
        from .components.lakehouse import LakehouseHistory
        # the real exporters' history: the journey exporter's, and the Iceberg exporter's on the lakehouse
        # that realexporters.py serves live (built with the history, in the same folder)
        self.lakehouse = LakehouseHistory(self.folder / "lakehouse")
        self.components = all_components() + [JourneyHistory(), self.lakehouse]
        self.world: World | None = None
        self.exporter: LiveExporter | None = None
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.rest_apis = None   # demo Spark History Server + Airflow REST API (restapis.py), set by start()
        self.with_credentials = credentials
        self.credentials = None  # restapis.DemoCredentials when with_credentials, set by start()
        self.spark_history_url: str | None = None
        self.airflow_api_url: str | None = None
        self.real_exporters = None   # the project's real exporters (realexporters.py), set by start()
        self.stats: dict = {"series": 0, "samples": 0, "generate_seconds": 0.0, "backfill_seconds": 0.0,
                            "reused": False, "history_hours": 0.0}
        self._atexit = False

    # ------------------------------------------------------------------ state
    def _load_state(self) -> dict | None:
        try:
            st = json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None
        if st.get("version") != GENERATOR_VERSION or not self.tsdb.is_dir():
            return None
        if st.get("components") != self._component_names():
            return None  # a component was added or removed: regenerate rather than leave a hole
        return st

    def _component_names(self) -> list[str]:
        return sorted(c.name or type(c).__name__ for c in self.components)

    def _save_state(self, st: dict) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(st, indent=1, sort_keys=True))
        tmp.replace(self.state_file)

    # ------------------------------------------------------------------ backfill
    def _backfill(self, world: World, t0: float, t1: float) -> float | None:
        """Generate and backfill [t0, t1]; returns the last timestamp written (None if empty).

        Large windows are split in two shares of targets: promtool converts the first file
        while Python writes the second (2 cores), each share becoming its own block."""
        step = self.scale.step
        n_parts = 2 if (t1 - t0) > 6 * 3600 else 1
        procs: list[tuple[subprocess.Popen, pathlib.Path, float]] = []
        end = None
        n_series = 0
        try:
            for i in range(n_parts):
                om = self.folder / f"backfill-{i}.om"
                res = write_backfill(om, world, t0, t1, step, self.components, part=(i, n_parts))
                self.stats["generate_seconds"] += res["seconds"]
                if res["end"] is None or res["samples"] == 0:
                    om.unlink(missing_ok=True)
                    continue
                end = res["end"] if end is None else max(end, res["end"])
                n_series += res["series"]
                self.stats["samples"] += res["samples"]
                procs.append((subprocess.Popen(
                    [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(om), str(self.tsdb),
                     "--max-block-duration=192h"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True),
                    om, time.monotonic()))
            for proc, om, started in procs:
                _out, err = proc.communicate()
                if proc.returncode != 0:
                    raise DemoPlatformError(f"promtool failed ({proc.returncode}) on {om.name}:\n{err[-3000:]}")
            self.stats["series"] = max(self.stats["series"], n_series)
            if procs:
                self.stats["backfill_seconds"] += time.monotonic() - min(p[2] for p in procs)
        finally:
            for proc, om, _ in procs:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                om.unlink(missing_ok=True)
        return end

    def _prepare_history(self) -> World:
        now = time.time()
        step = self.scale.step
        st = self._load_state()
        if st is None:
            if self.folder.exists():
                shutil.rmtree(self.folder)
            self.folder.mkdir(parents=True)
            anchor = math.floor(now / 60) * 60
            world = build_world(self.scale.name, self.seed, anchor)
            # each cluster's lakehouse builds in a process of its own meanwhile (the backfill waits for it)
            self.lakehouse.prepare(world, now)
            end_target = math.floor((now - 2) / step) * step
            start = end_target - self.scale.history_hours * 3600
            st = {"version": GENERATOR_VERSION, "components": self._component_names(),
                  "scale": self.scale.name, "seed": self.seed, "anchor": anchor,
                  "start": start, "end": None, "live_until": None}
            end = self._backfill(world, start, end_target)
            st["end"] = end
            self._save_state(st)
        else:
            self.stats["reused"] = True
            world = build_world(self.scale.name, self.seed, st["anchor"])
            self.lakehouse.prepare(world, now)     # resumes each lakehouse: what fell due while stopped
            end = max(st["end"], st.get("live_until") or 0)
            self.stats["series"] = st.get("series", 0)
        # top-up: cover what passed while generating (and, on reuse, the gap since the last run)
        for _ in range(3):
            now = time.time()
            if now - end < step:
                break
            new_end = self._backfill(world, end + step, math.floor((now - 2) / step) * step)
            if new_end is None:
                break
            end = new_end
            st["end"] = max(st["end"], end)
            self._save_state(st)
        st["series"] = max(st.get("series", 0), self.stats["series"])
        st["samples"] = st.get("samples", 0) + self.stats["samples"]
        self._save_state(st)
        self._state = st
        self.stats["history_hours"] = (time.time() - st["start"]) / 3600
        return world

    # ------------------------------------------------------------------ prometheus
    def _write_config(self, exporter_port: int) -> None:
        by_job: dict[str, list] = {}
        for comp in self.components:
            if not getattr(comp, "live", True):
                continue       # history only: a real exporter is scraped for it (realexporters.py)
            for tgt in comp.targets(self.world):
                by_job.setdefault(tgt.job, []).append(tgt)
        lines = ["global:", f"  scrape_interval: {SCRAPE_INTERVAL}s", f"  evaluation_interval: {SCRAPE_INTERVAL}s",
                 # as long as the interval allows: on a busy machine a live scrape past 10 s was a failed
                 # scrape, `up` 0 once, and the critical services' hourly availability below 99.9%
                 f"  scrape_timeout: {SCRAPE_INTERVAL}s"]
        if self.rule_files:
            lines.append("rule_files:")
            lines += [f"  - {_yaml_str(str(r))}" for r in self.rule_files]
        lines.append("scrape_configs:")
        real: dict[str, list] = {}
        for job, inst, port, cluster in (self.real_exporters.targets if self.real_exporters else ()):
            real.setdefault(job, []).append((inst, port, cluster))
            by_job.setdefault(job, [])
        for job, tgts in by_job.items():
            honor = "true" if all(t.honor_labels for t in tgts) else "false"
            lines += [f"  - job_name: {_yaml_str(job)}", f"    honor_labels: {honor}", "    static_configs:"]
            for t in tgts:
                lines += [f"      - targets: [\"127.0.0.1:{exporter_port}\"]",
                          "        labels:",
                          f"          cluster: {_yaml_str(t.cluster)}",
                          f"          instance: {_yaml_str(t.instance)}",
                          f"          __metrics_path__: {_yaml_str(t.path)}"]
            for inst, port, cluster in real.get(job, ()):   # a real exporter: its own port and /metrics
                lines += [f"      - targets: [\"127.0.0.1:{port}\"]", "        labels:",
                          f"          cluster: {_yaml_str(cluster)}",
                          f"          instance: {_yaml_str(inst)}"]
        self.config_file.write_text("\n".join(lines) + "\n")

    def _start_prometheus(self) -> None:
        port = self.prometheus_port or _free_port()
        self.url = f"http://127.0.0.1:{port}"
        log = open(self.log_file, "ab")
        self._started_at = time.time()
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.config_file}", f"--storage.tsdb.path={self.tsdb}",
             "--storage.tsdb.retention.time=60d", f"--web.listen-address=127.0.0.1:{port}",
             # Restore every alert's `for` state from ALERTS_FOR_STATE (alerthistory.py), also for
             # rules whose `for` is shorter than the default 10m grace period.
             "--rules.alert.for-grace-period=0s"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self._wait_ready(self.proc, self.url)

    def _wait_ready(self, proc: subprocess.Popen, url: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise DemoPlatformError(f"prometheus exited with {proc.returncode} at startup:\n{self._log_tail()}")
            try:
                if requests.get(url + "/-/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise DemoPlatformError(f"prometheus not ready after {timeout:.0f} s:\n{self._log_tail()}")
            time.sleep(0.2)

    def _log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def _wait_first_scrape(self, timeout: float = 45) -> None:
        """Wait until the first live scrape is stored (Prometheus spreads the targets' first scrapes
        over one interval; until then their backfilled samples keep them current)."""
        n = 1
        q = f"count(timestamp(up) > {self._started_at - 1:.3f})"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DemoPlatformError(f"prometheus exited with {self.proc.returncode}:\n{self._log_tail()}")
            try:
                r = requests.get(self.url + "/api/v1/query", params={"query": q}, timeout=5).json()
                res = r.get("data", {}).get("result", [])
                if res and int(float(res[0]["value"][1])) >= n:
                    return
            except (requests.RequestException, ValueError, KeyError):
                pass
            time.sleep(0.25)
        raise DemoPlatformError(f"live exporter targets not all scraped within {timeout:.0f} s:\n{self._log_tail()}")

    # ------------------------------------------------------------------ alert state
    def _rules_digest(self) -> str:
        digest = hashlib.sha1()
        for path in self.rule_files:
            digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def _backfill_alert_history(self) -> None:
        """ALERTS and ALERTS_FOR_STATE over the last ALERT_HISTORY_HOURS of the history (alerthistory.py),
        computed by a Prometheus that neither scrapes nor evaluates, before the real one starts."""
        from .alerthistory import alert_series, write_openmetrics
        st = self._state
        digest = self._rules_digest()
        step = self.scale.step
        end = math.floor(st["end"] / step) * step
        if st.get("alerts_until", 0) >= end and st.get("alert_rules") == digest:
            return
        started = time.monotonic()
        start = max(math.ceil((st["start"] + 3600) / step) * step, end - ALERT_HISTORY_HOURS * 3600)
        config = self.folder / "alert-history.yml"
        config.write_text("global:\n  scrape_interval: 1h\n")
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                [PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={self.tsdb}",
                 "--storage.tsdb.retention.time=60d", f"--web.listen-address=127.0.0.1:{port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        om = self.folder / "alerts.om"
        samples = 0
        try:
            self._wait_ready(proc, url)
            session = requests.Session()

            def query_range(expr: str, t0: float, t1: float, dt: float) -> list[dict]:
                answer = session.post(url + "/api/v1/query_range",
                                      data={"query": expr, "start": t0, "end": t1, "step": dt}, timeout=120).json()
                if answer.get("status") != "success":
                    raise DemoPlatformError(f"alert history query failed: {answer.get('error')}: {expr[:200]}")
                return answer["data"]["result"]

            samples = write_openmetrics(om, alert_series(self.rule_files, query_range, start, end, step))
        finally:
            _terminate(proc)
            config.unlink(missing_ok=True)
        try:
            if samples:
                done = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(om), str(self.tsdb),
                                       "--max-block-duration=192h"], capture_output=True, text=True)
                if done.returncode != 0:
                    raise DemoPlatformError(f"promtool failed ({done.returncode}) on {om.name}:\n{done.stderr[-3000:]}")
        finally:
            om.unlink(missing_ok=True)
        st["alerts_until"], st["alert_rules"] = end, digest
        self._save_state(st)
        self.stats["alert_history_seconds"] = time.monotonic() - started
        self.stats["alert_samples"] = samples

    def _wait_alert_state(self, timeout: float = 90) -> None:
        """Wait for the third evaluation of every rule group: Prometheus restores the `for` state after
        the second, and the restored alerts fire at the next (see alerthistory.py). The count is
        Prometheus' own `prometheus_rule_group_iterations_total`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                text = requests.get(self.url + "/metrics", timeout=5).text
                counts = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                          if line.startswith("prometheus_rule_group_iterations_total{")]
                if counts and min(counts) >= 3:
                    return
            except (requests.RequestException, ValueError, IndexError):
                pass
            time.sleep(0.5)
        raise DemoPlatformError(f"rule groups not evaluated three times within {timeout:.0f} s:\n{self._log_tail()}")

    # ------------------------------------------------------------------ public
    def _remove_stale_folders(self) -> None:
        """History made by other generator versions of this scale and seed can never be reused."""
        for folder in self.data_root.glob(self.folder.name.rsplit("-v", 1)[0] + "-v*"):
            if folder != self.folder and folder.is_dir() and not (folder / "tsdb" / "lock").exists():
                shutil.rmtree(folder, ignore_errors=True)

    def start(self) -> str:
        if self.url and self.proc and self.proc.poll() is None:
            return self.url
        t_start = time.monotonic()

        def stage(text: str) -> None:
            self.progress(f"[{time.monotonic() - t_start:5.0f} s] {text}")

        self._remove_stale_folders()
        stage("history: the simulated exporters' backfill, and each cluster's Iceberg lakehouse built in a process "
              "of its own (reused when still valid)")
        self.world = self._prepare_history()
        self.exporter = LiveExporter(self.world, self.components, port=self.exporter_port)
        self.exporter.start()
        if not self._atexit:
            atexit.register(self.stop)
            self._atexit = True
        try:
            from .realexporters import RealExporters
            stage("real exporters: the Iceberg lakehouse and the delivery journey")
            self.real_exporters = RealExporters(self.folder, history_since=self.world.epoch, world=self.world,
                                                lakehouse=self.lakehouse).start()
            if self.rule_files:
                stage("alert history: every alerting rule evaluated over the last day")
                self._backfill_alert_history()
            self._write_config(self.exporter.port)
            stage("Prometheus: starting and waiting for the first scrape")
            self._start_prometheus()
            self._wait_first_scrape()
            if self.rule_files:
                stage("Prometheus: waiting for the alert state to be restored")
                self._wait_alert_state()
            from .restapis import DemoCredentials, RestApiServer
            if self.with_credentials:
                self.credentials = DemoCredentials.create(self.data_root / "secrets")
            self.rest_apis = RestApiServer(self.world, credentials=self.credentials)
            self.rest_apis.start()
            self.spark_history_url, self.airflow_api_url = self.rest_apis.spark_history_url, self.rest_apis.airflow_api_url()
        except BaseException:
            self.stop()
            raise
        self.stats["start_seconds"] = time.monotonic() - t_start
        return self.url

    def stop(self) -> None:
        real, self.real_exporters = self.real_exporters, None
        if real is not None:
            real.stop()
        rest, self.rest_apis = self.rest_apis, None
        if rest is not None:
            rest.stop()
        self.spark_history_url = self.airflow_api_url = None
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            _terminate(proc)
        exp, self.exporter = self.exporter, None
        if exp is not None:
            exp.stop()
            st = getattr(self, "_state", None)
            if st is not None and proc is not None:
                st["live_until"] = time.time() - SCRAPE_INTERVAL
                try:
                    self._save_state(st)
                except OSError:
                    pass
        self.url = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
