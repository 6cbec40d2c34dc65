"""``mlops prices fetch``: SageMaker on-demand prices from the AWS Price List API.

Calls ``pricing:GetProducts`` (service ``AmazonSageMaker``, filter ``regionCode``; request and
response shapes as in botocore's ``pricing`` service model) with the caller's credentials, and
keeps one price per (region, component, instance type), classified by the product's
``usagetype`` (``<region prefix>-<operation>:<instance>``):

========================  ==========  ==================================================
usage type                component   price kept
========================  ==========  ==================================================
``EU-Host:ml.c5.large``   hosting     USD per instance-hour (unit ``Hrs``)
``EU-Train:ml.m5.large``  training    USD per instance-hour
``EU-Processing:ml...``   processing  USD per instance-hour
``EU-Tsform:ml...``       transform   USD per instance-hour
``EU-ServerlessInf:Mem-4GB``  serverless  USD per second of that memory size / GB
========================  ==========  ==================================================

Anything else (notebooks, Studio, asynchronous inference, provisioned concurrency, spot, free
tier) is skipped. When two products give different prices for one key the higher is kept and
a ``#`` note says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from mlops_spec.cost.prices import Price, render_prices

SERVICE_CODE = "AmazonSageMaker"
PAGE_SIZE = 100
OPERATIONS = {
    "Host": "hosting",
    "Train": "training",
    "Processing": "processing",
    "Tsform": "transform",
    "ServerlessInf": "serverless",
}
_USAGE_TYPE = re.compile(
    r"^(?:[A-Z]{2,4}\d?-)?(?P<operation>" + "|".join(OPERATIONS) + r"):(?P<rest>.+)$"
)
_INSTANCE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
_MEMORY = re.compile(r"^Mem-(?P<gb>\d+)GB$")


class FetchError(Exception):
    """The Price List could not be read (credentials, network, nothing found)."""


@dataclass(frozen=True)
class Fetched:
    """The prices read, and notes for the table's comment lines."""

    prices: tuple[Price, ...]
    notes: tuple[str, ...]
    publication: str | None


def requests(region: str) -> dict[str, Any]:
    """The GetProducts parameters for one region (the paginator adds NextToken)."""
    return {
        "ServiceCode": SERVICE_CODE,
        "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}],
        "FormatVersion": "aws_v1",
        "PaginationConfig": {"PageSize": PAGE_SIZE},
    }


def _on_demand_usd(item: Mapping[str, Any]) -> tuple[float, str] | None:
    """(USD per unit, unit) of the product's single on-demand price dimension."""
    dimensions = [
        dimension
        for term in (item.get("terms", {}).get("OnDemand") or {}).values()
        for dimension in (term.get("priceDimensions") or {}).values()
    ]
    if len(dimensions) != 1:
        return None
    usd = (dimensions[0].get("pricePerUnit") or {}).get("USD")
    try:
        return float(str(usd)), str(dimensions[0].get("unit", ""))
    except (TypeError, ValueError):
        return None


def classify(item: Mapping[str, Any], region: str) -> Price | None:
    """The table row of one PriceList product, or None if it is not one we keep."""
    attributes = (item.get("product") or {}).get("attributes") or {}
    if attributes.get("regionCode", region) != region:
        return None
    match = _USAGE_TYPE.match(str(attributes.get("usagetype", "")))
    price = _on_demand_usd(item)
    if match is None or price is None:
        return None
    usd, unit = price
    component, rest = OPERATIONS[match["operation"]], match["rest"]
    if component != "serverless":
        if not _INSTANCE.match(rest) or unit.lower() not in ("hrs", "hours", "hour"):
            return None
        return Price(region, component, rest, usd_per_hour=usd)
    memory = _MEMORY.match(rest)
    if memory is None or int(memory["gb"]) == 0:
        return None
    gigabytes = int(memory["gb"])
    per_gb_second = usd if "gb" in unit.lower() else usd / gigabytes
    return Price(region, component, str(gigabytes * 1024), usd_per_gb_second=per_gb_second)


def _pages(client: Any, region: str) -> Iterator[Mapping[str, Any]]:
    paginator = client.get_paginator("get_products")
    for page in paginator.paginate(**requests(region)):
        for text in page.get("PriceList", ()):
            yield json.loads(text) if isinstance(text, str) else text


def fetch(client: Any, regions: Iterable[str]) -> Fetched:
    """Read every region's SageMaker prices through ``client`` (a boto3 ``pricing`` client)."""
    kept: dict[tuple[str, str, str], Price] = {}
    notes: list[str] = []
    publications: list[str] = []
    for region in regions:
        found = 0
        for item in _pages(client, region):
            if item.get("publicationDate"):
                publications.append(str(item["publicationDate"]))
            price = classify(item, region)
            if price is None:
                continue
            found += 1
            old = kept.get(price.key)
            if old is not None and old != price:
                notes.append(f"note: two prices for {' '.join(price.key)}; kept the higher")
                price = max(old, price, key=lambda p: p.usd_per_hour or p.usd_per_gb_second or 0)
            kept[price.key] = price
        if not found:
            raise FetchError(
                f"the Price List has no SageMaker prices for region {region!r} "
                "(is it a region code such as eu-west-1?)"
            )
    return Fetched(
        tuple(kept.values()), tuple(dict.fromkeys(notes)), max(publications, default=None)
    )


def table_text(fetched: Fetched, regions: Iterable[str], today: date) -> str:
    """The CSV text: comments (source, date, how to refresh), header, rows."""
    names = list(regions)
    flags = " ".join(f"--region {r}" for r in names)
    comments = [
        "source: AWS Price List API, pricing:GetProducts, service AmazonSageMaker, "
        f"regionCode {', '.join(names)}; OnDemand prices in USD",
        f"fetched: {today.isoformat()}",
    ]
    if fetched.publication:
        comments.append(f"price list published: {fetched.publication}")
    comments.append(f"refresh: mlops prices fetch {flags} -o <this file>")
    return render_prices(fetched.prices, [*comments, *fetched.notes])
