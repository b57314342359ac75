"""Level 1: one page per dashboard of the catalog (/gitops, /capacity, /workloads, ...)."""
import functools

import dash

from components.page_builders import dashboard_page
from webapp.catalog import level1

for _dashboard in level1():
    dash.register_page(f"{__name__}.{_dashboard.id}", path=_dashboard.path, name=_dashboard.title,
                       title=f"{_dashboard.title} · DataOps Monitor",
                       layout=functools.partial(dashboard_page, _dashboard.id), order=1)
