"""Stacks whose merged documents are equal share one validated spec and the issues no
stack's settings change (``mlops_spec.checks_shared``): every verdict -- each problem with its
position, stack and text, each note, each stack's plan -- is the one each stack gets checked
on its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.specgen import generate
from mlops_spec import checks_shared
from mlops_spec.checks_shared import Checked, SharedChecks
from mlops_spec.errors import SpecError
from mlops_spec.load import validate_document
from mlops_spec.yamlio import parse, read

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(
    [
        *(ROOT / "tests/spec/corpus").glob("*/*.yaml"),
        *(ROOT / "examples").glob("*/mlops.yaml"),
        *(ROOT / "tests/components/specs").glob("*.yaml"),
    ]
)

TWINS = """\
spec_version: 1
system: {id: twins, owner: team@example.com, region: eu-west-1}
data_sources:
  events:
    bucket: arn:aws:s3:::acme-events
    features: {amount: numeric}
    label: y
models:
  fraud:
    training:
      image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:1.0.0
      inputs: [events]
      holdout: nope
environments:
  dev: {mode: development}
  staging: {mode: production, alarm_actions_enabled: false}
  prod: {mode: production}
"""
"""Two production stacks without overlays (one document) and a development one; no
notification channel (each production stack's own rule) and an unknown holdout (a rule of
the spec alone)."""


class _Unshared(SharedChecks):
    """Every document checked afresh, as before the sharing."""

    def checked(self, data: Any) -> Checked:
        return Checked(data)


def _verdict(document: Any) -> tuple[str, list[str], dict[str, Any]]:
    try:
        validation = validate_document(document)
    except SpecError as error:
        return "\n".join(p.render() + repr(p) for p in error.problems), [], {}
    notes = [note.render() for note in validation.notes]
    plans = {name: repr(r.plan) for name, r in sorted(validation.stacks.items())}
    return "", notes, plans


def _both(document: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    shared = _verdict(document)
    with monkeypatch.context() as patch:
        patch.setattr(checks_shared, "SharedChecks", _Unshared)
        patch.setattr("mlops_spec.load.SharedChecks", _Unshared)
        unshared = _verdict(document)
    return shared, unshared


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_verdict_is_the_unshared_one(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        document = read(path)
    except SpecError:
        return  # unreadable: nothing is validated
    shared, unshared = _both(document, monkeypatch)
    assert shared == unshared


def test_twin_stacks_report_their_problems_each(monkeypatch: pytest.MonkeyPatch) -> None:
    shared, unshared = _both(parse(TWINS, "twins.yaml"), monkeypatch)
    assert shared == unshared
    problems = shared[0].splitlines()
    for stack in ("staging", "prod"):  # each production stack's own rule, at its own line
        assert any("notification channel" in p and f"'{stack}')" in p for p in problems)
    assert any("unknown data source" in p for p in problems)  # the spec's own rule


def test_twin_stacks_share_one_spec_and_plan_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    document = parse(generate(3), "generated.yaml")
    validation = validate_document(document)
    stacks = validation.stacks
    assert stacks["staging"].spec.spec is stacks["prod"].spec.spec  # one validation
    assert stacks["dev"].spec.spec is not stacks["prod"].spec.spec  # the preset differs
    shared, unshared = _both(document, monkeypatch)
    assert shared == unshared and shared[2]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ({"a": 1}, {"a": True}),
        ({"a": 1}, {"a": 1.0}),
        ({"a": 0.0}, {"a": -0.0}),
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}),
        ({"m": {"x": [1, 2]}}, {"m": {"x": [True, 2]}}),
    ],
)
def test_documents_equal_but_written_otherwise_are_not_shared(a: Any, b: Any) -> None:
    shared = SharedChecks()
    assert a == b  # Python's equality alone would share them
    assert shared.checked(a) is not shared.checked(b)
    assert shared.checked(dict(a)) is shared.checked(a)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, -0.0, 1.0, 1.5, float("nan"), float("inf")]),
    st.sampled_from(["", "1", "a", "é"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from("abc"), inner, max_size=3)
    ),
    max_leaves=10,
)


def _rebuilt(value: Any, flip: int) -> Any:
    """A copy of ``value`` (new containers and numbers), its mappings reversed when ``flip``."""
    if isinstance(value, dict):
        items = [(k, _rebuilt(v, flip)) for k, v in value.items()]
        return dict(reversed(items) if flip else items)
    if isinstance(value, list):
        return [_rebuilt(v, flip) for v in value]
    if type(value) is int:
        return int(str(value))
    if type(value) is float:
        return float(repr(value))
    return value


@given(_values, _values, st.integers(0, 1))
def test_alike_is_written_alike(a: Any, b: Any, flip: int) -> None:
    """``_alike`` is ``repr`` equality (same values, types and key order) on the values a
    spec file holds, for unrelated values and for rebuilt copies."""
    copy = _rebuilt(a, flip)
    for left, right in ((a, b), (a, copy), (copy, a)):
        assert checks_shared._alike(left, right) == (repr(left) == repr(right))
