"""Each monitor type's alert under ``promtool test rules``, on synthetic series: at the
threshold and just past it, M of N periods, and periods without traffic or without a job run
(the same verdicts as the CloudWatch alarm of the monitor: tests/plan/test_alarm_semantics.py).

Series are scraped every minute; the alert counts breaching periods at period ends (a
subquery aligned to multiples of the period), so with 60 s periods the alert that sees
minutes 7-10 breach fires at 10m."""

from __future__ import annotations

from typing import Any

import pytest

from mlops_runtime.contract import prometheus as pm
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
from mlops_spec.plan.k8s.monitoring_cronjob import staleness_alert
from mlops_spec.plan.k8s.monitors import rollback_analysis_query
from tests.k8s import prom
from tests.k8s.monitor_support import (
    NAMESPACE,
    SCOPE,
    alert,
    counter,
    expect,
    gauge,
    proxy,
    pushed,
    rule_file,
    selector,
)

MINUTES = 20
BUCKET = pm.REQUEST_DURATION + "_bucket"


def run(rules: dict[str, Any], tests: list[dict[str, Any]]) -> None:
    result = prom.rule_tests([rules], tests)
    assert result.ok, result.output


def latency_series(above: list[int], per_minute: int = 1000) -> list[dict[str, str]]:
    """``per_minute`` requests a minute, all at most 0.12 s but ``above[i]`` in minute i+1
    (those take 0.2 s)."""
    below = [per_minute - a for a in above]
    return [
        {"series": proxy(BUCKET, le="0.1"), "values": counter([0] * len(above))},
        {"series": proxy(BUCKET, le="0.12"), "values": counter(below)},
        {"series": proxy(BUCKET, le="0.25"), "values": counter([per_minute] * len(above))},
        {"series": proxy(BUCKET, le="+Inf"), "values": counter([per_minute] * len(above))},
    ]


def test_latency_at_the_threshold_does_not_fire_and_just_above_it_does() -> None:
    # p99 of 1000 requests with exactly 10 slower than 120 ms is 120 ms: not above (as in
    # CloudWatch); with 11 slower it is above.
    monitor = LatencyMonitor(type="latency", threshold_ms=120.0, percentile="p99")
    latency = alert(monitor)
    at = {"series": latency_series([10] * MINUTES)}
    over = {"series": latency_series([11] * MINUTES)}
    run(
        rule_file(latency),
        [
            {
                "interval": "1m",
                "input_series": at["series"],
                "alert_rule_test": expect(latency, {"10m": False, "15m": False}),
            },
            {
                "interval": "1m",
                "input_series": over["series"],
                "alert_rule_test": expect(latency, {"2m": False, "3m": True, "15m": True}),
            },
        ],
    )


def test_m_of_n_periods() -> None:
    # 2 of 3 periods must breach: minutes 8 and 10 breach, 9 does not.
    monitor = LatencyMonitor(type="latency", threshold_ms=120.0, periods=3, datapoints_to_alarm=2)
    latency = alert(monitor)
    above = [0] * 7 + [50, 0, 50] + [0] * 10
    run(
        rule_file(latency),
        [
            {
                "interval": "1m",
                "input_series": latency_series(above),
                # The periods ending at 8m and 10m breach: at 9m one of three (7-9) has, at 10m
                # two (8-10), at 11m one again (9-11).
                "alert_rule_test": expect(
                    latency, {"8m": False, "9m": False, "10m": True, "11m": False, "12m": False}
                ),
            }
        ],
    )


def test_latency_without_traffic_does_not_fire() -> None:
    latency = alert(LatencyMonitor(type="latency", threshold_ms=120.0, periods=1))
    idle = latency_series([0] * MINUTES, per_minute=0)
    run(
        rule_file(latency),
        [
            {
                "interval": "1m",
                "input_series": idle,
                "alert_rule_test": expect(latency, {"5m": False, "15m": False}),
            }
        ],
    )


def errors_series(errors_5xx: int, errors_4xx: int, ok: int) -> list[dict[str, str]]:
    requests = pm.REQUESTS
    return [
        {"series": proxy(requests, code="200"), "values": counter([ok] * MINUTES)},
        {"series": proxy(requests, code="503"), "values": counter([errors_5xx] * MINUTES)},
        {"series": proxy(requests, code="400"), "values": counter([errors_4xx] * MINUTES)},
    ]


