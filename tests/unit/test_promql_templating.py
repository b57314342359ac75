"""Escaping and templating: hostile values only ever land inside string literals."""
import promql_parser
import pytest

from webapp.promql import TemplateError, matcher, regex_escape, render, string_literal, template_variables

HOSTILE = [
    'a"} or vector(1) #',
    'x\\"} or vector(1)',
    "line\nbreak",
    "tab\tand\x07bell",
    "emoji 😀 and é",
    ".*",
    "a|b",
    "(unclosed",
    "back\\slash",
    "}{",
    "$namespace",
    "#comment",
]


def _selector_values(query: str) -> list[tuple[str, str, str]]:
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            for m in node.matchers.matchers:
                found.append((m.name, str(m.op), m.value))
    promql_parser.walk(promql_parser.parse(query), visit)
    return found


@pytest.mark.parametrize("value", HOSTILE)
def test_single_value_round_trips_as_one_equality_matcher(value):
    query = render('up{job="x", $namespace}', {"namespace": ("namespace", [value])}, 3600, 60)
    matchers = _selector_values(query)
    assert ("namespace", "MatchOp.Equal", value) in matchers
    assert len(matchers) == 2  # nothing was added: no `or`, no comment swallowed the rest


@pytest.mark.parametrize("value", HOSTILE)
def test_multi_value_regex_matches_only_the_literals(value):
    import re
    query = render("up{$namespace}", {"namespace": ("namespace", [value, "other"])}, 3600, 60)
    (name, op, regex), = _selector_values(query)
    assert (name, op) == ("namespace", "MatchOp.Re")
    # RE2 and Python agree on this escaped subset: the regex matches the values and nothing else.
    assert re.fullmatch(regex, value) and re.fullmatch(regex, "other")
    assert not re.fullmatch(regex, value + "x")
    assert not re.fullmatch(regex, "anything-else")


def test_all_drops_matcher_and_tidies_commas():
    query = render('x{a="1", $cluster, $namespace}', {"cluster": ("cluster", []), "namespace": ("namespace", [])},
                   3600, 60)
    assert query == 'x{a="1"}'
    query = render("x{$cluster, $namespace}", {"cluster": ("cluster", []), "namespace": ("namespace", ["n"])}, 60, 15)
    assert query == 'x{namespace="n"}'


def test_values_containing_commas_and_braces_are_not_tidied():
    query = render("x{$cluster, $namespace}", {"cluster": ("cluster", []), "namespace": ("namespace", [",}"])}, 60, 15)
    assert _selector_values(query) == [("namespace", "MatchOp.Equal", ",}")]


def test_label_override_syntax():
    query = render("argocd_app_info{$namespace:dest_namespace}", {"namespace": ("namespace", ["spark"])}, 60, 15)
    assert query == 'argocd_app_info{dest_namespace="spark"}'


def test_builtin_durations():
    query = render("increase(x[$__range]) + rate(y[$__rate_interval]) + max_over_time(z[$__interval:]) * 0 + $__range_s",
                   {}, 6 * 3600, 60)
    assert "[6h]" in query and "[75s]" in query and "[1m:]" in query and "+ 21600" in query


def test_empty_value_and_bad_label_are_rejected():
    with pytest.raises(TemplateError):
        matcher("namespace", [""])
    with pytest.raises(TemplateError):
        matcher('bad"label', ["x"])
    with pytest.raises(TemplateError):
        render("x{$unknown}", {}, 60, 15)


def test_string_literal_keeps_non_bmp_characters():
    assert string_literal("😀") == '"😀"'
    assert regex_escape("a.b*c") == "a\\.b\\*c"


def test_template_variables():
    assert template_variables("x{$cluster, $namespace:dest_namespace}[$__range]") == {"cluster", "namespace"}
