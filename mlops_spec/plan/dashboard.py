"""The per-model CloudWatch dashboard body, from metric descriptors and alarm plans."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mlops_spec.plan.alarms import AlarmPlan
from mlops_spec.plan.documents import ACCOUNT, canonical_json
from mlops_spec.plan.metrics import MetricDescriptor

WIDTH = 12
HEIGHT = 6


def _metric_row(
    metric: MetricDescriptor, stat: str | None = None, label: str | None = None
) -> list[Any]:
    row: list[Any] = [metric.namespace, metric.metric_name]
    for key, value in metric.dimensions:
        row += [key, value]
    options: dict[str, Any] = {"stat": stat or metric.statistic}
    if label:
        options["label"] = label
    row.append(options)
    return row


def _graph(title: str, rows: list[list[Any]], region: str, x: int, y: int) -> dict[str, Any]:
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "metrics": rows,
            "period": 300,
        },
    }


def dashboard_body(
    *,
    model: str,
    description: str,
    region: str,
    partition: str,
    endpoint: dict[str, MetricDescriptor],
    alarms: Sequence[AlarmPlan],
    health_alarm: str | None,
) -> str:
    """JSON body; alarm ARNs carry the ``${account}`` placeholder."""
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 2,
            "properties": {"markdown": f"# {model}\n{description}"},
        }
    ]
    graphs = _endpoint_graphs(endpoint) + _job_graphs(alarms)
    for index, (title, rows) in enumerate(graphs):
        widgets.append(_graph(title, rows, region, (index % 2) * WIDTH, 2 + (index // 2) * HEIGHT))
    names = ([health_alarm] if health_alarm else []) + [a.name for a in alarms]
    if names:
        widgets.append(
            {
                "type": "alarm",
                "x": 0,
                "y": 2 + ((len(graphs) + 1) // 2) * HEIGHT,
                "width": 24,
                "height": 4,
                "properties": {
                    "title": "Alarms",
                    "alarms": [
                        f"arn:{partition}:cloudwatch:{region}:{ACCOUNT}:alarm:{n}" for n in names
                    ],
                },
            }
        )
    return canonical_json({"widgets": widgets})


Graph = tuple[str, list[list[Any]]]
"""(title, metric rows) of one graph widget."""


def _endpoint_graphs(endpoint: dict[str, MetricDescriptor]) -> list[Graph]:
    """Invocations, latency, errors and utilisation of an endpoint (none without one)."""
    if not endpoint:
        return []
    latency, utilisation = endpoint["model_latency"], ("cpu", "memory", "disk")
    return [
        ("Invocations", [_metric_row(endpoint["invocations"], "Sum")]),
        (
            "Model latency (microseconds)",
            [_metric_row(latency, "p50", "p50"), _metric_row(latency, "p99", "p99")],
        ),
        (
            "Errors",
            [
                _metric_row(endpoint["errors_5xx"], "Sum", "5xx"),
                _metric_row(endpoint["errors_4xx"], "Sum", "4xx"),
            ],
        ),
        (
            "Instance utilisation (%)",
            [_metric_row(endpoint[k], "Average", k) for k in utilisation],
        ),
    ]


def _job_graphs(alarms: Sequence[AlarmPlan]) -> list[Graph]:
    """One graph of the monitoring job's metrics the alarms watch (none without them); a metric
    two alarm queries read with different statistics is drawn with the first one's."""
    custom: dict[tuple[str, tuple[tuple[str, str], ...]], MetricDescriptor] = {}
    for alarm in alarms:
        for metric in alarm.metrics:
            if not metric.namespace.startswith("AWS/") and not metric.namespace.startswith("/aws/"):
                custom.setdefault((metric.metric_name, metric.dimensions), metric)
    if not custom:
        return []
    return [("Model health (monitoring job)", [_metric_row(m) for _, m in sorted(custom.items())])]
