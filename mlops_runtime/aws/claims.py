"""``ClaimStore`` and ``RunLedger`` on the runtime table (DynamoDB conditional writes).

A claim is one conditional ``PutItem`` (``attribute_not_exists(pk)``, or a ``claimed`` item
older than the lease), so concurrent deliveries of one event cannot both win. The ledger item
carries a ``version``; every write is conditional on the version read (optimistic locking).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime.aws import table
from mlops_runtime.aws.clients import error_code
from mlops_runtime.core.clock import iso
from mlops_runtime.core.ports import Claim, ClaimStore, LedgerState, RunLedger
from mlops_runtime.core.runs import digest

CLAIMED = "claimed"
CONDITION_FAILED = table.CONDITION_FAILED


class DynamoClaims(ClaimStore):
    """Idempotency claims as ``event#<sha256 of key>`` / ``claim`` items."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    def claim(
        self,
        key: str,
        *,
        now: datetime,
        lease: timedelta,
        ttl: timedelta,
        details: Mapping[str, Any],
    ) -> Claim | Mapping[str, Any]:
        token = uuid.uuid4().hex
        item = {
            table.PK: f"event#{digest(key)}",
            table.SK: "claim",
            "idempotency_key": key,
            "status": CLAIMED,
            "token": token,
            "claimed_at": now.timestamp(),
            "claimed_at_iso": iso(now),
            table.TTL: int((now + ttl).timestamp()),
            **details,
        }
        try:
            self.dynamodb.put_item(
                TableName=self.table_name,
                Item=table.to_item(item),
                ConditionExpression="attribute_not_exists(#pk) OR (#status = :claimed AND "
                "#claimed_at < :stale)",
                ExpressionAttributeNames={
                    "#pk": table.PK,
                    "#status": "status",
                    "#claimed_at": "claimed_at",
                },
                ExpressionAttributeValues={
                    ":claimed": {"S": CLAIMED},
                    ":stale": table.to_attr((now - lease).timestamp()),
                },
            )
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            existing = self.dynamodb.get_item(
                TableName=self.table_name, Key=_claim_key(key), ConsistentRead=True
            )
            return table.from_item(existing.get("Item", {}))
        return Claim(key=key, token=token)

    def finish(self, claim: Claim, status: str, details: Mapping[str, Any]) -> None:
        values = {"status": status, **{k: v for k, v in details.items() if v is not None}}
        names = {f"#a{i}": name for i, name in enumerate(values)}
        self.dynamodb.update_item(
            TableName=self.table_name,
            Key=_claim_key(claim.key),
            UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(values))),
            ConditionExpression="#token = :token",
            ExpressionAttributeNames={**names, "#token": "token"},
            ExpressionAttributeValues={
                **{f":a{i}": table.to_attr(v) for i, v in enumerate(values.values())},
                ":token": {"S": claim.token},
            },
        )

    def release(self, claim: Claim) -> None:
        try:
            self.dynamodb.delete_item(
                TableName=self.table_name,
                Key=_claim_key(claim.key),
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues={":token": {"S": claim.token}},
            )
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                raise


class DynamoLedger(RunLedger):
    """Run ledgers as ``ledger#<model>`` / ``ledger`` items with a ``version``."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    def read(self, model: str) -> LedgerState:
        item = self.dynamodb.get_item(
            TableName=self.table_name, Key=_ledger_key(model), ConsistentRead=True
        ).get("Item")
        if not item:
            return LedgerState(model=model)
        plain = table.from_item(item)
        return LedgerState(
            model=model,
            last_started_at=float(plain["last_started_at"]),
            day=plain.get("day"),
            day_count=int(plain.get("day_count", 0)),
            version=int(plain["version"]),
        )

    def write(self, state: LedgerState, *, expected_version: int) -> bool:
        item = {
            table.PK: f"ledger#{state.model}",
            table.SK: "ledger",
            "last_started_at": state.last_started_at,
            "day": state.day,
            "day_count": state.day_count,
            "version": state.version,
        }
        return table.put_versioned(
            self.dynamodb, self.table_name, item, expected_version=expected_version
        )

    def delete(self, model: str, *, expected_version: int) -> bool:
        return self._conditional(
            self.dynamodb.delete_item,
            TableName=self.table_name,
            Key=_ledger_key(model),
            ConditionExpression="#v = :v",
            ExpressionAttributeNames={"#v": "version"},
            ExpressionAttributeValues={":v": table.to_attr(expected_version)},
        )

    @staticmethod
    def _conditional(call: Any, **request: Any) -> bool:
        """Make a conditional write; False when its condition failed."""
        try:
            call(**request)
        except Exception as error:
            if error_code(error) != CONDITION_FAILED:
                raise
            return False
        return True


def _claim_key(key: str) -> dict[str, Any]:
    return {table.PK: {"S": f"event#{digest(key)}"}, table.SK: {"S": "claim"}}


def _ledger_key(model: str) -> dict[str, Any]:
    return {table.PK: {"S": f"ledger#{model}"}, table.SK: {"S": "ledger"}}
