"""Level 2: one page per entity dashboard of the catalog (/gitops/jenkins/<job>, /capacity/node/<node>, ...)."""
import functools

import dash

from components.page_builders import entity_page
from webapp.catalog import level2

# Dash routes to the first template that matches and its `<x>` also matches "/": most specific first.
_ROUTES = [(d, t, i) for d in level2() for i, t in enumerate((d.path_template,) + d.alias_templates)]
for _dashboard, _template, _alias in sorted(_ROUTES, key=lambda r: -r[1].count("/")):
    dash.register_page(f"{__name__}.{_dashboard.id}" + (f".alias{_alias}" if _alias else ""),
                       path_template=_template, name=_dashboard.title,
                       title=f"{_dashboard.title} · DataOps Monitor",
                       layout=functools.partial(entity_page, _dashboard.id, _template),
                       order=20 - _template.count("/"))
