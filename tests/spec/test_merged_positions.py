"""``MergedPositions`` (one stack's positions, looked up path by path) answers exactly what
the eager ``merge_positions`` of the base and the rerooted overlay holds, for every path the
file writes, every path of the stack's merged document, and paths neither holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlops_spec.enums import Mode
from mlops_spec.errors import SpecError
from mlops_spec.load import OVERLAY_SECTIONS
from mlops_spec.overlay import MergedPositions, merge, merge_positions, reroot
from mlops_spec.presets import preset_layer
from mlops_spec.yamlio import Loc, Position, parse, read

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted(
    [
        *(ROOT / "tests/spec/corpus").glob("*/*.yaml"),
        *(ROOT / "examples").glob("*/mlops.yaml"),
        *(ROOT / "tests/components/specs").glob("*.yaml"),
    ]
)

ADVERSARIAL = """\
spec_version: 1
mode: production
system: {id: s, owner: o@example.com, region: eu-west-1}
models:
  a:
    training: {inputs: [x, y], image: i}
    monitors: {m: {type: latency}}
  b: {training: {inputs: [x]}}
environments:
  dev: {mode: development}
  prod:
    mode: production
    region: us-east-1
    models:
      a:
        training: {inputs: [z]}
        monitors: null
      b: null
      c: {serving: {tier: batch}}
    environments: {x: 1}
  empty:
"""


def _paths(value: Any, loc: Loc = ()) -> Iterator[Loc]:
    yield loc
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*loc, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*loc, index))


def _stacks(data: Any) -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(stack, overlay sections, merged document) as ``load._resolve_data`` builds them."""
    environments = data.get("environments") if isinstance(data, dict) else None
    if not isinstance(environments, dict):
        return
    base = {k: v for k, v in data.items() if k != "environments"}
    for stack, raw in environments.items():
        overlay = raw if isinstance(raw, dict) else {}
        overlay = {k: v for k, v in overlay.items() if k in OVERLAY_SECTIONS}
        for mode in (Mode.DEVELOPMENT, Mode.PRODUCTION):
            preset = preset_layer(merge(base, overlay), mode)
            merged = merge(merge(base, preset, lower_nulls_win=True), overlay)
            yield stack, overlay, merged


def _check(source: dict[Loc, Position], data: Any) -> int:
    checked = 0
    for stack, overlay, merged in _stacks(data):
        prefix: Loc = ("environments", stack)
        layer = f"overlay:{stack}"
        base = {k: v for k, v in source.items() if k[:1] != ("environments",)}
        eager = merge_positions(base, overlay, reroot(source, prefix, layer), merged)
        lazy = MergedPositions(source, prefix, layer, overlay, merged)
        asked = {*eager, *source, *_paths(merged), *_paths(overlay), ("nope",), ("models", 99)}
        asked |= {loc[2:] for loc in source if loc[:2] == prefix}
        asked |= {(*loc, "x") for loc in eager}
        for loc in asked:
            assert lazy.get(loc) == eager.get(loc), (stack, loc)
            assert (loc in lazy) == (loc in eager), (stack, loc)
        assert list(lazy.items()) == list(eager.items())  # same order when iterated
        assert len(lazy) == len(eager)
        checked += len(asked)
    return checked


@pytest.mark.parametrize("path", SPECS, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_lazy_positions_equal_the_eager_merge(path: Path) -> None:
    try:
        document = read(path)
    except SpecError:
        return  # unreadable files (too deep, bad YAML) have no stacks to validate
    _check(document.values, document.data)
    _check(document.keys, document.data)


def test_lazy_positions_on_overlays_that_unset_replace_and_add() -> None:
    document = parse(ADVERSARIAL, "adversarial.yaml")
    assert _check(document.values, document.data) > 100
    assert _check(document.keys, document.data) > 100
    overlay, merged = next((o, m) for s, o, m in _stacks(document.data) if s == "prod")
    lazy = MergedPositions(
        document.values, ("environments", "prod"), "overlay:prod", overlay, merged
    )
    assert lazy[("models", "a", "training", "inputs", 0)].layer == "overlay:prod"
    assert lazy[("models", "a", "training", "image")].layer == "base"  # not overlaid
    assert ("models", "a", "training", "inputs", 1) not in lazy  # the overlay's list replaced it
    assert ("models", "b", "training") not in lazy  # unset by the overlay's null
