"""Trigger events -> retraining requests (pure: no AWS calls).

Understood events, as EventBridge (or EventBridge Scheduler) delivers them to the Lambda:

- schedule: ``{"source": "mlops.schedule", "model": ID, "scheduled_time": ...}`` from
  EventBridge Scheduler;
- alarm: ``"CloudWatch Alarm State Change"`` entering ``ALARM`` for an alarm in ``alarms``;
- data: S3 ``"Object Created"`` for a bucket/prefix in ``data_sources``.

Each request carries an idempotency key that is equal for every delivery of the same
occurrence and different otherwise.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.contract.events import SCHEDULE_SOURCE

REASON_MAX_LENGTH = 256
"""botocore ``CustomerMetadataValue`` (max 256): the register step copies the pipeline's
``TriggerReason`` into the package's ``CustomerMetadataProperties["mlops:trigger"]``."""
REASON_PUNCTUATION = frozenset("_.:/=+-@")
"""With letters, numbers and spaces, what ``CustomerMetadataValue`` accepts
(``[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]*``)."""


@dataclass(frozen=True)
class Request:
    """Start ``model``'s pipeline because of ``reason``, once per ``key``."""

    model: str
    key: str
    reason: str
    trigger: str
    event_id: str | None = None


@dataclass(frozen=True)
class Ignored:
    """The event asks for no retraining."""

    reason: str
    trigger: str
    model: str | None = None
    event_id: str | None = None


def interpret(event: Any, config: TriggerConfig, now: datetime) -> list[Request | Ignored]:
    """What ``event`` asks for under ``config``."""
    if not isinstance(event, dict):
        return [Ignored(f"event is not an object: {type(event).__name__}", "unknown")]
    source, detail_type = event.get("source"), event.get("detail-type")
    event_id = event.get("id")
    if source == SCHEDULE_SOURCE:
        return [_custom_schedule(event, config, now)]
    if source == "aws.cloudwatch" and detail_type == "CloudWatch Alarm State Change":
        return [_alarm(event, config)]
    if source == "aws.s3" and detail_type == "Object Created":
        return _object_created(event, config)
    return [Ignored(f"unsupported event {source!r} / {detail_type!r}", "unknown", None, event_id)]


def _custom_schedule(
    event: dict[str, Any], config: TriggerConfig, now: datetime
) -> Request | Ignored:
    model = str(event.get("model"))
    if model not in config.models:
        return Ignored(
            f"schedule names unknown model {event.get('model')!r}",
            "schedule",
            None,
            event.get("id"),
        )
    # Scheduler retries deliver the same scheduled_time; without one, a minute is one occurrence.
    occurrence = event.get("scheduled_time") or event.get("id") or now.strftime("%Y-%m-%dT%H:%M")
    return Request(
        model,
        f"schedule#{model}#{occurrence}",
        f"schedule:{occurrence}",
        "schedule",
        event.get("id"),
    )


def _alarm(event: dict[str, Any], config: TriggerConfig) -> Request | Ignored:
    detail = event.get("detail") or {}
    name = detail.get("alarmName", "")
    state = detail.get("state") or {}
    model = config.alarms.get(name)
    if model is None:
        return Ignored(f"alarm {name!r} has no retrain action", "alarm", None, event.get("id"))
    if state.get("value") != "ALARM":
        return Ignored(
            f"alarm {name!r} entered {state.get('value')!r}, not ALARM",
            "alarm",
            model,
            event.get("id"),
        )
    stamp = state.get("timestamp") or event.get("time")
    return Request(model, f"alarm#{name}#{stamp}", f"alarm:{name}", "alarm", event.get("id"))


def _object_created(event: dict[str, Any], config: TriggerConfig) -> list[Request | Ignored]:
    detail = event.get("detail") or {}
    bucket = (detail.get("bucket") or {}).get("name", "")
    obj = detail.get("object") or {}
    key = obj.get("key", "")
    version = (
        obj.get("etag")
        or obj.get("eTag")
        or obj.get("version-id")
        or obj.get("sequencer")
        or event.get("id")
    )
    models = [
        model
        for source in config.data_sources
        if source.bucket == bucket and key.startswith(source.prefix)
        for model in source.models
    ]
    if not models:
        return [
            Ignored(f"s3://{bucket}/{key} matches no data source", "data", None, event.get("id"))
        ]
    uri = f"s3://{bucket}/{key}"
    return [
        Request(model, f"data#{uri}#{version}#{model}", f"data:{uri}", "data", event.get("id"))
        for model in dict.fromkeys(models)
    ]


def _allowed(char: str) -> bool:
    if char in REASON_PUNCTUATION:
        return True
    if ord(char) > 0xFFFF:  # counts twice in AWS's (UTF-16) lengths: keep length == count
        return False
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Zs"


def pipeline_reason(reason: str) -> str:
    """``reason`` as a ``TriggerReason`` parameter value the register step can store as
    package metadata: ``<kind>:<detail>`` with every character outside the metadata pattern
    replaced by ``_`` and, beyond 256 characters, the middle of the detail replaced by ``...``
    (its start and its end, e.g. the object's file name, stay)."""
    clean = "".join(char if _allowed(char) else "_" for char in reason)
    if len(clean) <= REASON_MAX_LENGTH:
        return clean
    kind, sep, detail = clean.partition(":")
    prefix = f"{kind[:32]}{sep}" if sep else ""
    detail = detail if sep else clean
    room = REASON_MAX_LENGTH - len(prefix) - 3
    head = room // 2
    return f"{prefix}{detail[:head]}...{detail[len(detail) - (room - head) :]}"
