"""The exporters the design needs and nobody ships (``docs/metric-contract.md``): ``iceberg``,
``bitbucket`` and ``journey``, each run as ``dataops-monitor exporter <name>``.

:func:`add_parser` adds the ``exporter`` command to the app's argument parser; :func:`run` runs the
chosen exporter until SIGINT/SIGTERM.
"""
from __future__ import annotations

import dataclasses
import os

from ..settings import SettingsError

__all__ = ["add_parser", "run", "EXPORTERS"]

#: name -> (help text, default port)
EXPORTERS = {
    "iceberg": ("Iceberg table metrics from a pyiceberg catalog (PYICEBERG_CATALOG__<NAME>__* or .pyiceberg.yaml)",
                9560),
    "bitbucket": ("commits per branch and pull requests from the Bitbucket Server / Data Center REST API", 9561),
    "journey": ("each change's time per stage: Bitbucket -> Jenkins -> Argo CD -> pods ready, and "
                "Airflow -> Spark -> Iceberg", 9562),
}


def add_parser(sub) -> None:
    """Add ``exporter iceberg|bitbucket|journey`` to the ``dataops-monitor`` subcommands ``sub``."""
    exp = sub.add_parser("exporter", help="run one of the project's exporters (iceberg, bitbucket, journey)",
                         description="Run an exporter of the metric contract (docs/metric-contract.md). Each serves "
                                     "/metrics, /healthz and /readyz; settings come from DATAOPS_* variables "
                                     "(README), flags override them.")
    kinds = exp.add_subparsers(dest="exporter", required=True)
    for name, (text, port) in EXPORTERS.items():
        p = kinds.add_parser(name, help=text, description=text)
        p.add_argument("--host", help="listen address (default 127.0.0.1, or DATAOPS_EXPORTER_HOST)")
        p.add_argument("--port", type=int, help=f"listen port (default {port}, or DATAOPS_{name.upper()}_PORT)")
        p.add_argument("--refresh", type=float, help=f"seconds between refreshes (or DATAOPS_{name.upper()}_REFRESH)")
        p.add_argument("--once", action="store_true", help="refresh once, print the exposition and exit "
                                                            "(exit 1 when the source was unreachable)")
        if name == "iceberg":
            p.add_argument("--catalog", help="pyiceberg catalog name (default 'default', or DATAOPS_ICEBERG_CATALOG)")
            p.add_argument("--small-file-bytes", type=int,
                           help="data files below this size are small (default 33554432 = 32 MiB, or "
                                "DATAOPS_ICEBERG_SMALL_FILE_BYTES)")


def _overrides(args) -> dict:
    out = {}
    if args.host:
        out["host"] = args.host
    if args.port is not None:
        if not 1 <= args.port <= 65535:
            raise SettingsError(f"--port must be between 1 and 65535, got {args.port}")
        out["port"] = args.port
    if args.refresh is not None:
        if not 1 <= args.refresh <= 86400:
            raise SettingsError(f"--refresh must be between 1 and 86400 seconds, got {args.refresh}")
        out["refresh_seconds"] = args.refresh
    return out


def build(name: str, args, env=None):
    """The exporter ``name`` with its settings from ``env`` (default os.environ) and ``args``."""
    env = os.environ if env is None else env
    changes = _overrides(args)
    if name == "iceberg":
        from . import iceberg
        settings = iceberg.load_iceberg_settings(env)
        if args.catalog:
            changes["catalog"] = iceberg._catalog_name("--catalog", args.catalog)
        if args.small_file_bytes is not None:
            if args.small_file_bytes < 1:
                raise SettingsError("--small-file-bytes must be positive")
            changes["small_file_bytes"] = args.small_file_bytes
        return iceberg.build(dataclasses.replace(settings, **changes))
    if name == "bitbucket":
        from . import bitbucket
        return bitbucket.build(dataclasses.replace(bitbucket.load_bitbucket_settings(env), **changes))
    from . import journey
    return journey.build(dataclasses.replace(journey.load_journey_settings(env), **changes))


def run(args) -> int:
    """Run the exporter chosen on the command line; SettingsError propagates to the CLI."""
    from .base import serve
    exporter = build(args.exporter, args)
    if args.once:
        ok = exporter.run_once()
        print(exporter.exposition().decode(), end="")
        return 0 if ok else 1
    return serve(exporter, exporter.settings.host, exporter.settings.port)
