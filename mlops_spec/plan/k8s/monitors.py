"""Monitors on Kubernetes: one ``PrometheusRule`` per model, one alert per monitor with the
semantics of its CloudWatch alarm (``mlops_spec.plan.alarms``), and the health alert.

Each alert is named like the alarm (``Names.alarm``) and labelled ``namespace``,
``mlops_model``, ``mlops_monitor``, ``mlops_action`` and ``severity``: Alertmanager routes on
the action (``mlops_spec.plan.k8s.alertmanager``) and the Rollout's analysis asks whether any
of the model's ``rollback`` alerts fires (``rollback_analysis_query``), so "the monitor fired"
means one thing for paging, retraining and rollback. The PromQL is in ``monitors_promql``;
the job monitors' CronJob and staleness alert in ``monitoring_cronjob``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlops_runtime.contract import metrics as mm
from mlops_spec.models.monitors import (
    BiasMonitor,
    DataDriftMonitor,
    ErrorRateMonitor,
    InvocationsMonitor,
    LatencyMonitor,
    ModelQualityMonitor,
    PredictionDriftMonitor,
    ResourceMonitor,
)
from mlops_spec.plan.errors import PlanError
from mlops_spec.plan.k8s import monitors_promql as q

PROMETHEUS_RULE_API = "monitoring.coreos.com/v1"
MAX_NAME = 63
"""Kubernetes object names and label values."""
HEALTH = "health"
"""``mlops_monitor`` of the health alert (``Names.health_alarm``)."""
SEVERITY = {"rollback": "critical", "retrain": "warning", "notify": "warning"}
"""``severity`` by action: a rollback alert fails a rollout, the others tell people."""
ROLLBACK_SUCCESS_CONDITION = "result[0] == 0"
"""The AnalysisTemplate metric's ``successCondition`` for ``rollback_analysis_query``."""
ROLLBACK_FAILURE_CONDITION = "result[0] > 0"
"""The AnalysisTemplate metric's ``failureCondition``: any firing rollback alert."""


def rollback_analysis_query(model: str, namespace: str) -> str:
    """The PromQL the Rollout's background analysis runs: how many of the model's
    ``rollback`` alerts are firing (always one sample: 0 when none is, so an empty answer is
    never mistaken for failure). Use with ``ROLLBACK_SUCCESS_CONDITION``."""
    return f"count({q.firing(namespace, model, action='rollback')}) or vector(0)"


@dataclass(frozen=True)
class MonitorCluster:
    """What the monitors need to know about the cluster (from ``system.kubernetes``)."""

    namespace: str
    rule_labels: tuple[tuple[str, str], ...] = ()
    """Labels the Prometheus's ``ruleSelector`` selects PrometheusRules by."""
    alertmanager_labels: tuple[tuple[str, str], ...] = ()
    """Labels the Alertmanager's ``alertmanagerConfigSelector`` selects configs by."""
    pushgateway_url: str = ""
    """Where the monitoring job pushes its gauges (``http://host:9091``)."""
    runtime_image: str = ""
    """The runtime image (``docker/runtime.Dockerfile``): runs the monitoring job."""
    model_container: str = "model"
    """Name of the model container in the serving pods (the resource monitors watch it)."""
    controller_webhook_url: str | None = None
    """The retraining controller's Alertmanager webhook (issue 13); None: no retrain route."""
    chat_webhook_secret: tuple[str, str] | None = None
    """(Secret, key) holding a Slack-compatible chat webhook URL."""
    smtp: SmtpSettings | None = None
    """How e-mail is sent; None: the Alertmanager's global SMTP settings."""
    job_service_account: str | None = None
    """Service account of the monitoring job's pods (object-store access)."""
    job_env: tuple[tuple[str, str], ...] = ()
    """Extra environment of the job (e.g. ``AWS_ENDPOINT_URL_S3`` of an S3-compatible store)."""
    store_credentials_secret: str | None = None
    """Secret holding ``AWS_ACCESS_KEY_ID`` and ``AWS_SECRET_ACCESS_KEY`` of an S3-compatible
    store (the job's environment)."""


@dataclass(frozen=True)
class SmtpSettings:
    """An e-mail receiver's sender settings; the password only by Secret reference."""

    smarthost: str
    sender: str
    username: str | None = None
    password_secret: tuple[str, str] | None = None
    """(Secret, key)."""


