"""Catalog units as text: large counts keep the SI prefixes the alert texts use."""
import pytest

from components.format import format_value


@pytest.mark.parametrize("value, text", [
    (12_345, "12.3k"), (2_500_000, "2.5M"), (94_509_100_000, "94.5G"), (133_854_500_000_000, "133.9T"),
    (-3_000_000_000, "-3.0G"), (42, "42")])
def test_short_counts_use_si_prefixes_up_to_tera(value, text):
    assert format_value(value, "short") == text
