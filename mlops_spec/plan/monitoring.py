"""Monitoring plan: the alarm topic, an alarm per monitor, a health alarm and dashboard per
model, and the scheduled drift job of models with drift monitors on captured traffic."""

from __future__ import annotations

from dataclasses import dataclass

from mlops_runtime.config import MonitorConfig
from mlops_spec.checks import model_features
from mlops_spec.enums import FeatureKind
from mlops_spec.models import ResolvedSpec
from mlops_spec.models.monitors import DataDriftMonitor
from mlops_spec.naming import Names
from mlops_spec.plan import iam, pipelines
from mlops_spec.plan.alarms import AlarmPlan, build_alarm
from mlops_spec.plan.dashboard import dashboard_body
from mlops_spec.plan.documents import ACCOUNT, Condition, PolicyDocument, Statement
from mlops_spec.plan.images import sklearn_image
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.schedules import SchedulePlan, pipeline_arn, start_pipeline_schedule
from mlops_spec.plan.serving import ServingPlan
from mlops_spec.plan.storage import StoragePlan
from mlops_spec.plan.training import job_grants, reference_profile_uri

JOB_INSTANCE_TYPE = "ml.m5.xlarge"
DRIFT_REPORTS_PREFIX = "drift"


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
class MonitoringJobPlan:
    """The drift job (``python -m mlops_runtime.monitor_job``) as a scheduled pipeline; it
    publishes ``DriftScore`` for the model's ``data_drift`` monitors (the first one's schedule,
    window, method and threshold configure it)."""

    model: str
    pipeline_name: str
    pipeline_arn: str
    role: iam.RolePlan
    schedule: SchedulePlan
    monitors: tuple[str, ...]
    profile_uri: str
    """Reference profile the job compares with (written by the training pipeline's Profile
    step whenever a candidate passes the gate)."""
    config: str
    definition: str


@dataclass(frozen=True)
class ModelMonitoringPlan:
    model: str
    alarms: tuple[AlarmPlan, ...]
    health: HealthAlarmPlan | None
    dashboard_name: str
    dashboard_body: str
    job: MonitoringJobPlan | None

    def alarm(self, monitor: str) -> AlarmPlan:
        return next(a for a in self.alarms if a.monitor == monitor)


@dataclass(frozen=True)
class MonitoringPlan:
    topic: TopicPlan
    models: tuple[ModelMonitoringPlan, ...]
    actions_enabled: bool

    def model(self, model: str) -> ModelMonitoringPlan:
        return next(m for m in self.models if m.model == model)

    @property
    def alarms(self) -> tuple[AlarmPlan, ...]:
        return tuple(a for m in self.models for a in m.alarms)

    @property
    def jobs(self) -> tuple[MonitoringJobPlan, ...]:
        return tuple(m.job for m in self.models if m.job)


def _topic(resolved: ResolvedSpec, names: Names, partition: str) -> TopicPlan:
    region = resolved.spec.system.region
    arn = f"arn:{partition}:sns:{region}:{ACCOUNT}:{names.topic()}"
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


