"""Cross-object rules of a spec, all offline. Every broken rule is reported at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from mlops_spec import batch_output, moves, rollout_limits
from mlops_spec.enums import FeatureKind, MonitorAction, ServingTier
from mlops_spec.errors import dotted
from mlops_spec.models.monitors import (
    BiasMonitor,
    DataDriftMonitor,
    ModelQualityMonitor,
    PredictionDriftMonitor,
)
from mlops_spec.models.serving import RealtimeServing
from mlops_spec.naming import LIMITS, ModelNames, check_name, physical_names
from mlops_spec.types import suggest

if TYPE_CHECKING:
    from mlops_spec.models.data import DataSource
    from mlops_spec.models.environment import EnvironmentSettings
    from mlops_spec.models.model import Model
    from mlops_spec.models.spec import SystemSpec

Loc = tuple[str | int, ...]
MAX_ROLLBACK_ALARMS = 10  # AutoRollbackConfiguration.Alarms, SageMaker API limit


@dataclass(frozen=True)
class Issue:
    """One broken rule, located by its spec path."""

    loc: Loc
    message: str
    got: Any = None
    allowed: str | None = None
    suggestion: str | None = None


def _unknown(loc: Loc, what: str, value: str, known: Iterable[str]) -> Issue:
    options = sorted(known)
    return Issue(
        loc,
        f"unknown {what}",
        got=value,
        allowed=", ".join(options) or "(none defined)",
        suggestion=suggest(value, options),
    )


def model_features(spec: SystemSpec, model: Model) -> dict[str, FeatureKind]:
    """The features a model sees: the union of its training inputs' features."""
    features: dict[str, FeatureKind] = {}
    for source_id in model.training.inputs:
        source = spec.data_sources.get(source_id)
        if source is not None:
            features.update(source.features)
    return features


def _check_model(spec: SystemSpec, model_id: str, model: Model) -> list[Issue]:
    base: Loc = ("models", model_id)
    issues = _check_training(spec, base, model)
    issues += _one_job_agreement(base, model)
    issues += _check_monitor_ids(base, model)
    issues += _check_batch_input(spec, base, model)
    for monitor_id, monitor in model.monitors.items():
        loc = (*base, "monitors", monitor_id)
        for check in _MONITOR_CHECKS:
            issues += check(spec, loc, monitor, model)
    return issues  # a registry-only model (no serving, gate or monitors) is allowed


