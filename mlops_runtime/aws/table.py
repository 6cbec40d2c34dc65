"""The runtime table (DynamoDB): its layout and attribute conversion.

One table holds three kinds of item, told apart by the ``pk`` prefix:

- ``event#<sha256 of idempotency key>`` / ``claim``: an event already handled (idempotency);
- ``ledger#<model>`` / ``ledger``: a model's run ledger (cooldown and runs per day);
- ``audit#<unit>#<model>`` / ``<ISO time>#<random>``: one audit record per decision;
- ``rollout#<endpoint>`` / ``rollout``: an endpoint's rollout memory (the deploy function's
  started update and rolled-back packages; never expires).

Hash key ``pk`` (S), range key ``sk`` (S); items with ``expires_at`` (epoch seconds) expire
through DynamoDB TTL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mlops_runtime.aws.clients import error_code

PK = "pk"
SK = "sk"
TTL = "expires_at"
CONDITION_FAILED = "ConditionalCheckFailedException"


def to_attr(value: Any) -> dict[str, Any]:
    """A Python value as a DynamoDB attribute value (containers as JSON strings)."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": repr(value)}
    if isinstance(value, str):
        return {"S": value}
    return {"S": json.dumps(value, sort_keys=True, default=str)}


def to_item(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A DynamoDB item from a mapping, skipping None and empty strings."""
    return {k: to_attr(v) for k, v in values.items() if v is not None and v != ""}


def from_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A DynamoDB item as plain Python values (numbers as int or float)."""
    plain: dict[str, Any] = {}
    for name, attr in item.items():
        if "N" in attr:
            number = float(attr["N"])
            plain[name] = int(number) if number.is_integer() and "." not in attr["N"] else number
        elif "BOOL" in attr:
            plain[name] = attr["BOOL"]
        else:
            plain[name] = attr.get("S")
    return plain


def put_versioned(
    dynamodb: Any, table_name: str, item: Mapping[str, Any], *, expected_version: int
) -> bool:
    """``PutItem`` of ``item`` (with its ``version``) only if the stored item's version is
    ``expected_version`` (0: no item stored); False when the condition failed."""
    condition: dict[str, Any] = {
        "ConditionExpression": "attribute_not_exists(#pk)",
        "ExpressionAttributeNames": {"#pk": PK},
    }
    if expected_version:
        condition = {
            "ConditionExpression": "#v = :v",
            "ExpressionAttributeNames": {"#v": "version"},
            "ExpressionAttributeValues": {":v": to_attr(expected_version)},
        }
    try:
        dynamodb.put_item(TableName=table_name, Item=to_item(item), **condition)
    except Exception as error:
        if error_code(error) != CONDITION_FAILED:
            raise
        return False
    return True
