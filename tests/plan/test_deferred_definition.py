"""A training plan's pipeline definition and its lineage's spec hash are computed when first
read (``pipelines.Deferred``): validation computes neither, and every way of reading or
copying the plan sees the same text."""

from __future__ import annotations

import copy
import dataclasses
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from mlops_spec.load import validate_document
from mlops_spec.plan import DeploymentPlan, lineage, pipelines, training
from mlops_spec.plan.documents import canonical_json
from mlops_spec.yamlio import read
from tests.conftest import EXAMPLES


def _counting(
    monkeypatch: pytest.MonkeyPatch, module: Any = training, name: str = "_definition"
) -> list[int]:
    built: list[int] = []
    build = getattr(module, name)

    def counted(*args: Any) -> str:
        built.append(1)
        return str(build(*args))

    monkeypatch.setattr(module, name, counted)
    return built


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.parent.name)
def test_validation_builds_no_definition_and_a_read_builds_it_once(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _counting(monkeypatch)
    hashed = _counting(monkeypatch, lineage, "spec_sha256")
    validation = validate_document(read(path))
    stacks = [s.plan for s in validation.stacks.values() if s.plan]
    plans = [t for plan in stacks for t in plan.training]
    assert plans
    assert not built  # scheduled models' plans were copied with their role too
    if all(p.kubernetes is None for p in stacks):  # a cluster's Jobs' lineage config holds it
        assert not hashed
    before = len(hashed)
    texts = [t.definition for t in plans]  # each holds the spec hash
    assert len(built) == len(plans) and len(hashed) == before + len(plans)
    assert [t.definition for t in plans] == texts and len(built) == len(plans)
    assert all(json.loads(text)["Steps"][0]["Name"] == "Inputs" for text in texts)


def _pair(plan: DeploymentPlan) -> tuple[training.TrainingPlan, training.TrainingPlan]:
    """A plan as planned (definition unbuilt) and an equal one holding the text."""
    deferred = plan.training[0]
    fresh = copy.copy(deferred)  # still unbuilt
    eager = dataclasses.replace(deferred, definition=fresh.definition)
    return deferred, eager


def test_a_deferred_definition_reads_like_a_text_field(example_plan: DeploymentPlan) -> None:
    deferred, eager = _pair(example_plan)
    assert isinstance(eager.__dict__["definition"], str)
    assert not isinstance(deferred.__dict__["definition"], str)
    assert repr(deferred) == repr(eager)
    assert deferred == eager and hash(deferred) == hash(eager)
    assert dataclasses.asdict(deferred) == dataclasses.asdict(eager)
    assert pickle.loads(pickle.dumps(deferred)) == eager
    assert copy.deepcopy(deferred) == eager
    with pytest.raises(dataclasses.FrozenInstanceError):
        deferred.definition = "{}"  # type: ignore[misc]


def test_with_scheduler_role_equals_replace_and_builds_nothing(
    example_plan: DeploymentPlan, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = copy.copy(example_plan.training[0])  # unbuilt
    role = example_plan.training[0].job_role
    built = _counting(monkeypatch)
    scheduled = plan.with_scheduler_role(role)
    assert not built and scheduled.scheduler_role is role and plan.scheduler_role is not role
    assert scheduled == dataclasses.replace(plan, scheduler_role=role)
    assert scheduled.definition == plan.definition


@pytest.fixture
def example_plan() -> DeploymentPlan:
    validation = validate_document(read(EXAMPLES[0]))
    stack = validation.stacks[sorted(validation.stacks)[0]]
    assert stack.plan is not None
    return stack.plan


ADVERSARIAL = [
    "plain",
    "caf\u00e9 \u65e5\u672c \U0001f600",  # non-ASCII, astral
    'quote " and \\ backslash',
    "control \x00\x01\x1f\x7f\t\n\r",
    "\u2028\u2029 separators",
    "${account} ${key_arn} $$[0,3:]",
    "",
]


def test_the_definition_encoder_writes_canonical_json() -> None:
    """``pipelines.definition`` skips the encoder's cycle check; the text is still
    ``canonical_json``'s, shared sub-documents included."""
    shared = {"Get": "Execution.PipelineExecutionId"}
    steps = [
        {
            "Name": text,
            "Type": "Processing",
            "Arguments": {text or "k": [shared, shared, 1, 2.5, True, None], "z": {"a": text}},
        }
        for text in ADVERSARIAL
    ]
    parameters = [
        {"Name": text or "n", "Type": "String", "DefaultValue": text} for text in ADVERSARIAL
    ]
    text = pipelines.definition(steps, parameters)
    document = json.loads(text)
    assert text == canonical_json(document)
    assert document["Steps"] == json.loads(json.dumps(steps))
