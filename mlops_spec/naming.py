"""The only place that derives names. Names are a public contract: they come from stable spec
keys (system id, environment, model/monitor/data-source ids), never from list positions.

Renaming a derivation replaces the named resources. Logical (Pulumi) names are the
components' business: they are built from the same stable keys, never contain the environment
(so URNs are equal across stacks), and a component that renames, retypes or moves a child
passes Pulumi ``aliases`` for it at that resource (e.g. ``MonitoringJob``'s former type).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

BucketPurpose = Literal["data", "artifacts", "capture", "reports", "logs"]

SAGEMAKER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


@dataclass(frozen=True)
class NameLimit:
    """An AWS naming rule a physical name must satisfy."""

    kind: str
    max_length: int
    pattern: str | None = None
    why: str | None = None
    """Why the limit is not AWS's own (None: it is AWS's)."""


ENDPOINT_NAME_LENGTH = 50
"""The deploy function names the Model and EndpointConfig it creates ``<endpoint>-<12-hex
hash>`` within SageMaker's 63 characters, so it keeps the endpoint name whole only up to 50
characters (``mlops_runtime.aws.endpoint_requests.hashed_name``); the deploy role's grants
(``model/<endpoint>-*``) rely on it."""

LIMITS: dict[str, NameLimit] = {
    "sagemaker": NameLimit("SageMaker name", 63, SAGEMAKER_NAME.pattern),
    "endpoint": NameLimit(
        "SageMaker endpoint name",
        ENDPOINT_NAME_LENGTH,
        SAGEMAKER_NAME.pattern,
        why="the models and endpoint configs of an endpoint are named <endpoint>-<12-character "
        "hash> within SageMaker's 63 characters",
    ),
    "pipeline": NameLimit("SageMaker pipeline name", 256, r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$"),
    "bucket": NameLimit(
        "S3 bucket name",
        63,
        r"^(?!xn--|sthree-|amzn-s3-demo-)(?!.*\.\.)[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$",
    ),
    "role": NameLimit("IAM role name", 64, r"^[\w+=,.@-]+$"),
    "function": NameLimit("Lambda function name", 64, r"^[a-zA-Z0-9-_]+$"),
    "rule": NameLimit("EventBridge rule name", 64, r"^[\.\-_A-Za-z0-9]+$"),
    "schedule": NameLimit("EventBridge Scheduler schedule name", 64, r"^[0-9a-zA-Z-_.]+$"),
    "alarm": NameLimit("CloudWatch alarm name", 255),
    "dashboard": NameLimit("CloudWatch dashboard name", 255, r"^[A-Za-z0-9\-_]+$"),
    "topic": NameLimit("SNS topic name", 256, r"^[A-Za-z0-9_-]+$"),
    "table": NameLimit("DynamoDB table name", 255, r"^[a-zA-Z0-9_.-]+$"),
    "queue": NameLimit("SQS queue name", 80, r"^[a-zA-Z0-9_-]+$"),
    "log_group": NameLimit("CloudWatch log group name", 512),
    "kms_alias": NameLimit("KMS alias", 256, r"^alias/[a-zA-Z0-9/_-]+$"),
}


def content_hash(value: Any, length: int = 8) -> str:
    """A short, stable hash of a JSON-serialisable value (sorted keys)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass(frozen=True)
