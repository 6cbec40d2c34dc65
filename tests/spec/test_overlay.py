"""The overlay merge rules: mappings merge, lists and scalars replace, null unsets.

Properties of ``merge`` and ``resolve_nulls`` on random documents, then the rules end to end
through ``validate_document`` and ``explain`` (defaults < base < preset < overlay; a null in
the file beats the preset; an optional field's null is its "unset" meaning, any other null
restores the field default).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_spec.errors import SpecError
from mlops_spec.explain import explain
from mlops_spec.load import validate_document
from mlops_spec.overlay import merge, resolve_nulls, strip_nulls
from mlops_spec.yamlio import parse

keys = st.sampled_from(["a", "b", "c", "d"])
scalars = st.one_of(st.integers(-3, 3), st.text(max_size=3), st.booleans())
values = st.recursive(
    st.one_of(scalars, st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, max_size=4)


def _old_merge(base: Any, overlay: Any) -> Any:
    """The rule as docs/spec.md states it for one overlay, written independently: nulls of
    the base are dropped first, an overlay null removes the key."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = {k: v for k, v in base.items() if v is not None}
        for key, value in overlay.items():
            if value is None:
                merged.pop(key, None)
            elif key in merged:
                merged[key] = _old_merge(merged[key], value)
            else:
                merged[key] = value
        return _strip(merged)
    return _strip(overlay)


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if v is not None}
    return value


def test_rules_by_example() -> None:
    base = {
        "serving": {"instance_type": "ml.m5.large", "autoscaling": {"min": 1, "max": 4}},
        "emails": ["a@x.io", "b@x.io"],
        "schedule": "rate(1 day)",
    }
    overlay = {"serving": {"autoscaling": {"max": 2}}, "emails": ["c@x.io"], "schedule": None}
    merged = merge(base, overlay)
    assert merged == {
        "serving": {"instance_type": "ml.m5.large", "autoscaling": {"min": 1, "max": 2}},
        "emails": ["c@x.io"],
        "schedule": None,  # kept as "unset here" until resolve_nulls
    }
    assert strip_nulls(merged) == {
        "serving": {"instance_type": "ml.m5.large", "autoscaling": {"min": 1, "max": 2}},
        "emails": ["c@x.io"],
    }


def test_inputs_are_not_modified() -> None:
    base = {"a": {"b": 1}, "n": None}
    overlay = {"a": {"c": 2}, "n": {"x": None}}
    merge(base, overlay)
    merge(base, overlay, lower_nulls_win=True)
    resolve_nulls(merge(base, overlay), lambda loc: False)
    assert base == {"a": {"b": 1}, "n": None} and overlay == {"a": {"c": 2}, "n": {"x": None}}


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents)
def test_an_empty_overlay_changes_nothing(base: dict[str, Any]) -> None:
    assert merge(base, {}) == base
    assert merge({}, base) == base


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents, documents)
def test_overlay_scalars_lists_and_nulls_win(base: dict[str, Any], overlay: dict[str, Any]) -> None:
    merged = merge(base, overlay)
    for key, value in overlay.items():
        if not isinstance(value, dict) or not isinstance(base.get(key), dict):
            assert merged[key] == value


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents, documents)
def test_base_keys_survive_unless_overlaid(base: dict[str, Any], overlay: dict[str, Any]) -> None:
    merged = merge(base, overlay)
    for key, value in base.items():
        if key not in overlay:
            assert merged[key] == value


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents, documents)
def test_a_null_of_the_lower_layer_can_win(base: dict[str, Any], preset: dict[str, Any]) -> None:
    merged = merge(base, preset, lower_nulls_win=True)
    for key, value in base.items():
        if value is None:
            assert merged[key] is None
        elif key in preset and not isinstance(value, dict):
            assert merged[key] == preset[key]


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents, documents)
def test_resolving_nulls_after_merging_is_the_documented_overlay_rule(
    base: dict[str, Any], overlay: dict[str, Any]
) -> None:
    """With no optional fields, merge + resolve_nulls is "base nulls dropped, overlay null
    removes the key" (an independent statement of the rule)."""
    assert strip_nulls(merge(base, overlay)) == _old_merge(base, overlay)


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents)
def test_resolve_nulls_keeps_nullable_fields_and_reports_every_null(doc: dict[str, Any]) -> None:
    nullable = {("a",), ("b", "c")}
    resolved, nulled = resolve_nulls(doc, lambda loc: loc in nullable)

    def paths(value: Any, loc: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if not isinstance(value, dict):
            return []
        found = []
        for key, child in value.items():
            found += [(*loc, key)] if child is None else paths(child, (*loc, key))
        return found

    assert sorted(nulled, key=str) == sorted(paths(doc), key=str)
    assert paths(resolved) == [p for p in paths(doc) if p in nullable]


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents)
def test_merging_a_document_onto_itself_is_idempotent(doc: dict[str, Any]) -> None:
    assert merge(doc, doc) == doc


@settings(deadline=None)  # timing is not under test; the machine is shared
@given(documents, documents, documents)
def test_overlays_on_disjoint_keys_commute(a: dict, b: dict, c: dict) -> None:
    c = {k: v for k, v in c.items() if k not in b}
    assert merge(merge(a, b), c) == merge(merge(a, c), b)


# -- end to end: what a null means in a spec -----------------------------------------------

