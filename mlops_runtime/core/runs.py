"""Whether a model's run may start now: idempotency tokens, cooldown and the daily cap.

A run is reserved in the model's ``RunLedger`` by a write conditional on the version read
(optimistic locking), so two concurrent invocations can never both pass the limits: the loser
re-reads and decides again against the winner's run.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mlops_runtime.contract.config import ModelTrigger
from mlops_runtime.core.ports import LedgerState, RunLedger

COOLDOWN = "cooldown"
DAILY_LIMIT = "daily-limit"
CLAIM_LEASE = timedelta(minutes=15)
"""After this long an unfinished claim (its invocation crashed) may be retaken: longer than the
trigger function's timeout."""
CLAIM_TTL = timedelta(days=7)
"""How long a handled event is remembered (EventBridge retries a delivery for up to 24 hours)."""
RESERVE_ATTEMPTS = 25


def digest(key: str) -> str:
    """SHA-256 hex of an idempotency key: the run's token, and the claim's storage key."""
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class Blocked:
    """Why a run may not start now."""

    decision: str
    reason: str


class LedgerContention(RuntimeError):
    """The ledger kept changing under us; the invocation should be retried."""


def check(ledger: LedgerState, rule: ModelTrigger, now: datetime) -> Blocked | None:
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
    ledger: RunLedger,
    model: str,
    rule: ModelTrigger,
    now: datetime,
    *,
    attempts: int = RESERVE_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[LedgerState, LedgerState] | Blocked:
    """Reserve a run: ``(before, after)`` ledgers when allowed, else why it is blocked."""
    for attempt in range(attempts):
        before = ledger.read(model)
        blocked = check(before, rule, now)
        if blocked:
            return blocked
        today = now.strftime("%Y-%m-%d")
        after = LedgerState(
            model=model,
            last_started_at=now.timestamp(),
            day=today,
            day_count=(before.day_count if before.day == today else 0) + 1,
            version=before.version + 1,
        )
        if ledger.write(after, expected_version=before.version):
            return before, after
        sleep(random.uniform(0, 0.01 * (attempt + 1)))  # jitter
    raise LedgerContention(f"ledger of model {model!r} kept changing; retry the invocation")


def restore(ledger: RunLedger, before: LedgerState, after: LedgerState) -> bool:
    """Undo a reservation whose run failed to start (only if nothing changed since)."""
    if before.version == 0:
        return ledger.delete(after.model, expected_version=after.version)
    restored = LedgerState(
        model=before.model,
        last_started_at=before.last_started_at,
        day=before.day,
        day_count=before.day_count,
        version=after.version + 1,
    )
    return ledger.write(restored, expected_version=after.version)
