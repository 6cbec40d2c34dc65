"""``RolloutMemory`` on the runtime table: one ``rollout#<endpoint>`` / ``rollout`` item per
endpoint, written with a condition on its ``version`` (no expiry: a rolled-back package must
stay remembered)."""

from __future__ import annotations

import json
from typing import Any

from mlops_runtime.aws import table
from mlops_runtime.core.ports import EndpointMemory, RolledBack, RolloutMemory, StartedRollout


class DynamoRolloutMemory(RolloutMemory):
    """``GetItem`` (strongly consistent) and ``PutItem`` conditional on the version read."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self.dynamodb = dynamodb
        self.table_name = table_name

    def read(self, endpoint: str) -> EndpointMemory:
        item = self.dynamodb.get_item(
            TableName=self.table_name, Key=_key(endpoint), ConsistentRead=True
        ).get("Item")
        if not item:
            return EndpointMemory(endpoint=endpoint)
        plain = table.from_item(item)
        started = json.loads(plain["started"]) if plain.get("started") else None
        return EndpointMemory(
            endpoint=endpoint,
            started=StartedRollout(**started) if started else None,
            rolled_back=tuple(RolledBack(**e) for e in json.loads(plain.get("rolled_back", "[]"))),
            reference_package=plain.get("reference_package"),
            version=int(plain["version"]),
        )

    def write(self, memory: EndpointMemory, *, expected_version: int) -> bool:
        item = {
            table.PK: f"rollout#{memory.endpoint}",
            table.SK: "rollout",
            "started": json.dumps(vars(memory.started), sort_keys=True) if memory.started else None,
            "rolled_back": json.dumps([vars(e) for e in memory.rolled_back], sort_keys=True),
            "reference_package": memory.reference_package,
            "version": memory.version,
        }
        return table.put_versioned(
            self.dynamodb, self.table_name, item, expected_version=expected_version
        )


def _key(endpoint: str) -> dict[str, Any]:
    return {table.PK: {"S": f"rollout#{endpoint}"}, table.SK: {"S": "rollout"}}