@pytest.mark.parametrize(
    ("errors_5xx", "errors_4xx", "include_4xx", "fires"),
    [
        (200, 0, False, False),  # exactly 2% of 10,000
        (201, 0, False, True),  # 2.01%
        (100, 500, False, False),  # client errors do not count...
        (100, 101, True, True),  # ...unless include_4xx: 2.01%
    ],
)
def test_error_rate_around_the_threshold(
    errors_5xx: int, errors_4xx: int, include_4xx: bool, fires: bool
) -> None:
    monitor = ErrorRateMonitor(
        type="error_rate", threshold_percent=2.0, periods=3, include_4xx=include_4xx
    )
    errors = alert(monitor)
    ok = 10_000 - errors_5xx - errors_4xx
    run(
        rule_file(errors),
        [
            {
                "interval": "1m",
                "input_series": errors_series(errors_5xx, errors_4xx, ok),
                "alert_rule_test": expect(errors, {"10m": fires}),
            }
        ],
    )


def test_error_rate_without_traffic_does_not_fire() -> None:
    errors = alert(ErrorRateMonitor(type="error_rate", threshold_percent=2.0, periods=1))
    run(
        rule_file(errors),
        [
            {
                "interval": "1m",
                "input_series": errors_series(0, 0, 0),
                "alert_rule_test": expect(errors, {"10m": False}),
            }
        ],
    )


def invocations_series(per_minute: list[float]) -> list[dict[str, str]]:
    return [{"series": proxy(pm.REQUESTS, code="200"), "values": counter(per_minute)}]


@pytest.mark.parametrize(
    ("per_minute", "fires"),
    [
        (0.0, False),  # an idle endpoint: no datapoint, as in CloudWatch
        (0.4, True),  # 2 per 5-minute period: measured traffic below min 5
        (1.0, False),  # 5 per period: at min
        (1000.0, False),  # 5000 per period: at max
        (1000.2, True),  # 5001 per period
    ],
)
def test_invocations_band_per_period(per_minute: float, fires: bool) -> None:
    band = alert(
        InvocationsMonitor(type="invocations", min=5.0, max=5000.0, period_seconds=300, periods=3)
    )
    hour = [per_minute] * 60
    run(
        rule_file(band),
        [
            {
                "interval": "1m",
                "input_series": invocations_series(hour),
                "alert_rule_test": expect(band, {"15m": fires, "30m": fires}),
            }
        ],
    )


def test_an_invocations_floor_ignores_an_endpoint_with_no_series_at_all() -> None:
    floor = alert(InvocationsMonitor(type="invocations", min=1.0, periods=3))
    run(
        rule_file(floor),
        [{"interval": "1m", "input_series": [], "alert_rule_test": expect(floor, {"10m": False})}],
    )


def resource_series(kind: str, used: float, given: float) -> list[dict[str, str]]:
    """The model container of two pods of the workload using ``used`` of ``given`` (CPU in
    cores: a counter of seconds; memory and disk in bytes), and a pod of another workload
    whose name starts alike, at 100%."""
    pods = ["shop-prod-churn-7d9f8-abcde", "shop-prod-churn-7d9f8-fghij"]
    other = "shop-prod-churn-v2-5c6d7-klmno"
    usage = {
        "cpu": q_cpu,
        "memory": "container_memory_working_set_bytes",
        "disk": "container_fs_usage_bytes",
    }[kind]
    capacity = (
        "kube_pod_container_resource_requests"
        if kind == "cpu"
        else "kube_pod_container_resource_limits"
    )
    label = {"cpu": "cpu", "memory": "memory", "disk": "ephemeral_storage"}[kind]
    series = []
    for pod, share in [*((p, used) for p in pods), (other, given)]:
        where = {"namespace": NAMESPACE, "pod": pod, "container": "model"}
        values = (
            counter([share * 60] * MINUTES) if kind == "cpu" else gauge([share] * (MINUTES + 1))
        )
        series.append({"series": selector(usage, **where), "values": values})
        series.append(
            {
                "series": selector(capacity, **where, resource=label),
                "values": gauge([given] * (MINUTES + 1)),
            }
        )
    # The proxy container is not the model's.
    proxy_pod = {"namespace": NAMESPACE, "pod": pods[0], "container": "mlops-proxy"}
    series.append(
        {"series": selector(usage, **proxy_pod), "values": gauge([given] * (MINUTES + 1))}
    )
    return series


q_cpu = "container_cpu_usage_seconds_total"


