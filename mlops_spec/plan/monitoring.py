"""Monitoring plan: the alarm topic, an alarm per monitor, a health alarm and dashboard per
model, the scheduled monitoring job of models with scheduled monitors on captured traffic
(``mlops_spec.plan.monitoring_job``), and the rule announcing failed pipeline runs on the
topic (``mlops_spec.plan.pipeline_failures``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, partial

from mlops_spec.models import ResolvedSpec
from mlops_spec.naming import Names
from mlops_spec.plan.alarms import AlarmPlan, build_alarm
from mlops_spec.plan.dashboard import dashboard_body
from mlops_spec.plan.documents import ACCOUNT, Condition, PolicyDocument, Statement
from mlops_spec.plan.lookup import first_per_model
from mlops_spec.plan.monitoring_job import MonitoringJobPlan, plan_job
from mlops_spec.plan.notifier import NotifierPlan, plan_notifier
from mlops_spec.plan.pipeline_failures import FailureRulePlan, plan_failure_rule
from mlops_spec.plan.pipelines import Deferred
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.schedules import pipeline_arn
from mlops_spec.plan.serving import ServingPlan
from mlops_spec.plan.storage import StoragePlan


@dataclass(frozen=True)
class TopicPlan:
    """The KMS-encrypted alarm topic and where it delivers."""

    name: str
    arn: str
    emails: tuple[str, ...]
    external_topic_arns: tuple[str, ...]
    """Existing topics every alarm also notifies."""
    policy: PolicyDocument


@dataclass(frozen=True)
class HealthAlarmPlan:
    """Composite alarm: the model is unhealthy when any of its monitors alarms."""

    name: str
    rule: str
    children: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class ModelMonitoringPlan:
    model: str
    alarms: tuple[AlarmPlan, ...]
    health: HealthAlarmPlan | None
    dashboard_name: str
    dashboard_body: Deferred = Deferred()  # noqa: RUF009 - a descriptor
    """The dashboard's JSON body (``${account}`` placeholders), built when first read:
    validation reads none (``pipelines.Deferred``)."""
    job: MonitoringJobPlan | None = None
    """The scheduled monitoring job (None: the model has none)."""

    def alarm(self, monitor: str) -> AlarmPlan:
        return next(a for a in self.alarms if a.monitor == monitor)


@dataclass(frozen=True)
class MonitoringPlan:
    topic: TopicPlan
    models: tuple[ModelMonitoringPlan, ...]
    actions_enabled: bool
    pipeline_failures: FailureRulePlan
    """Announces failed runs of the system's pipelines on the topic."""
    notifier: NotifierPlan | None = None
    """Delivers the topic's notifications to the chat webhook (when the spec names one)."""

    def model(self, model: str) -> ModelMonitoringPlan:
        found = self._by_model.get(model)
        return found if found is not None else next(m for m in self.models if m.model == model)

    @cached_property
    def _by_model(self) -> dict[str, ModelMonitoringPlan]:
        return first_per_model(self.models)

    @property
    def alarms(self) -> tuple[AlarmPlan, ...]:
        return tuple(a for m in self.models for a in m.alarms)

    @property
    def jobs(self) -> tuple[MonitoringJobPlan, ...]:
        return tuple(m.job for m in self.models if m.job)


def topic_arn(names: Names, partition: str, region: str) -> str:
    return f"arn:{partition}:sns:{region}:{ACCOUNT}:{names.topic()}"


def _topic(resolved: ResolvedSpec, names: Names, partition: str, rule_arn: str) -> TopicPlan:
    """The topic; CloudWatch may publish for this account, EventBridge for ``rule_arn`` only."""
    arn = topic_arn(names, partition, resolved.spec.system.region)
    policy = PolicyDocument(
        (
            Statement(
                sid="OwnerAccess",
                principals=(("AWS", f"arn:{partition}:iam::{ACCOUNT}:root"),),
                actions=(
                    "sns:GetTopicAttributes",
                    "sns:ListSubscriptionsByTopic",
                    "sns:Publish",
                    "sns:SetTopicAttributes",
                    "sns:Subscribe",
                ),
                resources=(arn,),
            ),
            Statement(
                sid="CloudWatchAlarms",
                principals=(("Service", "cloudwatch.amazonaws.com"),),
                actions=("sns:Publish",),
                resources=(arn,),
                conditions=(Condition("StringEquals", "aws:SourceAccount", (ACCOUNT,)),),
            ),
            Statement(
                sid="PipelineFailures",
                principals=(("Service", "events.amazonaws.com"),),
                actions=("sns:Publish",),
                resources=(arn,),
                conditions=(Condition("ArnEquals", "aws:SourceArn", (rule_arn,)),),
            ),
            Statement(
                sid="DenyInsecureTransport",
                effect="Deny",
                principals=(("*", "*"),),
                actions=("sns:Publish",),
                resources=(arn,),
                conditions=(Condition("Bool", "aws:SecureTransport", ("false",)),),
            ),
        )
    )
    notifications = resolved.spec.notifications
    return TopicPlan(
        name=names.topic(),
        arn=arn,
        emails=tuple(notifications.emails),
        external_topic_arns=tuple(notifications.sns_topic_arns),
        policy=policy,
    )


