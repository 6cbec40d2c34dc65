"""Retraining trigger Lambda: schedule, alarm or new data -> at most one pipeline execution.

For each retraining request (see ``trigger_events``) the handler

1. claims the event's idempotency key (conditional put): a lost claim is a ``duplicate``;
2. reserves a run in the model's ledger (conditional write): ``cooldown`` or ``daily-limit``
   when a limit blocks it;
3. starts the pipeline with ``ClientRequestToken`` = SHA-256 of the idempotency key and the
   trigger reason (``trigger_events.pipeline_reason``) as a pipeline parameter: ``started``;

and writes an audit record of every decision (also ``ignored`` and ``error``). When starting
fails, the claim and the reservation are given back and the handler raises, so the Lambda's
retry (or EventBridge's) can try again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime import audit, idempotency, ledger
from mlops_runtime.aws import client
from mlops_runtime.clock import utcnow
from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.trigger_events import Ignored, Request, interpret, pipeline_reason

UNIT = "trigger"
STARTED = "started"
DUPLICATE = "duplicate"
IGNORED = "ignored"
ERROR = "error"


class TriggerError(RuntimeError):
    """At least one pipeline could not be started (details in the audit records)."""


@dataclass(frozen=True)
class Clients:
    """The AWS clients the trigger uses."""

    dynamodb: Any
    sagemaker: Any

    @classmethod
    def create(cls, config: TriggerConfig) -> Clients:
        return cls(
            dynamodb=client("dynamodb", config.max_attempts),
            sagemaker=client("sagemaker", config.max_attempts),
        )


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; configuration from ``MLOPS_RUNTIME_CONFIG`` (``TriggerConfig``)."""
    config = TriggerConfig.from_env()
    return process(event, config, Clients.create(config))


def process(
    event: Any,
    config: TriggerConfig,
    clients: Clients,
    now: Callable[[], datetime] = utcnow,
) -> dict[str, Any]:
    """Decide and act on one event; returns ``{"decisions": [audit records]}``."""
    decisions = []
    for item in interpret(event, config, now()):
        if isinstance(item, Ignored):
            details = {"reason": item.reason, "event_id": item.event_id}
            decision = _audit(clients, config, now(), item.model, IGNORED, item.trigger, details)
        else:
            decision = _handle(item, config, clients, now())
        decisions.append(decision)
    failed = [d for d in decisions if d["decision"] == ERROR]
    if failed:
        raise TriggerError(f"{len(failed)} pipeline start(s) failed: {failed}")
    return {"decisions": decisions}


def _handle(
    request: Request, config: TriggerConfig, clients: Clients, now: datetime
) -> dict[str, Any]:
    rule = config.models[request.model]
    dynamodb, table = clients.dynamodb, config.table_name

    def decide(decision: str, **details: Any) -> dict[str, Any]:
        details.update(
            reason=request.reason,
            event_id=request.event_id,
            idempotency_key=request.key,
            pipeline=rule.pipeline_name,
        )
        return _audit(clients, config, now, request.model, decision, request.trigger, details)

    won = idempotency.claim(
        dynamodb,
        table,
        request.key,
        now=now,
        ttl_hours=config.idempotency_ttl_hours,
        lease_seconds=config.claim_lease_seconds,
        model=request.model,
        trigger=request.trigger,
    )
    if not isinstance(won, idempotency.Claim):
        return decide(
            DUPLICATE,
            first_outcome=won.get("status"),
            first_seen=won.get("claimed_at_iso"),
            execution_arn=won.get("execution_arn"),
        )
    try:
        reserved = ledger.reserve(dynamodb, table, request.model, rule, now)
    except Exception as error:
        idempotency.release(dynamodb, table, won)
        return decide(ERROR, error=f"{type(error).__name__}: {error}")
    if isinstance(reserved, ledger.Blocked):
        idempotency.finish(dynamodb, table, won, reserved.decision)
        return decide(reserved.decision, blocked_by=reserved.reason)
    try:
        arn = _start(clients.sagemaker, config, request)
    except Exception as error:
        ledger.restore(dynamodb, table, *reserved)
        idempotency.release(dynamodb, table, won)
        return decide(ERROR, error=f"{type(error).__name__}: {error}")
    idempotency.finish(dynamodb, table, won, STARTED, execution_arn=arn)
    return decide(STARTED, execution_arn=arn, runs_today=reserved[1].day_count)


def _start(sagemaker: Any, config: TriggerConfig, request: Request) -> str:
    rule = config.models[request.model]
    parameters = dict(rule.parameters)
    if config.reason_parameter:
        parameters[config.reason_parameter] = pipeline_reason(request.reason)
    response = sagemaker.start_pipeline_execution(
        PipelineName=rule.pipeline_name,
        ClientRequestToken=idempotency.digest(request.key),
        PipelineParameters=[{"Name": k, "Value": v} for k, v in parameters.items()],
        PipelineExecutionDescription=f"{config.system}/{request.model}: {request.reason}"[:3072],
    )
    return str(response["PipelineExecutionArn"])


def _audit(
    clients: Clients,
    config: TriggerConfig,
    now: datetime,
    model: str | None,
    decision: str,
    trigger: str,
    details: dict[str, Any],
) -> dict[str, Any]:
    return audit.record(
        clients.dynamodb,
        config.table_name,
        unit=UNIT,
        model=model,
        decision=decision,
        now=now,
        ttl_days=config.audit_ttl_days,
        system=config.system,
        trigger=trigger,
        **details,
    )