SPEC = """\
spec_version: 1
system: {{id: shop, owner: team@example.com, region: eu-west-1, bucket_namespace: acme}}
notifications: {{emails: [oncall@example.com]}}
data_sources:
  events: {{features: {{amount: numeric, country: categorical}}, label: fraud}}
models:
  fraud:
    training:
      image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:1
      inputs: [events]
      schedule: rate(7 days)
{training}
    serving:
      tier: realtime
      instance_type: ml.c5.large
      autoscaling: {{min_instances: 2, max_instances: 4}}
{serving}
    monitors:
      p99: {{type: latency, threshold_ms: 200, action: rollback}}
      errors: {{type: error_rate, threshold_percent: 1, action: rollback}}
environments:
  dev:
    mode: development
{dev}
  prod: {{mode: production}}
"""


def _load(training: str = "", serving: str = "", dev: str = "", stack: str = "dev") -> Any:
    text = SPEC.format(training=training, serving=serving, dev=dev)
    return validate_document(parse(text, "spec.yaml"), stack).stacks[stack]


def _origin(resolution: Any, path: str) -> Any:
    (origin,) = explain(resolution, path)
    return origin


def test_a_base_null_restores_the_field_default_not_the_base_value() -> None:
    stack = _load(serving="      rollout: {bake_minutes: null, traffic_percent: 50}", stack="prod")
    rollout = stack.spec.spec.models["fraud"].serving.rollout
    assert (rollout.bake_minutes, rollout.traffic_percent) == (10, 50)  # 10: the field default
    origin = _origin(stack, "models.fraud.serving.rollout.bake_minutes")
    assert origin.source == "default" and origin.unset_by.line == 17
    assert "restored by null in base (spec.yaml:17)" in origin.describe()


def test_a_base_null_beats_the_development_preset() -> None:
    # the development preset pins autoscaling to 1..1; the file's null restores the default 2
    stack = _load(dev="    models: {fraud: {serving: {autoscaling: {max_instances: null}}}}")
    scaling = stack.spec.spec.models["fraud"].serving.autoscaling
    assert (scaling.min_instances, scaling.max_instances) == (1, 2)
    assert _origin(stack, "models.fraud.serving.autoscaling.min_instances").source == (
        "preset:development"
    )
    maximum = _origin(stack, "models.fraud.serving.autoscaling.max_instances")
    assert maximum.source == "default" and maximum.unset_by.layer == "overlay:dev"


def test_a_null_in_the_base_beats_the_preset_too() -> None:
    base_null = "      autoscaling: {min_instances: 2, max_instances: null}"
    text = SPEC.format(training="", serving="", dev="").replace(
        "      autoscaling: {min_instances: 2, max_instances: 4}", base_null
    )
    stack = validate_document(parse(text, "spec.yaml"), "dev").stacks["dev"]
    scaling = stack.spec.spec.models["fraud"].serving.autoscaling
    assert (scaling.min_instances, scaling.max_instances) == (1, 2)  # preset min, default max


def test_an_optional_field_set_to_null_is_unset() -> None:
    stack = _load(dev="    models: {fraud: {training: {schedule: null}}}")
    assert stack.spec.spec.models["fraud"].training.schedule is None
    origin = _origin(stack, "models.fraud.training.schedule")
    assert (origin.value, origin.source, origin.line) == (None, "overlay:dev", 24)


def test_an_optional_field_whose_default_is_not_null_can_be_unset() -> None:
    """`training.instance_type` defaults to ml.m5.xlarge; null unsets it (kubernetes
    training needs none, SageMaker training says why it needs one)."""
    kubernetes = "      platform: kubernetes\n      cpu: 2.0\n      memory_gib: 4.0\n"
    text = SPEC.format(training=kubernetes + "      instance_type: null", serving="", dev="")
    document = parse(text, "spec.yaml")
    with pytest.raises(SpecError, match="a cluster trains only on a stack with system"):
        validate_document(document)  # an aws stack cannot train it: one verdict
    with pytest.raises(SpecError) as caught:
        _load(training="      instance_type: null")
    (problem,) = caught.value.problems
    assert problem.path == "models.fraud.training"
    assert "`instance_type: null` unsets it" in problem.message


def test_null_removes_an_entry_of_a_mapping_of_ids() -> None:
    stack = _load(dev="    models: {fraud: {monitors: {errors: null}}}")
    assert set(stack.spec.spec.models["fraud"].monitors) == {"p99"}


def test_null_serving_means_not_served_in_that_stack() -> None:
    stack = _load(dev="    models: {fraud: {serving: null, monitors: null}}")
    model = stack.spec.spec.models["fraud"]
    assert model.serving is None and model.monitors == {}


def test_null_unsets_keys_of_the_other_tier_when_an_overlay_switches_tier() -> None:
    switch = (
        "    models: {fraud: {serving: {tier: serverless, instance_type: null, "
        "autoscaling: null}, monitors: {p99: {action: notify}, errors: {action: notify}}}}"
    )
    stack = _load(dev=switch)
    assert stack.spec.spec.models["fraud"].serving.tier == "serverless"


def test_a_required_key_set_to_null_is_missing_and_says_why() -> None:
    with pytest.raises(SpecError) as caught:
        _load(dev="    models: {fraud: {training: {image: null}}}")
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("models.fraud.training.image", 24)
    assert problem.message == "required key 'image' is missing"
    assert problem.hint == "`null` unsets it, and this key has no default: give it a value"
