"""One CloudWatch alarm per monitor, built only from metric descriptors.

Thresholds are converted into the metric's unit here (``ModelLatency`` is in microseconds),
and ``treat_missing_data`` is chosen per kind: a period without a datapoint is healthy for
latency, errors and traffic (CloudWatch records no ``Invocations`` datapoint for a period
without requests, before a ``latest_approved`` endpoint exists and when an endpoint is idle,
e.g. at night: none of them pages; a minimum-traffic alarm fires on measured traffic below
``min``); drift resets to OK when a run has no data, the other job-published metrics
(prediction drift, bias, quality) go to INSUFFICIENT_DATA when the job publishes no value (it
publishes their no-data series instead). A job may run more than once per alarm period, so an
upper bound reads the period's ``Maximum`` and a lower bound its ``Minimum``. Job metrics take
their names and dimensions from ``mlops_runtime.contract.metrics``, which the job publishes
with.
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
from mlops_spec.plan.metrics import (
    CUSTOM_METRICS,
    MetricDescriptor,
    custom_metric,
    gpus,
    quality_metric,
    vcpus,
)

GT = "GreaterThanThreshold"
GE = "GreaterThanOrEqualToThreshold"
LT = "LessThanThreshold"


@dataclass(frozen=True)
class MetricQuery:
    """One entry of an alarm's metric math: a metric (with stat) or an expression."""

    id: str
    metric: MetricDescriptor | None = None
    expression: str | None = None
    label: str | None = None
    return_data: bool = False


@dataclass(frozen=True)
class AlarmPlan:
    """A metric alarm: either one ``metric`` or metric-math ``queries``."""

    model: str
    monitor: str
    name: str
    kind: str
    action: str
    description: str
    comparison: str
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    period_seconds: int
    treat_missing_data: str
    metric: MetricDescriptor | None = None
    queries: tuple[MetricQuery, ...] = ()

    @property
    def metrics(self) -> tuple[MetricDescriptor, ...]:
        """Every metric the alarm reads."""
        if self.metric:
            return (self.metric,)
        return tuple(q.metric for q in self.queries if q.metric)


@dataclass(frozen=True)
class _Alarm:
    """One monitor's alarm being built: the fields every kind shares, and where its metrics
    come from."""

    model: str
    monitor_id: str
    monitor: Any
    name: str
    endpoint: dict[str, MetricDescriptor]
    namespace: str
    environment: str
    instance_type: str | None

    def plan(
        self, text: str, comparison: str, threshold: float, missing: str, **metric: Any
    ) -> AlarmPlan:
        """The AlarmPlan, described by the spec's description or ``<model>/<monitor>: text``;
        ``metric``: ``metric=`` one descriptor or ``queries=`` metric math."""
        monitor = self.monitor
        return AlarmPlan(
            model=self.model,
            monitor=self.monitor_id,
            name=self.name,
            kind=monitor.type,
            action=str(monitor.action),
            description=(monitor.description or f"{self.model}/{self.monitor_id}: {text}")[:1024],
            comparison=comparison,
            threshold=threshold,
            evaluation_periods=monitor.periods,
            datapoints_to_alarm=monitor.alarm_datapoints,
            period_seconds=monitor.period_seconds,
            treat_missing_data=missing,
            **metric,
        )

    def custom(self, metric_name: str, statistic: str) -> MetricDescriptor:
        """A metric the monitoring job publishes for this model."""
        return custom_metric(self.namespace, metric_name, self.model, self.environment, statistic)


def _outside_band(
    low: tuple[str, MetricDescriptor], high: tuple[str, MetricDescriptor], band: tuple[float, float]
) -> tuple[MetricQuery, ...]:
    """Metric math: 1 when the ``low`` query is below ``band[0]`` or the ``high`` query above
    ``band[1]``; no value (missing data) when the metric has no datapoint in the period. Two
    queries when the bounds read different statistics, one when they read the same."""
    (low_id, low_metric), (high_id, high_metric) = low, high
    queries = [MetricQuery(low_id, low_metric)]
    if high_id != low_id:
        queries.append(MetricQuery(high_id, high_metric))
    expression = f"IF({low_id} < {band[0]:g} OR {high_id} > {band[1]:g}, 1, 0)"
    queries.append(
        MetricQuery("band", expression=expression, label="outside band", return_data=True)
    )
    return tuple(queries)


def _latency(a: _Alarm, monitor: LatencyMonitor) -> AlarmPlan:
    # ModelLatency is in microseconds.
    return a.plan(
        f"{monitor.percentile} model latency above {monitor.threshold_ms:g} ms",
        GT,
        monitor.threshold_ms * 1000.0,
        "notBreaching",
        metric=a.endpoint["model_latency"].with_statistic(str(monitor.percentile)),
    )


def _error_rate(a: _Alarm, monitor: ErrorRateMonitor) -> AlarmPlan:
    queries = [MetricQuery("e5", a.endpoint["errors_5xx"].with_statistic("Sum"))]
    errors = "FILL(e5, 0)"
    if monitor.include_4xx:
        queries.append(MetricQuery("e4", a.endpoint["errors_4xx"].with_statistic("Sum")))
        errors += " + FILL(e4, 0)"
    queries.append(MetricQuery("inv", a.endpoint["invocations"].with_statistic("Sum")))
    queries.append(
        MetricQuery(
            "rate", expression=f"100 * ({errors}) / inv", label="error rate (%)", return_data=True
        )
    )
    return a.plan(
        f"error rate above {monitor.threshold_percent:g}%",
        GT,
        float(monitor.threshold_percent),
        "notBreaching",
        queries=tuple(queries),
    )


