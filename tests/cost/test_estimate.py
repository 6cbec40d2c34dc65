"""Monthly estimates of the example stacks with the made-up fixture prices.

Every expected total is computed by hand from the spec (its instance types, counts, schedules,
maximum runtimes and the retraining caps) and the fixture prices, never by the estimator.
A month is 730 hours: weekly = 730/168 = 4.345238 runs, daily = 730/24 = 30.416667 runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlops_spec.cost import estimate, read_prices, read_usage
from mlops_spec.load import resolve
from mlops_spec.plan import plan
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures"
PRICES = read_prices(FIXTURES / "prices.csv")
USAGE = read_usage(FIXTURES / "usage.yaml")
CHURN = ROOT / "examples/churn/mlops.yaml"
LTV = ROOT / "examples/ltv/mlops.yaml"
WEEKLY = 730 / 168
DAILY = 730 / 24


def _item(result, what: str):  # type: ignore[no-untyped-def]
    return next(i for i in result.items if i.what == what)


def test_churn_prod() -> None:
    result = estimate(plan(resolve(CHURN, "prod")), PRICES)
    # endpoint: 2 x ml.c5.large x 730 h x $0.10 = 146.00 (6 at peak: 438.00)
    # training, weekly cron(0 3 ? * MON *): 4.345238 runs x (Train 1.5 h x 0.20
    #   + PrepareHoldout 1 h x 0.20 + Evaluate 1 h x 0.10 + Profile 1 h x 0.20
    #   + Inputs and Lineage 2 x 0.5 h x 0.05 = 0.85) = 3.693452 (the ScoreHoldout transform
    #   has no maximum runtime: unpriced)
    # monitoring, rate(1 day): 30.416667 runs x 1 h x 0.20 = 6.083333
    # total 146 + 3.693452 + 6.083333 = 155.776786
    assert result.monthly_usd == pytest.approx(155.776786, abs=1e-5)
    # upper bound: 438 + retraining capped at 1 run a day (24 h cooldown):
    #   30.416667 x 0.85 = 25.854167; + 6.083333 = 469.9375
    assert result.monthly_usd_max == pytest.approx(469.9375, abs=1e-5)
    assert not result.complete
    score = _item(result, "training pipeline: ScoreHoldout")
    assert score.usd is None
    assert any("hours_per_run.ScoreHoldout" in note for note in score.notes)
    endpoint = _item(result, "real-time endpoint")
    assert (endpoint.count, endpoint.max_count, endpoint.usd) == (2, 6, pytest.approx(146.0))
    train = _item(result, "training pipeline: Train")
    assert train.runs_per_month == pytest.approx(WEEKLY)
    assert train.hours_per_run == 1.5
    assert any("spot" in note and "priced on demand" in note for note in train.notes)


def test_churn_dev_runs_no_scheduled_jobs_and_says_so() -> None:
    result = estimate(plan(resolve(CHURN, "dev")), PRICES)
    # development: one instance, schedules paused: 1 x 730 h x $0.10 = 73.00, no jobs
    assert result.monthly_usd == pytest.approx(73.0)
    # drift alarms may still retrain, capped at one a day: 73 + 30.416667 x 0.85 = 98.854167
    assert result.monthly_usd_max == pytest.approx(98.854167, abs=1e-5)
    monitor = _item(result, "monitoring pipeline: MonitorDrift")
    assert monitor.runs_per_month == 0
    assert "schedule rate(1 day) is paused in dev: 0 scheduled runs" in monitor.notes


def test_ltv_prod_with_the_usage_file() -> None:
    result = estimate(plan(resolve(LTV, "prod")), PRICES, USAGE)
    # ticket-router serverless: 1,000,000 requests x 0.2 s x 3 GB x $0.00002 = 12.00
    # ticket-router training, rate(7 days): 4.345238 x (Train 2 h x 0.40 + PrepareHoldout 0.20
    #   + ScoreHoldout 0.25 h (usage file) x 0.25 + Evaluate 0.10
    #   + Inputs and Lineage 2 x 0.5 h x 0.05 = 1.2125) = 5.268601 (no Profile step: no
    #   monitor reads its references)
    # lifetime-value batch, daily: 30.416667 x (ResolveChampion 0.25 h x 0.05
    #   + Transform 0.5 h (usage file) x 2 instances x 0.25 = 0.2625) = 7.984375
    #   + PrepareFeatures (ml.m5.xlarge, 1 h) 30.416667 x 0.20 = 6.083333
    # lifetime-value monitoring, daily: 30.416667 x 1 h x 0.20 = 6.083333
    # lifetime-value training: no schedule, 0 runs
    # total 12 + 5.268601 + 7.984375 + 6.083333 + 6.083333 = 37.419643
    assert result.monthly_usd == pytest.approx(37.419643, abs=1e-5)
    # new data and drift retrain lifetime-value up to 730 h / 72 h cooldown = 10.138889 runs
    #   x (Train 3 h x 0.50 + 0.20 + 0.0625 + 0.10 + 0.20 + 0.05 = 2.1125) = 21.418403;
    #   37.419643 + 21.418403 = 58.838046
    assert result.monthly_usd_max == pytest.approx(58.838046, abs=1e-5)
    assert result.complete
    transform = _item(result, "batch pipeline: Transform")
    assert (transform.count, transform.hours_per_run) == (2, 0.5)
    assert "hours per run: from the usage file" in transform.notes


def test_without_usage_serverless_and_transform_are_not_priced() -> None:
    result = estimate(plan(resolve(LTV, "prod")), PRICES)
    assert not result.complete
    serverless = _item(result, "serverless endpoint")
    assert serverless.usd is None
    assert any("requests_per_month" in note for note in serverless.notes)
    transform = _item(result, "batch pipeline: Transform")
    assert transform.usd is None
    assert any("hours_per_run.Transform" in note for note in transform.notes)
    # the priced rest: ticket-router training without ScoreHoldout 4.345238 x 1.15 = 4.997024
    #   + ResolveChampion 30.416667 x 0.0125 = 0.380208 + 6.083333
    #   + PrepareFeatures 30.416667 x 0.20 = 6.083333
    assert result.monthly_usd == pytest.approx(17.543899, abs=1e-5)


def test_a_missing_price_is_never_invented() -> None:
    result = estimate(plan(resolve(CHURN, "staging")), PRICES.__class__(()))
    assert result.monthly_usd == 0
    assert not result.complete
    assert ("eu-west-1", "hosting", "ml.c5.large") in result.missing_prices
    assert all(item.usd is None for item in result.items)


def test_json_is_the_documented_shape() -> None:
    data = json.loads(json.dumps(estimate(plan(resolve(CHURN, "prod")), PRICES).to_dict()))
    assert data["monthly_usd"] == 155.78
    assert data["counts"] == {
        "cloudwatch_metric_alarms": 13,  # 8 monitors + 5 dead-letter queue alarms
        "cloudwatch_composite_alarms": 1,
        "custom_metric_series": 26,
    }
    assert {
        "model",
        "resource",
        "component",
        "instance_type",
        "count",
        "runs_per_month",
        "hours_per_month",
        "usd",
    } <= set(data["items"][0])


def test_usage_for_other_stacks_is_noted_not_refused() -> None:
    result = estimate(plan(resolve(CHURN, "prod")), PRICES, USAGE)
    assert "the usage file names model 'lifetime-value', which this stack does not have" in (
        result.notes
    )
