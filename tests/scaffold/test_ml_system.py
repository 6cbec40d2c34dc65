"""MlSystem, the component a team's program calls: existing stacks adopt its children, every
public output is documented, its outputs are the stack outputs contract, and a relative spec
path is read from the project directory."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from mlops_components import outputs as outputs_module
from mlops_components import system as system_module
from mlops_preview import PlanDocument, preview_project
from mlops_preview.urns import make_urn
from tests.components.conftest import Stack

SYSTEM = "mlops:system:MlSystem"


@pytest.fixture(scope="module")
def full_prod() -> PlanDocument:
    """The all-tiers spec in production: every component kind appears."""
    return Stack("full-prod").doc


def test_every_resource_under_mlsystem_keeps_its_former_urn_as_an_alias(
    full_prod: PlanDocument,
) -> None:
    """Before MlSystem, the components were top-level resources of the stack: each URN without
    the MlSystem link is an alias, so `pulumi up` adopts deployed resources, never replaces."""
    (system,) = [r for r in full_prod.resources if r.type == SYSTEM]
    under = [r for r in full_prod.resources if f"{SYSTEM}$" in r.urn]
    assert len(under) == len(full_prod.resources) - 1  # everything but MlSystem itself
    for resource in under:
        former = resource.urn.replace(f"{SYSTEM}$", "", 1)
        assert former in resource.aliases, resource.urn
    direct = {r.type for r in under if r.parent == system.urn}
    assert {"mlops:storage:Storage", "mlops:monitoring_job:MonitoringJob"} <= direct


def test_the_monitoring_job_keeps_its_urn_from_before_the_rename(full_prod: PlanDocument) -> None:
    (job,) = [r for r in full_prod.resources if r.type == "mlops:monitoring_job:MonitoringJob"]
    old = make_urn(full_prod.stack, full_prod.project, "mlops:drift_job:DriftJob", job.name)
    assert old in job.aliases  # old type and old (root) parent in one alias


def test_mlsystem_outputs_are_the_stack_outputs(full_prod: PlanDocument) -> None:
    (system,) = [r for r in full_prod.resources if r.type == SYSTEM]
    assert system.outputs == full_prod.outputs
    assert set(full_prod.outputs) >= {"contract_version", "models", "buckets", "kms_key_arn"}


def _undocumented(cls: type) -> list[str]:
    """Annotated attributes of ``cls`` not followed by a docstring."""
    (node,) = ast.parse(inspect.getsource(cls)).body
    assert isinstance(node, ast.ClassDef)
    missing = []
    for statement, following in zip(node.body, [*node.body[1:], None], strict=True):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            documented = (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
            )
            if not documented:
                missing.append(statement.target.id)
    return missing


@pytest.mark.parametrize(
    "cls",
    [
        system_module.MlSystem,
        system_module.MlSystemArgs,
        outputs_module.ModelOutputs,
        outputs_module.RetrainingOutputs,
    ],
)
def test_every_public_input_and_output_is_documented(cls: type) -> None:
    assert _undocumented(cls) == []
    assert cls.__annotations__, cls  # the check saw the attributes


def test_every_contract_key_of_a_model_is_a_typed_output() -> None:
    from mlops_spec.outputs import ModelOutputs as ContractModel
    from mlops_spec.outputs import RetrainingOutputs as ContractRetraining

    assert list(outputs_module.ModelOutputs.__annotations__) == list(ContractModel.__annotations__)
    assert list(outputs_module.RetrainingOutputs.__annotations__) == list(
        ContractRetraining.__annotations__
    )


def test_a_relative_spec_is_read_from_the_project_directory(root: Path) -> None:
    """This repository's stacks name `examples/churn/mlops.yaml` relative to Pulumi.yaml while
    the program runs in infra/ (the language host's working directory)."""
    document = preview_project(root, "dev")
    assert document.outputs["system"] == "churn" and document.outputs["environment"] == "dev"
