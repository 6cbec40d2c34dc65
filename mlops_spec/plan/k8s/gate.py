"""The gate and the lineage record of a cluster-trained model's training Job.

The AWS planner's own plans (``plan.training``'s gate: ``HoldoutConfig`` and ``EvaluateConfig``
from ``training.gate``, ``training.holdout`` and ``training.evaluation``; ``plan.lineage``'s
``LineageConfig``), with what differs on the cluster: the data where the cluster reaches it,
the champion in the object-store registry (``model_package_group`` = the model id) and the
training size instead of an instance type. ``loop.finish_config`` puts them in the register
container's ``FinishConfig``; ``loop.training_job`` adds the model server sidecar and
``lineage-inputs`` to the Job.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from mlops_runtime.contract.config import EvaluateConfig
from mlops_runtime.contract.controller import FinishGate, FinishLineage
from mlops_runtime.contract.holdout import HoldoutConfig
from mlops_runtime.contract.lineage import LineageConfig
from mlops_spec.models import ResolvedSpec, SystemSpec
from mlops_spec.plan import lineage
from mlops_spec.plan.k8s.names import KubernetesNames
from mlops_spec.plan.storage import StoragePlan
from mlops_spec.plan.training import _gate

LINEAGE_PREFIX = "lineage"


class LoopInputs(Protocol):
    """What these plans read of ``loop.LoopInputs`` (not imported: ``loop`` imports this)."""

    @property
    def resolved(self) -> ResolvedSpec: ...
    @property
    def spec(self) -> SystemSpec: ...
    @property
    def storage(self) -> StoragePlan: ...
    @property
    def knames(self) -> KubernetesNames: ...
    @property
    def where(self) -> Any:
        """``loop.Locations``: where the cluster reads the data and writes the model's files."""


def finish_gate(inputs: LoopInputs, model_id: str) -> FinishGate | None:
    """The register container's gate; None without ``training.gate``."""
    model = inputs.spec.models[model_id]
    plan = _gate(model, model_id, inputs.resolved, inputs.storage, model_id, "s3://unused/")
    if plan is None:
        return None
    evaluation = EvaluateConfig.from_json(plan.config)
    return FinishGate(
        holdout=HoldoutConfig.from_json(plan.holdout_config),
        holdout_uri=inputs.where.data_uri(plan.holdout),
        evaluation=replace(evaluation, model_package_group=model_id),
        max_payload_mb=plan.max_payload_mb,
    )


def training_size(inputs: LoopInputs, model_id: str) -> str:
    """The record's ``training.instance_type`` on the cluster: the pod's size."""
    training = inputs.spec.models[model_id].training
    return (
        f"kubernetes: cpu {training.cpu:g}, memory {training.memory_gib:g} GiB, gpu {training.gpu}"
    )


def finish_lineage(inputs: LoopInputs, model_id: str) -> FinishLineage:
    """The run's lineage record: every channel and the holdout where the cluster reads them,
    the spec's hash and the stack (the commit is stamped by the program, as on AWS)."""
    training = inputs.spec.models[model_id].training
    where = inputs.where
    gate = training.gate is not None
    holdout = training.holdout_source
    plan = lineage.plan_lineage(
        inputs.resolved,
        model_id,
        pipeline_name=inputs.knames.job_template(model_id),
        package_group=model_id,
        model_uri=where.model(model_id, LINEAGE_PREFIX).removesuffix(f"{LINEAGE_PREFIX}/"),
        data=(
            [(s, where.data_uri(s)) for s in training.inputs],
            (holdout, where.data_uri(holdout)) if gate else None,
        ),
    )
    config = LineageConfig.from_json(plan.config)
    return FinishLineage(
        config=replace(config, instance_type=training_size(inputs, model_id), instance_count=1),
        spec_sha256=plan.spec_sha256,
        stack=plan.stack,
    )
