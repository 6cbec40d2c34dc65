"""The price table: read, write, and every bad row named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_spec.cost.prices import Price, parse_prices, read_prices, render_prices
from mlops_spec.errors import SpecError

FIXTURE = Path(__file__).parent / "fixtures" / "prices.csv"
HEADER = "region,component,instance_type,usd_per_hour,usd_per_gb_second"


def test_fixture_table_reads_with_its_comments() -> None:
    table = read_prices(FIXTURE)
    assert table.get("eu-west-1", "hosting", "ml.c5.large") == Price(
        "eu-west-1", "hosting", "ml.c5.large", usd_per_hour=0.10
    )
    assert table.get("us-east-1", "serverless", "3072") == Price(
        "us-east-1", "serverless", "3072", usd_per_gb_second=0.00002
    )
    assert table.get("eu-west-1", "hosting", "ml.c5.xlarge") is None
    assert table.comments[1] == "fetched: 2026-01-01"


def test_every_bad_row_is_reported_with_its_line() -> None:
    text = "\n".join(
        [
            "# source: hand-written",
            HEADER,
            "eu-west-1,hosting,ml.c5.large,0.1,",  # line 3: fine
            "eu-west-1,hostng,ml.c5.large,0.1,",  # line 4: component
            "eu-west-1,hosting,c5.large,0.1,",  # line 5: instance type
            "eu-west-1,training,ml.m5.large,cheap,",  # line 6: price
            "eu-west-1,serverless,2GB,,0.00002",  # line 7: memory size
            "eu-west-1,serverless,2048,0.1,",  # line 8: wrong column for serverless
            "Ireland,hosting,ml.m5.large,0.1,",  # line 9: region
            "eu-west-1,hosting,ml.c5.large,0.2,",  # line 10: duplicate of line 3
            "eu-west-1,hosting,ml.c5.large",  # line 11: too few columns
        ]
    )
    with pytest.raises(SpecError) as raised:
        parse_prices(text, "prices.csv")
    rendered = [p.render() for p in raised.value.problems]
    assert [p.line for p in raised.value.problems] == [4, 5, 6, 7, 8, 8, 9, 10, 11]
    assert rendered[0] == (
        "prices.csv:4:1: component: unknown (got 'hostng'; allowed hosting, training, "
        "processing, transform, serverless)"
    )
    assert "usd_per_hour: not a price in USD (got 'cheap'; allowed a number >= 0)" in rendered[2]
    assert "instance_type: not a memory size (got '2GB'" in rendered[3]
    assert "usd_per_hour: does not apply (got '0.1'" in rendered[4]
    assert "duplicate row (first on line 3)" in rendered[7]


def test_a_file_that_is_not_a_price_table_says_what_the_header_must_be() -> None:
    with pytest.raises(SpecError) as raised:
        parse_prices("model,price\nx,1\n", "other.csv")
    (problem,) = raised.value.problems
    assert problem.line == 1
    assert problem.allowed == HEADER


def test_render_then_parse_round_trips() -> None:
    table = read_prices(FIXTURE)
    again = parse_prices(render_prices(table.prices, table.comments), "again.csv")
    assert set(again.prices) == set(table.prices)
    assert again.comments == table.comments