@pytest.mark.parametrize(
    ("kind", "used", "given", "fires"),
    [
        ("cpu", 0.8, 1.0, False),  # 80% of its request
        ("cpu", 0.81, 1.0, True),
        ("memory", 1.6e9, 2e9, False),  # 80% of its limit
        ("memory", 1.62e9, 2e9, True),
        ("disk", 8e9, 10e9, False),
        ("disk", 8.1e9, 10e9, True),
    ],
)
def test_resource_use_of_the_model_container(
    kind: str, used: float, given: float, fires: bool
) -> None:
    use = alert(ResourceMonitor(type="resource", resource=kind, threshold_percent=80.0, periods=3))
    run(
        rule_file(use),
        [
            {
                "interval": "1m",
                "input_series": resource_series(kind, used, given),
                "alert_rule_test": expect(use, {"10m": fires}),
            }
        ],
    )


@pytest.mark.parametrize(("util", "fires"), [(80.0, False), (80.5, True)])
def test_gpu_use(util: float, fires: bool) -> None:
    use = alert(ResourceMonitor(type="resource", resource="gpu", threshold_percent=80.0, periods=3))
    where = {"namespace": NAMESPACE, "pod": "shop-prod-churn-7d9f8-abcde", "container": "model"}
    series = [
        {
            "series": selector("DCGM_FI_DEV_GPU_UTIL", gpu="0", **where),
            "values": gauge([util] * (MINUTES + 1)),
        }
    ]
    run(
        rule_file(use),
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": expect(use, {"10m": fires}),
            }
        ],
    )


# -- job monitors: gauges pushed once a day, scraped every 15 minutes -------------------------

DAY = 96  # 15-minute samples


def job_series(name: str, value: float, pushed_at_hour: int, **labels: str) -> list[dict[str, str]]:
    """One push at ``pushed_at_hour`` of day one (the Pushgateway serves it from then on)."""
    before = [None] * (pushed_at_hour * 4)
    after = [value] * (3 * DAY - len(before))
    push_time = [float(pushed_at_hour * 3600)] * len(after)
    return [
        {"series": pushed(name, **labels), "values": gauge([*before, *after])},
        {"series": pushed("push_time_seconds"), "values": gauge([*before, *push_time])},
    ]


def job_test(rule: Any, series: list[dict[str, str]], schedule: dict[str, bool]) -> None:
    run(
        rule_file(rule),
        [{"interval": "15m", "input_series": series, "alert_rule_test": expect(rule, schedule)}],
    )


@pytest.mark.parametrize(("score", "fires"), [(0.2, False), (0.21, True)])
def test_data_drift_share_above_the_threshold(score: float, fires: bool) -> None:
    drift = alert(DataDriftMonitor(type="data_drift", max_drifted_share=0.2))
    # Pushed at 01:00 on day one: judged at the end of that day's period (24h), not after.
    job_test(
        drift,
        job_series("DriftScore", score, 1),
        {"23h": False, "24h": fires, "47h": fires, "48h": False},
    )


@pytest.mark.parametrize(
    ("method", "series", "value", "fires"),
    [
        ("ks", "PredictionDriftPValue", 0.05, False),
        ("ks", "PredictionDriftPValue", 0.049, True),
        ("psi", "PredictionDrift", 0.1, False),
        ("psi", "PredictionDrift", 0.11, True),
    ],
)
def test_prediction_drift_by_method(method: str, series: str, value: float, fires: bool) -> None:
    drift = alert(
        PredictionDriftMonitor(
            type="prediction_drift", method=method, threshold=0.05 if method == "ks" else 0.1
        )
    )
    job_test(drift, job_series(series, value, 2), {"24h": fires, "48h": False})


@pytest.mark.parametrize(
    ("value", "fires"), [(0.69, True), (0.7, False), (0.99, False), (0.995, True)]
)
def test_model_quality_band(value: float, fires: bool) -> None:
    quality = alert(
        ModelQualityMonitor(
            type="model_quality",
            metric="accuracy",
            min=0.7,
            max=0.99,
            ground_truth={"data_source": "labels"},
        )
    )
    job_test(
        quality,
        job_series("ModelQuality", value, 5, Metric="accuracy"),
        {"24h": fires, "48h": False},
    )


def test_model_quality_reads_only_its_metric() -> None:
    quality = alert(
        ModelQualityMonitor(
            type="model_quality", metric="accuracy", min=0.7, ground_truth={"data_source": "labels"}
        )
    )
    series = job_series("ModelQuality", 0.9, 5, Metric="accuracy")
    series.append(
        {"series": pushed("ModelQuality", Metric="f1"), "values": gauge([0.1] * (3 * DAY))}
    )
    job_test(quality, series, {"24h": False})


