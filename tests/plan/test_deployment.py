"""The deployment plan as a whole: deterministic, frozen, named by naming.Names only."""

from __future__ import annotations

import dataclasses
import json

import pytest

from mlops_spec.naming import Names, check_name
from mlops_spec.plan import DeploymentPlan
from tests.plan.conftest import CASE_IDS, example, full


def _values(value: object) -> list[object]:
    """Every leaf of a plan (dataclasses, tuples), for shape checks."""
    if dataclasses.is_dataclass(value):
        return [v for f in dataclasses.fields(value) for v in _values(getattr(value, f.name))]
    if isinstance(value, tuple):
        return [v for item in value for v in _values(item)]
    return [value]


@pytest.mark.parametrize("case", CASE_IDS)
def test_plan_is_plain_frozen_data(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    for leaf in _values(deployment):
        assert isinstance(leaf, str | int | float | bool | type(None)), type(leaf)
    with pytest.raises(dataclasses.FrozenInstanceError):
        deployment.system = "x"  # type: ignore[misc]
    assert hash(deployment.storage.buckets) is not None


def test_plan_is_deterministic() -> None:
    assert full("prod") == full("prod")
    assert repr(full("dev")) == repr(full("dev"))


@pytest.mark.parametrize("case", CASE_IDS)
def test_documents_are_valid_json(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    texts = [t.definition for t in deployment.training]
    texts += [s.batch.definition for s in deployment.serving if s.batch]
    texts += [j.definition for j in deployment.monitoring.jobs]
    texts += [m.dashboard_body for m in deployment.monitoring.models]
    if deployment.retraining:
        texts += [f.config for f in deployment.retraining.functions]
        texts += [r.event_pattern for r in deployment.retraining.rules]
    for text in texts:
        json.loads(text)


@pytest.mark.parametrize("case", CASE_IDS)
def test_physical_names_follow_aws_rules(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    deployment = all_plans[case]
    checks = [(b.name, "bucket") for b in deployment.storage.buckets]
    checks += [(t.pipeline_name, "pipeline") for t in deployment.training]
    checks += [(t.role.name, "role") for t in deployment.training]
    checks += [(a.name, "alarm") for a in deployment.monitoring.alarms]
    if deployment.retraining:
        checks += [(r.name, "rule") for r in deployment.retraining.rules]
        checks += [(s.name, "schedule") for s in deployment.retraining.schedules]
    for serving in deployment.serving:
        checks.append((serving.role.name, "role"))
        if serving.endpoint:
            checks.append((serving.endpoint.name, "sagemaker"))
            for name in (serving.endpoint.model_name, serving.endpoint.config_name):
                if name:
                    checks.append((name, "sagemaker"))
        if serving.batch:
            checks.append((serving.batch.schedule.name, "schedule"))
    for name, limit in checks:
        assert check_name(name, limit) is None, name


def test_names_come_from_naming() -> None:
    deployment = example("churn", "prod")
    names = Names("churn", "prod", "eu-west-1", "acme")
    assert deployment.storage.bucket("artifacts").name == names.bucket("artifacts")
    assert deployment.storage.key.alias == names.kms_alias()
    assert deployment.monitoring.topic.name == names.topic()
    training = deployment.training_for("churn-classifier")
    assert training.pipeline_name == names.pipeline("churn-classifier")
    assert deployment.retraining is not None
    schedule = deployment.retraining.schedule_for("churn-classifier")
    assert schedule and schedule.name == names.schedule("churn-classifier", "train")
    rule = next(r for r in deployment.retraining.rules if r.key.startswith("endpoint-in-service"))
    assert rule.name == names.endpoint_in_service_rule("churn-classifier")
    alarm = deployment.monitoring.model("churn-classifier").alarm("p99-latency")
    assert alarm.name == names.alarm("churn-classifier", "p99-latency")
    assert deployment.metric_namespace == names.metric_namespace() == "MLOps/churn"


def test_policy_tags_and_environment_switches() -> None:
    dev, prod = example("churn", "dev"), example("churn", "prod")
    assert dev.policy.tag_map == {
        "cost-centre": "cc-4711",
        "team": "growth",
        "system": "churn",
        "environment": "dev",
        "owner": "ml-platform@example.com",
        "managed-by": "mlops-spec",
    }
    assert (dev.policy.protect, prod.policy.protect) == (False, True)
    assert (dev.policy.schedules_enabled, prod.policy.schedules_enabled) == (False, True)
    assert example("churn", "staging").policy.alarm_actions_enabled is False
    assert dev.policy.log_retention_days == 14 and prod.policy.log_retention_days == 365


def test_log_retention_rounds_up_to_a_cloudwatch_value() -> None:
    from mlops_spec.plan.policy import log_retention

    assert [log_retention(d) for d in (1, 2, 14, 15, 366, 3653)] == [1, 3, 14, 30, 400, 3653]


def test_notes_say_what_is_not_built() -> None:
    notes = "\n".join(example("churn", "dev").notes)
    assert "deploy function creates it on the first approved package" in notes
    assert "autoscaling" not in notes  # the deploy function registers it
    assert "webhook delivery is not built" in notes
    assert "quality" in notes and "fairness" in notes
    ltv = "\n".join(example("ltv", "prod").notes)
    assert "no monitoring job runs" in ltv
