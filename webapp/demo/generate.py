"""Backfill generation: evaluate every target's series on a time grid and write OpenMetrics text
for ``promtool tsdb create-blocks-from openmetrics``."""
from __future__ import annotations

import pathlib
import time

import numpy as np

from .components import Component, all_components
from .core import Family, Target, grid, write_openmetrics
from .world import World

def _source_fingerprint() -> str:
    """A short hash of the demo platform's own source: any change to a generator makes new data."""
    import hashlib
    import pathlib
    digest = hashlib.sha256()
    root = pathlib.Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


#: part of the data folder key: generated history is reused only by the exact same generator code
GENERATOR_VERSION = _source_fingerprint()


def up_family(comp: Component, world: World, tgt: Target) -> Family:
    fam = Family("up", "gauge", "target up")
    fn = comp.up(world, tgt) or (lambda ts: np.ones(ts.shape))
    fam.add({}, fn)
    return fam


def collect(world: World, t0: float, t1: float, components: list[Component] | None = None,
            part: tuple[int, int] = (0, 1)):
    """Yield (target, families) for every target, families covering [t0, t1], ``up`` included.
    ``part=(i, n)``: only the i-th of n shares (targets dealt round-robin within each job)."""
    rank: dict[str, int] = {}
    for comp in components or all_components():
        for tgt in comp.targets(world):
            r = rank[tgt.job] = rank.get(tgt.job, -1) + 1
            if r % part[1] != part[0]:
                continue
            yield tgt, [up_family(comp, world, tgt)] + comp.families(world, tgt, t0, t1)


def write_backfill(path: pathlib.Path, world: World, t0: float, t1: float, step: float,
                   components: list[Component] | None = None, part: tuple[int, int] = (0, 1)) -> dict:
    """Write the OpenMetrics file for the grid in [t0, t1]; returns series/samples/seconds."""
    started = time.monotonic()
    ts = grid(t0, t1, step)
    with open(path, "w", encoding="utf-8", buffering=1 << 22) as fh:
        n_series, n_samples = write_openmetrics(fh, collect(world, float(ts[0]) if len(ts) else t0,
                                                            float(ts[-1]) if len(ts) else t1, components, part), ts)
    return {"series": n_series, "samples": n_samples, "seconds": time.monotonic() - started,
            "start": float(ts[0]) if len(ts) else None, "end": float(ts[-1]) if len(ts) else None}