def _check_training(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """Inputs are training data sources, the holdout exists and a gate's holdout has a label
    (where the image comes from: ``mlops_spec.image_checks``)."""
    issues: list[Issue] = []
    for index, source_id in enumerate(model.training.inputs):
        source = spec.data_sources.get(source_id)
        loc = (*base, "training", "inputs", index)
        if source is None:
            issues.append(_unknown(loc, "data source", source_id, spec.data_sources))
        elif source.kind != "training":
            issues.append(
                Issue(loc, "training inputs must be data sources of kind training", got=source_id)
            )
    holdout = model.training.holdout
    if holdout is not None and holdout not in spec.data_sources:
        issues.append(
            _unknown((*base, "training", "holdout"), "data source", holdout, spec.data_sources)
        )
    gate_source = spec.data_sources.get(model.training.holdout_source)
    if model.training.gate is not None and gate_source is not None and gate_source.label is None:
        issues.append(
            Issue(
                (*base, "training", "gate"),
                f"the gate scores candidates on data source {model.training.holdout_source!r}, "
                "which has no label column",
                allowed="a holdout data source with `label`",
                got=model.training.holdout_source,
            )
        )
    return issues


def _check_monitor_ids(base: Loc, model: Model) -> list[Issue]:
    """No reserved monitor id; no more rollback monitors than SageMaker watches."""
    issues = [
        Issue(
            (*base, "monitors", monitor_id),
            f"monitor id {monitor_id!r} is reserved (the model's composite alarm is "
            f"named <model>-{monitor_id})",
            got=monitor_id,
            allowed="any other id",
        )
        for monitor_id in model.monitors
        if monitor_id in RESERVED_MONITOR_IDS
    ]
    if len(model.rollback_monitors) > MAX_ROLLBACK_ALARMS:
        issues.append(
            Issue(
                (*base, "monitors"),
                f"SageMaker auto-rollback watches at most {MAX_ROLLBACK_ALARMS} alarms",
                got=f"{len(model.rollback_monitors)} monitors with action: rollback",
            )
        )
    return issues


def _check_batch_input(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    """A batch model's input is a data source id or an s3:// URI."""
    serving = model.serving
    if serving is None or serving.tier != "batch":
        return []
    batch_input = serving.input
    if batch_input.startswith("s3://") or batch_input in spec.data_sources:
        return []
    return [
        _unknown(
            (*base, "serving", "input"),
            "batch input (data source id or s3:// URI)",
            batch_input,
            spec.data_sources,
        )
    ]


def _check_endpoint_metric(spec: SystemSpec, loc: Loc, monitor: Any, model: Model) -> list[Issue]:
    """Endpoint-metric monitors need an endpoint; resource monitors an instance-based one."""
    if not monitor.endpoint_metric:
        return []
    if model.tier not in (ServingTier.REALTIME, ServingTier.SERVERLESS):
        return [
            Issue(
                (*loc, "type"),
                f"a {monitor.type} monitor watches an "
                "endpoint; the model has no realtime or serverless serving",
                got=monitor.type,
                allowed="realtime or serverless serving",
            )
        ]
    on_aws = spec.system.platform == "aws"  # Knative's pods publish cAdvisor's series
    if monitor.type == "resource" and model.tier is ServingTier.SERVERLESS and on_aws:
        return [
            Issue(
                (*loc, "type"),
                "serverless endpoints publish no instance metrics",
                got="resource",
                allowed="realtime serving",
            )
        ]
    return []


def _check_rollback(spec: SystemSpec, loc: Loc, monitor: Any, model: Model) -> list[Issue]:
    """Only endpoint metrics of a realtime endpoint (blue/green) can roll back."""
    if monitor.action != MonitorAction.ROLLBACK:
        return []
    if not monitor.endpoint_metric:
        message = (
            "only endpoint-metric monitors (latency, error_rate, invocations, resource) can "
            "roll back a deployment"
        )
    elif model.tier is not ServingTier.REALTIME:
        message = "rollback needs a realtime endpoint (blue/green deployments)"
    else:
        return []
    return [Issue((*loc, "action"), message, got="rollback", allowed="notify, retrain")]


def _check_capture(spec: SystemSpec, loc: Loc, monitor: Any, model: Model) -> list[Issue]:
    """Drift, bias and quality monitors read captured inferences (or a batch transform's
    data)."""
    if not isinstance(monitor, JOB_MONITORS):
        return []
    serving = model.serving
    captures = model.tier is ServingTier.BATCH or (
        isinstance(serving, RealtimeServing) and serving.data_capture_percent > 0
    )
    if captures:
        return []
    batch = "" if isinstance(monitor, ModelQualityMonitor) else " or use batch serving"
    return [
        Issue(
            (*loc, "type"),
            f"a {monitor.type} monitor reads captured "
            "inferences; enable data_capture_percent on a realtime "
            f"endpoint{batch}",
            got=monitor.type,
        )
    ]


def _check_drift_features(spec: SystemSpec, loc: Loc, monitor: Any, model: Model) -> list[Issue]:
    """A data drift monitor's features are the model's."""
    if not (isinstance(monitor, DataDriftMonitor) and monitor.features):
        return []
    features = model_features(spec, model)
    return [
        _unknown(
            (*loc, "features", index),
            "feature (not in the model's training inputs)",
            feature,
            features,
        )
        for index, feature in enumerate(monitor.features)
        if feature not in features
    ]


def _check_sensitive_feature(spec: SystemSpec, loc: Loc, monitor: Any, model: Model) -> list[Issue]:
    """A bias monitor's sensitive feature is a categorical feature of the model."""
    if not isinstance(monitor, BiasMonitor):
        return []
    features = model_features(spec, model)
    feature = monitor.sensitive_feature
    if feature not in features:
        return [_unknown((*loc, "sensitive_feature"), "feature", feature, features)]
    if features[feature] is not FeatureKind.CATEGORICAL:
        return [
            Issue(
                (*loc, "sensitive_feature"),
                "the sensitive feature must be categorical",
                got=feature,
            )
        ]
    return []


def _check_ground_truth(spec: SystemSpec, loc: Loc, monitor: Any, model: Model) -> list[Issue]:
    """A quality monitor's ground truth is a labelled data source of kind ground_truth."""
    if not isinstance(monitor, ModelQualityMonitor):
        return []
    source_id = monitor.ground_truth.data_source
    source = spec.data_sources.get(source_id)
    gloc = (*loc, "ground_truth", "data_source")
    if source is None:
        return [_unknown(gloc, "data source", source_id, spec.data_sources)]
    if source.kind != "ground_truth" or source.label is None:
        return [
            Issue(
                gloc,
                "ground truth must be a data source of kind ground_truth with a label column",
                got=source_id,
            )
        ]
    return []


_MONITOR_CHECKS = (
    _check_endpoint_metric,
    _check_rollback,
    _check_capture,
    _check_drift_features,
    _check_sensitive_feature,
    _check_ground_truth,
)
"""One check per rule a monitor must keep, in the order their issues are reported."""


JOB_MONITORS = (DataDriftMonitor, PredictionDriftMonitor, ModelQualityMonitor, BiasMonitor)
"""Monitor types a scheduled monitoring job computes (on captured endpoint traffic)."""


def name_facts(spec: SystemSpec) -> dict[str, ModelNames]:
    """Per model, what decides which of its derived names exist (for ``physical_names``)."""
    facts = {}
    for model_id, model in spec.models.items():
        serving = model.serving
        capture = isinstance(serving, RealtimeServing) and serving.data_capture_percent > 0
        capture = capture or model.tier is ServingTier.BATCH  # the job reads batch inputs
        facts[model_id] = ModelNames(
            tier=str(model.tier) if model.tier else None,
            latest_approved=serving is not None and serving.model_version == "latest_approved",
            monitoring_job=capture
            and any(isinstance(m, JOB_MONITORS) for m in model.monitors.values()),
            training_schedule=bool(model.training.schedule),
        )
    return facts


# One monitoring job run measures one configuration per kind: monitors of a kind must agree
# on these fields (thresholds may differ).
JOB_SHARED_FIELDS: dict[type, tuple[str, ...]] = {
    DataDriftMonitor: ("method", "threshold", "features", "window_hours"),
    PredictionDriftMonitor: ("method", "window_hours"),
    BiasMonitor: ("sensitive_feature", "window_hours"),
    ModelQualityMonitor: ("ground_truth.data_source", "window_hours"),
}


def _attr(value: Any, dotted_name: str) -> Any:
    for part in dotted_name.split("."):
        value = getattr(value, part)
    return value


def _one_job_agreement(base: Loc, model: Model) -> list[Issue]:
    issues: list[Issue] = []
    for kind, fields in JOB_SHARED_FIELDS.items():
        same_kind = sorted((k, m) for k, m in model.monitors.items() if isinstance(m, kind))
        if len(same_kind) < 2:
            continue
        first_id, first = same_kind[0]
        for monitor_id, monitor in same_kind[1:]:
            for name in fields:
                mine, theirs = _attr(monitor, name), _attr(first, name)
                if mine != theirs:
                    issues.append(
                        Issue(
                            (*base, "monitors", monitor_id, *name.split(".")),
                            f"{monitor.type} monitors of one model are measured by one job run and "
                            f"must share {name}"
                            + ("" if "threshold" in fields else " (thresholds may differ)"),
                            got=str(mine),
                            allowed=f"{theirs} (as in {first_id!r})",
                        )
                    )
    return issues


def _check_bucket_namespace(spec: SystemSpec) -> list[Issue]:
    """Every stack creates buckets (artifacts, capture, reports, logs), and S3 names are global:
    without a namespace their names are guessable and anyone may create them first."""
    if spec.system.bucket_namespace is not None:
        return []
    return [
        Issue(
            ("system", "bucket_namespace"),
            "a bucket namespace is required: every stack creates S3 buckets named "
            "<namespace>-<system>-<stack>-<purpose>-<region>, and bucket names are global, so "
            "without a namespace another account can take them first (BucketAlreadyExists) "
            "or squat them; use your AWS account id or your organisation's name",
            got="none",
            allowed="3-20 lowercase letters, digits and '-', e.g. 123456789012 or acme",
        )
    ]


HOLDOUT_ALLOWED = "a labelled data source that is not among training.inputs and reads other objects"


def _check_holdout(spec: SystemSpec, model_id: str, model: Model) -> list[Issue]:
    """Production: the gate scores candidates on data they were not trained on. Without
    ``training.holdout`` it scores them on the first input; a holdout that is an input, or
    reads objects an input reads, is training data too."""
    training = model.training
    if training.gate is None:
        return []
    base: Loc = ("models", model_id, "training")
    if training.holdout is None:
        return [
            Issue(
                (*base, "gate"),
                "production mode needs a holdout for the gate: without training.holdout the "
                f"candidate is scored on its own training data ({training.inputs[0]!r}), so "
                "an overfitted model passes; add a labelled data source of other objects "
                f"(e.g. {training.inputs[0]}-holdout) and set training.holdout to it",
                got="no training.holdout",
                allowed=HOLDOUT_ALLOWED,
            )
        ]
    holdout = spec.data_sources.get(training.holdout)
    inputs = [spec.data_sources[i] for i in training.inputs if i in spec.data_sources]
    if training.holdout in training.inputs:
        message = "the gate's holdout is also a training input: candidates are scored on data "
        message += "they were trained on"
    elif holdout is not None and any(_same_objects(holdout, source) for source in inputs):
        message = "the gate's holdout reads objects a training input reads (same bucket, "
        message += "overlapping prefixes): candidates are scored on data they were trained on"
    else:
        return []
    return [Issue((*base, "holdout"), message, got=training.holdout, allowed=HOLDOUT_ALLOWED)]


def _same_objects(a: DataSource, b: DataSource) -> bool:
    """Two data sources in one existing bucket whose prefixes contain one another (a source
    with ``bucket: create`` has a bucket of its own)."""
    return a.shares_objects_with(b)


def _check_rollouts(spec: SystemSpec) -> list[Issue]:
    """Each realtime endpoint's rollout fits SageMaker's limits for the fleet this stack runs
    (``mlops_spec.rollout_limits``)."""
    issues = []
    for model_id, model in spec.models.items():
        if isinstance(model.serving, RealtimeServing):
            issues += [
                Issue(("models", model_id, "serving", *p.field), p.message, p.got, p.allowed)
                for p in rollout_limits.problems(model.serving)
            ]
    return issues


def environment_issues(spec: SystemSpec, settings: EnvironmentSettings) -> list[Issue]:
    """The cross-object problems of one stack: its mode's rules and its derived names."""
    issues: list[Issue] = _check_bucket_namespace(spec)
    issues += _check_rollouts(spec)
    if settings.production:
        if not spec.notifications.has_targets:
            issues.append(
                Issue(
                    ("notifications",),
                    "production mode needs at least one "
                    "notification channel (emails, sns_topic_arns or webhook)",
                    got="none",
                )
            )
        for model_id, model in spec.models.items():
            issues += _check_holdout(spec, model_id, model)
            if model.tier is ServingTier.REALTIME and not model.rollback_monitors:
                issues.append(
                    Issue(
                        ("models", model_id, "monitors"),
                        "production mode needs at "
                        "least one monitor with action: rollback on each realtime "
                        "endpoint (latency, error_rate, invocations or resource)",
                        got="none",
                    )
                )
    names = moves.stack_names(spec, settings.name)
    monitors = {mid: list(m.monitors) for mid, m in spec.models.items()}
    seen: set[str] = set()
    first_use: dict[tuple[str, str], Loc] = {}
    for loc, limit, name in physical_names(
        names,
        list(spec.models),
        monitors,
        [k for k, s in spec.data_sources.items() if s.creates_bucket],
        models=name_facts(spec),
        notifier=bool(spec.notifications.webhook_url_ssm_parameter),
        retrain_sources=[k for k, s in spec.data_sources.items() if s.retrain_on_new_data],
    ):
        message = check_name(name, limit)
        if message and name not in seen:
            seen.add(name)
            issues.append(Issue(loc, message + f" (environment {settings.name!r})", got=name))
        if limit in UNIQUE_NAME_KINDS:
            first = first_use.setdefault((limit, name), loc)
            if first != loc:
                issues.append(
                    Issue(
                        loc,
                        f"derived {LIMITS[limit].kind} {name!r} is also derived from "
                        f"{dotted(first)}; rename one of the ids",
                        got=name,
                    )
                )
    return issues


# Name kinds that are one namespace per account and region (SageMaker names are per resource
# type, so a model and its endpoint may share one).
UNIQUE_NAME_KINDS = frozenset(
    {
        "alarm",
        "role",
        "function",
        "rule",
        "schedule",
        "bucket",
        "queue",
        "table",
        "topic",
        "dashboard",
        "pipeline",
        "log_group",
    }
)
RESERVED_MONITOR_IDS = frozenset({"health"})


def spec_issues(spec: SystemSpec) -> list[Issue]:
    """The cross-object problems every stack shares (those of the spec alone)."""
    issues: list[Issue] = []
    for model_id, model in spec.models.items():
        issues += _check_model(spec, model_id, model)
    issues += [Issue(p.loc, p.message, got=p.got) for p in moves.problems(spec)]
    issues += [
        Issue(p.loc, p.message, p.got, p.allowed, p.suggestion) for p in batch_output.problems(spec)
    ]
    return issues


def semantic_issues(spec: SystemSpec, settings: EnvironmentSettings | None) -> list[Issue]:
    """All cross-object problems; environment rules only when ``settings`` is given."""
    issues = spec_issues(spec)
    if settings is not None:
        issues += environment_issues(spec, settings)
    return issues


def raise_semantic_errors(spec: SystemSpec, settings: EnvironmentSettings | None) -> None:
    """Raise one ValidationError carrying every semantic issue (absolute spec paths)."""
    raise_issues(semantic_issues(spec, settings))


def raise_issues(issues: list[Issue]) -> None:
    """Raise one ValidationError carrying ``issues`` (absolute spec paths), if any."""
    if not issues:
        return
    details = [
        InitErrorDetails(
            type=PydanticCustomError(
                "spec_semantic",
                issue.message,
                {"got": issue.got, "allowed": issue.allowed, "suggestion": issue.suggestion},
            ),
            loc=issue.loc,
            input=issue.got,
        )
        for issue in issues
    ]
    raise ValidationError.from_exception_data("SystemSpec", details)
