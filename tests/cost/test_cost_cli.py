"""`mlops cost` end to end: the committed table beside the spec, no table (exit 2, how to get
one), a bad table (exit 1, file:line), a table missing a row (exit 2), JSON for machines."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlops_spec.cli import app
from tests.conftest import ROOT

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    target = tmp_path / "mlops.yaml"
    shutil.copy(ROOT / "examples/churn/mlops.yaml", target)
    return target


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_reads_the_table_beside_the_spec(spec: Path) -> None:
    shutil.copy(FIXTURES / "prices.csv", spec.parent / "mlops-prices.csv")
    result = invoke("cost", str(spec), "--stack", "prod", "-f", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # 2 x 730 h x 0.10 + 730/168 x 0.65 + 730/24 x 0.20 (see test_estimate.test_churn_prod)
    assert data["monthly_usd"] == 155.78
    assert data["prices"].startswith("source: made-up prices for tests")


def test_text_output_shows_total_and_assumptions(spec: Path) -> None:
    result = invoke("cost", str(spec), "--stack", "dev", "--prices", str(FIXTURES / "prices.csv"))
    assert result.exit_code == 0, result.output
    assert "total: $73.00 per month, up to $98.85" in result.stdout
    assert "schedule cron(0 3 ? * MON *) is paused in dev: 0 scheduled runs" in result.stdout
    assert "CloudWatch, not priced: metric alarms 13, composite alarms 1" in result.stdout


def test_without_a_table_it_says_how_to_get_one(spec: Path) -> None:
    result = invoke("cost", str(spec), "--stack", "prod")
    assert result.exit_code == 2
    assert "no price table: the package ships no prices" in result.stderr
    assert f"mlops prices fetch --region eu-west-1 -o {spec.parent / 'mlops-prices.csv'}" in (
        result.stderr
    )
    assert "$" not in result.stdout


def test_a_bad_table_is_a_located_error(spec: Path) -> None:
    table = spec.parent / "mlops-prices.csv"
    text = (
        (FIXTURES / "prices.csv")
        .read_text()
        .replace("eu-west-1,hosting,ml.c5.large,0.10,", "eu-west-1,hosting,ml.c5.large,ten,")
    )
    table.write_text(text)
    result = invoke("cost", str(spec), "--stack", "prod")
    assert result.exit_code == 1
    assert f"{table}:4:1: usd_per_hour: not a price in USD (got 'ten'" in result.stderr


def test_a_table_without_the_stacks_prices_exits_2_after_the_estimate(spec: Path) -> None:
    table = spec.parent / "mlops-prices.csv"
    table.write_text(
        "# source: another region only\n"
        "region,component,instance_type,usd_per_hour,usd_per_gb_second\n"
        "us-east-1,hosting,ml.c5.large,0.10,\n"
    )
    result = invoke("cost", str(spec), "--stack", "prod", "-f", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["complete"] is False and data["monthly_usd"] == 0
    assert ["eu-west-1", "hosting", "ml.c5.large"] in data["missing_prices"]
    assert "refresh it with `mlops prices fetch --region eu-west-1`" in result.stderr


def test_a_bad_usage_file_is_a_located_error(spec: Path) -> None:
    usage = spec.parent / "mlops-usage.yaml"
    usage.write_text("models:\n  churn-classifier:\n    requests_per_month: lots\n    speed: 3\n")
    result = invoke("cost", str(spec), "--stack", "prod", "--prices", str(FIXTURES / "prices.csv"))
    assert result.exit_code == 1
    assert f"{usage}:3:25: models.churn-classifier.requests_per_month: must be a number" in (
        result.stderr
    )
    assert (
        "models.churn-classifier.speed: unknown key (got 'speed'; allowed requests_per_month"
        in (result.stderr)
    )


def test_an_invalid_spec_is_reported_like_validate(spec: Path) -> None:
    spec.write_text(spec.read_text().replace("tier: realtime", "tier: realtme"))
    result = invoke("cost", str(spec), "--stack", "prod", "--prices", str(FIXTURES / "prices.csv"))
    assert result.exit_code == 1
    assert "unknown tier" in result.stderr
