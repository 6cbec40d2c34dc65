"""``AuditLog`` on the runtime table: ``audit#<unit>#<model>`` / ``<ISO time>#<random>`` items."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mlops_runtime.aws import table
from mlops_runtime.core.ports import AuditLog


class DynamoAudit(AuditLog):
    """One item per decision, expiring through the table's TTL attribute when asked."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    def append(self, entry: Mapping[str, Any], *, expires_at: datetime | None) -> None:
        item = {
            table.PK: f"audit#{entry['unit']}#{entry['model']}",
            table.SK: f"{entry['decided_at']}#{uuid.uuid4().hex[:12]}",
            **entry,
        }
        if expires_at is not None:
            item[table.TTL] = int(expires_at.timestamp())
        self.dynamodb.put_item(TableName=self.table_name, Item=table.to_item(item))

    def records(self, unit: str, model: str | None) -> list[dict[str, Any]]:
        """A unit's records for one model, oldest first: one ``Query`` per page."""
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": table.PK},
            "ExpressionAttributeValues": {":pk": {"S": f"audit#{unit}#{model or '-'}"}},
        }
        items: list[dict[str, Any]] = []
        while True:
            page = self.dynamodb.query(**kwargs)
            items += [table.from_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
