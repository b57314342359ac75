"""Annotation markers on time series, and legend values (last / max / mean), as plain plotly data.

Markers of one set are one trace: a vertical line per event from the bottom to the top of the plot
(on an invisible 0..1 axis over the panel's own), with the event's text on hover. Being a trace, a
click on its legend entry hides the set, as in Grafana.
"""
from __future__ import annotations

import numpy as np

from webapp.annotations import Event, events

from .format import format_value, safe, wall_epoch_ms
from .palette import STATUS

SET_STYLE = {"deployments": ("Deployments", STATUS["info"]), "alerts": ("Alerts", STATUS["critical"])}
# Past this many markers a set starts hidden (its legend entry shows it): 200 dotted lines over a
# chart hide its series, which is what the reader came for.
SHOWN_MARKERS = 30


def legend_values(values: np.ndarray, calcs: tuple[str, ...], unit: str,
                  value_map: tuple[tuple[float, str], ...] = ()) -> str:
    """`last 95.0% · max 100.0% · mean 97.2%` over the finite values (Grafana's lastNotNull, max, mean,
    min); empty without calcs or values."""
    finite = np.asarray(values, dtype=float)
    finite = finite[~np.isnan(finite)]
    if not calcs or not len(finite):
        return ""
    figures = {"last": float(finite[-1]), "max": float(finite.max()), "mean": float(finite.mean()),
               "min": float(finite.min())}
    return " · ".join(f"{c} {format_value(figures[c], unit, value_map if c != 'mean' else ())}"
                      for c in calcs)


def annotation_traces(outcomes) -> list[dict]:
    """One trace per annotation set with events (deployments, then alerts), on the overlay axis `y2`."""
    by_set: dict[str, list[Event]] = {}
    for item in outcomes:
        for event in events(item):
            by_set.setdefault(event.set, []).append(event)
    traces = []
    for name, (title, colour) in SET_STYLE.items():
        found = sorted(by_set.get(name, ()), key=lambda e: e.at)
        if not found:
            continue
        moments = wall_epoch_ms(np.array([e.at for e in found])).tolist()
        x = [v for at in moments for v in (at, at, None)]   # None: a break between two events' lines
        y = [0.0, 1.0, None] * len(found)
        texts = [t for e in found for t in (safe(e.text), safe(e.text), "")]
        crowded = len(found) > SHOWN_MARKERS
        traces.append({"type": "scatter", "x": x, "y": y, "yaxis": "y2", "mode": "lines+markers",
                       "name": f"{title} ({len(found)}{', click to show' if crowded else ''})",
                       **({"visible": "legendonly"} if crowded else {}),
                       "line": {"color": colour, "width": 1, "dash": "dot"},
                       "marker": {"color": colour, "size": [0, 8, 0] * len(found), "symbol": "triangle-down"},
                       "hovertext": texts, "hoverinfo": "text", "connectgaps": False})
    return traces


ANNOTATION_AXIS = {"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True}
