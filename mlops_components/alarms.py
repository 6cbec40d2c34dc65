"""Create a CloudWatch metric alarm from an :class:`AlarmPlan` (descriptors, never literals)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from mlops_components.refs import child
from mlops_spec.plan.alarms import AlarmPlan


def create_alarm(
    parent: pulumi.Resource,
    logical_name: str,
    plan: AlarmPlan,
    *,
    actions: Sequence[pulumi.Input[str]],
    actions_enabled: bool,
    tags: Mapping[str, str],
) -> aws.cloudwatch.MetricAlarm:
    """One alarm; ``actions`` notify on ALARM and on recovery (OK)."""
    single: dict[str, Any] = {}
    queries = None
    if plan.metric is not None:
        metric = plan.metric
        single = {
            "namespace": metric.namespace,
            "metric_name": metric.metric_name,
            "dimensions": metric.dimension_map,
            "period": plan.period_seconds,
        }
        if metric.is_percentile:
            single["extended_statistic"] = metric.statistic
        else:
            single["statistic"] = metric.statistic
    else:
        queries = [
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=query.id,
                expression=query.expression,
                label=query.label,
                return_data=query.return_data,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=query.metric.namespace,
                    metric_name=query.metric.metric_name,
                    dimensions=query.metric.dimension_map,
                    period=plan.period_seconds,
                    stat=query.metric.statistic,
                )
                if query.metric
                else None,
            )
            for query in plan.queries
        ]
    return aws.cloudwatch.MetricAlarm(
        logical_name,
        name=plan.name,
        alarm_description=plan.description,
        comparison_operator=plan.comparison,
        threshold=plan.threshold,
        evaluation_periods=plan.evaluation_periods,
        datapoints_to_alarm=plan.datapoints_to_alarm,
        treat_missing_data=plan.treat_missing_data,
        metric_queries=queries,
        actions_enabled=actions_enabled,
        alarm_actions=list(actions),
        ok_actions=list(actions),
        tags=dict(tags),
        opts=child(parent),
        **single,
    )