def plan_monitoring(
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    serving: dict[str, ServingPlan],
    partition: str,
) -> MonitoringPlan:
    models = tuple(
        _model(model_id, resolved, names, policy, storage, serving.get(model_id), partition)
        for model_id in sorted(resolved.spec.models)
    )
    region = resolved.spec.system.region
    failures = plan_failure_rule(
        names,
        _pipelines(resolved, names, serving, models, partition),
        topic_arn=topic_arn(names, partition, region),
        enabled=policy.alarm_actions_enabled,
        partition=partition,
        region=region,
    )
    topic = _topic(resolved, names, partition, failures.arn)
    return MonitoringPlan(
        topic=topic,
        models=models,
        actions_enabled=policy.alarm_actions_enabled,
        pipeline_failures=failures,
        notifier=plan_notifier(resolved, names, topic.arn, partition, storage.bucket("artifacts")),
    )


def _pipelines(
    resolved: ResolvedSpec,
    names: Names,
    serving: dict[str, ServingPlan],
    models: tuple[ModelMonitoringPlan, ...],
    partition: str,
) -> tuple[str, ...]:
    """Every pipeline of the stack: each model's training pipeline (named like
    ``plan_training`` names it), batch pipelines and monitoring jobs."""
    region = resolved.spec.system.region
    arns = {pipeline_arn(partition, region, names.pipeline(m)) for m in resolved.spec.models}
    arns |= {s.batch.pipeline_arn for s in serving.values() if s.batch}
    arns |= {m.job.pipeline_arn for m in models if m.job}
    return tuple(sorted(arns))


def _model(
    model_id: str,
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    serving: ServingPlan | None,
    partition: str,
) -> ModelMonitoringPlan:
    """One alarm per monitor, the health alarm over them, the dashboard and the job."""
    spec_model = resolved.spec.models[model_id]
    endpoint_metrics = dict(serving.metrics) if serving else {}
    endpoint = serving.endpoint if serving else None
    alarms = tuple(
        build_alarm(
            model=model_id,
            monitor_id=monitor_id,
            monitor=monitor,
            name=names.alarm(model_id, monitor_id),
            endpoint=endpoint_metrics,
            namespace=names.metric_namespace(),
            environment=names.environment,
            instance_type=endpoint.instance_type if endpoint else None,
        )
        for monitor_id, monitor in sorted(spec_model.monitors.items())
    )
    health = _health(names, model_id, alarms)
    return ModelMonitoringPlan(
        model=model_id,
        alarms=alarms,
        health=health,
        dashboard_name=names.dashboard(model_id),
        dashboard_body=partial(
            dashboard_body,
            model=model_id,
            description=spec_model.description or "",
            region=resolved.spec.system.region,
            partition=partition,
            endpoint=endpoint_metrics,
            alarms=alarms,
            health_alarm=health.name if health else None,
        ),
        job=plan_job(model_id, resolved, names, policy, storage, serving, partition),
    )


def _health(names: Names, model_id: str, alarms: tuple[AlarmPlan, ...]) -> HealthAlarmPlan | None:
    """A composite alarm in ALARM when any of the model's alarms is (None without alarms)."""
    if not alarms:
        return None
    children = tuple(a.name for a in alarms)
    return HealthAlarmPlan(
        name=names.health_alarm(model_id),
        rule=" OR ".join(f'ALARM("{child}")' for child in children),
        children=children,
        description=f"{model_id} is unhealthy: one of its monitors is in ALARM",
    )
