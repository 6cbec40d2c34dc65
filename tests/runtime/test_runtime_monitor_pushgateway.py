"""The unchanged monitoring job on Kubernetes: with ``MLOPS_PUSHGATEWAY_URL`` set it pushes its
gauges to the Pushgateway (a local stand-in over HTTP) under the names and dimensions it
publishes to CloudWatch, and nothing reaches CloudWatch."""

from __future__ import annotations

import pytest
from runtime_support import FEATURES, customers
from test_runtime_monitor import NOW, capture_traffic, config, metric  # noqa: F401 (fixture)

from mlops_runtime import monitoring_job
from mlops_runtime.contract import metrics as mm
from mlops_runtime.contract import pushgateway as pg
from mlops_runtime.contract.config import MonitorConfig
from tests.k8s import pushgateway_standin


def test_the_job_pushes_its_series_to_the_pushgateway(
    config: MonitorConfig,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    capture_traffic(customers(1200, seed=2, shift=8.0), requests=40)
    with pushgateway_standin.running() as (url, gateway):
        monkeypatch.setenv(pg.URL_ENV, url)
        report = monitoring_job.run(config, now=NOW)
    series = gateway.series()
    group = (("job", "MLOps/shop"), ("Model", "churn"), ("Environment", "dev"))
    assert series[("DriftScore", tuple(sorted(group)))] == pytest.approx(0.25)
    spend = tuple(sorted((*group, ("Feature", "spend"))))
    assert series[("FeatureDrifted", spend)] == 1
    assert ("push_time_seconds", tuple(sorted(group))) in series
    pushed = {
        (name, tuple((k, v) for k, v in labels if k != "job"))
        for name, labels in series
        if name != pg.PUSH_TIME
    }
    features = {dict(labels)["Feature"] for _, labels in pushed if "Feature" in dict(labels)}
    assert features == set(FEATURES)
    expected = {(name, tuple(sorted(dims))) for name, dims in mm.published(config, features)}
    assert pushed <= expected  # only series the contract lists
    assert len(pushed) == report["metrics"]["datapoints"]
    assert metric("DriftScore") is None  # nothing reached CloudWatch
