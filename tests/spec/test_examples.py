"""Every example spec validates in every environment, and its resolved values are right."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from mlops_spec.load import resolve, validate_file
from mlops_spec.schema import json_schema
from tests.conftest import EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_is_valid_in_every_environment(path: Path) -> None:
    result = validate_file(path)
    assert result.stacks, "every example declares environments"
    for name, resolution in result.stacks.items():
        assert resolution.resolved is not None, name


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_passes_the_json_schema(path: Path) -> None:
    document = json.loads(json.dumps(YAML(typ="safe").load(path.read_text())))
    jsonschema.Draft202012Validator(json_schema()).validate(document)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_example_starts_with_the_schema_modeline(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    target = (path.parent / first.split("$schema=", 1)[1]).resolve()
    assert target.exists(), f"modeline points at a missing schema: {target}"


def test_churn_overlays_and_presets(root: Path) -> None:
    spec = root / "examples/churn/mlops.yaml"
    dev, staging, prod = (resolve(spec, s) for s in ("dev", "staging", "prod"))
    model = "churn-classifier"
    # development preset shrinks the fleet; the overlay turns on auto-approval
    assert dev.spec.models[model].serving.autoscaling.max_instances == 1
    assert dev.spec.models[model].registry.approval == "auto"
    assert dev.spec.models[model].serving.data_capture_percent == 100
    assert not dev.environment.protect and not dev.environment.schedules_enabled
    # staging: production mode, paging off by explicit policy, smaller fleet by overlay
    assert staging.environment.protect and not staging.environment.alarm_actions_enabled
    assert staging.spec.models[model].serving.autoscaling.max_instances == 2
    # prod: the base values, plus the pager topic from the overlay
    assert prod.spec.models[model].serving.autoscaling.max_instances == 6
    assert prod.spec.notifications.sns_topic_arns == [
        "arn:aws:sns:eu-west-1:123456789012:pagerduty-ml"
    ]
    assert prod.spec.notifications.emails == ["ml-oncall@example.com"]
    assert prod.environment.protect and prod.environment.alarm_actions_enabled


def test_ltv_overlay_switches_pinned_to_latest_in_dev(root: Path) -> None:
    spec = root / "examples/ltv/mlops.yaml"
    dev, prod = resolve(spec, "dev"), resolve(spec, "prod")
    assert dev.spec.models["ticket-router"].serving.model_version == "latest_approved"
    assert prod.spec.models["ticket-router"].serving.model_version.pinned == 7
    assert prod.spec.models["ticket-router"].training.spot is False
    assert dev.spec.models["ticket-router"].training.spot is True  # development preset


def test_every_schema_field_is_described() -> None:
    """Field descriptions feed the schema, editors and docs: none may be missing."""
    schema = json_schema()
    missing = [
        f"{name}.{prop}"
        for name, definition in schema["$defs"].items()
        for prop, value in definition.get("properties", {}).items()
        if "description" not in value
    ] + [f"(root).{p}" for p, v in schema["properties"].items() if "description" not in v]
    assert not missing, missing