class Names:
    """Physical names of one system in one environment (stack)."""

    system: str
    environment: str
    region: str
    bucket_namespace: str | None = None
    moved_models: tuple[tuple[str, str], ...] = ()
    """(model id, the id it was moved from): a moved model keeps the physical names of its
    stateful resources (package group, endpoint), so a rename replaces neither."""
    moved_sources: tuple[tuple[str, str], ...] = ()
    """(data source id, the id it was moved from): a moved source keeps its bucket's name."""

    @cached_property
    def prefix(self) -> str:
        """``<system>-<environment>``, every derived name's start (kept once computed: the
        planner derives thousands of names per stack)."""
        return f"{self.system}-{self.environment}"

    @cached_property
    def _kept_models(self) -> dict[str, str]:
        return dict(self.moved_models)

    @cached_property
    def _kept_sources(self) -> dict[str, str]:
        return dict(self.moved_sources)

    def kept_model(self, model: str) -> str:
        """The id a model's stateful names come from: its ``moved_from``, else its own."""
        return self._kept_models.get(model, model)

    def kept_source(self, source: str) -> str:
        """The id a data source's bucket name comes from: its ``moved_from``, else its own."""
        return self._kept_sources.get(source, source)

    # -- system-wide -------------------------------------------------------------------
    def bucket(self, purpose: str) -> str:
        """``<namespace>-<system>-<env>-<purpose>-<region>`` (a stack without a namespace is
        refused at load time; without one the name has no namespace part)."""
        parts = [self.bucket_namespace, self.prefix, purpose, self.region]
        return "-".join(p for p in parts if p)

    def data_bucket(self, source_id: str) -> str:
        """Stateful: a moved source keeps the bucket of its former id."""
        return self.bucket(f"data-{self.kept_source(source_id)}")

    def kms_alias(self) -> str:
        return f"alias/mlops/{self.prefix}"

    def topic(self) -> str:
        return f"{self.prefix}-alarms"

    def table(self, purpose: str) -> str:
        return f"{self.prefix}-{purpose}"

    def function(self, purpose: str) -> str:
        return f"{self.prefix}-{purpose}"

    def queue(self, purpose: str) -> str:
        return f"{self.prefix}-{purpose}"

    def rule(self, purpose: str) -> str:
        return f"{self.prefix}-{purpose}"

    def metric_namespace(self) -> str:
        return f"MLOps/{self.system}"

    def role(self, purpose: str, model: str | None = None) -> str:
        name = self.prefix  # never empty: the parts written are joined by '-'
        if model:
            name = f"{name}-{model}"
        return f"{name}-{purpose}" if purpose else name

    def log_group(self, kind: str, name: str) -> str:
        return f"/mlops/{self.prefix}/{kind}/{name}"

    # -- per model ---------------------------------------------------------------------
    def model_base(self, model: str) -> str:
        return f"{self.prefix}-{model}"

    def model_package_group(self, model: str) -> str:
        """Stateful (it holds the versions and approvals): a moved model keeps its former
        group."""
        return self.model_base(self.kept_model(model))

    def pipeline(self, model: str) -> str:
        return f"{self.model_base(model)}-train"

    def monitoring_pipeline(self, model: str) -> str:
        return f"{self.model_base(model)}-monitor"

    def endpoint(self, model: str) -> str:
        """Stateful (its URL is what clients call; capture and logs are keyed by it): a
        moved model keeps its former endpoint."""
        return self.model_base(self.kept_model(model))

    def sagemaker_model(self, model: str, digest: str) -> str:
        return f"{self.endpoint(model)}-{digest}"

    def endpoint_config(self, model: str, digest: str) -> str:
        return f"{self.endpoint(model)}-{digest}"

    def schedule(self, model: str, purpose: str) -> str:
        return f"{self.model_base(model)}-{purpose}"

    def alarm(self, model: str, monitor: str) -> str:
        return f"{self.model_base(model)}-{monitor}"

    def health_alarm(self, model: str) -> str:
        return f"{self.model_base(model)}-health"

    def dashboard(self, model: str) -> str:
        return self.model_base(model)

    def transform_job_prefix(self, model: str) -> str:
        return f"{self.model_base(model)}-batch"

    def batch_pipeline(self, model: str) -> str:
        """The SageMaker pipeline whose Transform step scores a batch model's input."""
        return self.transform_job_prefix(model)

    def scaling_policy(self, model: str) -> str:
        """The endpoint variant's target-tracking autoscaling policy."""
        return f"{self.model_base(model)}-invocations"

    def endpoint_in_service_rule(self, model: str) -> str:
        """The EventBridge rule telling the deploy function that a ``latest_approved``
        endpoint is in service (so it applies the endpoint's autoscaling)."""
        return self.rule(f"{model}-in-service")

    def lambda_log_group(self, purpose: str) -> str:
        """The log group Lambda writes to for ``function(purpose)``."""
        return f"/aws/lambda/{self.function(purpose)}"

    def system_alarm(self, purpose: str) -> str:
        """An alarm on a system-wide resource (e.g. the events dead-letter queue)."""
        return f"{self.prefix}-{purpose}"


