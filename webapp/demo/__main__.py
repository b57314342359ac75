"""python -m webapp.demo --scale small --data-root .demo-data"""
from __future__ import annotations

import argparse
import json
import pathlib
import signal
import sys
import threading

from .platform import SCALES, DemoPlatform, DemoPlatformError


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m webapp.demo",
                                 description="Start the simulated DataOps platform behind a real Prometheus.")
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    ap.add_argument("--data-root", type=pathlib.Path, default=pathlib.Path(".demo-data"))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--prometheus-port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--exporter-port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--rule-file", type=pathlib.Path, action="append", default=[])
    args = ap.parse_args(argv)
    p = DemoPlatform(args.data_root, scale=args.scale, seed=args.seed, prometheus_port=args.prometheus_port,
                     exporter_port=args.exporter_port, rule_files=args.rule_file)
    try:
        url = p.start()
    except DemoPlatformError as exc:
        print(f"demo platform failed to start: {exc}", file=sys.stderr)
        return 1
    print(url, flush=True)
    print(json.dumps(p.stats, indent=1), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        p.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