def _invocations(a: _Alarm, monitor: InvocationsMonitor) -> AlarmPlan:
    # A period without requests has no datapoint: before a latest_approved endpoint exists and
    # while it is idle. Neither breaches (the health alarm would page before the first approval
    # and every quiet night); measured traffic below `min` does.
    invocations = a.endpoint["invocations"].with_statistic("Sum")
    low, high = monitor.min, monitor.max
    if low is not None and high is not None:
        text = f"invocations outside {low:g}-{high:g} per period"
        queries = _outside_band(("inv", invocations), ("inv", invocations), (low, high))
        return a.plan(text, GE, 1.0, "notBreaching", queries=queries)
    if low is not None:
        text = f"fewer than {low:g} invocations per period"
        return a.plan(text, LT, float(low), "notBreaching", metric=invocations)
    assert high is not None  # the model requires min or max
    text = f"more than {high:g} invocations per period"
    return a.plan(text, GT, float(high), "notBreaching", metric=invocations)


def _resource(a: _Alarm, monitor: ResourceMonitor) -> AlarmPlan:
    # CPU and GPU utilisation add up over an instance's vCPUs/GPUs: alarm per instance.
    metric = a.endpoint[str(monitor.resource)]
    divisor = {"cpu": vcpus, "gpu": gpus}.get(str(monitor.resource))
    count = divisor(a.instance_type) if divisor and a.instance_type else 1
    text = f"{monitor.resource} utilisation above {monitor.threshold_percent:g}%"
    threshold = float(monitor.threshold_percent)
    if count == 1:
        return a.plan(text, GT, threshold, "missing", metric=metric)
    per_instance = MetricQuery(
        "util",
        expression=f"m / {count}",
        label=f"{monitor.resource} per instance (%)",
        return_data=True,
    )
    queries = (MetricQuery("m", metric), per_instance)
    return a.plan(text + " (per instance)", GT, threshold, "missing", queries=queries)


def _prediction_drift(a: _Alarm, monitor: PredictionDriftMonitor) -> AlarmPlan:
    # The series the job publishes for the method: p-value (drifted below the threshold)
    # for ks/chi2, the statistic (drifted above it) for psi/classifier.
    method = str(monitor.method)
    name = mm.prediction_drift_metric(method)
    p_value = name == mm.PREDICTION_DRIFT_P_VALUE
    return a.plan(
        f"prediction drift: {method} "
        f"{'p-value below' if p_value else 'statistic above'} {monitor.threshold:g}",
        LT if p_value else GT,
        float(monitor.threshold),
        "missing",
        metric=a.custom(name, "Minimum" if p_value else "Maximum"),
    )


def _data_drift(a: _Alarm, monitor: DataDriftMonitor) -> AlarmPlan:
    # A run without data publishes no score: the alarm returns to OK, so the next drift
    # is a new transition to ALARM (which is what starts retraining).
    threshold = monitor.max_drifted_share
    return a.plan(
        f"share of drifted features above {threshold:g}",
        GT,
        float(threshold),
        "notBreaching",
        metric=a.custom(*CUSTOM_METRICS[monitor.type]),
    )


def _bias(a: _Alarm, monitor: BiasMonitor) -> AlarmPlan:
    threshold = monitor.max_demographic_parity_difference
    return a.plan(
        f"demographic parity difference on {monitor.sensitive_feature} above {threshold:g}",
        GT,
        float(threshold),
        "missing",
        metric=a.custom(*CUSTOM_METRICS[monitor.type]),
    )


def _model_quality(a: _Alarm, monitor: ModelQualityMonitor) -> AlarmPlan:
    # The job may publish more than one value per period: the lowest tests `min`, the
    # highest tests `max`.
    metric = quality_metric(a.namespace, str(monitor.metric), a.model, a.environment)
    lowest, highest = metric.with_statistic("Minimum"), metric.with_statistic("Maximum")
    low, high = monitor.min, monitor.max
    if low is not None and high is not None:
        queries = _outside_band(("qmin", lowest), ("qmax", highest), (low, high))
        text = f"{monitor.metric} outside {low:g}-{high:g}"
        return a.plan(text, GE, 1.0, "missing", queries=queries)
    if low is not None:
        text = f"{monitor.metric} below {low:g}"
        return a.plan(text, LT, float(low), "missing", metric=lowest)
    assert high is not None  # the model requires min or max
    return a.plan(f"{monitor.metric} above {high:g}", GT, float(high), "missing", metric=highest)


_BUILDERS: dict[type, Callable[[_Alarm, Any], AlarmPlan]] = {
    LatencyMonitor: _latency,
    ErrorRateMonitor: _error_rate,
    InvocationsMonitor: _invocations,
    ResourceMonitor: _resource,
    PredictionDriftMonitor: _prediction_drift,
    DataDriftMonitor: _data_drift,
    BiasMonitor: _bias,
    ModelQualityMonitor: _model_quality,
}
"""One alarm builder per monitor type."""


def build_alarm(
    *,
    model: str,
    monitor_id: str,
    monitor: object,
    name: str,
    endpoint: dict[str, MetricDescriptor],
    namespace: str,
    environment: str,
    instance_type: str | None,
) -> AlarmPlan:
    """The alarm of one monitor. ``endpoint``: the serving plan's descriptors (may be empty)."""
    builder = next((b for kind, b in _BUILDERS.items() if isinstance(monitor, kind)), None)
    if builder is None:
        raise TypeError(f"no alarm for monitor type {type(monitor).__name__}")
    alarm = _Alarm(
        model, monitor_id, monitor, name, endpoint, namespace, environment, instance_type
    )
    return builder(alarm, monitor)