@pytest.mark.parametrize(("value", "fires"), [(0.1, False), (0.11, True)])
def test_bias(value: float, fires: bool) -> None:
    bias = alert(
        BiasMonitor(type="bias", sensitive_feature="region", max_demographic_parity_difference=0.1)
    )
    job_test(
        bias, job_series("DemographicParityDifference", value, 3), {"24h": fires, "48h": False}
    )


def test_a_job_monitor_without_any_push_does_not_fire() -> None:
    drift = alert(DataDriftMonitor(type="data_drift"))
    job_test(drift, [], {"24h": False, "48h": False})


# -- health and rollback --------------------------------------------------------------------


def test_the_health_alert_fires_while_any_monitor_fires_and_the_analysis_query_counts_rollbacks() -> (
    None
):
    latency = alert(
        LatencyMonitor(type="latency", threshold_ms=120.0, periods=1, action="rollback"), "latency"
    )
    errors = alert(ErrorRateMonitor(type="error_rate", threshold_percent=2.0, periods=1), "errors")
    rules = rule_file(latency, errors, health=True)
    (group,) = rules["groups"]
    health = group["rules"][-1]
    slow_then_fast = [50] * 10 + [0] * 10
    series = [*latency_series(slow_then_fast), *errors_series(0, 0, 1000)]
    query = rollback_analysis_query(SCOPE.model, NAMESPACE)
    health_firing = {"exp_labels": health["labels"], "exp_annotations": health["annotations"]}
    run(
        rules,
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [
                    *expect(latency, {"5m": True, "15m": False}),
                    {
                        "eval_time": "6m",
                        "alertname": health["alert"],
                        "exp_alerts": [health_firing],
                    },
                    {"eval_time": "16m", "alertname": health["alert"], "exp_alerts": []},
                ],
                "promql_expr_test": [
                    {
                        "expr": query,
                        "eval_time": "6m",
                        "exp_samples": [{"labels": "{}", "value": 1}],
                    },
                    {
                        "expr": query,
                        "eval_time": "16m",
                        "exp_samples": [{"labels": "{}", "value": 0}],
                    },
                ],
            }
        ],
    )


def test_the_analysis_query_ignores_other_models_and_other_actions() -> None:
    latency = alert(
        LatencyMonitor(type="latency", threshold_ms=120.0, periods=1, action="notify"), "latency"
    )
    other = SCOPE.__class__(**{**SCOPE.__dict__, "model": "ltv"})
    ltv = alert(
        LatencyMonitor(type="latency", threshold_ms=120.0, periods=1, action="rollback"),
        "latency",
        scope=other,
    )
    series = latency_series([50] * MINUTES)
    series += [
        {
            "series": s["series"].replace('mlops_model="churn"', 'mlops_model="ltv"'),
            "values": s["values"],
        }
        for s in latency_series([50] * MINUTES)
    ]
    query = rollback_analysis_query(SCOPE.model, NAMESPACE)
    run(
        rule_file(latency, ltv),
        [
            {
                "interval": "1m",
                "input_series": series,
                "alert_rule_test": [*expect(latency, {"5m": True}), *expect(ltv, {"5m": True})],
                "promql_expr_test": [
                    {
                        "expr": query,
                        "eval_time": "6m",
                        "exp_samples": [{"labels": "{}", "value": 0}],
                    }
                ],
            }
        ],
    )


def test_the_staleness_alert_fires_after_two_periods_without_a_push_or_one_without_any() -> None:
    hour = 3600
    stale = staleness_alert("churn-monitor-stale", SCOPE, hour)
    once = [float(0)] * 360  # pushed at 0, then never again (scraped every minute, 6 hours)
    hourly = [float(hour * (i // 60)) for i in range(360)]  # a push every hour
    push = pushed("push_time_seconds")
    run(
        rule_file(stale),
        [
            {
                "interval": "1m",
                "input_series": [{"series": push, "values": gauge(once)}],
                "alert_rule_test": expect(stale, {"1h30m": False, "2h": False, "2h5m": True}),
            },
            {
                "interval": "1m",
                "input_series": [{"series": push, "values": gauge(hourly)}],
                "alert_rule_test": expect(stale, {"3h": False, "5h": False}),
            },
            {
                "interval": "1m",
                "input_series": [],
                "alert_rule_test": expect(stale, {"59m": False, "61m": True}),
            },
        ],
    )
