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
            checks.append((serving.endpoint.name, "endpoint"))
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
    assert "create the SecureString parameter /churn/alerts/webhook-url in eu-west-1" in notes
    assert "webhook" not in "\n".join(example("ltv", "prod").notes)  # ltv names none
    assert "publishes yet" not in notes  # the monitoring job publishes every alarm's metric
    assert "clients must pass InferenceId to InvokeEndpoint" in notes  # the quality monitor
    ltv = example("ltv", "prod")
    assert "no monitoring job runs" not in "\n".join(ltv.notes)  # batch inputs are monitored
    assert ltv.monitoring.model("lifetime-value").job is not None


def _planned_names(deployment: DeploymentPlan) -> set[tuple[str, str]]:
    """(limit key, name) of the named resources the plan creates."""
    found = {("bucket", b.name) for b in deployment.storage.buckets}
    found |= {("topic", deployment.monitoring.topic.name)}
    found |= {("pipeline", t.pipeline_name) for t in deployment.training}
    found |= {("role", t.role.name) for t in deployment.training}
    found |= {("role", t.scheduler_role.name) for t in deployment.training if t.scheduler_role}
    found |= {("alarm", a.name) for a in deployment.monitoring.alarms}
    for serving in deployment.serving:
        found.add(("role", serving.role.name))
        if serving.endpoint:
            found.add(("sagemaker", serving.endpoint.name))
        if serving.batch:
            found |= {
                ("pipeline", serving.batch.pipeline_name),
                ("schedule", serving.batch.schedule.name),
            }
    for job in deployment.monitoring.jobs:
        found |= {
            ("pipeline", job.pipeline_name),
            ("role", job.role.name),
            ("schedule", job.schedule.name),
        }
    notifier = deployment.monitoring.notifier
    functions = [notifier.function] if notifier else []
    queues = [notifier.queue] if notifier else []
    if deployment.retraining:
        functions += list(deployment.retraining.functions)
        queues.append(deployment.retraining.queue)
        found |= {("rule", r.name) for r in deployment.retraining.rules}
        found |= {("schedule", s.name) for s in deployment.retraining.schedules}
        found.add(("table", deployment.retraining.table.name))
    for function in functions:
        found |= {
            ("function", function.name),
            ("role", function.role.name),
            ("log_group", function.log_group),
        }
    found |= {("queue", q.name) for q in queues}
    return found


@pytest.mark.parametrize("case", CASE_IDS)
def test_load_time_name_checks_cover_every_planned_name(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    """``naming.physical_names`` (checked when the spec loads) lists every name the plan
    uses, so a too-long id fails at load time, not at deploy time."""
    from mlops_spec.checks import name_facts
    from mlops_spec.load import resolve
    from mlops_spec.naming import physical_names
    from tests.plan.conftest import CASES

    path, stack = dict(zip(CASE_IDS, CASES, strict=True))[case]
    spec = resolve(path, stack).spec
    names = Names(spec.system.id, stack, spec.system.region, spec.system.bucket_namespace)
    checked = {
        (kind, name)
        for _, kind, name in physical_names(
            names,
            list(spec.models),
            {m: list(model.monitors) for m, model in spec.models.items()},
            [k for k, s in spec.data_sources.items() if s.creates_bucket],
            models=name_facts(spec),
            notifier=bool(spec.notifications.webhook_url_ssm_parameter),
            retrain_sources=[k for k, s in spec.data_sources.items() if s.retrain_on_new_data],
        )
    }
    assert _planned_names(all_plans[case]) - checked == set()
