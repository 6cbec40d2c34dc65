"""The overlay merge rules: mappings merge, lists and scalars replace, null unsets."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mlops_spec.overlay import merge, strip_nulls

keys = st.sampled_from(["a", "b", "c", "d"])
scalars = st.one_of(st.integers(-3, 3), st.text(max_size=3), st.booleans())
values = st.recursive(
    st.one_of(scalars, st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, max_size=4)


def test_rules_by_example() -> None:
    base = {
        "serving": {"instance_type": "ml.m5.large", "autoscaling": {"min": 1, "max": 4}},
        "emails": ["a@x.io", "b@x.io"],
        "schedule": "rate(1 day)",
    }
    overlay = {"serving": {"autoscaling": {"max": 2}}, "emails": ["c@x.io"], "schedule": None}
    assert merge(base, overlay) == {
        "serving": {"instance_type": "ml.m5.large", "autoscaling": {"min": 1, "max": 2}},
        "emails": ["c@x.io"],
    }


def test_inputs_are_not_modified() -> None:
    base = {"a": {"b": 1}}
    overlay = {"a": {"c": 2}}
    merge(base, overlay)
    assert base == {"a": {"b": 1}} and overlay == {"a": {"c": 2}}


@given(documents)
def test_empty_overlay_only_strips_nulls(base: dict[str, Any]) -> None:
    assert merge(base, {}) == strip_nulls(base)


@given(documents, documents)
def test_overlay_scalars_and_lists_win(base: dict[str, Any], overlay: dict[str, Any]) -> None:
    merged = merge(base, overlay)
    for key, value in overlay.items():
        if value is None:
            assert key not in merged
        elif not isinstance(value, dict) or not isinstance(base.get(key), dict):
            assert merged[key] == strip_nulls(value)


@given(documents, documents)
def test_base_keys_survive_unless_unset(base: dict[str, Any], overlay: dict[str, Any]) -> None:
    merged = merge(base, overlay)
    for key, value in base.items():
        if value is not None and key not in overlay:
            assert merged[key] == strip_nulls(value)


@given(documents)
def test_merging_a_document_onto_itself_is_idempotent(doc: dict[str, Any]) -> None:
    clean = strip_nulls(doc)
    assert merge(clean, clean) == clean


@given(documents, documents, documents)
def test_overlays_on_disjoint_keys_commute(a: dict, b: dict, c: dict) -> None:
    c = {k: v for k, v in c.items() if k not in b}
    assert merge(merge(a, b), c) == merge(merge(a, c), b)
