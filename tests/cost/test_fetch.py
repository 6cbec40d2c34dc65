"""`mlops prices fetch` against botocore's `pricing` service model (Stubber checks every request
and response shape): paginated GetProducts, realistic PriceList JSON, what is kept and skipped."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from mlops_spec.cli import app
from mlops_spec.cost.fetch import FetchError, fetch, table_text
from mlops_spec.cost.prices import Price, parse_prices

REGION = "eu-west-1"
LOCATION = "EU (Ireland)"


def product(sku: str, usagetype: str, usd: str, unit: str = "Hrs", **attributes: str) -> str:
    """One PriceList entry as the Price List API returns it (a JSON string, aws_v1 format)."""
    family = "ML Serverless" if "ServerlessInf" in usagetype else "ML Instance"
    term = f"{sku}.JRTCKXETXF"
    return json.dumps(
        {
            "product": {
                "productFamily": family,
                "attributes": {
                    "regionCode": REGION,
                    "location": LOCATION,
                    "locationType": "AWS Region",
                    "servicecode": "AmazonSageMaker",
                    "servicename": "Amazon SageMaker",
                    "usagetype": usagetype,
                    "operation": "RunInstance",
                    **attributes,
                },
                "sku": sku,
            },
            "serviceCode": "AmazonSageMaker",
            "terms": {
                "OnDemand": {
                    term: {
                        "priceDimensions": {
                            f"{term}.6YS6EN2CT7": {
                                "unit": unit,
                                "endRange": "Inf",
                                "description": f"${usd} per {usagetype} {unit} in {LOCATION}",
                                "appliesTo": [],
                                "rateCode": f"{term}.6YS6EN2CT7",
                                "beginRange": "0",
                                "pricePerUnit": {"USD": usd},
                            }
                        },
                        "sku": sku,
                        "effectiveDate": "2025-11-01T00:00:00Z",
                        "offerTermCode": "JRTCKXETXF",
                        "termAttributes": {},
                    }
                }
            },
            "version": "20251201000000",
            "publicationDate": "2025-12-01T10:00:00Z",
        }
    )


PAGE_1 = [
    product("AAAA1111", "EU-Host:ml.c5.large", "0.1220000000", instanceName="ml.c5.large"),
    product("AAAA2222", "EU-Train:ml.m5.xlarge", "0.2580000000", instanceName="ml.m5.xlarge"),
    product("AAAA3333", "EU-Notebk:ml.t3.medium", "0.0550000000"),  # notebooks: skipped
    product("AAAA4444", "EU-AsyncInf:ml.c5.large", "0.1220000000"),  # async inference: skipped
]
PAGE_2 = [
    product("BBBB1111", "EU-Processing:ml.m5.large", "0.1280000000"),
    product("BBBB2222", "EU-Tsform:ml.m5.xlarge", "0.2580000000"),
    product("BBBB3333", "EU-ServerlessInf:Mem-2GB", "0.0000400000", unit="Second"),
    product("BBBB4444", "EU-ServerlessInf-ProvConc:Mem-2GB", "0.0000120000", unit="Second"),
    product("BBBB5555", "EU-Host:ml.c5.large", "0.1250000000"),  # a second price for one key
]


def request(token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "ServiceCode": "AmazonSageMaker",
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": REGION}],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token:
        params["NextToken"] = token
    return params


@pytest.fixture
def client() -> Any:
    return boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


def stub_pages(client: Any) -> Stubber:
    stubber = Stubber(client)
    stubber.add_response(
        "get_products",
        {"FormatVersion": "aws_v1", "PriceList": PAGE_1, "NextToken": "page-2"},
        request(),
    )
    stubber.add_response(
        "get_products", {"FormatVersion": "aws_v1", "PriceList": PAGE_2}, request("page-2")
    )
    return stubber


def test_fetch_keeps_one_on_demand_price_per_component_and_instance(client: Any) -> None:
    with stub_pages(client) as stubber:
        fetched = fetch(client, [REGION])
        stubber.assert_no_pending_responses()
    assert set(fetched.prices) == {
        Price(REGION, "hosting", "ml.c5.large", usd_per_hour=0.125),  # the higher of two
        Price(REGION, "training", "ml.m5.xlarge", usd_per_hour=0.258),
        Price(REGION, "processing", "ml.m5.large", usd_per_hour=0.128),
        Price(REGION, "transform", "ml.m5.xlarge", usd_per_hour=0.258),
        # $0.00004 per second of a 2 GB endpoint = $0.00002 per GB-second
        Price(REGION, "serverless", "2048", usd_per_gb_second=0.00002),
    }
    assert fetched.notes == ("note: two prices for eu-west-1 hosting ml.c5.large; kept the higher",)
    assert fetched.publication == "2025-12-01T10:00:00Z"


def test_the_written_table_is_dated_and_reads_back(client: Any) -> None:
    with stub_pages(client):
        fetched = fetch(client, [REGION])
    text = table_text(fetched, [REGION], date(2026, 1, 31))
    assert text.splitlines()[:4] == [
        "# source: AWS Price List API, pricing:GetProducts, service AmazonSageMaker, "
        "regionCode eu-west-1; OnDemand prices in USD",
        "# fetched: 2026-01-31",
        "# price list published: 2025-12-01T10:00:00Z",
        "# refresh: mlops prices fetch --region eu-west-1 -o <this file>",
    ]
    table = parse_prices(text, "mlops-prices.csv")
    assert table.get(REGION, "serverless", "2048") == Price(
        REGION, "serverless", "2048", usd_per_gb_second=0.00002
    )
    assert "eu-west-1,serverless,2048,,0.00002" in text


def test_a_region_with_no_prices_is_an_error(client: Any) -> None:
    stubber = Stubber(client)
    params = request()
    params["Filters"][0]["Value"] = "eu-nowhere-1"
    stubber.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []}, params)
    with stubber, pytest.raises(FetchError, match="no SageMaker prices for region 'eu-nowhere-1'"):
        fetch(client, ["eu-nowhere-1"])


def test_cli_writes_the_table(client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: client)
    out = tmp_path / "mlops-prices.csv"
    with stub_pages(client):
        result = CliRunner().invoke(app, ["prices", "fetch", "--region", REGION, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stderr and "(5 prices)" in result.stderr
    assert len(parse_prices(out.read_text(), str(out)).prices) == 5


def test_cli_reports_access_denied(
    client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(boto3, "client", lambda *args, **kwargs: client)
    stubber = Stubber(client)
    stubber.add_client_error(
        "get_products", "AccessDeniedException", "not allowed", 400, expected_params=request()
    )
    out = tmp_path / "mlops-prices.csv"
    with stubber:
        result = CliRunner().invoke(app, ["prices", "fetch", "--region", REGION, "-o", str(out)])
    assert result.exit_code == 1
    assert "cannot read the AWS Price List" in result.stderr
    assert "pricing:GetProducts" in result.stderr
    assert not out.exists()
