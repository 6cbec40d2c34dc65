"""Claims, run ledgers, audit records and rollout memories kept in memory, with the same
conditional-write semantics as the table the AWS adapters use."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from mlops_runtime.core.clock import iso
from mlops_runtime.core.ports import (
    AuditLog,
    Claim,
    ClaimStore,
    EndpointMemory,
    LedgerState,
    RolloutMemory,
    RunLedger,
)

CLAIMED = "claimed"


class MemoryClaims(ClaimStore):
    """Idempotency claims: one record per key, written under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.records: dict[str, dict[str, Any]] = {}

    def claim(
        self,
        key: str,
        *,
        now: datetime,
        lease: timedelta,
        ttl: timedelta,
        details: Mapping[str, Any],
    ) -> Claim | Mapping[str, Any]:
        with self._lock:
            current = self.records.get(key)
            expired = current is not None and current["expires_at"] <= now.timestamp()
            stale = (
                current is not None
                and current["status"] == CLAIMED
                and current["claimed_at"] < (now - lease).timestamp()
            )
            if current is not None and not (expired or stale):
                return dict(current)
            token = uuid.uuid4().hex
            self.records[key] = {
                "idempotency_key": key,
                "status": CLAIMED,
                "token": token,
                "claimed_at": now.timestamp(),
                "claimed_at_iso": iso(now),
                "expires_at": (now + ttl).timestamp(),
                **details,
            }
            return Claim(key=key, token=token)

    def finish(self, claim: Claim, status: str, details: Mapping[str, Any]) -> None:
        with self._lock:
            record = self.records.get(claim.key)
            if record is None or record["token"] != claim.token:
                raise RuntimeError(f"claim on {claim.key!r} is no longer held by this owner")
            record.update(status=status, **{k: v for k, v in details.items() if v is not None})

    def release(self, claim: Claim) -> None:
        with self._lock:
            record = self.records.get(claim.key)
            if record is not None and record["token"] == claim.token:
                del self.records[claim.key]


class MemoryLedger(RunLedger):
    """Run ledgers with version checks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.states: dict[str, LedgerState] = {}

    def read(self, model: str) -> LedgerState:
        with self._lock:
            return self.states.get(model, LedgerState(model=model))

    def write(self, state: LedgerState, *, expected_version: int) -> bool:
        with self._lock:
            stored = self.states.get(state.model)
            if (stored.version if stored else 0) != expected_version:
                return False
            self.states[state.model] = state
            return True

    def delete(self, model: str, *, expected_version: int) -> bool:
        with self._lock:
            stored = self.states.get(model)
            if stored is None or stored.version != expected_version:
                return False
            del self.states[model]
            return True


class MemoryAudit(AuditLog):
    """Audit records in a list, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[dict[str, Any]] = []

    def append(self, entry: Mapping[str, Any], *, expires_at: datetime | None) -> None:
        with self._lock:
            self.entries.append(dict(entry))

    def records(self, unit: str, model: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [
                dict(e) for e in self.entries if e["unit"] == unit and e["model"] == (model or "-")
            ]

    def decisions(self, unit: str, model: str | None) -> list[str]:
        """The decisions of a unit for one model, oldest first."""
        return [record["decision"] for record in self.records(unit, model)]


class MemoryRolloutMemory(RolloutMemory):
    """Each endpoint's rollout memory, with version checks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.memories: dict[str, EndpointMemory] = {}

    def read(self, endpoint: str) -> EndpointMemory:
        with self._lock:
            return self.memories.get(endpoint, EndpointMemory(endpoint=endpoint))

    def write(self, memory: EndpointMemory, *, expected_version: int) -> bool:
        with self._lock:
            stored = self.memories.get(memory.endpoint)
            if (stored.version if stored else 0) != expected_version:
                return False
            self.memories[memory.endpoint] = memory
            return True
