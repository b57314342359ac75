"""Building blocks shared by every simulated component.

A *series* is a pure function ``fn(ts) -> values`` of unix-second timestamps (numpy float64
arrays). ``NaN`` means "no sample at that time" (the series does not exist then). The same
function feeds the backfill file (a whole grid of timestamps) and the live exporter (one
timestamp per scrape), which is what makes history and live data continue seamlessly.

Everything random is derived from a stable 64-bit hash of (seed, identity string, integer index):
no global random state, so any window can be regenerated independently.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np

SeriesFn = Callable[[np.ndarray], np.ndarray]

#: granularity (s) at which counters and jitter change; the live scrape interval
QUANTUM = 15.0
DAY = 86400.0
HOUR = 3600.0

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


def stable_key(*parts: object) -> int:
    """Stable 64-bit key of an identity (independent of PYTHONHASHSEED)."""
    h = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8)
    return int.from_bytes(h.digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def u01(key: int, idx) -> np.ndarray:
    """Deterministic uniform [0, 1) for each integer index (vectorised)."""
    i = np.asarray(idx, dtype=np.int64).astype(np.uint64)
    z = _mix(_mix(i) ^ np.uint64(key & 0xFFFFFFFFFFFFFFFF))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def u1(key: int, idx: int = 0) -> float:
    """Scalar version of :func:`u01`."""
    return float(u01(key, np.array([idx]))[0])


def smooth(key: int, ts: np.ndarray, period: float) -> np.ndarray:
    """Smooth value noise in [-1, 1): interpolates hashed knots every ``period`` seconds."""
    x = ts / period
    k = np.floor(x)
    f = x - k
    f = f * f * (3 - 2 * f)
    a = u01(key, k)
    b = u01(key, k + 1)
    return 2.0 * (a + (b - a) * f) - 1.0


def diurnal(ts: np.ndarray, peak_hour_utc: float = 5.0) -> np.ndarray:
    """Daily wave in [0, 1], 1 at ``peak_hour_utc`` (05 UTC = 14 KST, the portal users' afternoon)."""
    return 0.5 + 0.5 * np.cos(2 * np.pi * (ts / DAY - peak_hour_utc / 24.0))


def working_hours(ts: np.ndarray, tz_hours: float = 9.0) -> np.ndarray:
    """1 during Mon-Fri 09-18 local time (KST by default), 0.15 otherwise (weekend 0.05)."""
    local = ts + tz_hours * HOUR
    hour = (local % DAY) / HOUR
    dow = ((local // DAY) + 3) % 7  # 1970-01-01 was a Thursday -> 0 = Monday
    w = np.where((hour >= 9) & (hour < 18), 1.0, 0.15)
    return np.where(dow >= 5, 0.05, w)


def quantize(ts: np.ndarray) -> np.ndarray:
    return np.floor(ts / QUANTUM) * QUANTUM


def cyclic_counter(key: int, ts: np.ndarray, start: float, rate: float, amp: float = 0.3,
                   peak_hour_utc: float = 5.0) -> np.ndarray:
    """A monotonic counter: integral of ``rate * (1 + amp * cos(daily))`` since ``start`` plus
    bounded jitter, piecewise constant on the 15 s grid. NaN before ``start``.
    """
    w = 2 * np.pi / DAY
    ph = 2 * np.pi * peak_hour_utc / 24.0

    def integral(t):
        return rate * (t + amp / w * np.sin(w * t - ph))

    q = quantize(ts)
    q0 = math.floor(start / QUANTUM) * QUANTUM
    jit = 0.45 * rate * (1 - abs(amp)) * QUANTUM
    val = integral(q) - integral(q0) + jit * (u01(key, q / QUANTUM) - u1(key, int(q0 / QUANTUM)))
    val = np.maximum(val, 0.0)
    return np.where(ts >= start, val, np.nan)


def alive(ts: np.ndarray, start: float, end: float, values) -> np.ndarray:
    """Mask ``values`` to NaN outside [start, end)."""
    v = np.broadcast_to(np.asarray(values, dtype=np.float64), ts.shape)
    return np.where((ts >= start) & (ts < end), v, np.nan)


def const(value: float, start: float = -math.inf, end: float = math.inf) -> SeriesFn:
    return lambda ts: alive(ts, start, end, value)


def count_le(event_times: np.ndarray, ts: np.ndarray) -> np.ndarray:
    """Number of events with time <= t, for each t (event_times sorted)."""
    return np.searchsorted(event_times, ts, side="right").astype(np.float64)


def poisson_events(key: int, t0: float, t1: float, rate_fn: Callable[[np.ndarray], np.ndarray],
                   slot: float = HOUR) -> np.ndarray:
    """Sorted event times in [t0, t1): per ``slot`` an event count drawn from the expected number
    ``rate_fn(slot_start) * slot`` (events/s), at hashed times inside the slot. Slots are absolute
    (aligned to ``slot``), so any window yields the same events."""
    s0 = math.floor(t0 / slot)
    s1 = math.ceil(t1 / slot)
    slots = np.arange(s0, s1, dtype=np.int64)
    if len(slots) == 0:
        return np.zeros(0)
    lam = np.maximum(rate_fn(slots * slot), 0.0) * slot
    u = u01(key, slots)
    # cheap deterministic "Poisson": floor(lam * (0.5 + u)) + bernoulli on the remainder
    scaled = lam * (0.4 + 1.2 * u)
    n = np.floor(scaled) + (u01(key ^ 0x5A5A, slots) < (scaled - np.floor(scaled)))
    n = n.astype(np.int64)
    total = int(n.sum())
    if total == 0:
        return np.zeros(0)
    owner = np.repeat(slots, n)
    j = np.arange(total) - np.repeat(np.cumsum(n) - n, n)
    pos = u01(key ^ 0xA5A5, owner * 4096 + j)
    times = np.sort(owner * slot + pos * slot)
    return times[(times >= t0) & (times < t1)]


# ----------------------------------------------------------------------------- data model

@dataclass
class Series:
    """One series: sample ``name`` (as stored in Prometheus), labels (without job/instance/cluster,
    which come from the scrape target) and its value function."""
    name: str
    labels: dict[str, str]
    fn: SeriesFn


@dataclass
class Family:
    """A metric family as the exporter exposes it. ``type`` is the exposition type
    (counter/gauge/summary/histogram/unknown). For counters ``name`` is the sample name
    *including* ``_total`` when the real exporter has it; counters whose real name has no
    ``_total`` (Go client, simpleclient 0.x) are declared ``unknown`` so the name is kept."""
    name: str
    type: str
    help: str
    series: list[Series] = field(default_factory=list)

    def add(self, labels: dict[str, str], fn: SeriesFn, suffix: str = "") -> None:
        self.series.append(Series(self.name + suffix, labels, fn))


@dataclass(frozen=True)
class Target:
    """One scrape target of the live exporter: ``/metrics/<cluster>/<job>[/<instance>]``."""
    job: str
    cluster: str
    instance: str
    path: str
    component: str = ""
    #: Prometheus' honor_labels for the job: an exporter label named like a target label (cluster, job,
    #: instance) wins when True; when False it is kept as exported_<name> and the target's value wins
    honor_labels: bool = True


TARGET_LABELS = ("cluster", "job", "instance")


def target(job: str, cluster: str, instance: str, per_instance: bool = False, component: str = "",
           honor_labels: bool = True) -> Target:
    path = f"/metrics/{cluster}/{job}" + (f"/{instance}" if per_instance else "")
    return Target(job, cluster, instance, path, component, honor_labels)


def scraped_labels(tgt: Target, labels: dict[str, str]) -> dict[str, str]:
    """The labels Prometheus stores for a series the exporter labels `labels`, scraped from `tgt`
    (the scrape config the demo writes: static cluster/instance labels, honor_labels per target)."""
    own = {"cluster": tgt.cluster, "job": tgt.job, "instance": tgt.instance}
    if tgt.honor_labels:
        return {**own, **labels}
    out = {(f"exported_{k}" if k in own else k): v for k, v in labels.items()}
    return {**out, **own}


class Families:
    """Helper to collect families by name while a component builds its series."""

    def __init__(self) -> None:
        self._by_name: dict[str, Family] = {}

    def __call__(self, name: str, type_: str, help_: str = "") -> Family:
        fam = self._by_name.get(name)
        if fam is None:
            fam = self._by_name[name] = Family(name, type_, help_ or name)
        return fam

    def list(self) -> list[Family]:
        return [f for f in self._by_name.values() if f.series]


# ----------------------------------------------------------------------------- OpenMetrics

def escape_label_value(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def label_str(labels: dict[str, str]) -> str:
    items = [(k, v) for k, v in labels.items() if v != ""]
    if not items:
        return ""
    return "{" + ",".join(f'{k}="{escape_label_value(v)}"' for k, v in items) + "}"


def om_family_name(fam: Family) -> str:
    """Name for the ``# TYPE`` line of the OpenMetrics backfill file."""
    if fam.type == "counter":
        return fam.name[: -len("_total")] if fam.name.endswith("_total") else fam.name
    return fam.name


def om_type(fam: Family) -> str:
    if fam.type == "counter" and not fam.name.endswith("_total"):
        return "unknown"
    return fam.type


def format_values(values: np.ndarray) -> list[str]:
    """Shortest exact text of each value (integers without a decimal point)."""
    out = []
    ints = np.floor(values) == values
    if ints.all() and np.abs(values).max(initial=0) < 1e15:
        return [str(v) for v in values.astype(np.int64).tolist()]
    for v, is_int in zip(values.tolist(), ints.tolist()):
        out.append(str(int(v)) if is_int and abs(v) < 1e15 else repr(v))
    return out


def round_significant(values, digits: int = 9) -> np.ndarray:
    """Round to `digits` significant digits. The backfill and the live exporter both apply it, so a
    counter's live value never lands a hair below its backfilled value (which would read as a reset),
    and tiny prices ($/GiB-hour) keep their precision."""
    v = np.array(values, dtype=np.float64, copy=True, ndmin=1)
    nz = np.isfinite(v) & (v != 0)
    if nz.any():
        scale = 10.0 ** (digits - 1 - np.floor(np.log10(np.abs(v[nz]))))
        v[nz] = np.round(v[nz] * scale) / scale
    return v


def write_openmetrics(fh, families_by_target: Iterable[tuple[Target, list[Family]]], ts: np.ndarray,
                      digits: int = 9) -> tuple[int, int]:
    """Write families (grouped per target) as OpenMetrics text. Returns (series, samples).
    ``ts`` is the sorted grid of timestamps (seconds). Families with the same name coming from
    several targets are merged under one ``# TYPE`` line (OpenMetrics forbids repeating it)."""
    ts_str = [f" {int(t)}\n" for t in ts]
    # merge per family name, keep first-seen order
    merged: dict[str, tuple[Family, list[tuple[Target, Series]]]] = {}
    for tgt, fams in families_by_target:
        for fam in fams:
            entry = merged.get(fam.name)
            if entry is None:
                entry = merged[fam.name] = (fam, [])
            entry[1].extend((tgt, s) for s in fam.series)
    n_series = n_samples = 0
    for name, (fam, items) in merged.items():
        fh.write(f"# TYPE {om_family_name(fam)} {om_type(fam)}\n")
        # sort series within the family by their label text (stable, deterministic)
        rows = []
        for tgt, s in items:
            labels = scraped_labels(tgt, s.labels)
            rows.append((s.name + label_str(dict(sorted(labels.items()))), s))
        rows.sort(key=lambda r: r[0])
        for prefix, s in rows:
            vals = np.asarray(s.fn(ts), dtype=np.float64)
            mask = ~np.isnan(vals)
            if not mask.any():
                continue
            idx = np.nonzero(mask)[0]
            v = round_significant(vals[idx], digits)
            pre = prefix + " "
            fh.write("".join([pre + a + ts_str[i] for a, i in zip(format_values(v), idx.tolist())]))
            n_series += 1
            n_samples += len(idx)
    fh.write("# EOF\n")
    return n_series, n_samples


def grid(t0: float, t1: float, step: float) -> np.ndarray:
    """Timestamps k*step in [t0, t1] (aligned to absolute multiples of step)."""
    a = math.ceil(t0 / step) * step
    if a > t1:
        return np.zeros(0)
    return np.arange(a, t1 + 1e-9, step, dtype=np.float64)


def pick(seq: Sequence, key: int, idx: int = 0):
    return seq[int(u1(key, idx) * len(seq))]


K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def k8s_suffix(key: int, n: int) -> str:
    """Kubernetes-style random name suffix (``SafeEncodeString`` alphabet)."""
    us = u01(key, np.arange(n))
    return "".join(K8S_ALPHABET[int(u * len(K8S_ALPHABET))] for u in us)
