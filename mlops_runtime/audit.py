"""Audit records: every decision a unit takes is written to DynamoDB and logged."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime import dynamo
from mlops_runtime.clock import iso
from mlops_runtime.logs import get_logger, log

logger = get_logger(__name__)


def record(
    dynamodb: Any,
    table: str | None,
    *,
    unit: str,
    model: str | None,
    decision: str,
    now: datetime,
    ttl_days: int = 0,
    **details: Any,
) -> dict[str, Any]:
    """Write (when ``table`` is set) and log one audit record; return it."""
    entry: dict[str, Any] = {
        "unit": unit,
        "model": model or "-",
        "decision": decision,
        "decided_at": iso(now),
        **{k: v for k, v in details.items() if v is not None},
    }
    level = logging.ERROR if decision == "error" else logging.INFO
    log(logger, f"{unit}: {decision}", level, **entry)
    if table:
        item = {
            dynamo.PK: f"audit#{unit}#{entry['model']}",
            dynamo.SK: f"{entry['decided_at']}#{uuid.uuid4().hex[:12]}",
            **entry,
        }
        if ttl_days:
            item[dynamo.TTL] = int((now + timedelta(days=ttl_days)).timestamp())
        dynamodb.put_item(TableName=table, Item=dynamo.to_item(item))
    return entry


def records(dynamodb: Any, table: str, *, unit: str, model: str | None) -> list[dict[str, Any]]:
    """A unit's audit records for one model, oldest first (for operators and tests)."""
    pk = f"audit#{unit}#{model or '-'}"
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": dynamo.PK},
        "ExpressionAttributeValues": {":pk": {"S": pk}},
    }
    while True:
        page = dynamodb.query(**kwargs)
        items += [dynamo.from_item(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
