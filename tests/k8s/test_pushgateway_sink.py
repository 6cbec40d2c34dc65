"""The Pushgateway ``MetricsSink`` against a local stand-in over HTTP: one group per model and
environment, replaced on each push, the job's CloudWatch names and dimensions as series."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from mlops_runtime.core.ports import Gauge
from mlops_runtime.k8s import pushgateway
from mlops_runtime.k8s.pushgateway import PushError, PushgatewayMetrics
from tests.k8s import pushgateway_standin

AT = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
MODEL = (("Model", "churn"), ("Environment", "prod"))


def _gauges(score: float, features: tuple[str, ...] = ("spend", "plan")) -> list[Gauge]:
    gauges = [Gauge("DriftScore", MODEL, score), Gauge("RowsAnalyzed", MODEL, 1200.0, "Count")]
    gauges += [
        Gauge("FeatureDrifted", (("Model", "churn"), ("Feature", f), ("Environment", "prod")), 1.0)
        for f in features
    ]
    return gauges


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pushgateway, "sleep", lambda seconds: None)


def test_gauges_become_series_with_the_jobs_names_and_dimensions() -> None:
    with pushgateway_standin.running() as (url, gateway):
        PushgatewayMetrics(url).publish("MLOps/shop", AT, _gauges(0.25))
    group = (("job", "MLOps/shop"), ("Model", "churn"), ("Environment", "prod"))
    labels = tuple(sorted(group))
    series = gateway.series()
    assert series[("DriftScore", labels)] == 0.25
    assert series[("RowsAnalyzed", labels)] == 1200.0
    spend = tuple(sorted((*group, ("Feature", "spend"))))
    assert series[("FeatureDrifted", spend)] == 1.0
    assert ("push_time_seconds", labels) in series
    ((method, path, content_type, _),) = gateway.requests
    assert method == "PUT"
    assert path.startswith("/metrics/job@base64/")  # "/" in MLOps/shop needs base64
    assert content_type.startswith("text/plain; version=0.0.4")


def test_a_push_replaces_the_previous_runs_group() -> None:
    with pushgateway_standin.running() as (url, gateway):
        sink = PushgatewayMetrics(url)
        sink.publish("MLOps/shop", AT, _gauges(0.5, ("spend", "plan")))
        sink.publish("MLOps/shop", AT, _gauges(0.0, ("plan",)))
    features = {
        dict(labels).get("Feature") for name, labels in gateway.series() if name == "FeatureDrifted"
    }
    assert features == {"plan"}  # spend's series went away with the old run
    scores = [v for (name, _), v in gateway.series().items() if name == "DriftScore"]
    assert scores == [0.0]


def test_models_and_environments_are_separate_groups() -> None:
    other = [Gauge("DriftScore", (("Model", "ltv"), ("Environment", "prod")), 0.9)]
    with pushgateway_standin.running() as (url, gateway):
        sink = PushgatewayMetrics(url)
        sink.publish("MLOps/shop", AT, [*_gauges(0.1), *other])
        sink.publish("MLOps/shop", AT, _gauges(0.2))  # churn again: ltv's group is untouched
    scores = {
        dict(labels)["Model"]: v
        for (name, labels), v in gateway.series().items()
        if name == "DriftScore"
    }
    assert scores == {"churn": 0.2, "ltv": 0.9}
    assert len(gateway.groups) == 2


def test_tiny_and_special_values_are_written_in_the_text_format() -> None:
    gauges = [
        Gauge("PredictionDriftPValue", MODEL, 1e-300),
        Gauge("PredictionDrift", MODEL, math.inf),
        Gauge(
            "ModelQuality",
            (("Model", "churn"), ("Metric", "auc"), ("Environment", "prod")),
            math.nan,
        ),
    ]
    with pushgateway_standin.running() as (url, gateway):
        PushgatewayMetrics(url).publish("MLOps/shop", AT, gauges)
    values = {name: v for (name, _), v in gateway.series().items()}
    assert values["PredictionDriftPValue"] == 1e-300
    assert values["PredictionDrift"] == math.inf
    assert math.isnan(values["ModelQuality"])


def test_transient_failures_are_retried_and_refusals_are_not() -> None:
    with pushgateway_standin.running() as (url, gateway):
        gateway.fail_next = [503, 502]
        PushgatewayMetrics(url, max_attempts=3).publish("MLOps/shop", AT, _gauges(0.1))
        assert len(gateway.requests) == 3
        gateway.fail_next = [400]
        with pytest.raises(PushError, match=r"answered 400.*injected failure"):
            PushgatewayMetrics(url, max_attempts=3).publish("MLOps/shop", AT, _gauges(0.1))
        assert len(gateway.requests) == 4


def test_an_unreachable_gateway_fails_after_its_attempts() -> None:
    with pushgateway_standin.running() as (url, _):
        pass  # closed: nothing listens any more
    with pytest.raises(PushError, match=r"unreachable .* after 2 attempts"):
        PushgatewayMetrics(url, max_attempts=2, timeout_seconds=1).publish(
            "MLOps/shop", AT, _gauges(0.1)
        )


def test_a_gauge_without_the_grouping_dimensions_is_refused() -> None:
    with pytest.raises(ValueError, match="lacks the grouping dimensions"):
        PushgatewayMetrics("http://127.0.0.1:9").publish(
            "MLOps/shop", AT, [Gauge("DriftScore", (("Model", "churn"),), 0.1)]
        )


def test_the_sink_is_chosen_by_the_environment() -> None:
    assert pushgateway.from_env({}) is None
    sink = pushgateway.from_env({"MLOPS_PUSHGATEWAY_URL": "http://pg.monitoring:9091/"})
    assert sink is not None and sink.url == "http://pg.monitoring:9091"