@dataclass(frozen=True)
class AlertPlan:
    """One alerting rule: a monitor's alert (or the health or staleness alert)."""

    name: str
    """``alert:``, named like the CloudWatch alarm."""
    model: str
    monitor: str
    kind: str
    """The monitor's type, ``health`` or ``staleness``."""
    action: str
    expr: str
    description: str
    namespace: str
    bounds: tuple[tuple[str, float], ...] = ()
    """(``<`` or ``>``, value in the spec's unit): the monitor's thresholds."""
    periods: int = 1
    datapoints: int = 1
    period_seconds: int = 0
    for_seconds: int = 0
    """How long the condition must hold before the alert fires (``for:``)."""

    @property
    def severity(self) -> str:
        return SEVERITY[self.action]

    @property
    def labels(self) -> dict[str, str]:
        return {
            "namespace": self.namespace,
            "mlops_model": self.model,
            "mlops_monitor": self.monitor,
            "mlops_action": self.action,
            "severity": self.severity,
        }

    def rule(self) -> dict[str, Any]:
        """The rule as a Prometheus rule file writes it."""
        rule: dict[str, Any] = {"alert": self.name, "expr": self.expr}
        if self.for_seconds:
            rule["for"] = q.duration(self.for_seconds)
        rule["labels"] = self.labels
        rule["annotations"] = {
            "summary": f"{self.model}/{self.monitor}",
            "description": self.description,
        }
        return rule


@dataclass(frozen=True)
class PrometheusRulePlan:
    """A model's PrometheusRule: one group holding its alerts."""

    name: str
    namespace: str
    model: str
    labels: tuple[tuple[str, str], ...]
    alerts: tuple[AlertPlan, ...]

    def alert(self, monitor: str) -> AlertPlan:
        return next(a for a in self.alerts if a.monitor == monitor)

    def manifest(self) -> dict[str, Any]:
        return {
            "apiVersion": PROMETHEUS_RULE_API,
            "kind": "PrometheusRule",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": {"app.kubernetes.io/managed-by": "mlops-spec", **dict(self.labels)},
            },
            "spec": {"groups": [{"name": self.name, "rules": [a.rule() for a in self.alerts]}]},
        }


@dataclass(frozen=True)
class _Monitor:
    """One monitor's alert being built."""

    model: str
    monitor_id: str
    monitor: Any
    name: str
    scope: q.Scope

    def plan(self, text: str, breach: str, bounds: tuple[tuple[str, float], ...]) -> AlertPlan:
        m = self.monitor
        return AlertPlan(
            name=self.name,
            model=self.model,
            monitor=self.monitor_id,
            kind=m.type,
            action=str(m.action),
            expr=q.windowed(breach, m.periods, m.alarm_datapoints, m.period_seconds),
            description=(m.description or f"{self.model}/{self.monitor_id}: {text}")[:1024],
            namespace=self.scope.namespace,
            bounds=bounds,
            periods=m.periods,
            datapoints=m.alarm_datapoints,
            period_seconds=m.period_seconds,
        )


def _latency(a: _Monitor, m: LatencyMonitor) -> AlertPlan:
    quantile = int(str(m.percentile)[1:]) / 100.0
    breach = q.latency(a.scope, quantile, m.threshold_ms / 1000.0, m.period_seconds)
    text = f"{m.percentile} model latency above {m.threshold_ms:g} ms"
    return a.plan(text, breach, ((">", m.threshold_ms),))


def _error_rate(a: _Monitor, m: ErrorRateMonitor) -> AlertPlan:
    breach = q.error_rate(a.scope, m.threshold_percent, m.include_4xx, m.period_seconds)
    return a.plan(
        f"error rate above {m.threshold_percent:g}%", breach, ((">", m.threshold_percent),)
    )


def _band(low: float | None, high: float | None) -> tuple[tuple[str, float], ...]:
    return tuple((op, v) for op, v in (("<", low), (">", high)) if v is not None)


def _invocations(a: _Monitor, m: InvocationsMonitor) -> AlertPlan:
    breach = q.invocations(a.scope, m.min, m.max, m.period_seconds)
    if m.min is not None and m.max is not None:
        text = f"invocations outside {m.min:g}-{m.max:g} per period"
    elif m.min is not None:
        text = f"fewer than {m.min:g} invocations per period"
    else:
        text = f"more than {m.max:g} invocations per period"
    return a.plan(text, breach, _band(m.min, m.max))


