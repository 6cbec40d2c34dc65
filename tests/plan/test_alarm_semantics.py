"""Planned alarms judged on datapoints, the way CloudWatch would (``tests.plan.cloudwatch_sim``):
what pages before an endpoint exists, on a quiet night, and when the monitoring job publishes
more than once per alarm period."""

from __future__ import annotations

from mlops_spec.plan.alarms import AlarmPlan
from tests.plan import cloudwatch_sim as cw
from tests.plan.conftest import example, full

QUIET = 12
"""Periods without a single datapoint (an endpoint not yet created, or idle all night)."""


def _alarm(monitor: str, model: str = "rt", stack: str = "prod") -> AlarmPlan:
    return full(stack).monitoring.model(model).alarm(monitor)


def _metric(alarm: AlarmPlan):  # the one metric an alarm reads (statistic aside)
    (metric, *_) = alarm.metrics
    return metric


def test_a_latest_approved_model_pages_for_nothing_before_its_endpoint_exists() -> None:
    # churn follows latest_approved: until the first approval there is no endpoint, so no
    # endpoint metric has a datapoint; the monitoring job publishes nothing either.
    model = example("churn", "prod").monitoring.model("churn-classifier")
    states = {a.monitor: cw.state(a, {}, QUIET) for a in model.alarms}
    assert "ALARM" not in states.values(), states
    assert states["traffic"] == "OK"


def test_a_quiet_night_does_not_page_a_traffic_floor_but_measured_low_traffic_does() -> None:
    floor = _alarm("few", "la")  # invocations min 1 per 60 s period
    assert cw.state(floor, {}, QUIET) == "OK"
    low = {_metric(floor): [(p * 60.0 + 1, 0.0) for p in range(QUIET)]}
    assert cw.state(floor, low, QUIET) == "ALARM"
    band = _alarm("traffic")  # invocations 5-5000 per 300 s period
    assert cw.state(band, {}, QUIET) == "OK"
    trickle = {_metric(band): [(p * 300.0 + 1, 2.0) for p in range(QUIET)]}
    assert cw.state(band, trickle, QUIET) == "ALARM"
    flood = {_metric(band): [(p * 300.0 + 1, 6000.0) for p in range(QUIET)]}
    assert cw.state(band, flood, QUIET) == "ALARM"
    normal = {_metric(band): [(p * 300.0 + 1, 50.0) for p in range(QUIET)]}
    assert cw.state(band, normal, QUIET) == "OK"


def test_a_quality_value_above_max_alarms_when_the_job_runs_twice_in_a_period() -> None:
    quality = _alarm("quality")  # accuracy within 0.7-0.99, one-day period, one period
    day = float(quality.period_seconds)
    twice = {_metric(quality): [(day + 3600.0, 0.80), (day + 7200.0, 0.995)]}
    assert cw.state(quality, twice, 2) == "ALARM"
    low_then_fine = {_metric(quality): [(day + 3600.0, 0.60), (day + 7200.0, 0.90)]}
    assert cw.state(quality, low_then_fine, 2) == "ALARM"
    inside = {_metric(quality): [(day + 3600.0, 0.80), (day + 7200.0, 0.95)]}
    assert cw.state(quality, inside, 2) == "OK"
    assert cw.state(quality, {}, 2) == "INSUFFICIENT_DATA"
