"""Claims, run ledgers, rollout memory and audit records as objects (conditional writes).

| port | object | write |
|---|---|---|
| ``ClaimStore`` | ``claims/<sha256 of key>.json`` | create ``If-None-Match: *``; retake a stale claim, finish and release ``If-Match`` |
| ``RunLedger`` | ``ledgers/<model>.json`` (``version``) | the first ``If-None-Match: *``, later ones ``If-Match`` on the version read |
| ``RolloutMemory`` | ``rollouts/<endpoint>.json`` (``version``) | as the ledger |
| ``AuditLog`` | ``audit/<unit>/<model>/<ISO time>-<random>.json`` | create ``If-None-Match: *`` |

The semantics are the DynamoDB adapters' (``mlops_runtime.aws.claims``): a won claim is
exclusive, a version check lost is ``False`` and the decision re-reads. Expired claims and
audit records are not deleted here: a bucket lifecycle rule on ``claims/`` and ``audit/``
removes them (``expires_at`` is recorded in each).
"""

from __future__ import annotations

import dataclasses
import time
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
    RolledBack,
    RolloutMemory,
    RunLedger,
    StartedRollout,
)
from mlops_runtime.core.runs import digest
from mlops_runtime.k8s.store import Bucket

CLAIMED = "claimed"


def _claim_key(key: str) -> str:
    return f"claims/{digest(key)}.json"


class ObjectClaims(ClaimStore):
    """Idempotency claims, one object per key."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

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
        record = {
            "idempotency_key": key,
            "status": CLAIMED,
            "token": token,
            "claimed_at": now.timestamp(),
            "claimed_at_iso": iso(now),
            "expires_at": (now + ttl).timestamp(),
            **details,
        }
        if self.bucket.create(_claim_key(key), record) is not None:
            return Claim(key=key, token=token)
        current = self.bucket.read(_claim_key(key))
        if current is None:  # released between our create and read: one more try
            if self.bucket.create(_claim_key(key), record) is not None:
                return Claim(key=key, token=token)
            current = self.bucket.read(_claim_key(key))
            if current is None:
                raise RuntimeError(f"the claim on {key!r} keeps changing; retry")
        stored = current.body
        expired = float(stored.get("expires_at", 0)) <= now.timestamp()
        stale = (
            stored.get("status") == CLAIMED
            and float(stored["claimed_at"]) < (now - lease).timestamp()
        )
        if (expired or stale) and self.bucket.replace(_claim_key(key), record, current.etag):
            return Claim(key=key, token=token)
        return stored

    def finish(self, claim: Claim, status: str, details: Mapping[str, Any]) -> None:
        current = self.bucket.read(_claim_key(claim.key))
        if current is None or current.body.get("token") != claim.token:
            raise RuntimeError(f"claim on {claim.key!r} is no longer held by this owner")
        body = {**current.body, "status": status}
        body.update({k: v for k, v in details.items() if v is not None})
        if self.bucket.replace(_claim_key(claim.key), body, current.etag) is None:
            raise RuntimeError(f"claim on {claim.key!r} changed while it was being finished")

    def release(self, claim: Claim) -> None:
        current = self.bucket.read(_claim_key(claim.key))
        if current is not None and current.body.get("token") == claim.token:
            self.bucket.delete(_claim_key(claim.key), current.etag)


class _Versioned:
    """A JSON document per name carrying a ``version``; writes conditional on it."""

    folder = ""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def _key(self, name: str) -> str:
        return f"{self.folder}/{name}.json"

    def _read(self, name: str) -> dict[str, Any] | None:
        found = self.bucket.read(self._key(name))
        return found.body if found else None

    def _write(self, name: str, body: dict[str, Any], expected_version: int) -> bool:
        if expected_version == 0:
            return self.bucket.create(self._key(name), body) is not None
        current = self.bucket.read(self._key(name))
        if current is None or int(current.body.get("version", 0)) != expected_version:
            return False
        return self.bucket.replace(self._key(name), body, current.etag) is not None

    def _delete(self, name: str, expected_version: int) -> bool:
        current = self.bucket.read(self._key(name))
        if current is None or int(current.body.get("version", 0)) != expected_version:
            return False
        return self.bucket.delete(self._key(name), current.etag)


class ObjectLedger(_Versioned, RunLedger):
    """Run ledgers, one object per model."""

    folder = "ledgers"

    def read(self, model: str) -> LedgerState:
        body = self._read(model)
        if body is None:
            return LedgerState(model=model)
        return LedgerState(
            model=model,
            last_started_at=body.get("last_started_at"),
            day=body.get("day"),
            day_count=int(body.get("day_count", 0)),
            version=int(body["version"]),
        )

    def write(self, state: LedgerState, *, expected_version: int) -> bool:
        return self._write(state.model, dataclasses.asdict(state), expected_version)

    def delete(self, model: str, *, expected_version: int) -> bool:
        return self._delete(model, expected_version)


class ObjectRolloutMemory(_Versioned, RolloutMemory):
    """Each endpoint's (Rollout's) rollout memory, one object per endpoint."""

    folder = "rollouts"

    def read(self, endpoint: str) -> EndpointMemory:
        body = self._read(endpoint)
        if body is None:
            return EndpointMemory(endpoint=endpoint)
        started = body.get("started")
        return EndpointMemory(
            endpoint=endpoint,
            started=StartedRollout(**started) if started else None,
            rolled_back=tuple(RolledBack(**entry) for entry in body.get("rolled_back", [])),
            reference_package=body.get("reference_package"),
            version=int(body["version"]),
        )

    def write(self, memory: EndpointMemory, *, expected_version: int) -> bool:
        return self._write(memory.endpoint, dataclasses.asdict(memory), expected_version)


class ObjectAudit(AuditLog):
    """One object per decision; ``records`` lists a unit's and model's, oldest first."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    def append(self, entry: Mapping[str, Any], *, expires_at: datetime | None) -> None:
        unit, model = entry.get("unit", "-"), entry.get("model", "-")
        stamp = str(entry.get("decided_at") or iso(datetime.now().astimezone()))
        key = f"audit/{unit}/{model}/{stamp}-{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        body = {**entry, "expires_at": expires_at.timestamp() if expires_at else None}
        if self.bucket.create(key, body) is None:
            raise RuntimeError(f"audit record {key} already exists")

    def records(self, unit: str, model: str | None) -> list[dict[str, Any]]:
        found = []
        for key in self.bucket.keys(f"audit/{unit}/{model or '-'}/"):
            document = self.bucket.read(key)
            if document is not None:
                body = dict(document.body)
                body.pop("expires_at", None)
                found.append(body)
        return found
