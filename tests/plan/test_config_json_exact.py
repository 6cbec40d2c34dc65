"""The runtime configs' ``to_dict``/``to_json`` (a fast path by exact type, field names read
once per class, encoders built once) give exactly what the straightforward conversion gives:
same values, types and key order, same JSON text, on every config the example plans carry
and on adversarial values (non-ASCII, quotes, backslashes, control characters, subclasses of
the plain types, other mappings and sequences, non-text keys)."""

from __future__ import annotations

import dataclasses
import enum
import json
import math
from collections import OrderedDict, namedtuple
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pytest

from mlops_runtime.contract import config as contract
from mlops_runtime.contract.config import (
    DeployConfig,
    EndpointTarget,
    ModelTrigger,
    MonitorConfig,
    ProfileConfig,
    RuntimeConfig,
    TrafficShift,
    TriggerConfig,
)
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.pipelines import ConfigFile
from tests.plan.conftest import CASE_IDS, instances


def reference_plain(value: Any) -> Any:
    """The conversion as first written: leaves, dataclasses, mappings, lists and tuples."""
    if value is None or isinstance(value, str | int | float):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: reference_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): reference_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [reference_plain(v) for v in value]
    return value


def same(left: Any, right: Any) -> bool:
    """Equal with the same types and, for dicts, the same key order (``==`` sees neither);
    leaves must be the very objects (both conversions return them as they are)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(same, left, right))
    return left is right


def reference_json(config: RuntimeConfig) -> str:
    """What ``to_json`` wrote before: canonical (sorted) for the configs that keep the mixin's
    ``to_json``, compact in field order for those keeping a feature order."""
    sort = type(config).to_json is RuntimeConfig.to_json
    return json.dumps(reference_plain(config), sort_keys=sort, separators=(",", ":"))


def _runtime_classes() -> dict[str, type[RuntimeConfig]]:
    found: dict[str, type[RuntimeConfig]] = {}
    pending: list[type[RuntimeConfig]] = [RuntimeConfig]
    while pending:
        cls = pending.pop()
        for sub in cls.__subclasses__():
            found[sub.__name__] = sub
            pending.append(sub)
    return found


@pytest.mark.parametrize("case", CASE_IDS)
def test_every_planned_config_converts_as_before(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    classes = _runtime_classes()
    files = list(instances(all_plans[case], ConfigFile))
    assert files, "every stack plans configuration files"
    for file in files:
        config = classes[file.runtime_class].from_json(file.content)
        assert same(config.to_dict(), reference_plain(config)), file.key
        assert config.to_json() == reference_json(config) == file.content, file.key


def test_the_plans_hold_every_kind_of_config() -> None:
    """The test above covers the configs the planner writes (guards its own reach)."""
    from mlops_spec.load import resolve
    from mlops_spec.plan import plan
    from tests.plan.conftest import FULL_SPEC

    kinds = {f.runtime_class for f in instances(plan(resolve(FULL_SPEC, "prod")), ConfigFile)}
    assert {"DeployConfig", "TriggerConfig", "MonitorConfig", "EvaluateConfig"} <= kinds
    assert {"ProfileConfig", "HoldoutConfig", "LineageConfig", "BatchFeaturesConfig"} <= kinds


NASTY = [
    "plain",
    "",
    "é ü ß 中文 \U0001f600",
    'quote " and \\ backslash \\" and \\\\',
    "control \x00 \x01 \x1f \t \n \r \x7f",
    "separators \u2028 \u2029 and BOM \ufeff",
    "lone surrogate \ud800",
    "</script><!--",
]


class Text(str):
    """A str subclass (pydantic's and enum's strings are)."""


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Kind(enum.StrEnum):
    NUMERIC = "numeric"


Pair = namedtuple("Pair", "left right")


@dataclasses.dataclass(frozen=True)
class Inner:
    text: str
    items: tuple[Any, ...] = ()


@dataclasses.dataclass(frozen=True)
class MappingRecord(Mapping[str, int]):
    """A dataclass that is also a mapping: converted as a dataclass (its fields)."""

    size: int = 2

    def __getitem__(self, key: str) -> int:
        return 0

    def __iter__(self) -> Iterator[str]:
        return iter(("hidden",))

    def __len__(self) -> int:
        return 1


@dataclasses.dataclass(frozen=True, init=False)
class TextRecord(str):
    """A str subclass that is also a dataclass: a leaf, kept as it is."""

    size: int = 1


VALUES: list[Any] = [
    *NASTY,
    0,
    -1,
    2**80,
    True,
    False,
    None,
    0.1,
    -0.0,
    1e300,
    math.inf,
    -math.inf,
    math.nan,
    Text('sub " \\ é'),
    Colour.RED,
    Level.HIGH,
    Kind.NUMERIC,
    Pair("a", Text("b")),
    (1, "x", None, (2.5, [True])),
    ["list", ("tuple",), {"k": "v"}],
    {"a": 1, "é": {"nested": ("x", None)}, "": []},
    {1: "int key", False: "bool key", None: "none key", 2.5: "float key"},
    OrderedDict([("z", 1), ("a", 2)]),
    MappingProxyType({"b": (1, 2), "a": Text("t")}),
    Inner("x\ny", (Inner("deep"), {"k": Inner("v")})),
    MappingRecord(),
    TextRecord("leaf"),
    Inner,
    {1, 2},
    b"bytes",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_plain_converts_any_value_as_before(value: Any) -> None:
    assert same(contract._plain(value), reference_plain(value))
    assert same(contract._plain([value, (value,)]), reference_plain([value, (value,)]))


def _json_or_error(encode: Any) -> str:
    try:
        return str(encode())
    except (TypeError, ValueError) as error:
        return f"{type(error).__name__}: {error}"


def _nasty_configs() -> list[RuntimeConfig]:
    keys = {text: Text(text) for text in NASTY}
    endpoint = EndpointTarget(
        model_id=NASTY[2],
        endpoint_name=NASTY[3],
        execution_role_arn=NASTY[4],
        instance_type=Text("ml.m5.large"),
        traffic=TrafficShift(strategy="canary", step_percent=Level.HIGH),
        rollback_alarms=tuple(NASTY),
        environment=MappingProxyType(keys),
        tags=OrderedDict(reversed(list(keys.items()))),
    )
    return [
        TriggerConfig(
            system=NASTY[5],
            table_name=NASTY[6],
            models={text: ModelTrigger(pipeline_name=text or "p") for text in NASTY},
            alarms={Text(text): text for text in NASTY},
        ),
        DeployConfig(system=NASTY[7], endpoints={text: endpoint for text in NASTY}),
        ProfileConfig(model_id="m", features={text: "numeric" for text in NASTY}, format="csv"),
        _monitor({text: text for text in NASTY}, {text: 0.5 for text in NASTY}),
        _monitor({"f": Kind.NUMERIC}, {"f": math.nan, "g": -0.0, "h": 2**70}),
        _monitor({1: "int key", None: "none key"}, {True: 1.0}),  # type: ignore[dict-item]
        _monitor({"b": "x", 2: "y"}, {}),  # type: ignore[dict-item]
        _monitor({"s": {1, 2}}, {}),  # type: ignore[dict-item]
    ]


def _monitor(methods: dict[str, Any], thresholds: dict[str, Any]) -> MonitorConfig:
    return MonitorConfig(
        system="s",
        model_id="m",
        environment="dev",
        profile_uri="s3://b/p.json",
        endpoint_name="e",
        capture_uri="s3://b/c",
        reports_bucket="r",
        methods=methods,
        thresholds=thresholds,
    )


@pytest.mark.parametrize("index", range(len(_nasty_configs())))
def test_to_json_of_adversarial_configs_is_as_before(index: int) -> None:
    config = _nasty_configs()[index]
    assert same(config.to_dict(), reference_plain(config))
    assert _json_or_error(config.to_json) == _json_or_error(lambda: reference_json(config))


def test_compact_json_is_dumps_without_whitespace() -> None:
    data = {"z": [1, (2, None)], "a": {"é": '\x00\\"\u2028'}, "m": math.nan}
    assert contract.compact_json(data) == json.dumps(data, separators=(",", ":"))
