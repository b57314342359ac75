"""`dataops-monitor import-grafana FILE...` and `dataops-monitor export-grafana` (see README)."""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

import yaml

from webapp.dashboards.loader import DashboardFileError

from .exporter import export_all
from .importer import Importer, ImportReport, safe_uid


def add_parsers(sub) -> None:
    """Add both commands to the CLI's subparsers."""
    imp = sub.add_parser("import-grafana", help="convert Grafana dashboard JSON files into dashboard files",
                         description="convert Grafana dashboard JSON (schemaVersion 16+) into this app's dashboard "
                                     "files (YAML), print a coverage report")
    imp.add_argument("files", nargs="+", metavar="FILE", help="Grafana dashboard JSON files")
    imp.add_argument("--out", default="dashboards",
                     help="folder to write <uid>.yaml into (default ./dashboards; point DATAOPS_DASHBOARDS_DIR at it)")
    exp = sub.add_parser("export-grafana", help="write the built-in dashboards as Grafana dashboard JSON",
                         description="write the six built-in dashboards as Grafana dashboard JSON (schemaVersion 39)")
    exp.add_argument("--out", default="grafana-export", help="folder to write <uid>.json into (default ./grafana-export)")


def _read(path: str) -> dict:
    try:
        data = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DashboardFileError(f"{path}: cannot be read as JSON: {str(exc).splitlines()[0][:200]}") from None
    if not isinstance(data, dict):
        raise DashboardFileError(f"{path}: not a Grafana dashboard (a JSON object is expected)")
    return data.get("dashboard") if isinstance(data.get("dashboard"), dict) else data


def print_report(reports: list[ImportReport], out=None) -> None:
    """One line per dashboard, the reasons for unsupported panels, notes, and the total (to `out`, else stdout)."""
    out = sys.stdout if out is None else out  # looked up now: a default would keep the stream of import time
    width = max([len(r.title) for r in reports] + [9])
    print(f"{'dashboard':<{width}}  supported / panels", file=out)
    for r in reports:
        print(f"{r.title:<{width}}  {r.supported:>4} / {r.panels:<4} {100 * r.ratio:5.1f}%  -> /d/{r.uid}", file=out)
    for r in reports:
        for title, why in r.unsupported:
            print(f"  {r.title}: {title!r}: not supported: {why}", file=out)
        for note in dict.fromkeys(r.notes):
            print(f"  {r.title}: note: {note}", file=out)
        if r.units_as_short:
            units = ", ".join(f"{u} x{n}" for u, n in sorted(r.units_as_short.items(), key=lambda kv: -kv[1]))
            print(f"  {r.title}: note: units shown as plain numbers: {units}", file=out)
    panels = sum(r.panels for r in reports)
    supported = sum(r.supported for r in reports)
    print(f"total: {supported} of {panels} panels supported ({100 * supported / max(panels, 1):.1f}%)", file=out)


def import_main(args: argparse.Namespace) -> int:
    try:
        dashboards = [_read(f) for f in args.files]
    except DashboardFileError as exc:
        print(f"dataops-monitor: {exc}", file=sys.stderr)
        return 2
    importer = Importer(safe_uid(d.get("uid"), str(d.get("title") or "")) for d in dashboards)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reports = []
    for path, dashboard in zip(args.files, dashboards):
        try:
            document, report = importer.convert(dashboard)
        except DashboardFileError as exc:
            print(f"dataops-monitor: {path}: {exc}", file=sys.stderr)
            return 2
        (out / f"{document['uid']}.yaml").write_text(
            yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8")
        reports.append(report)
    print_report(reports)
    print(f"wrote {len(reports)} dashboard file(s) to {out}/")
    return 0


def export_main(args: argparse.Namespace) -> int:
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for dashboard in export_all():
        (out / f"{dashboard['uid']}.json").write_text(json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
        print(f"{dashboard['uid']}.json: {dashboard['title']}, "
              f"{sum(1 for p in dashboard['panels'] if p['type'] != 'row')} panels")
    print(f"wrote to {out}/")
    return 0
