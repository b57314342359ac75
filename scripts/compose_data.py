"""Write the demo platform's history where deploy/compose's Prometheus reads it (`make compose-data`).

Starts the demo platform once (a real Prometheus on loopback: generated history backfilled, a few
live scrapes), stops it, and copies its TSDB to deploy/compose/data/tsdb, writable by the
container's user. The history ends now: run it shortly before `docker compose up`.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp.cli import _rule_files  # noqa: E402
from webapp.demo.platform import SCALES, DemoPlatform  # noqa: E402

OUT = ROOT / "deploy" / "compose" / "data" / "tsdb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--data-root", default=str(ROOT / ".demo-data"))
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    platform = DemoPlatform(pathlib.Path(args.data_root), scale=args.scale, seed=42, rule_files=_rule_files())
    platform.start()
    platform.stop()
    shutil.rmtree(args.out, ignore_errors=True)
    shutil.copytree(platform.tsdb, args.out, ignore=shutil.ignore_patterns("lock"))
    # Prometheus' image runs as nobody: the copy must be writable for it (WAL, compaction).
    for folder, dirs, files in os.walk(args.out):
        os.chmod(folder, 0o777)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o666)
    print(f"{args.out}: {sum(f.stat().st_size for f in args.out.rglob('*') if f.is_file()) / 1e6:.0f} MB "
          f"of {args.scale} demo history")
    return 0


if __name__ == "__main__":
    sys.exit(main())
