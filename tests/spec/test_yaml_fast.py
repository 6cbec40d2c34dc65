"""libyaml's fast path reads exactly what ruamel's round-trip reader reads, or declines.

Every spec file of the repository, generated specs and a table of YAML edge cases are read
both ways: where the fast path answers, the values (with their types), the positions of every
key and value (in the same order) must be those of the round-trip reader, and ruamel must not
reject the text."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from benchmarks.specgen import generate
from mlops_spec import yaml_fast
from mlops_spec.errors import SpecError
from mlops_spec.yaml_document import Position, position_at
from mlops_spec.yamlio import Document, _parse_round_trip, parse

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(
    [
        *ROOT.glob("examples/*/mlops.yaml"),
        *ROOT.glob("tests/components/specs/*.yaml"),
        *ROOT.glob("tests/spec/corpus/**/*.yaml"),
    ]
)

_SCALARS = [
    *("010", "0x1F", "0o17", "0b101", "1_000", "+5", "-0", "-5", "0", "7", "1e3", ".5", "1."),
    *("1.5", "-1.5", "+1.5", "1.5e3", ".inf", "-.inf", ".nan", "2024-01-01", "12:30", "1:20"),
    *("2024-1-1 10:00:00", "yes", "no", "on", "off", "y", "True", "TRUE", "tRue", "FALSE"),
    *("null", "Null", "NULL", "nULL", "~", "<<", "=", "==", "<a", "-", ".", "-a", ".a", "0a"),
    *("1.2.3", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m1:1.0.0", "cron(0 3 ? * MON *)"),
    *("s3://x/y/", "arn:aws:s3:::b", "a b", "é", "日本", "🙂x", "a#b", "a # c", "x:y", "'q'"),
    *("'it''s'", '"dq"', '"d: q"', "'1'", "'true'", '""', "''", "!!str 1", "!foo x", "&a 1"),
]
EDGE_CASES = [
    *(
        template.format(v=value)
        for value in _SCALARS
        for template in ("k: {v}\n", "k: [{v}, x]\n", "k: {{a: {v}}}\n", "{v}: x\n", "- {v}\n")
    ),
    *("a: {a:b}\n", "a: [a:b]\n", "a: [http://x, y]\n", "a: {a, b}\n", "? a\n: b\n"),
    *("a:\n- x\n- y\nb: 1\n", "a:\n  b:\n    c: 1\n  d: [1, 2, {e: f}]\n", "---\na: 1\n...\n"),
    *("---\na: 1\n---\nb: 2\n", "a: &x {b: 1}\nc: *x\n", "a: &x [1, {b: 2}]\nc: [*x, *x]\n"),
    *("a: &x {b: &y [1]}\nc: *y\nd: *x\n", "a: &x {b: 1}\nb:\n  <<: *x\n  c: 2\n", "a: *x\n"),
    *("a: &x {b: *x}\n", "a: &x {b: 1}\nc: &x {d: 2}\ne: *x\n", "a: {}\nb: []\n", "a: |\n  l\n"),
    *("a: 'multi\n  line'\n", "a: plain\n  folded\n", "a: >\n  f\n", "a: 1\na: 2\n", "a:\tb\n"),
    *("a: {b: 1, b: 2}\n", "%YAML 1.1\n---\na: yes\n", "a: 1\r\nb: 2\r\n", 'a: "x\\ty"\n'),
    *("- a\n", "scalar\n", "a: b: c\n", "a: [unclosed\n", "a: @x\n", "a:\n\n  b: 1\n", "a:\n"),
    *("a:\n  - b: 1\n    c: 2\n  - d\n", "a:\n- b: 1\n  c: 2\n", "a: [ {b: 1}, [c, d], 'e' ]\n"),
    *("'a b': 1\n\"c\": 2\n", "a: 'x' # c\n", "a:\n  -\n  - x\n", "a: [a,]\n", "a: !!map {b: 1}\n"),
    *("a: x\n...\n---\nb: 1\n", "k" * 1100 + ": 1\n", "a: " + "[" * 40 + "]" * 40 + "\n"),
    *("a: \x00\n", "a: \ufeffx\n", "a: \u00a0x\n", "a:  1  \nb:   'x'   # c\n", "a: - b\n"),
    # a one-pair mapping in a flow sequence, its key quoted and no space after ':' (ruamel
    # refuses what libyaml reads)
    *('tags: ["team":"ml"]\n', 'x: ["b":[1]]\n', 'x: ["x","y":"z"]\n', "x: ['b' :1]\n"),
]


def _typed(value: Any) -> Any:
    """The value with every scalar's type and every mapping's key order (True == 1 in Python)."""
    if isinstance(value, dict):
        return [(key, _typed(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def _assert_same(text: str) -> Document | None:
    fast = yaml_fast.load(text, "spec.yaml")
    if fast is None:
        return None
    try:
        slow = _parse_round_trip(text, "spec.yaml")
    except SpecError as error:  # pragma: no cover - the failure being tested for
        pytest.fail(f"the fast path read what ruamel rejects: {error}")
    assert _typed(fast.data) == _typed(slow.data)
    assert list(fast.values.items()) == list(slow.values.items())
    assert list(fast.keys.items()) == list(slow.keys.items())
    return fast


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT)))
def test_spec_files_read_alike(path: Path) -> None:
    _assert_same(path.read_text(encoding="utf-8-sig"))


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_read_alike_or_decline(text: str) -> None:
    _assert_same(text)


@pytest.mark.parametrize("models", [1, 7, 50])
def test_generated_specs_take_the_fast_path(models: int) -> None:
    assert _assert_same(generate(models)) is not None


def test_the_examples_take_the_fast_path() -> None:
    """Anchors and aliases included (the examples share feature schemas that way)."""
    examples = sorted(ROOT.glob("examples/*/mlops.yaml"))
    assert examples
    for path in examples:
        assert _assert_same(path.read_text()) is not None, path


@pytest.mark.parametrize(
    "text",
    ["a: 1\na: 2\n", "a:\tb\n", "a: &x {b: *x}\n", "a: " + "[" * 40 + "]" * 40 + "\n", "a: !x 1\n"],
)
def test_what_ruamel_must_judge_is_declined(text: str) -> None:
    """Duplicate keys, tabs, recursive aliases, deep nesting, tags: ruamel's errors and rules."""
    assert yaml_fast.load(text, "spec.yaml") is None