def _job(
    model_id: str,
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    serving: ServingPlan | None,
    partition: str,
) -> MonitoringJobPlan | None:
    spec = resolved.spec
    spec_model = spec.models[model_id]
    drift = {
        k: m for k, m in sorted(spec_model.monitors.items()) if isinstance(m, DataDriftMonitor)
    }
    endpoint = serving.endpoint if serving else None
    if not drift or endpoint is None or endpoint.capture is None:
        return None
    region = spec.system.region
    driver = next(iter(drift.values()))
    kinds = model_features(spec, spec_model)
    methods: dict[str, str] = {}
    thresholds: dict[str, float] = {}
    for feature in driver.features or sorted(kinds):
        method = str(driver.method)
        if method == "ks" and kinds[feature] is FeatureKind.CATEGORICAL:
            method = "chi2"
        methods[feature] = method
        thresholds[feature] = driver.threshold
    artifacts = storage.bucket("artifacts")
    reports = storage.bucket("reports")
    profile_uri = reference_profile_uri(storage, model_id)
    config = MonitorConfig(
        system=spec.system.id,
        model_id=model_id,
        environment=names.environment,
        endpoint_name=endpoint.name,
        profile_uri=profile_uri,
        capture_uri=endpoint.capture.destination_uri,
        reports_bucket=reports.name,
        reports_prefix=DRIFT_REPORTS_PREFIX,
        window_hours=driver.window_hours,
        namespace=names.metric_namespace(),
        variants=(endpoint.variant,),
        methods=methods,
        thresholds=thresholds,
    )
    role_name = names.role("monitor", model_id)
    role_arn = iam.role_arn(partition, role_name)
    image = sklearn_image(region, partition)
    pipeline = names.monitoring_pipeline(model_id)
    definition = pipelines.definition(
        [
            pipelines.processing_step(
                "MonitorDrift",
                image=image.uri,
                role_arn=role_arn,
                instance_type=JOB_INSTANCE_TYPE,
                code_uri=storage.code.uri,
                code_object_key=storage.code.object_key,
                module="mlops_runtime.monitor_job",
                environment={"MLOPS_RUNTIME_CONFIG": config.to_json()},
            )
        ]
    )
    capture = storage.bucket("capture")
    grants = (
        iam.s3_read(capture.arn, f"endpoints/{endpoint.name}/"),
        iam.s3_read(artifacts.arn, f"models/{model_id}/reference/"),
        iam.s3_read(artifacts.arn, storage.code.object_key),
        iam.s3_write(reports.arn, f"{DRIFT_REPORTS_PREFIX}/{model_id}/"),
        iam.kms_use(encrypt=True),
        iam.put_metrics(names.metric_namespace()),
        job_grants(partition, region, ("processing",)),
        iam.ecr_pull((image.repository_arn,) if image.repository_arn else ()),
        iam.pass_role((role_arn,), "sagemaker.amazonaws.com"),
    )
    return MonitoringJobPlan(
        model=model_id,
        pipeline_name=pipeline,
        pipeline_arn=pipeline_arn(partition, region, pipeline),
        role=iam.role(
            "monitor",
            role_name,
            "sagemaker.amazonaws.com",
            f"Drift monitoring job of {model_id}",
            *grants,
        ),
        schedule=start_pipeline_schedule(
            name=names.schedule(model_id, "monitor"),
            model=model_id,
            expression=driver.schedule,
            enabled=policy.schedules_enabled,
            pipeline=pipeline,
            partition=partition,
            region=region,
            role_name=names.role("scheduler", model_id),
            reason="schedule",
            description=f"{names.prefix}/{model_id}: drift monitoring",
        ),
        monitors=tuple(drift),
        profile_uri=profile_uri,
        config=config.to_json(),
        definition=definition,
    )


def plan_monitoring(
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    serving: dict[str, ServingPlan],
    partition: str,
) -> MonitoringPlan:
    spec = resolved.spec
    region = spec.system.region
    models = []
    for model_id, spec_model in sorted(spec.models.items()):
        serving_plan = serving.get(model_id)
        endpoint_metrics = dict(serving_plan.metrics) if serving_plan else {}
        endpoint = serving_plan.endpoint if serving_plan else None
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
        health = None
        if alarms:
            children = tuple(a.name for a in alarms)
            health = HealthAlarmPlan(
                name=names.health_alarm(model_id),
                rule=" OR ".join(f'ALARM("{child}")' for child in children),
                children=children,
                description=f"{model_id} is unhealthy: one of its monitors is in ALARM",
            )
        description = spec_model.description or ""
        models.append(
            ModelMonitoringPlan(
                model=model_id,
                alarms=alarms,
                health=health,
                dashboard_name=names.dashboard(model_id),
                dashboard_body=dashboard_body(
                    model=model_id,
                    description=description,
                    region=region,
                    partition=partition,
                    endpoint=endpoint_metrics,
                    alarms=alarms,
                    health_alarm=health.name if health else None,
                ),
                job=_job(model_id, resolved, names, policy, storage, serving_plan, partition),
            )
        )
    return MonitoringPlan(
        topic=_topic(resolved, names, partition),
        models=tuple(models),
        actions_enabled=policy.alarm_actions_enabled,
    )