def _resource(a: _Monitor, m: ResourceMonitor) -> AlertPlan:
    breach = q.resource(a.scope, str(m.resource), m.threshold_percent, m.period_seconds)
    text = f"{m.resource} utilisation above {m.threshold_percent:g}% (per pod)"
    return a.plan(text, breach, ((">", m.threshold_percent),))


def _prediction_drift(a: _Monitor, m: PredictionDriftMonitor) -> AlertPlan:
    series = mm.prediction_drift_metric(str(m.method))
    op = "<" if series == mm.PREDICTION_DRIFT_P_VALUE else ">"
    breach = q.pushed_bound(a.scope, series, ((op, m.threshold),), m.period_seconds)
    what = "p-value below" if op == "<" else "statistic above"
    return a.plan(
        f"prediction drift: {m.method} {what} {m.threshold:g}", breach, ((op, m.threshold),)
    )


def _data_drift(a: _Monitor, m: DataDriftMonitor) -> AlertPlan:
    bound = ((">", m.max_drifted_share),)
    breach = q.pushed_bound(a.scope, mm.DRIFT_SCORE, bound, m.period_seconds)
    return a.plan(f"share of drifted features above {m.max_drifted_share:g}", breach, bound)


def _bias(a: _Monitor, m: BiasMonitor) -> AlertPlan:
    bound = ((">", m.max_demographic_parity_difference),)
    breach = q.pushed_bound(a.scope, mm.DEMOGRAPHIC_PARITY_DIFFERENCE, bound, m.period_seconds)
    text = (
        f"demographic parity difference on {m.sensitive_feature} above "
        f"{m.max_demographic_parity_difference:g}"
    )
    return a.plan(text, breach, bound)


def _model_quality(a: _Monitor, m: ModelQualityMonitor) -> AlertPlan:
    bounds = _band(m.min, m.max)
    extra = ((mm.METRIC, str(m.metric)),)
    breach = q.pushed_bound(a.scope, mm.MODEL_QUALITY, bounds, m.period_seconds, extra)
    if m.min is not None and m.max is not None:
        text = f"{m.metric} outside {m.min:g}-{m.max:g}"
    else:
        text = f"{m.metric} {'below' if m.min is not None else 'above'} {bounds[0][1]:g}"
    return a.plan(text, breach, bounds)


_BUILDERS: dict[type, Callable[[_Monitor, Any], AlertPlan]] = {
    LatencyMonitor: _latency,
    ErrorRateMonitor: _error_rate,
    InvocationsMonitor: _invocations,
    ResourceMonitor: _resource,
    PredictionDriftMonitor: _prediction_drift,
    DataDriftMonitor: _data_drift,
    BiasMonitor: _bias,
    ModelQualityMonitor: _model_quality,
}


def build_alert(
    *, model: str, monitor_id: str, monitor: object, name: str, scope: q.Scope
) -> AlertPlan:
    """The alert of one monitor."""
    builder = next((b for kind, b in _BUILDERS.items() if isinstance(monitor, kind)), None)
    if builder is None:
        raise TypeError(f"no alert for monitor type {type(monitor).__name__}")
    return builder(_Monitor(model, monitor_id, monitor, name, scope), monitor)


def health_alert(name: str, scope: q.Scope, alerts: tuple[AlertPlan, ...]) -> AlertPlan:
    """Fires while any of the model's monitor alerts fires (the composite health alarm)."""
    children = tuple(a.monitor for a in alerts)
    firing = q.firing(scope.namespace, scope.model, monitors=children)
    return AlertPlan(
        name=name,
        model=scope.model,
        monitor=HEALTH,
        kind=HEALTH,
        action="notify",
        expr=f"count({firing}) > 0",
        description=f"{scope.model} is unhealthy: one of its monitors is firing",
        namespace=scope.namespace,
    )


def check_name(name: str, what: str, limit: int = MAX_NAME) -> str:
    """``name``, or a PlanError saying which limit it passes."""
    if len(name) > limit:
        raise PlanError(
            f"{what} {name!r} is {len(name)} characters; Kubernetes allows at most {limit}: "
            "shorten the system, environment or model id"
        )
    return name