def test_parse_falls_back_to_ruamel_for_the_error() -> None:
    with pytest.raises(SpecError) as caught:
        parse("a: 1\na: 2\n", "spec.yaml")
    assert "duplicate key" in caught.value.problems[0].message


def test_position_at_builds_the_same_position_as_the_constructor() -> None:
    """The reader's cheap constructor: equal, same hash and repr, still frozen, and
    ``dataclasses.replace`` still works on what it builds."""
    fast, slow = position_at("spec.yaml", 3, 7), Position("spec.yaml", 3, 7)
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert type(fast) is Position and vars(fast) == vars(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.line = 4  # type: ignore[misc]
    assert dataclasses.replace(fast, layer="overlay:prod") == Position(
        "spec.yaml", 3, 7, "overlay:prod"
    )


_DIRECTIVES = ["%YAML 1.1\na: 1\n", "a: 1\n%TAG ! x\n", "a: '%x'\n", "a: 1 %\n", " %a: 1\n", "%"]


@pytest.mark.parametrize(
    "text", [*EDGE_CASES, *_DIRECTIVES, "a: b\u2028\n", "a: \x85\n", "\ufeffa: 1\n"]
)
def test_the_declined_characters_are_those_of_the_pattern(text: str) -> None:
    """``_declined`` (substring tests) is the regular expression it replaced."""
    pattern = re.compile(r"[\t\r\\\x85\u2028\u2029\ufeff]|^%", re.MULTILINE)
    assert yaml_fast._declined(text) == bool(pattern.search(text))
