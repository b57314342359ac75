"""Dash's page router as the browser calls it, through Flask's test client (no browser, no server).

The renderer posts `_pages_location.pathname` (percent-encoded as `window.location.pathname` gives
it) and `.search` to `/_dash-update-component`; the answer is the page's component tree as JSON.
"""


def router_client(app):
    """A test client of `app` whose page router is registered (Dash does it on the first request)."""
    client = app.server.test_client()
    client.get("/")
    return client


def route(client, pathname: str, search: str = "") -> dict:
    """The page the router renders for `pathname` + `search`: its component tree as JSON."""
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                       {"id": "_pages_location", "property": "search", "value": search}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.text[:300]
    return answer.get_json()["response"]["_pages_content"]["children"]


def components(tree) -> list[dict]:
    """Every component of a JSON component tree (`{"type", "namespace", "props"}`), depth first."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("props"), dict) and "type" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(tree)
    return found
