"""A page's layout and its panel callbacks resolve one view (one "now"), unless refreshing."""
import time

from components.page_builders import PIN_SECONDS, pinned_now


def test_a_page_and_its_panels_resolve_one_view():
    now = time.time() - 30
    assert pinned_now({"now": now}) == now
    for stale in (time.time() - PIN_SECONDS - 60, time.time() + 3600, "1", True, None):
        assert pinned_now({"now": stale}) is None
    assert pinned_now("not a store") is None
