"""Walking a Dash component tree in tests (layouts and callback outputs are plain component objects)."""


def walk(node):
    """`node` and every component below it, depth first; strings and numbers are skipped."""
    yield node
    children = getattr(node, "children", None)
    if children is None:
        return
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if child is not None and not isinstance(child, (str, int, float)):
            yield from walk(child)
