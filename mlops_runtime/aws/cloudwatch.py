"""``MetricsSink`` on CloudWatch: ``PutMetricData``, 20 datapoints per call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mlops_runtime.core.ports import Gauge, MetricsSink

BATCH = 20
SMALLEST = 1e-100
"""CloudWatch rejects magnitudes below about 8.5e-109; smaller values (tiny p-values) are
published as 0."""


class CloudWatchMetrics(MetricsSink):
    """Gauges as CloudWatch datapoints: the gauge's dimensions, its unit, the given time."""

    def __init__(self, cloudwatch: Any) -> None:
        self.cloudwatch = cloudwatch

    def publish(self, namespace: str, at: datetime, gauges: Sequence[Gauge]) -> None:
        points = [
            {
                "MetricName": gauge.name,
                "Dimensions": [{"Name": key, "Value": value} for key, value in gauge.dimensions],
                "Timestamp": at,
                "Value": 0.0 if abs(gauge.value) < SMALLEST else float(gauge.value),
                "Unit": gauge.unit,
            }
            for gauge in gauges
        ]
        for offset in range(0, len(points), BATCH):
            self.cloudwatch.put_metric_data(
                Namespace=namespace, MetricData=points[offset : offset + BATCH]
            )
