"""Per-model run ledger enforcing cooldown and runs per UTC day.

The ledger item carries a ``version``; a run is reserved by a conditional write on the version
read (optimistic locking), so two concurrent invocations can never both pass the limits: the
loser re-reads and decides again against the winner's run.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime import dynamo
from mlops_runtime.aws import error_code
from mlops_runtime.contract.config import ModelTrigger

COOLDOWN = "cooldown"
DAILY_LIMIT = "daily-limit"


@dataclass(frozen=True)
class Ledger:
    """A model's ledger as read; ``version`` 0 means no item yet."""

    model: str
    last_started_at: float | None = None
    day: str | None = None
    day_count: int = 0
    version: int = 0


@dataclass(frozen=True)
class Blocked:
    """Why a run may not start now."""

    decision: str
    reason: str


class LedgerContention(RuntimeError):
    """The ledger kept changing under us; the invocation should be retried."""


def read(dynamodb: Any, table: str, model: str) -> Ledger:
    """The model's ledger (strongly consistent)."""
    item = dynamodb.get_item(TableName=table, Key=_key(model), ConsistentRead=True).get("Item")
    if not item:
        return Ledger(model=model)
    plain = dynamo.from_item(item)
    return Ledger(
        model=model,
        last_started_at=float(plain["last_started_at"]),
        day=plain.get("day"),
        day_count=int(plain.get("day_count", 0)),
        version=int(plain["version"]),
    )


def check(ledger: Ledger, rule: ModelTrigger, now: datetime) -> Blocked | None:
    """Whether cooldown or the daily limit blocks a run at ``now``."""
    if ledger.last_started_at is not None and rule.cooldown_hours > 0:
        elapsed_hours = (now.timestamp() - ledger.last_started_at) / 3600
        if elapsed_hours < rule.cooldown_hours:
            return Blocked(
                COOLDOWN,
                f"last run started {elapsed_hours:.2f} h ago; cooldown is {rule.cooldown_hours} h",
            )
    today = now.strftime("%Y-%m-%d")
    count = ledger.day_count if ledger.day == today else 0
    if rule.max_runs_per_day is not None and count >= rule.max_runs_per_day:
        return Blocked(
            DAILY_LIMIT, f"{count} run(s) already started on {today}; limit {rule.max_runs_per_day}"
        )
    return None


def reserve(
    dynamodb: Any, table: str, model: str, rule: ModelTrigger, now: datetime, attempts: int = 25
) -> tuple[Ledger, Ledger] | Blocked:
    """Reserve a run: ``(before, after)`` ledgers when allowed, else why it is blocked."""
    for attempt in range(attempts):
        before = read(dynamodb, table, model)
        blocked = check(before, rule, now)
        if blocked:
            return blocked
        today = now.strftime("%Y-%m-%d")
        after = Ledger(
            model=model,
            last_started_at=now.timestamp(),
            day=today,
            day_count=(before.day_count if before.day == today else 0) + 1,
            version=before.version + 1,
        )
        if _write(dynamodb, table, after, expected_version=before.version):
            return before, after
        time.sleep(random.uniform(0, 0.01 * (attempt + 1)))  # jitter
    raise LedgerContention(f"ledger of model {model!r} kept changing; retry the invocation")


def restore(dynamodb: Any, table: str, before: Ledger, after: Ledger) -> bool:
    """Undo a reservation whose run failed to start (only if nothing changed since)."""
    if before.version == 0:
        try:
            dynamodb.delete_item(
                TableName=table,
                Key=_key(after.model),
                ConditionExpression="#v = :v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": dynamo.to_attr(after.version)},
            )
        except Exception as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            return False
        return True
    restored = Ledger(
        model=before.model,
        last_started_at=before.last_started_at,
        day=before.day,
        day_count=before.day_count,
        version=after.version + 1,
    )
    return _write(dynamodb, table, restored, expected_version=after.version)


def _write(dynamodb: Any, table: str, ledger: Ledger, *, expected_version: int) -> bool:
    item = {
        dynamo.PK: f"ledger#{ledger.model}",
        dynamo.SK: "ledger",
        "last_started_at": ledger.last_started_at,
        "day": ledger.day,
        "day_count": ledger.day_count,
        "version": ledger.version,
    }
    condition = "attribute_not_exists(#pk)" if expected_version == 0 else "#v = :v"
    names = {"#pk": dynamo.PK} if expected_version == 0 else {"#v": "version"}
    kwargs: dict[str, Any] = {"ConditionExpression": condition, "ExpressionAttributeNames": names}
    if expected_version:
        kwargs["ExpressionAttributeValues"] = {":v": dynamo.to_attr(expected_version)}
    try:
        dynamodb.put_item(TableName=table, Item=dynamo.to_item(item), **kwargs)
    except Exception as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _key(model: str) -> dict[str, Any]:
    return {dynamo.PK: {"S": f"ledger#{model}"}, dynamo.SK: {"S": "ledger"}}
