"""Level 2: one page per entity dashboard of the catalog (/gitops/jenkins/<job>, /capacity/node/<node>, ...)."""
import functools

import dash

from components.pages import entity_page
from webapp.catalog import level2

# Dash routes to the first template that matches and its `<x>` also matches "/": most specific first.
for _dashboard in sorted(level2(), key=lambda d: -d.path_template.count("/")):
    dash.register_page(f"{__name__}.{_dashboard.id}", path_template=_dashboard.path_template,
                       name=_dashboard.title, title=f"{_dashboard.title} · DataOps Monitor",
                       layout=functools.partial(entity_page, _dashboard.id),
                       order=20 - _dashboard.path_template.count("/"))
