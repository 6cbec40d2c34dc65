"""Metric descriptors: the one place namespaces, metric names and dimensions are written.

Serving exposes its endpoint's descriptors; monitoring builds every alarm and dashboard widget
from descriptors, never from hand-typed namespaces. Custom model-health metrics live in the
system namespace ``Names.metric_namespace()`` with dimensions ``Model`` and ``Environment``;
the monitoring job publishes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_runtime.contract import metrics as mm

SAGEMAKER_NAMESPACE = "AWS/SageMaker"
ENDPOINT_INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"
VARIANT = "AllTraffic"
"""The one production variant of every endpoint; stable so autoscaling survives updates."""


@dataclass(frozen=True)
class MetricDescriptor:
    """A CloudWatch metric and how to aggregate it."""

    namespace: str
    metric_name: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str
    """Default statistic: Sum, Average, Maximum, or a percentile such as p99."""
    unit: str | None = None

    @property
    def dimension_map(self) -> dict[str, str]:
        return dict(self.dimensions)

    def with_statistic(self, statistic: str) -> MetricDescriptor:
        """This metric read with ``statistic`` (``dataclasses.replace``, without its field
        introspection: hundreds of alarms per plan)."""
        return MetricDescriptor(
            self.namespace, self.metric_name, self.dimensions, statistic, self.unit
        )

    @property
    def is_percentile(self) -> bool:
        return bool(re.fullmatch(r"p\d+(\.\d+)?", self.statistic))


# Endpoint metrics: (key, namespace, metric, statistic, unit).
_ENDPOINT_METRICS = (
    ("invocations", SAGEMAKER_NAMESPACE, "Invocations", "Sum", "None"),
    ("model_latency", SAGEMAKER_NAMESPACE, "ModelLatency", "Average", "Microseconds"),
    ("errors_5xx", SAGEMAKER_NAMESPACE, "Invocation5XXErrors", "Sum", "None"),
    ("errors_4xx", SAGEMAKER_NAMESPACE, "Invocation4XXErrors", "Sum", "None"),
    ("cpu", ENDPOINT_INSTANCE_NAMESPACE, "CPUUtilization", "Average", "Percent"),
    ("memory", ENDPOINT_INSTANCE_NAMESPACE, "MemoryUtilization", "Average", "Percent"),
    ("disk", ENDPOINT_INSTANCE_NAMESPACE, "DiskUtilization", "Average", "Percent"),
    ("gpu", ENDPOINT_INSTANCE_NAMESPACE, "GPUUtilization", "Average", "Percent"),
)


def endpoint_metrics(endpoint_name: str) -> tuple[tuple[str, MetricDescriptor], ...]:
    """The descriptors of one endpoint's variant, keyed by a stable short name."""
    dims = (("EndpointName", endpoint_name), ("VariantName", VARIANT))
    return tuple(
        (key, MetricDescriptor(namespace, metric, dims, statistic, unit))
        for key, namespace, metric, statistic, unit in _ENDPOINT_METRICS
    )


# Custom metrics: the monitoring job (mlops_runtime.monitoring_job) publishes them under the
# names and dimensions of mlops_runtime.contract.metrics, the single source both sides import.
CUSTOM_METRICS = {
    "data_drift": (mm.DRIFT_SCORE, "Maximum"),
    "bias": (mm.DEMOGRAPHIC_PARITY_DIFFERENCE, "Maximum"),
}
"""Monitor type -> (metric, statistic) where the type alone decides; prediction drift depends
on the method (``mm.prediction_drift_metric``), model quality adds the ``Metric`` dimension."""


def custom_metric(
    namespace: str,
    metric_name: str,
    model: str,
    environment: str,
    statistic: str = "Maximum",
    extra: tuple[tuple[str, str], ...] = (),
) -> MetricDescriptor:
    """A model-health metric in the system namespace (dimensions Model, *extra, Environment)."""
    return MetricDescriptor(
        namespace, metric_name, mm.dimensions(model, environment, *extra), statistic
    )


def quality_metric(namespace: str, metric: str, model: str, environment: str) -> MetricDescriptor:
    """``ModelQuality`` of one measure (``Metric`` = auc, rmse, ...)."""
    return custom_metric(
        namespace, mm.MODEL_QUALITY, model, environment, extra=((mm.METRIC, metric),)
    )


_SIZE = re.compile(r"^ml\.[a-z0-9-]+\.(?:(?P<n>\d+)?(?P<x>x)large|(?P<plain>large|medium|small))$")
_GPUS = {
    "p2": {"xlarge": 1, "8xlarge": 8, "16xlarge": 16},
    "p3": {"2xlarge": 1, "8xlarge": 4, "16xlarge": 8},
    "p3dn": {"24xlarge": 8},
    "p4d": {"24xlarge": 8},
    "p4de": {"24xlarge": 8},
    "p5": {"48xlarge": 8},
    "g4dn": {"12xlarge": 4},
    "g5": {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8},
    "g6": {"12xlarge": 4, "24xlarge": 4, "48xlarge": 8},
}


def vcpus(instance_type: str) -> int:
    """vCPUs of an ``ml.*`` instance type from its size (large=2, xlarge=4, Nxlarge=4N).

    SageMaker reports CPUUtilization summed over cores (up to 100 x vCPUs); alarms divide by
    this so that thresholds mean 'per instance'.
    """
    match = _SIZE.match(instance_type)
    if not match:
        return 1
    if match["plain"]:
        return 2 if match["plain"] in ("large", "medium") else 1
    return 4 * int(match["n"] or 1)


def gpus(instance_type: str) -> int:
    """GPUs of an accelerated ``ml.*`` instance type (1 for single-GPU sizes and unknowns)."""
    parts = instance_type.split(".")
    if len(parts) != 3:
        return 1
    return _GPUS.get(parts[1], {}).get(parts[2], 1)
