"""One CloudWatch alarm per monitor, built only from metric descriptors.

Thresholds are converted into the metric's unit here (``ModelLatency`` is in microseconds),
and ``treat_missing_data`` is chosen per kind: no traffic is healthy for latency and errors,
unhealthy for a minimum traffic band; drift resets to OK when a run has no data, the other
job-published metrics (prediction drift, bias, quality) go to INSUFFICIENT_DATA when the job
publishes no value (it publishes their no-data series instead). Job metrics take their names
and dimensions from ``mlops_runtime.contract.metrics``, which the job publishes with.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _band(value: str, low: float | None, high: float | None) -> str:
    tests = [
        f"{value} < {low:g}" if low is not None else "",
        f"{value} > {high:g}" if high is not None else "",
    ]
    return f"IF({' OR '.join(t for t in tests if t)}, 1, 0)"


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
    common = {
        "model": model,
        "monitor": monitor_id,
        "name": name,
        "kind": monitor.type,  # type: ignore[attr-defined]
        "action": str(monitor.action),  # type: ignore[attr-defined]
        "evaluation_periods": monitor.periods,  # type: ignore[attr-defined]
        "datapoints_to_alarm": monitor.alarm_datapoints,  # type: ignore[attr-defined]
        "period_seconds": monitor.period_seconds,  # type: ignore[attr-defined]
    }
    given = monitor.description  # type: ignore[attr-defined]

    def describe(text: str) -> str:
        return (given or f"{model}/{monitor_id}: {text}")[:1024]

    if isinstance(monitor, LatencyMonitor):
        metric = endpoint["model_latency"].with_statistic(str(monitor.percentile))
        return AlarmPlan(
            **common,
            description=describe(
                f"{monitor.percentile} model latency above {monitor.threshold_ms:g} ms"
            ),
            comparison=GT,
            threshold=monitor.threshold_ms * 1000.0,
            treat_missing_data="notBreaching",
            metric=metric,
        )
    if isinstance(monitor, ErrorRateMonitor):
        queries = [MetricQuery("e5", endpoint["errors_5xx"].with_statistic("Sum"))]
        errors = "FILL(e5, 0)"
        if monitor.include_4xx:
            queries.append(MetricQuery("e4", endpoint["errors_4xx"].with_statistic("Sum")))
            errors += " + FILL(e4, 0)"
        queries.append(MetricQuery("inv", endpoint["invocations"].with_statistic("Sum")))
        queries.append(
            MetricQuery(
                "rate",
                expression=f"100 * ({errors}) / inv",
                label="error rate (%)",
                return_data=True,
            )
        )
        return AlarmPlan(
            **common,
            description=describe(f"error rate above {monitor.threshold_percent:g}%"),
            comparison=GT,
            threshold=float(monitor.threshold_percent),
            treat_missing_data="notBreaching",
            queries=tuple(queries),
        )
    if isinstance(monitor, InvocationsMonitor):
        invocations = endpoint["invocations"].with_statistic("Sum")
        if monitor.min is not None and monitor.max is not None:
            return AlarmPlan(
                **common,
                description=describe(
                    f"invocations outside {monitor.min:g}-{monitor.max:g} per period"
                ),
                comparison=GE,
                threshold=1.0,
                treat_missing_data="breaching",
                queries=(
                    MetricQuery("inv", invocations),
                    MetricQuery(
                        "band",
                        expression=_band("FILL(inv, 0)", monitor.min, monitor.max),
                        label="outside band",
                        return_data=True,
                    ),
                ),
            )
        if monitor.min is not None:
            return AlarmPlan(
                **common,
                description=describe(f"fewer than {monitor.min:g} invocations per period"),
                comparison=LT,
                threshold=float(monitor.min),
                treat_missing_data="breaching",
                metric=invocations,
            )
        assert monitor.max is not None  # the model requires min or max
        return AlarmPlan(
            **common,
            description=describe(f"more than {monitor.max:g} invocations per period"),
            comparison=GT,
            threshold=float(monitor.max),
            treat_missing_data="notBreaching",
            metric=invocations,
        )
    if isinstance(monitor, ResourceMonitor):
        metric = endpoint[str(monitor.resource)]
        divisor = {"cpu": vcpus, "gpu": gpus}.get(str(monitor.resource))
        count = divisor(instance_type) if divisor and instance_type else 1
        text = f"{monitor.resource} utilisation above {monitor.threshold_percent:g}%"
        if count == 1:
            return AlarmPlan(
                **common,
                description=describe(text),
                comparison=GT,
                threshold=float(monitor.threshold_percent),
                treat_missing_data="missing",
                metric=metric,
            )
        return AlarmPlan(
            **common,
            description=describe(text + " (per instance)"),
            comparison=GT,
            threshold=float(monitor.threshold_percent),
            treat_missing_data="missing",
            queries=(
                MetricQuery("m", metric),
                MetricQuery(
                    "util",
                    expression=f"m / {count}",
                    label=f"{monitor.resource} per instance (%)",
                    return_data=True,
                ),
            ),
        )
    if isinstance(monitor, PredictionDriftMonitor):
        # The series the job publishes for the method: p-value (drifted below the threshold)
        # for ks/chi2, the statistic (drifted above it) for psi/classifier.
        method = str(monitor.method)
        name = mm.prediction_drift_metric(method)
        p_value = name == mm.PREDICTION_DRIFT_P_VALUE
        return AlarmPlan(
            **common,
            description=describe(
                f"prediction drift: {method} "
                f"{'p-value below' if p_value else 'statistic above'} {monitor.threshold:g}"
            ),
            comparison=LT if p_value else GT,
            threshold=float(monitor.threshold),
            treat_missing_data="missing",
            metric=custom_metric(
                namespace, name, model, environment, "Minimum" if p_value else "Maximum"
            ),
        )
    if isinstance(monitor, DataDriftMonitor | BiasMonitor):
        metric_name, statistic = CUSTOM_METRICS[monitor.type]
        metric = custom_metric(namespace, metric_name, model, environment, statistic)
        if isinstance(monitor, DataDriftMonitor):
            threshold, text = (
                monitor.max_drifted_share,
                (f"share of drifted features above {monitor.max_drifted_share:g}"),
            )
        else:
            threshold = monitor.max_demographic_parity_difference
            text = (
                f"demographic parity difference on {monitor.sensitive_feature} above {threshold:g}"
            )
        # A run without data publishes no score: the alarm returns to OK, so the next drift
        # is a new transition to ALARM (which is what starts retraining).
        missing = "notBreaching" if isinstance(monitor, DataDriftMonitor) else "missing"
        return AlarmPlan(
            **common,
            description=describe(text),
            comparison=GT,
            threshold=float(threshold),
            treat_missing_data=missing,
            metric=metric,
        )
    if isinstance(monitor, ModelQualityMonitor):
        metric = quality_metric(namespace, str(monitor.metric), model, environment)
        if monitor.min is not None and monitor.max is not None:
            return AlarmPlan(
                **common,
                description=describe(f"{monitor.metric} outside {monitor.min:g}-{monitor.max:g}"),
                comparison=GE,
                threshold=1.0,
                treat_missing_data="missing",
                queries=(
                    MetricQuery("q", metric.with_statistic("Minimum")),
                    MetricQuery(
                        "band",
                        expression=_band("q", monitor.min, monitor.max),
                        label="outside band",
                        return_data=True,
                    ),
                ),
            )
        if monitor.min is not None:
            return AlarmPlan(
                **common,
                description=describe(f"{monitor.metric} below {monitor.min:g}"),
                comparison=LT,
                threshold=float(monitor.min),
                treat_missing_data="missing",
                metric=metric.with_statistic("Minimum"),
            )
        assert monitor.max is not None  # the model requires min or max
        return AlarmPlan(
            **common,
            description=describe(f"{monitor.metric} above {monitor.max:g}"),
            comparison=GT,
            threshold=float(monitor.max),
            treat_missing_data="missing",
            metric=metric,
        )
    raise TypeError(f"no alarm for monitor type {type(monitor).__name__}")
