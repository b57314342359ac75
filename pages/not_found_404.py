"""Unknown paths."""
import dash

from components.page_builders import not_found_page

dash.register_page(__name__, path="/404", title="Not found · DataOps Monitor", layout=lambda **_: not_found_page())
