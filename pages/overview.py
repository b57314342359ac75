"""Level 0: DataOps Platform Overview."""
import dash

from components.page_builders import overview_page

dash.register_page(__name__, path="/", name="Overview", title="DataOps Monitor", layout=overview_page)
