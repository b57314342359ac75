"""Drill-down links: a catalog Link filled from labels (or a REST row's values), carrying the view.

One place for every renderer (charts, tables, REST rows, tiles): a link is shown only when a
registered page serves its path and every value it needs is there.
"""
from __future__ import annotations

from webapp.catalog.model import Link
from webapp.viewstate import entity_path


def link_href(link: Link | None, labels: dict[str, str], query_string: str) -> str | None:
    """A catalog Link filled from a series' labels, carrying the view; None when the link is unset, its
    page is not registered or a label it needs is missing."""
    if link is None or not link_target_registered(link.path.partition("?")[0]):
        return None
    parts = [p[1:-1] for p in _placeholders(link.path)]
    if not all(labels.get(part) for part in parts):
        return None
    path = entity_path(link.path, {part: labels[part] for part in parts})
    if "?" in path:  # the link sets some parameters itself (file dashboards): the view's fill the rest
        return _merge_query(path, query_string)
    return with_query(path, query_string)


def _merge_query(path: str, query_string: str) -> str:
    """`path?own` plus the view's parameters that `own` does not set."""
    from urllib.parse import parse_qsl, urlencode
    base, _, own = path.partition("?")
    own_params = parse_qsl(own, keep_blank_values=True)
    taken = {k for k, _ in own_params}
    rest = [(k, v) for k, v in parse_qsl(query_string, keep_blank_values=True) if k not in taken]
    return f"{base}?{urlencode(own_params + rest)}"


def link_target_registered(path: str) -> bool:
    """True when a registered page serves this drill-down path pattern ({x} matches <x>)."""
    import dash
    import re
    pattern = re.sub(r"\{[^}]+\}", "<>", path)
    for page in dash.page_registry.values():
        template = page.get("path_template") or page.get("path")
        if template and re.sub(r"<[^>]+>", "<>", template) == pattern:
            return True
    return False


def _placeholders(path: str) -> list[str]:
    out, i = [], 0
    while (start := path.find("{", i)) >= 0:
        end = path.find("}", start)
        out.append(path[start:end + 1])
        i = end + 1
    return out


def with_query(path: str, query_string: str) -> str:
    """`path?query_string`, or `path` when there is no query."""
    return f"{path}?{query_string}" if query_string else path
