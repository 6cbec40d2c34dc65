"""Retraining and deployment loop: trigger and deploy Lambdas, their table, rules, schedules
and DLQ.

- trigger (``mlops_runtime.trigger.handler``): ``training.schedule`` (an EventBridge Scheduler
  schedule invoking the function), alarms of ``retrain`` monitors and new objects in
  ``retrain_on_new_data`` sources start the model's training pipeline, within the model's
  cooldown and daily limit: every automatic run goes through it.
- deploy (``mlops_runtime.deploy.handler``): an Approved package of a ``latest_approved`` model
  creates its endpoint or rolls it onto the package (blue/green, alarm rollback); a Rejected
  package the endpoint serves rolls it back to the latest Approved one; when a realtime
  endpoint is in service, the function registers its autoscaling and reconciles it with the
  latest Approved package (an approval that arrived during a rollout goes out then).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from mlops_runtime.contract.config import (
    DataSourceTrigger,
    DeployConfig,
    EndpointTarget,
    ModelTrigger,
    ReferencePromotion,
    RuntimeConfig,
    TriggerConfig,
)
from mlops_runtime.contract.events import SCHEDULE_SOURCE
from mlops_spec.enums import MonitorAction
from mlops_spec.models import ResolvedSpec, SystemSpec
from mlops_spec.naming import Names, check_name
from mlops_spec.plan import iam, policy_size
from mlops_spec.plan.documents import (
    ACCOUNT,
    KEY_ARN,
    Condition,
    PolicyDocument,
    Statement,
    canonical_json,
)
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.function_config import function_config, read_config_grant
from mlops_spec.plan.lookup import first_per_model
from mlops_spec.plan.pipeline_failures import EVENT_PATTERN_LIMIT
from mlops_spec.plan.pipelines import ConfigFile
from mlops_spec.plan.policy import EnvironmentPolicy
from mlops_spec.plan.queues import DLQ_RETENTION_SECONDS, QueuePlan, dead_letter_alarm
from mlops_spec.plan.schedules import (
    SCHEDULED_TIME,
    SchedulePlan,
    function_arn,
    invoke_function_schedule,
)
from mlops_spec.plan.serving import ServingPlan, endpoint_target
from mlops_spec.plan.storage import BucketPlan, DataLocation, StoragePlan
from mlops_spec.plan.training import ProfilePlan, TrainingPlan, package_arns

LAMBDA_RUNTIME = "python3.12"
RETRY_ATTEMPTS = 4
MAX_EVENT_AGE_SECONDS = 3600
TRIGGER_CONCURRENCY = 5
"""Reserved concurrency of the trigger function: at most 5 events are decided at once (a burst
of new objects waits in Lambda's asynchronous queue instead of racing for the same claims);
enough for every event source, since each decision takes well under a second."""
DEPLOY_CONCURRENCY = 1
"""Reserved concurrency of the deploy function: one decision at a time, so two approvals (or an
approval and an in-service event) can never roll out onto one endpoint concurrently; the others
wait in Lambda's asynchronous queue and are retried."""
SERVE_ACTIONS = (
    "sagemaker:AddTags",
    "sagemaker:CreateEndpoint",
    "sagemaker:CreateEndpointConfig",
    "sagemaker:CreateModel",
    "sagemaker:DescribeEndpoint",
    "sagemaker:DescribeEndpointConfig",
    "sagemaker:DescribeModel",
    "sagemaker:UpdateEndpoint",
)
"""What the deploy function does to a ``latest_approved`` endpoint, its configurations and
models."""
_ANY_MODEL = re.compile(r"^models/[^/*]+/")
"""A model's prefix in the artifacts bucket (``StoragePlan.model_prefix``)."""
DEPLOY_FIX = (
    "Even by the stack's name prefix the deploy function's grants do not fit: split the "
    "system into fewer models per spec (one stack per group of latest_approved endpoints)"
)


@dataclass(frozen=True)
class FunctionPlan:
    key: str
    """trigger, deploy or notify."""
    name: str
    arn: str
    handler: str
    description: str
    role: iam.RolePlan
    log_group: str
    timeout_seconds: int
    memory_mb: int
    config_file: ConfigFile
    """Its runtime configuration: a versioned object in the artifacts bucket (JSON with
    ``${account}``/``${key_arn}``), the only one its role may read (``function_config``)."""
    reserved_concurrency: int | None = None
    """Lambda reserved concurrency: at most this many invocations run at once (None: the
    account's unreserved pool, no limit of its own)."""

    @property
    def config(self) -> str:
        """The runtime configuration document (the object's content)."""
        return self.config_file.content


@dataclass(frozen=True)
class RulePlan:
    key: str
    name: str
    arn: str
    description: str
    event_pattern: str
    function: str


@dataclass(frozen=True)
class TablePlan:
    name: str
    arn: str
    hash_key: str
    range_key: str
    ttl_attribute: str
    retain: bool


@dataclass(frozen=True)
class RetrainingPlan:
    table: TablePlan
    queue: QueuePlan
    functions: tuple[FunctionPlan, ...]
    rules: tuple[RulePlan, ...]
    schedules: tuple[SchedulePlan, ...] = ()
    """``training.schedule`` of each model: invokes the trigger function (by model id)."""
    retry_attempts: int = RETRY_ATTEMPTS
    max_event_age_seconds: int = MAX_EVENT_AGE_SECONDS

    def function(self, key: str) -> FunctionPlan | None:
        return next((f for f in self.functions if f.key == key), None)

    def schedule_for(self, model: str) -> SchedulePlan | None:
        return self._schedules_by_model.get(model)

    @cached_property
    def _schedules_by_model(self) -> dict[str, SchedulePlan]:
        return first_per_model(self.schedules)


def _arn(partition: str, region: str, service: str, resource: str) -> str:
    return f"arn:{partition}:{service}:{region}:{ACCOUNT}:{resource}"


@dataclass(frozen=True)
class _Loop:
    """What the loop's functions, rules and dead-letter queue share."""

    names: Names
    policy: EnvironmentPolicy
    partition: str
    region: str
    table: TablePlan
    queue_name: str
    artifacts: BucketPlan
    """Where the functions' configuration objects live."""

    @property
    def queue_arn(self) -> str:
        return self.arn("sqs", self.queue_name)

    def arn(self, service: str, resource: str) -> str:
        return _arn(self.partition, self.region, service, resource)

    def rule(
        self, key: str, description: str, pattern: dict, function: str, name: str | None = None
    ) -> RulePlan:
        """A rule invoking ``function``; named ``<prefix>-<key>`` unless ``name`` is given."""
        name = name or self.names.rule(key)
        arn = self.arn("events", f"rule/{name}")
        text = canonical_json(pattern)
        if len(text) > EVENT_PATTERN_LIMIT:
            raise PlanError(
                f"models: the rule {name} needs a {len(text)}-character event pattern; "
                f"EventBridge allows {EVENT_PATTERN_LIMIT}. Split the system into fewer "
                "models per spec"
            )
        return RulePlan(key, name, arn, description, text, function)

    def fitted(self, pattern: dict, field: str) -> dict:
        """``pattern`` while EventBridge takes it, else with ``detail.<field>`` (a list of the
        stack's names) matched by the stack's prefix instead: a large system's alarms or
        package groups do not fit one list, and the functions ignore (and audit) events of
        names their configuration does not hold."""
        if len(canonical_json(pattern)) <= EVENT_PATTERN_LIMIT:
            return pattern
        matcher = [{"prefix": f"{self.names.prefix}-"}]
        return {**pattern, "detail": {**pattern["detail"], field: matcher}}

    def config_file(self, key: str, purpose: str, config: RuntimeConfig) -> ConfigFile:
        """The configuration object of function ``<prefix>-<purpose>`` (plan key ``key``)."""
        return function_config(self.artifacts, self.names.function(purpose), key, config)

    def role(
        self, key: str, purpose: str, description: str, grants: list, config_file: ConfigFile
    ) -> iam.RolePlan:
        """The role of function ``<prefix>-<purpose>``: ``grants``, and reading its
        configuration object, the table, the system key, its log group and the dead-letter
        queue."""
        log_group = self.names.lambda_log_group(purpose)
        return iam.role(
            key,
            self.names.role(purpose),
            "lambda.amazonaws.com",
            description,
            *grants,
            read_config_grant(self.artifacts, config_file),
            iam.dynamodb_items(self.table.arn),
            iam.kms_use(encrypt=True),
            iam.log_writes((self.arn("logs", f"log-group:{log_group}"),)),
            iam.send_messages(self.queue_arn),
        )

    def function(
        self,
        key: str,
        purpose: str,
        handler: str,
        role: iam.RolePlan,
        config_file: ConfigFile,
        *,
        timeout: int,
        reserved_concurrency: int,
    ) -> FunctionPlan:
        """Function ``<prefix>-<purpose>`` with ``role`` (:meth:`role`) and ``config_file``
        (:meth:`config_file`); its description is its role's."""
        name = self.names.function(purpose)
        return FunctionPlan(
            key=key,
            name=name,
            arn=function_arn(self.partition, self.region, name),
            handler=handler,
            description=role.description,
            role=role,
            log_group=self.names.lambda_log_group(purpose),
            timeout_seconds=timeout,
            memory_mb=256,
            config_file=config_file,
            reserved_concurrency=reserved_concurrency,
        )


@dataclass(frozen=True)
class _Triggers:
    """What starts a model's training automatically."""

    scheduled: dict[str, str]
    """``training.schedule`` by model."""
    alarms: dict[str, str]
    """The model of each alarm of a ``retrain`` monitor, by alarm name."""
    sources: list[tuple[str, DataLocation, tuple[str, ...]]]
    """(source id, location, models training on it) of ``retrain_on_new_data`` sources."""

    @property
    def models(self) -> list[str]:
        """Every model that retrains automatically."""
        readers = {m for *_, models in self.sources for m in models}
        return sorted(set(self.scheduled) | set(self.alarms.values()) | readers)


def retrain_triggers(spec: SystemSpec, names: Names, storage: StoragePlan) -> _Triggers:
    """What starts each model's training automatically (the Kubernetes loop controller reads
    the same: ``mlops_spec.plan.k8s.loop``)."""
    models = sorted(spec.models.items())
    sources = []
    for source_id, source in sorted(spec.data_sources.items()):
        readers = tuple(m for m, model in models if source_id in model.training.inputs)
        if source.retrain_on_new_data and readers:
            sources.append((source_id, storage.location(source_id), readers))
    return _Triggers(
        scheduled={m: model.training.schedule for m, model in models if model.training.schedule},
        alarms={
            names.alarm(model_id, monitor_id): model_id
            for model_id, model in models
            for monitor_id in model.monitors_with_action(MonitorAction.RETRAIN)
        },
        sources=sources,
    )


def plan_retraining(
    resolved: ResolvedSpec,
    names: Names,
    policy: EnvironmentPolicy,
    storage: StoragePlan,
    training: dict[str, TrainingPlan],
    serving: dict[str, ServingPlan],
    partition: str,
) -> RetrainingPlan | None:
    """None when no model retrains (on a schedule, alarms or data) and none follows
    latest_approved."""
    spec = resolved.spec
    triggers = retrain_triggers(spec, names, storage)
    deployed = [
        s
        for _, s in sorted(serving.items())
        if s.endpoint is not None and s.endpoint.owner == "deploy-function"
    ]
    if not triggers.models and not deployed:
        return None
    region = spec.system.region
    table_name = names.table("retraining")
    table = TablePlan(
        name=table_name,
        arn=_arn(partition, region, "dynamodb", f"table/{table_name}"),
        hash_key="pk",
        range_key="sk",
        ttl_attribute="expires_at",
        retain=policy.protect,
    )
    loop = _Loop(
        names,
        policy,
        partition,
        region,
        table,
        names.queue("events-dlq"),
        storage.bucket("artifacts"),
    )
    functions: list[FunctionPlan] = []
    rules: list[RulePlan] = []
    schedules: list[SchedulePlan] = []
    if triggers.models:
        trigger = _trigger_function(loop, spec, triggers, training)
        functions.append(trigger)
        schedules += _training_schedules(loop, triggers.scheduled, trigger)
        rules += _trigger_rules(loop, triggers)
    if deployed:
        functions.append(_deploy_function(loop, spec, deployed, training, storage))
        rules += _deploy_rules(loop, deployed)
    return RetrainingPlan(
        table=table,
        queue=_dead_letter_queue(loop, rules),
        functions=tuple(functions),
        rules=tuple(rules),
        schedules=tuple(schedules),
    )


# -- trigger --------------------------------------------------------------------------------
def _trigger_function(
    loop: _Loop, spec: SystemSpec, triggers: _Triggers, training: dict[str, TrainingPlan]
) -> FunctionPlan:
    """The function that starts training pipelines, within each model's cooldown and cap."""
    retrained = triggers.models
    config = TriggerConfig(
        system=spec.system.id,
        table_name=loop.table.name,
        models={m: model_trigger(spec, m, training[m].pipeline_name) for m in retrained},
        alarms=triggers.alarms,
        data_sources=tuple(
            DataSourceTrigger(bucket=loc.bucket, prefix=loc.prefix, models=readers)
            for _, loc, readers in triggers.sources
        ),
        audit_ttl_days=loop.policy.log_retention_days,
    )
    pipelines = tuple(sorted(training[m].pipeline_arn for m in retrained))
    config_file = loop.config_file("trigger", "retrain-trigger", config)
    description = f"{loop.names.prefix}: start retraining on schedules, drift alarms and new data"
    role = loop.role(
        "trigger", "retrain-trigger", description, [iam.start_pipelines(pipelines)], config_file
    )
    return loop.function(
        "trigger",
        "retrain-trigger",
        "mlops_runtime.trigger.handler",
        role,
        config_file,
        timeout=60,
        reserved_concurrency=TRIGGER_CONCURRENCY,
    )


def model_trigger(spec: SystemSpec, model_id: str, pipeline_name: str) -> ModelTrigger:
    """How one model's runs are limited: its cooldown and daily cap from the spec (the
    Kubernetes controller's ``LoopModel`` takes the same)."""
    retraining = spec.models[model_id].retraining
    return ModelTrigger(
        pipeline_name=pipeline_name,
        cooldown_hours=float(retraining.cooldown_hours),
        max_runs_per_day=retraining.max_runs_per_day,
    )


def _training_schedules(
    loop: _Loop, scheduled: dict[str, str], trigger: FunctionPlan
) -> list[SchedulePlan]:
    """``training.schedule`` of each model: invokes the trigger function with the model id."""
    names = loop.names
    return [
        invoke_function_schedule(
            names=names,
            model=model_id,
            purpose="train",
            what="scheduled retraining",
            expression=expression,
            enabled=loop.policy.schedules_enabled,
            function=trigger.arn,
            event={"source": SCHEDULE_SOURCE, "model": model_id, "scheduled_time": SCHEDULED_TIME},
            partition=loop.partition,
            region=loop.region,
        )
        for model_id, expression in scheduled.items()
    ]


def _trigger_rules(loop: _Loop, triggers: _Triggers) -> list[RulePlan]:
    """Retrain monitors' alarms and new objects in ``retrain_on_new_data`` sources."""
    rules = []
    if triggers.alarms:
        pattern = loop.fitted(
            {
                "source": ["aws.cloudwatch"],
                "detail-type": ["CloudWatch Alarm State Change"],
                "detail": {"alarmName": sorted(triggers.alarms), "state": {"value": ["ALARM"]}},
            },
            "alarmName",
        )
        rules.append(
            loop.rule("alarm-retrain", "Retrain monitors entered ALARM", pattern, "trigger")
        )
    for source_id, loc, _readers in triggers.sources:
        detail: dict = {"bucket": {"name": [loc.bucket]}}
        if loc.prefix:
            detail["object"] = {"key": [{"prefix": loc.prefix}]}
        rules.append(
            loop.rule(
                f"new-data-{source_id}",
                f"New objects in data source {source_id}",
                {"source": ["aws.s3"], "detail-type": ["Object Created"], "detail": detail},
                "trigger",
            )
        )
    return rules


# -- deploy ---------------------------------------------------------------------------------
def _deploy_function(
    loop: _Loop,
    spec: SystemSpec,
    deployed: list[ServingPlan],
    training: dict[str, TrainingPlan],
    storage: StoragePlan,
) -> FunctionPlan:
    """The function that rolls ``latest_approved`` endpoints onto approved packages, remembers
    rolled-back packages, tells the alarm topic, and promotes the served package's drift
    references."""
    references = {
        p.model: _references(training[p.model].profile) for p in deployed if p.model in training
    }
    topic = loop.arn("sns", loop.names.topic())
    config = DeployConfig(
        system=spec.system.id,
        endpoints={
            p.package_group: dataclasses.replace(
                _deploy_target(p, loop.partition, loop.policy),
                references=references.get(p.model),
            )
            for p in deployed
        },
        table_name=loop.table.name,
        audit_ttl_days=loop.policy.log_retention_days,
        notification_topic_arn=topic,
    )

    config_file = loop.config_file("deploy", "deploy", config)

    def role(by_prefix: bool) -> iam.RolePlan:
        grants = [
            *_deploy_grants(deployed, loop.names, loop.partition, loop.region, by_prefix),
            *_promotion_grants(topic, references.values(), storage, by_prefix),
        ]
        return loop.role(
            "deploy",
            "deploy",
            f"{loop.names.prefix}: roll endpoints onto newly approved packages",
            [policy_size.merge_statements(s for group in grants for s in group)],
            config_file,
        )

    # Each endpoint by name while the role's policy fits IAM's limit, else by the stack prefix
    # (the configuration, the same either way, is written once).
    deploy_role = role(by_prefix=False)
    if not policy_size.fits(deploy_role):
        deploy_role = role(by_prefix=True)
    policy_size.check_role(deploy_role, ("models",), DEPLOY_FIX)
    return loop.function(
        "deploy",
        "deploy",
        "mlops_runtime.deploy.handler",
        deploy_role,
        config_file,
        timeout=120,
        reserved_concurrency=DEPLOY_CONCURRENCY,
    )


def _references(profile: ProfilePlan | None) -> ReferencePromotion | None:
    """Where the deploy function promotes the served package's drift references from and to
    (None when the Profile step writes the current references itself)."""
    if profile is None or profile.packages_uri is None:
        return None
    return ReferencePromotion(
        current_uri=profile.output_uri.rstrip("/") + "/",
        packages_uri=profile.packages_uri,
        files=profile.files,
        kms_key_id=KEY_ARN,
    )


def _promotion_grants(
    topic: str,
    promotions: Iterable[ReferencePromotion | None],
    storage: StoragePlan,
    by_prefix: bool,
) -> list[tuple[Statement, ...]]:
    """Publish rollbacks to the alarm topic (encrypted with the system key, which every
    function's role may use); copy each model's package references (``profiles/``) to its
    current ones (``reference/``) as ``promotions`` (:func:`_references`) say, with
    ``by_prefix`` those of any model of the stack (``models/*/...`` in its artifacts
    bucket)."""
    grants: list[tuple[Statement, ...]] = [
        (Statement(sid="AnnounceRollbacks", actions=("sns:Publish",), resources=(topic,)),)
    ]
    artifacts = storage.bucket("artifacts")
    for references in promotions:
        if references is None:
            continue
        bucket = f"s3://{artifacts.name}/"
        read = references.packages_uri.removeprefix(bucket)
        write = references.current_uri.removeprefix(bucket)
        if by_prefix:
            read, write = (_ANY_MODEL.sub("models/*/", path) for path in (read, write))
        grants += [iam.s3_read(artifacts.arn, read), iam.s3_write(artifacts.arn, write)]
    return grants


def _deploy_rules(loop: _Loop, deployed: list[ServingPlan]) -> list[RulePlan]:
    """Approvals and rejections of the endpoints' packages, and each endpoint entering service
    (every rollout ends with it: the deploy function settles the rollout, promotes the served
    package's references and applies autoscaling then)."""
    pattern = loop.fitted(
        {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Model Package State Change"],
            "detail": {
                "ModelPackageGroupName": sorted({p.package_group for p in deployed}),
                "ModelApprovalStatus": ["Approved", "Rejected"],
            },
        },
        "ModelPackageGroupName",
    )
    rules = [
        loop.rule("package-approved", "A model package was approved or rejected", pattern, "deploy")
    ]
    for served in deployed:
        endpoint = served.endpoint
        if endpoint is None:
            continue
        name = loop.names.endpoint_in_service_rule(served.model)
        problem = check_name(name, "rule")
        if problem:
            raise PlanError(f"models.{served.model}: {problem}")
        in_service = {
            "source": ["aws.sagemaker"],
            "detail-type": ["SageMaker Endpoint State Change"],
            "detail": {"EndpointName": [endpoint.name], "EndpointStatus": ["IN_SERVICE"]},
        }
        rules.append(
            loop.rule(
                f"endpoint-in-service-{served.model}",
                f"Endpoint {endpoint.name} is in service (apply its autoscaling, reconcile its package)",
                in_service,
                "deploy",
                name=name,
            )
        )
    return rules


# -- events ---------------------------------------------------------------------------------
def _dead_letter_queue(loop: _Loop, rules: list[RulePlan]) -> QueuePlan:
    """Where the rules' events go when the functions fail them, TLS-only, with an alarm.

    EventBridge may send only for the stack's rules; a loop without rules (a training schedule
    alone: the scheduler invokes the trigger directly) grants it nothing."""
    queue_arn = loop.queue_arn
    from_rules = Statement(
        sid="EventBridgeDeadLetters",
        principals=(("Service", "events.amazonaws.com"),),
        actions=("sqs:SendMessage",),
        resources=(queue_arn,),
        conditions=(Condition("ArnEquals", "aws:SourceArn", tuple(r.arn for r in rules)),),
    )
    policy = PolicyDocument(
        (
            *((from_rules,) if rules else ()),
            Statement(
                sid="DenyInsecureTransport",
                effect="Deny",
                principals=(("*", "*"),),
                actions=("sqs:SendMessage", "sqs:ReceiveMessage"),
                resources=(queue_arn,),
                conditions=(Condition("Bool", "aws:SecureTransport", ("false",)),),
            ),
        )
    )
    alarm = dead_letter_alarm(
        loop.names,
        "events-dlq",
        loop.queue_name,
        f"{loop.names.prefix}: retraining/deploy events failed and wait in {loop.queue_name}",
    )
    return QueuePlan(loop.queue_name, queue_arn, DLQ_RETENTION_SECONDS, policy, alarm)


def _deploy_target(plan: ServingPlan, partition: str, policy: EnvironmentPolicy) -> EndpointTarget:
    """The deploy function's view of a ``latest_approved`` endpoint: the serving plan's
    ``EndpointTarget``, the one pinned endpoints are built from too (tagged
    ``mlops:endpoint-owner: deploy-function``, so the stack's teardown finds what it creates)."""
    return endpoint_target(plan, policy, partition)


def _deploy_grants(
    deployed: list[ServingPlan], names: Names, partition: str, region: str, by_prefix: bool
) -> list[tuple[Statement, ...]]:
    """What the deploy function does to its endpoints (see docs/runtime.md, 'IAM'): each
    endpoint's resources by name, statements of the same Sid merged, or with ``by_prefix``
    every resource of those kinds named ``<prefix>-*`` (a large system)."""
    if by_prefix:
        grants = [_prefix_grants(deployed, names, partition, region)]
    else:
        grants = [_endpoint_grants(plan, names, partition, region) for plan in deployed]
    grants.append(
        (
            Statement(
                sid="FindLatestApproved",
                actions=("sagemaker:ListModelPackages",),
                resources=("*",),
            ),
            *iam.kms_grant(),
        )
    )
    if any(p.endpoint and p.endpoint.serverless is None for p in deployed):
        scaled = sorted(p.endpoint.name for p in deployed if p.endpoint and p.endpoint.autoscaling)
        if by_prefix and scaled:
            scaled = [f"{names.prefix}-*"]
        grants.append(
            iam.endpoint_autoscaling(
                partition, region, register=bool(scaled), endpoints=tuple(scaled)
            )
        )
    roles = sorted(p.role.arn(partition) for p in deployed)
    if by_prefix:
        roles = [iam.role_arn(partition, names.role("serve", "*"))]
    grants.append(iam.pass_role(tuple(roles), "sagemaker.amazonaws.com"))
    return grants


def _prefix_grants(
    deployed: list[ServingPlan], names: Names, partition: str, region: str
) -> tuple[Statement, ...]:
    """``_endpoint_grants`` of all ``deployed`` endpoints at once, by the stack's name prefix:
    every endpoint, endpoint configuration, model, package group, package and alarm named
    ``<prefix>-...`` (so also pinned endpoints Pulumi owns; the function's configuration still
    names the endpoints it manages)."""

    def arn(resource: str, service: str = "sagemaker") -> str:
        return _arn(partition, region, service, resource)

    endpoints = arn(f"endpoint/{names.prefix}-*")
    statements = [
        Statement(
            sid="ServeModel",
            actions=SERVE_ACTIONS,
            resources=(
                endpoints,
                arn(f"endpoint-config/{names.prefix}-*"),
                arn(f"model/{names.prefix}-*"),
            ),
        ),
        Statement(
            sid="ReadPackages",
            actions=("sagemaker:DescribeModelPackage",),
            resources=(
                arn(f"model-package-group/{names.prefix}-*"),
                arn(f"model-package/{names.prefix}-*/*"),
            ),
        ),
    ]
    if any(p.endpoint and p.endpoint.serverless is None for p in deployed):
        statements.append(_scale_endpoint((endpoints,)))
    if any(p.rollback_alarms for p in deployed):
        statements.append(_read_alarms((arn(f"alarm:{names.prefix}-*", "cloudwatch"),)))
    return tuple(statements)


def _endpoint_grants(
    plan: ServingPlan, names: Names, partition: str, region: str
) -> tuple[Statement, ...]:
    """Create, update and scale one ``latest_approved`` endpoint from its package group."""
    endpoint = plan.endpoint
    assert endpoint is not None
    group_arn, packages = package_arns(partition, region, plan.package_group)
    base = names.model_base(plan.model)
    statements = [
        Statement(
            sid="ServeModel",
            actions=SERVE_ACTIONS,
            resources=(
                endpoint.arn,
                _arn(partition, region, "sagemaker", f"endpoint-config/{base}-*"),
                _arn(partition, region, "sagemaker", f"model/{base}-*"),
            ),
        ),
        Statement(
            sid="ReadPackages",
            actions=("sagemaker:DescribeModelPackage",),
            resources=(group_arn, packages),
        ),
    ]
    if endpoint.serverless is None:
        # Application Auto Scaling checks the caller's rights on the target (see iam.py).
        # Every instance-based endpoint: the function takes an earlier registration off
        # before an instance-type change even when the spec no longer scales it.
        statements.append(_scale_endpoint((endpoint.arn,)))
    if plan.rollback_alarms:
        statements.append(
            _read_alarms(
                tuple(
                    _arn(partition, region, "cloudwatch", f"alarm:{alarm}")
                    for alarm in plan.rollback_alarms
                )
            )
        )
    return tuple(statements)


def _scale_endpoint(endpoints: tuple[str, ...]) -> Statement:
    return Statement(
        sid="ScaleEndpoint",
        actions=("sagemaker:UpdateEndpointWeightsAndCapacities",),
        resources=endpoints,
    )


def _read_alarms(alarms: tuple[str, ...]) -> Statement:
    return Statement(
        sid="ReadRollbackAlarms", actions=("cloudwatch:DescribeAlarms",), resources=alarms
    )
