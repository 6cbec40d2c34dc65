"""Parity of the retraining loop (issue 13): one spec planned for AWS (its twin: every model
trained by SageMaker) and for Kubernetes starts runs on the same schedules, within the same
limits, on the same alerts and new data, and registers with the same approval rule.

Each side is read from what its back end would run: the AWS trigger function's configuration
object, its EventBridge schedules and the pipelines' approval status; the controller's
``ControllerConfig``, the schedule CronJobs and the register container's ``FinishConfig``."""

from __future__ import annotations

import pytest

from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.contract.controller import FinishConfig
from mlops_spec.cron_k8s import to_kubernetes_cron
from mlops_spec.load import resolve, validate_file
from mlops_spec.plan import DeploymentPlan, plan
from mlops_spec.plan.documents import render
from mlops_spec.plan.k8s.controller import LoopPlan
from mlops_spec.plan.k8s.stack import aws_twin
from tests.conftest import ROOT

SPEC = ROOT / "examples/churn-k8s/mlops.yaml"
STACKS = ("dev", "prod")
REFS = {"account": "123456789012", "key_arn": "arn:aws:kms:eu-west-1:123456789012:key/k"}


def _sides(stack: str) -> tuple[DeploymentPlan, LoopPlan]:
    twin = plan(aws_twin(resolve(SPEC, stack)))
    cluster = validate_file(SPEC, stack).stacks[stack].plan
    assert cluster is not None and cluster.kubernetes is not None
    assert cluster.kubernetes.loop is not None
    return twin, cluster.kubernetes.loop


def _trigger(twin: DeploymentPlan) -> TriggerConfig:
    assert twin.retraining is not None
    function = twin.retraining.function("trigger")
    assert function is not None
    return TriggerConfig.from_json(render(function.config, REFS))


@pytest.mark.parametrize("stack", STACKS)
def test_the_limits_alerts_and_new_data_are_the_aws_triggers(stack: str) -> None:
    twin, loop = _sides(stack)
    aws, cluster = _trigger(twin), loop.controller.config
    assert set(cluster.models) == {"churn-classifier"}  # the model the cluster trains
    for model, limits in cluster.models.items():
        assert (limits.cooldown_hours, limits.max_runs_per_day) == (
            aws.models[model].cooldown_hours,
            aws.models[model].max_runs_per_day,
        )
    assert dict(cluster.alerts) == {a: m for a, m in aws.alarms.items() if m in cluster.models}
    assert cluster.alerts  # the example's retrain drift monitor
    aws_sources = {
        (s.bucket, s.prefix, tuple(m for m in s.models if m in cluster.models))
        for s in aws.data_sources
    }
    assert {(s.bucket, s.prefix, s.models) for s in cluster.data_sources} == aws_sources


@pytest.mark.parametrize("stack", STACKS)
def test_schedules_are_converted_and_paused_alike(stack: str) -> None:
    twin, loop = _sides(stack)
    assert twin.retraining is not None
    for cronjob in loop.schedules:
        eventbridge = twin.retraining.schedule_for(cronjob.model)
        assert eventbridge is not None
        assert cronjob.schedule == to_kubernetes_cron(eventbridge.expression)
        assert cronjob.suspend is not eventbridge.enabled
    assert [c.schedule for c in loop.schedules] == ["0 3 * * 1"]  # cron(0 3 ? * MON *)


@pytest.mark.parametrize("stack", STACKS)
def test_approval_follows_the_same_rule(stack: str) -> None:
    twin, loop = _sides(stack)
    for job in loop.jobs:
        finish = FinishConfig.from_json(render(job.finish_config, REFS))
        status = twin.training_for(job.model).approval_status
        assert status in ("Approved", "PendingManualApproval")
        assert finish.manual_approval is (status == "PendingManualApproval")
