"""Legend templates (Grafana's `legendFormat`): `{label}` parts filled from a series' labels.

One filler for chart legends, table columns, exports and annotation texts.
"""
from __future__ import annotations


def legend(template: str, labels: dict[str, str], fallback: str = "") -> str:
    """Fill a `{label}` legend template from series labels (missing labels stay empty)."""
    if not template:
        name = fallback or ",".join(f"{k}={v}" for k, v in labels.items() if k != "__name__") or "value"
        return name
    out, i = [], 0
    while i < len(template):
        if template[i] == "{":
            j = template.find("}", i)
            if j > i:
                out.append(labels.get(template[i + 1:j], ""))
                i = j + 1
                continue
        out.append(template[i])
        i += 1
    return "".join(out)
