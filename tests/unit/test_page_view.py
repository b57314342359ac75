"""A page's layout and its panel callbacks resolve one view (one "now"), unless refreshing."""
import time

from components.page_builders import PIN_SECONDS, pinned_now


def test_a_page_and_its_panels_resolve_one_view():
    now = time.time() - 30
    assert pinned_now({"now": now}) == now
    for stale in (time.time() - PIN_SECONDS - 60, time.time() + 3600, "1", True, None):
        assert pinned_now({"now": stale}) is None
    assert pinned_now("not a store") is None


def test_a_longer_pin_is_asked_for_by_the_caller():
    """The panel menu's incident link keeps the data on screen of a page open for hours."""
    hours_ago = time.time() - 3 * 3600
    assert pinned_now({"now": hours_ago}) is None
    assert pinned_now({"now": hours_ago}, max_age=86400) == hours_ago
    assert pinned_now({"now": time.time() - 2 * 86400}, max_age=86400) is None
