"""`dataops-monitor serve` (against DATAOPS_PROMETHEUS_URL) and `dataops-monitor demo` (embedded platform)."""
from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import pathlib
import signal
import sys
import time

from .settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dataops-monitor",
                                     description="DataOps Monitor: the DataOps platform, straight from PromQL.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("serve", "serve the app against DATAOPS_PROMETHEUS_URL (Thanos Query or Prometheus)"),
                       ("demo", "start the embedded demo platform (real Prometheus on loopback) and serve the app")):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--host", help="listen address (default 127.0.0.1, or DATAOPS_HOST)")
        p.add_argument("--port", type=int, help="listen port (default 8050, or DATAOPS_PORT)")
        workers = 2 if name == "serve" else 1
        p.add_argument("--workers", type=int, default=workers, help=f"gunicorn worker processes (default {workers})")
        p.add_argument("--threads", type=int, default=8, help="threads per worker (default 8)")
        if name == "demo":
            p.add_argument("--scale", help="demo platform size: tiny, small (default), medium, large")
            p.add_argument("--seed", type=int, default=42, help="random seed of the simulated platform")
            p.add_argument("--data-root", help="where generated history is kept and reused (default .demo-data)")
            p.add_argument("--credentials", action="store_true",
                           help="put the demo's Spark History Server and Airflow API behind credentials "
                                "(written to files under the data root, which the app reads)")
    rules = sub.add_parser("rules", help="write (or --check) the Prometheus rule files generated from the catalog",
                           description="write deploy/prometheus/*.rules.yml and the promtool tests from the "
                                       "threshold, signal and SLO declarations of the catalog")
    rules.add_argument("--check", action="store_true", help="do not write; exit 1 if the files are out of date")
    rules.add_argument("--out", help="folder to write (default deploy/prometheus)")
    rules.add_argument("--platform", action="store_true",
                       help="write only the rule files, in this platform's names (DATAOPS_CLUSTER_LABEL, "
                            "DATAOPS_CRITICAL_SERVICES), to --out")
    from .exporters import add_parser as add_exporter_parser
    add_exporter_parser(sub)
    doctor = sub.add_parser("doctor", help="check the data source: exporters found and in which form, metrics "
                                           "each page needs and lacks; exit 1 if a required exporter is missing",
                            description="print the exporter and coverage table of DATAOPS_PROMETHEUS_URL (or --url)")
    doctor.add_argument("--url", help="Prometheus/Thanos base URL (default DATAOPS_PROMETHEUS_URL)")
    from .grafana.commands import add_parsers as add_grafana_parsers
    add_grafana_parsers(sub)
    return parser


def _apply_args(settings: Settings, args) -> Settings:
    changes = {}
    if args.host:
        changes["host"] = args.host
    if args.port:
        if not 1 <= args.port <= 65535:
            raise SettingsError(f"--port must be between 1 and 65535, got {args.port}")
        changes["port"] = args.port
    if getattr(args, "scale", None):
        changes["demo_scale"] = args.scale
    if getattr(args, "data_root", None):
        changes["demo_data_root"] = args.data_root
    return dataclasses.replace(settings, **changes)


def _serve_gunicorn(settings: Settings, workers: int, threads: int) -> None:
    from . import server
    from .app import create_app

    server.run(settings, lambda: create_app(settings).server, workers, threads)


def _demo(settings: Settings, seed: int, workers: int = 1, threads: int = 8, credentials: bool = False) -> None:
    import atexit

    from . import server
    from .app import create_app
    from .demo.platform import SCALES, DemoPlatform

    if settings.demo_scale not in SCALES:
        raise SettingsError(f"unknown demo scale {settings.demo_scale!r}; choose one of {', '.join(SCALES)}")
    started = time.perf_counter()
    platform = DemoPlatform(pathlib.Path(settings.demo_data_root), scale=settings.demo_scale, seed=seed,
                            rule_files=_rule_files(), credentials=credentials,
                            progress=lambda text: print("  " + text, flush=True))
    print(f"Starting the demo platform (scale {settings.demo_scale}) ...", flush=True)
    url = platform.start()
    stats = platform.stats
    print(f"Demo Prometheus at {url}: {stats.get('series')} series, {stats.get('samples')} samples, "
          f"{'reused' if stats.get('reused') else 'generated'} in {time.perf_counter() - started:.1f}s", flush=True)
    settings = settings.with_prometheus(url)
    settings = dataclasses.replace(settings, spark_history_url=settings.spark_history_url or platform.spark_history_url,
                                   airflow_api_url=settings.airflow_api_url or platform.airflow_api_url)
    if platform.credentials is not None:
        settings = dataclasses.replace(settings, source_credentials=tuple(
            {**dict(settings.source_credentials), **platform.credentials.for_app()}.items()))
    if "DATAOPS_LOG_FORMAT" not in os.environ:
        settings = dataclasses.replace(settings, log_format="text")  # a person reads the demo's terminal
    print(f"DataOps Monitor on http://{settings.host}:{settings.port}/  (Ctrl-C stops everything)", flush=True)
    owner = os.getpid()
    # Ctrl-C must stop everything even when the shell started us with SIGINT ignored (`make demo &`);
    # gunicorn's master takes SIGINT and SIGTERM over from here and exits through the `finally`.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        # Same production server as `serve`; workers fork from here and must leave the platform alone.
        server.run(settings, lambda: create_app(settings).server, workers, threads,
                   on_fork=lambda: atexit.unregister(platform.stop))
    finally:
        if os.getpid() == owner:
            platform.stop()


def _rule_files() -> list[pathlib.Path]:
    folder = pathlib.Path(__file__).resolve().parent.parent / "deploy" / "prometheus"
    return sorted(p for p in folder.glob("*.rules.yml")) if folder.is_dir() else []


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command == "rules":
        from .rules import main as rules_main
        return rules_main((["--check"] if args.check else []) + (["--platform"] if args.platform else [])
                          + (["--out", args.out] if args.out else []))
    if args.command in ("import-grafana", "export-grafana"):
        from .grafana.commands import export_main, import_main
        return import_main(args) if args.command == "import-grafana" else export_main(args)
    try:
        if args.command == "exporter":
            from .exporters import run as run_exporter
            return run_exporter(args)
        if args.command == "doctor":
            from .datasources import doctor
            settings = load_settings()
            return doctor(settings.with_prometheus(args.url) if args.url else settings)
        settings = _apply_args(load_settings(), args)
        from .telemetry import configure_logging
        configure_logging("text" if args.command == "demo" and "DATAOPS_LOG_FORMAT" not in os.environ
                          else settings.log_format)
        if args.command == "serve":
            if not settings.prometheus_url:
                raise SettingsError("DATAOPS_PROMETHEUS_URL is not set; `dataops-monitor demo` runs the demo platform")
            _serve_gunicorn(settings, args.workers, args.threads)
        else:
            _demo(settings, args.seed, args.workers, args.threads, args.credentials)
    except SettingsError as exc:
        print(f"dataops-monitor: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
