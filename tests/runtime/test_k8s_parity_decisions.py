"""One set of decisions for both back ends: the same retraining occurrences, delivered as AWS
delivers them (EventBridge: alarm state changes, Scheduler input) to the trigger Lambda's
``process`` and as Kubernetes delivers them (Alertmanager webhooks, the schedule CronJob) to
the controller's ``Loop``, give the same decisions in the same order (in-memory adapters on
both sides: only the decisions are compared)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.contract.controller import ControllerConfig
from mlops_runtime.core.clock import UTC
from mlops_runtime.core.reconcile import DeployPorts
from mlops_runtime.core.retraining import TriggerPorts, process
from mlops_runtime.k8s.controller import Loop
from mlops_runtime.memory.endpoints import MemoryEndpoints
from mlops_runtime.memory.registry import MemoryRegistry
from mlops_runtime.memory.services import MemoryRuns
from mlops_runtime.memory.store import MemoryAudit, MemoryClaims, MemoryLedger, MemoryRolloutMemory

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
ALARM = "shop-dev-churn-feature-drift"
# (hours after START, kind, occurrence): an alarm episode is (name, start); a tick its time.
OCCURRENCES = [
    (0, "alarm", "e1"),
    (0, "alarm", "e1"),  # delivered again
    (1, "schedule", "2026-01-05T02:00:00Z"),
    (2, "alarm", "e2"),
    (13, "schedule", "2026-01-05T14:00:00Z"),
    (13, "schedule", "2026-01-05T14:00:00Z"),
    (20, "alarm", "e3"),
    (23, "schedule", "2026-01-06T00:00:00Z"),
    (26, "alarm", "e4"),
    (26, "unknown-alarm", "e5"),
    (40, "alarm", "e6"),
]


def trigger_ports() -> TriggerPorts:
    return TriggerPorts(MemoryClaims(), MemoryLedger(), MemoryRuns(), MemoryAudit())


def aws_event(kind: str, occurrence: str) -> dict[str, Any]:
    if kind == "schedule":
        return {"source": "mlops.schedule", "model": "churn", "scheduled_time": occurrence}
    name = ALARM if kind == "alarm" else "shop-dev-other"
    return {
        "source": "aws.cloudwatch",
        "detail-type": "CloudWatch Alarm State Change",
        "id": occurrence,
        "detail": {"alarmName": name, "state": {"value": "ALARM", "timestamp": occurrence}},
    }


def alertmanager(kind: str, occurrence: str) -> dict[str, Any]:
    name = ALARM if kind == "alarm" else "shop-dev-other"
    labels = {"alertname": name, "mlops_model": "churn", "mlops_action": "retrain"}
    alert = {"status": "firing", "labels": labels, "startsAt": occurrence, "fingerprint": "0f3a"}
    return {"version": "4", "status": "firing", "groupKey": "g", "alerts": [alert]}


@pytest.mark.parametrize(("cooldown", "cap"), [(12.0, 2), (0.0, 2), (6.0, None)])
def test_the_same_occurrences_get_the_same_decisions_on_both_back_ends(
    cooldown: float, cap: int | None
) -> None:
    rule = {"cooldown_hours": cooldown, "max_runs_per_day": cap}
    aws_config = TriggerConfig.from_dict(
        {
            "system": "shop",
            "table_name": "t",
            "models": {"churn": {"pipeline_name": "p", **rule}},
            "alarms": {ALARM: "churn"},
        }
    )
    k8s_config = ControllerConfig.from_dict(
        {
            "system": "shop",
            "namespace": "ml-churn",
            "store": {"uri": "s3://state/"},
            "models": {"churn": {"job_template": "shop-dev-churn-train", **rule}},
            "alerts": {ALARM: "churn"},
        }
    )
    aws_ports = trigger_ports()
    deploy = DeployPorts(MemoryRegistry(), MemoryEndpoints(), MemoryAudit(), MemoryRolloutMemory())
    loop = Loop(config=k8s_config, trigger=trigger_ports(), deploy=deploy)
    on_aws, on_k8s = [], []
    for hours, kind, occurrence in OCCURRENCES:
        moment = START + timedelta(hours=hours)
        loop.now = lambda moment=moment: moment
        result = process(
            aws_event(kind, occurrence), aws_config, aws_ports, lambda moment=moment: moment
        )
        on_aws += [d["decision"] for d in result["decisions"]]
        if kind == "schedule":
            answer = loop.schedule({"model": "churn", "scheduled_time": occurrence})
        else:
            answer = loop.alerts(alertmanager(kind, occurrence))
        on_k8s += [d["decision"] for d in answer["decisions"]]
    assert on_k8s == on_aws, on_aws
    assert on_aws.count("duplicate") == 2 and "started" in on_aws
    assert len(loop.trigger.runs.started) == len(aws_ports.runs.started)  # type: ignore[attr-defined]
