"""Idempotency claims: the first invocation to claim an event key handles it, others see a duplicate.

A claim is a conditional ``put_item`` (``attribute_not_exists``) so concurrent deliveries of
the same event cannot both win. A claim left ``claimed`` by a crashed invocation can be retaken
once its lease has expired; every finished claim records its outcome.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime import dynamo
from mlops_runtime.aws import error_code
from mlops_runtime.clock import iso

CLAIMED = "claimed"


def digest(key: str) -> str:
    """SHA-256 hex of an idempotency key (also the pipeline's ClientRequestToken)."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    """A won claim; ``token`` identifies the owner for later updates."""

    key: str
    token: str


def claim(
    dynamodb: Any,
    table: str,
    key: str,
    *,
    now: datetime,
    ttl_hours: int,
    lease_seconds: int,
    **details: Any,
) -> Claim | dict[str, Any]:
    """Claim ``key``: a ``Claim`` when won, else the existing record (the duplicate)."""
    token = uuid.uuid4().hex
    item = {
        dynamo.PK: f"event#{digest(key)}",
        dynamo.SK: "claim",
        "idempotency_key": key,
        "status": CLAIMED,
        "token": token,
        "claimed_at": now.timestamp(),
        "claimed_at_iso": iso(now),
        dynamo.TTL: int((now + timedelta(hours=ttl_hours)).timestamp()),
        **details,
    }
    try:
        dynamodb.put_item(
            TableName=table,
            Item=dynamo.to_item(item),
            ConditionExpression="attribute_not_exists(#pk) OR (#status = :claimed AND "
            "#claimed_at < :stale)",
            ExpressionAttributeNames={
                "#pk": dynamo.PK,
                "#status": "status",
                "#claimed_at": "claimed_at",
            },
            ExpressionAttributeValues={
                ":claimed": {"S": CLAIMED},
                ":stale": dynamo.to_attr(now.timestamp() - lease_seconds),
            },
        )
    except Exception as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        existing = dynamodb.get_item(TableName=table, Key=_key(key), ConsistentRead=True).get(
            "Item", {}
        )
        return dynamo.from_item(existing)
    return Claim(key=key, token=token)


def finish(dynamodb: Any, table: str, claim: Claim, status: str, **details: Any) -> None:
    """Record the outcome of a won claim; later duplicates report it."""
    values = {"status": status, **{k: v for k, v in details.items() if v is not None}}
    names = {f"#a{i}": name for i, name in enumerate(values)}
    dynamodb.update_item(
        TableName=table,
        Key=_key(claim.key),
        UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(values))),
        ConditionExpression="#token = :token",
        ExpressionAttributeNames={**names, "#token": "token"},
        ExpressionAttributeValues={
            **{f":a{i}": dynamo.to_attr(v) for i, v in enumerate(values.values())},
            ":token": {"S": claim.token},
        },
    )


def release(dynamodb: Any, table: str, claim: Claim) -> None:
    """Give a claim back (the work failed) so a retried delivery can handle the event."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key=_key(claim.key),
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={"#token": "token"},
            ExpressionAttributeValues={":token": {"S": claim.token}},
        )
    except Exception as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise


def _key(key: str) -> dict[str, Any]:
    return {dynamo.PK: {"S": f"event#{digest(key)}"}, dynamo.SK: {"S": "claim"}}