@dataclass(frozen=True)
class ModelNames:
    """What decides which of a model's derived names exist (``checks.name_facts`` reads them
    from the spec)."""

    tier: str | None = None
    """Serving tier: realtime, serverless or batch; None when the model is not served."""
    latest_approved: bool = False
    """The endpoint follows latest_approved (it gets an in-service rule)."""
    monitoring_job: bool = False
    """A scheduled monitoring job may run (job-computed monitors on a capturing realtime
    endpoint or a batch-served model)."""
    training_schedule: bool = False
    """The model retrains on a schedule."""

    @property
    def endpoint(self) -> bool:
        return self.tier in ("realtime", "serverless")

    @property
    def scheduled(self) -> bool:
        """The model has a schedule (training, batch or monitoring), hence a scheduler role."""
        return self.training_schedule or self.tier == "batch" or self.monitoring_job


NameRow = tuple[tuple[str | int, ...], str, str]
"""(spec path, limit key, name): one derived physical name and where it comes from."""


def physical_names(
    names: Names,
    model_ids: list[str],
    monitors: dict[str, list[str]],
    data_sources: list[str],
    *,
    models: Mapping[str, ModelNames] | None = None,
    notifier: bool = False,
    retrain_sources: list[str] | None = None,
) -> list[NameRow]:
    """Every physical name a spec derives, as (spec path, limit key, name) for checking.

    ``data_sources`` are those whose bucket the stack creates. ``models`` says which per-model
    names exist (endpoint, batch, monitoring job, schedules); a model it does not describe is
    checked for every name it could have. ``notifier``: the spec names a chat webhook, so the
    notifier function, role, log group and queue exist. ``retrain_sources``: the sources whose
    new data retrains (each gets a rule); None: those of ``data_sources``.
    """
    found = _system_names(names)
    if notifier:
        found += _notifier_names(names)
    for source in data_sources:
        found.append((("data_sources", source), "bucket", names.data_bucket(source)))
    for source in data_sources if retrain_sources is None else retrain_sources:
        found.append((("data_sources", source), "rule", names.rule(f"new-data-{source}")))
    for model in model_ids:
        found += _model_names(names, model, (models or {}).get(model))
        for monitor in monitors.get(model, []):
            found.append(
                (("models", model, "monitors", monitor), "alarm", names.alarm(model, monitor))
            )
    return found


def _system_names(names: Names) -> list[NameRow]:
    path: tuple[str | int, ...] = ("system", "id")
    return [
        (path, "bucket", names.bucket("artifacts")),
        (path, "bucket", names.bucket("capture")),
        (path, "bucket", names.bucket("reports")),
        (path, "bucket", names.bucket("logs")),
        (path, "topic", names.topic()),
        (path, "table", names.table("retraining")),
        (path, "function", names.function("retrain-trigger")),
        (path, "function", names.function("deploy")),
        (path, "role", names.role("retrain-trigger")),
        (path, "role", names.role("deploy")),
        (path, "log_group", names.lambda_log_group("retrain-trigger")),
        (path, "log_group", names.lambda_log_group("deploy")),
        (path, "queue", names.queue("events-dlq")),
        (path, "rule", names.rule("alarm-retrain")),
        (path, "rule", names.rule("package-approved")),
        (path, "rule", names.rule("pipeline-failed")),
        (path, "queue", names.queue("pipeline-failed-dlq")),
        (path, "alarm", names.system_alarm("pipeline-failed-dlq")),
        (path, "kms_alias", names.kms_alias()),
    ]


def _notifier_names(names: Names) -> list[NameRow]:
    path: tuple[str | int, ...] = ("notifications", "webhook_url_ssm_parameter")
    return [
        (path, "function", names.function("notify")),
        (path, "role", names.role("notify")),
        (path, "log_group", names.lambda_log_group("notify")),
        (path, "queue", names.queue("notify-dlq")),
        (path, "alarm", names.system_alarm("notify-dlq")),
    ]


