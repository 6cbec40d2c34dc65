"""The retraining trigger's decisions: schedule, alarm or new data -> at most one run.

For each retraining request (see ``trigger_events``) ``process``

1. claims the event's idempotency key (``ClaimStore``): a lost claim is a ``duplicate``;
2. reserves a run in the model's ``RunLedger``: ``cooldown`` or ``daily-limit`` when a limit
   blocks it;
3. starts the model's pipeline (``RunStarter``) with the SHA-256 of the idempotency key as its
   token and the trigger reason (``trigger_events.pipeline_reason``) as the
   ``TriggerReason`` parameter: ``started``;

and records every decision in the ``AuditLog`` (also ``ignored`` and ``error``). When the
reservation or the start fails, the claim and the reservation are given back and ``process``
raises, so the event source's retry can try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.contract.events import REASON_PARAMETER, TRIGGER_ID_PARAMETER
from mlops_runtime.core import audit, runs
from mlops_runtime.core.clock import utcnow
from mlops_runtime.core.ports import AuditLog, Claim, ClaimStore, RunLedger, RunRequest, RunStarter
from mlops_runtime.core.trigger_events import Ignored, Request, interpret, pipeline_reason

UNIT = "trigger"
STARTED = "started"
DUPLICATE = "duplicate"
IGNORED = "ignored"
ERROR = "error"


class TriggerError(RuntimeError):
    """At least one pipeline could not be started (details in the audit records)."""


@dataclass(frozen=True)
class TriggerPorts:
    """What the trigger decides through."""

    claims: ClaimStore
    ledger: RunLedger
    runs: RunStarter
    audit: AuditLog


def process(
    event: Any,
    config: TriggerConfig,
    ports: TriggerPorts,
    now: Callable[[], datetime] = utcnow,
) -> dict[str, Any]:
    """Decide and act on one event; returns ``{"decisions": [audit records]}``."""
    return decide(interpret(event, config, now()), config, ports, now)


def decide(
    items: list[Request | Ignored],
    config: TriggerConfig,
    ports: TriggerPorts,
    now: Callable[[], datetime] = utcnow,
) -> dict[str, Any]:
    """Decide and act on requests already interpreted (``trigger_events`` on AWS, the
    Kubernetes controller's alerts, schedules and polls); as ``process``."""
    decisions = []
    for item in items:
        if isinstance(item, Ignored):
            details = {"reason": item.reason, "event_id": item.event_id}
            decision = _audit(ports, config, now(), item.model, IGNORED, item.trigger, details)
        else:
            decision = _handle(item, config, ports, now())
        decisions.append(decision)
    failed = [d for d in decisions if d["decision"] == ERROR]
    if failed:
        raise TriggerError(f"{len(failed)} pipeline start(s) failed: {failed}")
    return {"decisions": decisions}


def run_request(config: TriggerConfig, request: Request) -> RunRequest:
    """The run ``request`` asks for: the model's pipeline, the reason as a parameter."""
    return RunRequest(
        pipeline=config.models[request.model].pipeline_name,
        token=runs.digest(request.key),
        # The token again as TriggerId: the run's lineage record links back to this trigger.
        parameters={
            REASON_PARAMETER: pipeline_reason(request.reason),
            TRIGGER_ID_PARAMETER: runs.digest(request.key),
        },
        description=f"{config.system}/{request.model}: {request.reason}",
    )


def _handle(
    request: Request, config: TriggerConfig, ports: TriggerPorts, now: datetime
) -> dict[str, Any]:
    rule = config.models[request.model]

    def decide(decision: str, **details: Any) -> dict[str, Any]:
        details.update(
            reason=request.reason,
            event_id=request.event_id,
            idempotency_key=request.key,
            pipeline=rule.pipeline_name,
        )
        return _audit(ports, config, now, request.model, decision, request.trigger, details)

    won = ports.claims.claim(
        request.key,
        now=now,
        lease=runs.CLAIM_LEASE,
        ttl=runs.CLAIM_TTL,
        details={"model": request.model, "trigger": request.trigger},
    )
    if not isinstance(won, Claim):
        return decide(
            DUPLICATE,
            first_outcome=won.get("status"),
            first_seen=won.get("claimed_at_iso"),
            execution_arn=won.get("execution_arn"),
        )
    try:
        reserved = runs.reserve(ports.ledger, request.model, rule, now)
    except Exception as error:
        ports.claims.release(won)
        return decide(ERROR, error=f"{type(error).__name__}: {error}")
    if isinstance(reserved, runs.Blocked):
        ports.claims.finish(won, reserved.decision, {})
        return decide(reserved.decision, blocked_by=reserved.reason)
    try:
        arn = ports.runs.start(run_request(config, request))
    except Exception as error:
        runs.restore(ports.ledger, *reserved)
        ports.claims.release(won)
        return decide(ERROR, error=f"{type(error).__name__}: {error}")
    ports.claims.finish(won, STARTED, {"execution_arn": arn})
    return decide(STARTED, execution_arn=arn, runs_today=reserved[1].day_count)


def _audit(
    ports: TriggerPorts,
    config: TriggerConfig,
    now: datetime,
    model: str | None,
    decision: str,
    trigger: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    return audit.record(
        ports.audit,
        unit=UNIT,
        model=model,
        decision=decision,
        now=now,
        ttl_days=config.audit_ttl_days,
        system=config.system,
        trigger=trigger,
        **details,
    )
