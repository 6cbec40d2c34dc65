"""Plans of every example and of the all-tiers spec, in every environment (pure, fast)."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from mlops_runtime.contract.config import FILE_ENV_VAR, RuntimeConfig
from mlops_spec.load import resolve, validate_file, validate_system
from mlops_spec.models import EnvironmentSettings, ResolvedSpec
from mlops_spec.plan import DeploymentPlan, plan
from mlops_spec.plan.documents import render
from tests.conftest import EXAMPLES, ROOT

T = TypeVar("T", bound=RuntimeConfig)
Kind = TypeVar("Kind")
FULL_SPEC = ROOT / "tests/components/specs/full.yaml"
SPECS = [*EXAMPLES, FULL_SPEC]


def stacks_of(path: Path) -> list[str]:
    return sorted(validate_file(path).stacks)


CASES = [(path, stack) for path in SPECS for stack in stacks_of(path)]
CASE_IDS = [f"{p.parent.name if p.name == 'mlops.yaml' else p.stem}-{s}" for p, s in CASES]


@pytest.fixture(scope="session")
def all_plans() -> dict[str, DeploymentPlan]:
    return {
        case: plan(resolve(path, stack))
        for case, (path, stack) in zip(CASE_IDS, CASES, strict=True)
    }


def full(stack: str = "dev") -> DeploymentPlan:
    return plan(resolve(FULL_SPEC, stack))


def example(name: str, stack: str) -> DeploymentPlan:
    return plan(resolve(ROOT / f"examples/{name}/mlops.yaml", stack))


DEV = EnvironmentSettings(
    name="dev",
    mode="development",
    protect=False,
    schedules_enabled=False,
    alarm_actions_enabled=False,
    log_retention_days=14,
    capture_expiration_days=7,
)
PROD = EnvironmentSettings(
    name="prod",
    mode="production",
    protect=True,
    schedules_enabled=True,
    alarm_actions_enabled=True,
    log_retention_days=365,
    capture_expiration_days=90,
)

MINIMAL: dict[str, Any] = {
    "spec_version": 1,
    "system": {
        "id": "mini",
        "owner": "owner@example.com",
        "region": "eu-west-1",
        "bucket_namespace": "acme",
    },
    "notifications": {"emails": ["a@example.com"]},
    "data_sources": {
        "ds": {"prefix": "p/", "features": {"x": "numeric", "c": "categorical"}, "label": "y"}
    },
    "models": {
        "mm": {
            "training": {
                "image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1",
                "inputs": ["ds"],
            },
            "serving": {"tier": "realtime", "model_version": {"pinned": 4}},
            "monitors": {"lat": {"type": "latency", "threshold_ms": 100, "action": "rollback"}},
        }
    },
}


def mini(
    changes: dict[str, Any] | None = None, settings: EnvironmentSettings = DEV, **model: Any
) -> DeploymentPlan:
    """Plan of the minimal spec; ``model`` keys replace keys of model ``mm``."""
    data = copy.deepcopy(MINIMAL)
    data["models"]["mm"].update(copy.deepcopy(model))
    for key, value in (changes or {}).items():
        data[key] = value
    spec = validate_system(data, settings)
    return plan(ResolvedSpec(spec=spec, environment=settings))


REFS = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}


def step_config(owner: Any, arguments: dict[str, Any], cls: type[T]) -> T:
    """The runtime configuration a Processing step reads: the config file of ``owner`` (a
    training or monitoring job plan) that the step's ``config`` input downloads to the path
    its ``MLOPS_RUNTIME_CONFIG_FILE`` names, parsed as ``cls``."""
    path = arguments["Environment"][FILE_ENV_VAR]
    (source,) = [
        i["S3Input"]["S3Uri"] for i in arguments["ProcessingInputs"] if i["InputName"] == "config"
    ]
    (file,) = [f for f in owner.config_files if f.uri == source and f.local_path == path]
    assert file.runtime_class == cls.__name__
    return cls.from_json(render(file.content, REFS))


def instances(value: Any, kind: type[Kind]) -> Iterator[Kind]:
    """Every ``kind`` held in a plan value (dataclass fields, lists, tuples, dict values),
    depth first."""
    if isinstance(value, kind):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from instances(getattr(value, field.name), kind)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from instances(item, kind)
    elif isinstance(value, dict):
        for item in value.values():
            yield from instances(item, kind)