def _model_names(names: Names, model: str, facts: ModelNames | None) -> list[NameRow]:
    """A model's names; ``facts`` None: every name it could have."""
    path: tuple[str | int, ...] = ("models", model)
    digest = "0" * 8
    found: list[NameRow] = [
        (path, "sagemaker", names.model_package_group(model)),
        (path, "pipeline", names.pipeline(model)),
        (path, "role", names.role("train", model)),
        (path, "role", names.role("trainer", model)),
        (path, "alarm", names.health_alarm(model)),
        (path, "dashboard", names.dashboard(model)),
    ]
    if facts is None or facts.tier:
        found.append((path, "role", names.role("serve", model)))
    if facts is None or facts.endpoint:
        found += [
            (path, "endpoint", names.endpoint(model)),
            (path, "sagemaker", names.endpoint_config(model, digest)),
            (path, "sagemaker", names.sagemaker_model(model, digest)),
        ]
    if facts is None or (facts.endpoint and facts.latest_approved):
        found.append((path, "rule", names.endpoint_in_service_rule(model)))
    if facts is None or facts.tier == "batch":
        found += [
            (path, "pipeline", names.batch_pipeline(model)),
            (path, "schedule", names.schedule(model, "batch")),
            *_schedule_dead_letters(names, path, model, "batch"),
        ]
    if facts is None or facts.monitoring_job:
        found += [
            (path, "pipeline", names.monitoring_pipeline(model)),
            (path, "role", names.role("monitor", model)),
            (path, "schedule", names.schedule(model, "monitor")),
            *_schedule_dead_letters(names, path, model, "monitor"),
        ]
    if facts is None or facts.training_schedule:
        found.append((path, "schedule", names.schedule(model, "train")))
        found += _schedule_dead_letters(names, path, model, "train")
    if facts is None or facts.scheduled:
        found.append((path, "role", names.role("scheduler", model)))
    return found


def _schedule_dead_letters(
    names: Names, path: tuple[str | int, ...], model: str, purpose: str
) -> list[NameRow]:
    """A schedule's dead-letter queue and its alarm, both ``<prefix>-<model>-<purpose>-dlq``."""
    return [
        (path, "queue", names.queue(f"{model}-{purpose}-dlq")),
        (path, "alarm", names.alarm(model, f"{purpose}-dlq")),
    ]


def former_logical_name(
    name: str,
    *,
    models: Mapping[str, str],
    sources: Mapping[str, str],
    ids: Iterable[str],
) -> str | None:
    """The logical name a resource had before the renames, or None when none applies.

    ``models`` and ``sources`` map a current id to its ``moved_from``; ``ids`` are every
    current model and data source id. Logical names join stable keys with '-', so an id is a
    run of whole segments; where several ids match at one place the longest is meant
    (``churn`` and ``churn-classifier``). A data source id follows a ``data`` segment
    (``storage-data-<source>-...``, ``retraining-new-data-<source>-...``); any other
    occurrence is a model id. An alias that names nothing in the state is ignored by Pulumi,
    so a spurious match costs nothing; a missed one would replace the resource.
    """
    segments = name.split("-")
    known = sorted({*ids, *models, *sources}, key=lambda i: (-i.count("-"), i))
    out: list[str] = []
    changed, index = False, 0
    while index < len(segments):
        moved = sources if out and out[-1] == "data" else models
        for identifier in known:
            parts = identifier.split("-")
            if segments[index : index + len(parts)] == parts:
                out.append(moved.get(identifier, identifier))
                changed = changed or identifier in moved
                index += len(parts)
                break
        else:
            out.append(segments[index])
            index += 1
    return "-".join(out) if changed else None


@dataclass(frozen=True)
class Renames:
    """The ``moved_from`` of a stack's models and data sources, for the components' aliases."""

    models: tuple[tuple[str, str], ...] = ()
    """(model id, former id)."""
    sources: tuple[tuple[str, str], ...] = ()
    """(data source id, former id)."""
    ids: tuple[str, ...] = ()
    """Every current model and data source id (to tell ``churn`` from ``churn-classifier``)."""

    def __bool__(self) -> bool:
        return bool(self.models or self.sources)

    def former(self, name: str) -> str | None:
        """The logical name ``name`` had before the renames, None if it had no other."""
        return former_logical_name(
            name, models=dict(self.models), sources=dict(self.sources), ids=self.ids
        )


_MATCHERS = {key: re.compile(limit.pattern).match for key, limit in LIMITS.items() if limit.pattern}
"""Each limit's pattern, compiled once (a spec derives thousands of names per stack)."""


def check_name(name: str, limit_key: str) -> str | None:
    """A message if ``name`` breaks the AWS rule ``limit_key``, else None."""
    limit = LIMITS[limit_key]
    if len(name) > limit.max_length:
        allowed = (
            f"at most {limit.max_length} ({limit.why})"
            if limit.why
            else f"AWS allows {limit.max_length}"
        )
        return (
            f"derived {limit.kind} {name!r} is {len(name)} characters; {allowed}. Shorten the "
            "ids it is made of"
        )
    if limit.pattern and not _MATCHERS[limit_key](name):
        return f"derived {limit.kind} {name!r} does not match AWS's rule {limit.pattern}"
    return None
