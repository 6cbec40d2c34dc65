"""What the controller hears -> retraining requests (pure), with the AWS trigger's keys.

| source | accepted when | idempotency key | reason |
|---|---|---|---|
| Alertmanager webhook (``version`` 4), each alert | ``status`` firing and its ``alertname`` is in ``alerts`` | ``alert#<alertname>#<fingerprint>#<startsAt>`` | ``alert:<alertname>`` |
| ``POST /schedule`` ``{"model", "scheduled_time"}`` from the CronJob | ``model`` is configured | ``schedule#<model>#<scheduled_time>`` | ``schedule:<scheduled_time>`` |
| a new object found by polling a data source | bucket and prefix match | ``data#s3://<bucket>/<key>#<etag>#<model>`` | ``data:s3://<bucket>/<key>`` |

One alert episode is one run: Alertmanager resends a firing alert on every
``repeat_interval`` and from every replica of an HA pair, always with the same fingerprint
(a hash of its labels) and ``startsAt``; an alert that resolves and fires again is a new
episode (a new ``startsAt``). The schedule's ``scheduled_time`` is the CronJob's Job name,
which the CronJob controller derives from the scheduled minute: a retried pod of one Job
sends the same one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.contract.events import SCHEDULE_SOURCE
from mlops_runtime.core.trigger_events import Ignored, Request, interpret

ALERT = "alert"


def alertmanager(payload: Any, alerts: Mapping[str, str]) -> list[Request | Ignored]:
    """The requests of one Alertmanager webhook delivery."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        return [Ignored("not an Alertmanager webhook payload (no 'alerts' list)", ALERT)]
    group = payload.get("groupKey")
    return [_alert(alert, alerts, group) for alert in payload["alerts"]]


def _alert(alert: Any, alerts: Mapping[str, str], group: Any) -> Request | Ignored:
    if not isinstance(alert, dict):
        return Ignored(f"alert is not an object: {type(alert).__name__}", ALERT, None, group)
    labels = alert.get("labels") or {}
    name = str(labels.get("alertname", ""))
    model = alerts.get(name)
    if model is None:
        return Ignored(f"alert {name!r} has no retrain action", ALERT, None, group)
    if alert.get("status") != "firing":
        return Ignored(
            f"alert {name!r} is {alert.get('status')!r}, not firing", ALERT, model, group
        )
    fingerprint, started = alert.get("fingerprint"), alert.get("startsAt")
    if not fingerprint or not started:
        return Ignored(f"alert {name!r} has no fingerprint or startsAt", ALERT, model, group)
    key = f"alert#{name}#{fingerprint}#{started}"
    return Request(model, key, f"alert:{name}", ALERT, str(group) if group else None)


def schedule(body: Any, config: TriggerConfig, now: datetime) -> list[Request | Ignored]:
    """The request of one scheduled start (the AWS Scheduler input's meaning)."""
    if not isinstance(body, dict):
        return [Ignored(f"schedule body is not an object: {type(body).__name__}", "schedule")]
    event = {"source": SCHEDULE_SOURCE, "model": body.get("model")}
    if body.get("scheduled_time"):
        event["scheduled_time"] = str(body["scheduled_time"])
    return interpret(event, config, now)


def new_object(bucket: str, key: str, etag: str, config: TriggerConfig) -> list[Request]:
    """The requests for one new object under the configured data sources."""
    uri = f"s3://{bucket}/{key}"
    models = [
        model
        for source in config.data_sources
        if source.bucket == bucket and key.startswith(source.prefix)
        for model in source.models
    ]
    return [
        Request(model, f"data#{uri}#{etag}#{model}", f"data:{uri}", "data")
        for model in dict.fromkeys(models)
    ]
