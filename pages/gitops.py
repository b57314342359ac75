"""Level 1.1: GitOps Deployment Pipeline."""
import dash

from components.pages import dashboard_page


def layout(**params):
    return dashboard_page("gitops", **params)


dash.register_page(__name__, path="/gitops", name="GitOps", title="GitOps · DataOps Monitor", layout=layout)
