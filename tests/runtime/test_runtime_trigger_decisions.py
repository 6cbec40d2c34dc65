"""The trigger's decisions through the in-memory adapters (no emulator): duplicates, cooldown,
the daily cap, crashed claims and failed starts."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest

from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.core import runs
from mlops_runtime.core.clock import UTC
from mlops_runtime.core.retraining import TriggerError, TriggerPorts, process
from mlops_runtime.memory.services import MemoryRuns
from mlops_runtime.memory.store import MemoryAudit, MemoryClaims, MemoryLedger

PIPELINE = "shop-prod-churn-train"
START = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


def config(**model: Any) -> TriggerConfig:
    return TriggerConfig.from_dict(
        {
            "system": "shop",
            "table_name": "unused-by-the-fakes",
            "models": {"churn": {"pipeline_name": PIPELINE, **model}},
            "alarms": {"shop-prod-churn-drift": "churn"},
        }
    )


class World:
    """The trigger's ports in memory, and a clock the test moves."""

    def __init__(self) -> None:
        self.claims, self.ledger, self.runs = MemoryClaims(), MemoryLedger(), MemoryRuns()
        self.audit = MemoryAudit()
        self.ports = TriggerPorts(self.claims, self.ledger, self.runs, self.audit)
        self.now = START

    def fire(self, cfg: TriggerConfig, occurrence: str) -> str:
        event = {"source": "mlops.schedule", "model": "churn", "scheduled_time": occurrence}
        result = process(event, cfg, self.ports, now=lambda: self.now)
        (decision,) = result["decisions"]
        return str(decision["decision"])


@pytest.fixture
def world() -> World:
    return World()


def test_redelivered_events_start_one_run_and_say_what_happened_first(world: World) -> None:
    cfg = config()
    outcomes = [world.fire(cfg, "2026-01-05T03:00:00Z") for _ in range(5)]
    assert outcomes == ["started"] + ["duplicate"] * 4
    (run,) = world.runs.runs(PIPELINE)
    assert run.parameters == {
        "TriggerReason": "schedule:2026-01-05T03:00:00Z",
        "TriggerId": run.token,  # the run's lineage record links back with it
    }
    assert run.token == runs.digest("schedule#churn#2026-01-05T03:00:00Z")
    duplicate = world.audit.records("trigger", "churn")[-1]
    assert duplicate["first_outcome"] == "started"
    assert duplicate["execution_arn"] == world.runs.ids[run.token]


def test_concurrent_deliveries_of_one_event_start_one_run(world: World) -> None:
    cfg = config()
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda _: world.fire(cfg, "t"), range(40)))
    assert outcomes.count("started") == 1
    assert len(world.runs.runs(PIPELINE)) == 1


def test_cooldown_blocks_until_it_has_passed(world: World) -> None:
    cfg = config(cooldown_hours=6)
    assert world.fire(cfg, "run-1") == "started"
    world.now += timedelta(hours=5, minutes=59)
    assert world.fire(cfg, "run-2") == "cooldown"
    world.now += timedelta(minutes=1, seconds=1)
    assert world.fire(cfg, "run-3") == "started"
    assert world.fire(cfg, "run-2") == "duplicate"  # a blocked occurrence stays decided
    assert len(world.runs.runs(PIPELINE)) == 2
    (blocked,) = [r for r in world.audit.records("trigger", "churn") if r["decision"] == "cooldown"]
    assert blocked["blocked_by"] == "last run started 5.98 h ago; cooldown is 6.0 h"


def test_the_daily_cap_counts_runs_per_utc_day(world: World) -> None:
    cfg = config(max_runs_per_day=2)
    world.now = datetime(2026, 1, 5, 22, 0, tzinfo=UTC)
    outcomes = [world.fire(cfg, label) for label in ("a", "b", "c")]
    world.now += timedelta(hours=3)  # 01:00 the next UTC day
    outcomes.append(world.fire(cfg, "d"))
    assert outcomes == ["started", "started", "daily-limit", "started"]
    assert world.ledger.read("churn").day_count == 1


def test_concurrent_distinct_events_cannot_exceed_the_cap(world: World) -> None:
    cfg = config(max_runs_per_day=3)
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda i: world.fire(cfg, f"occurrence-{i}"), range(24)))
    assert sorted(set(outcomes)) == ["daily-limit", "started"]
    assert outcomes.count("started") == 3
    assert len(world.runs.runs(PIPELINE)) == 3


def test_a_failed_start_gives_back_the_claim_and_the_reservation(world: World) -> None:
    cfg = config(cooldown_hours=6, max_runs_per_day=1)
    world.runs.failures.append(RuntimeError("ResourceNotFound: no pipeline"))
    with pytest.raises(TriggerError, match="1 pipeline start"):
        world.fire(cfg, "run-1")
    assert world.ledger.read("churn").version == 0  # neither cooldown nor cap counts it
    # The redelivered event (the pipeline exists now) starts the run.
    assert world.fire(cfg, "run-1") == "started"
    assert world.audit.decisions("trigger", "churn") == ["error", "started"]


def test_a_crashed_invocation_s_claim_is_retaken_only_after_the_lease(world: World) -> None:
    cfg = config()
    # An invocation claimed the event and died before finishing.
    world.claims.claim(
        "schedule#churn#t", now=world.now, lease=runs.CLAIM_LEASE, ttl=runs.CLAIM_TTL, details={}
    )
    assert world.fire(cfg, "t") == "duplicate"
    assert world.runs.runs(PIPELINE) == []
    world.now += runs.CLAIM_LEASE + timedelta(seconds=1)
    assert world.fire(cfg, "t") == "started"


def test_alarms_retrain_on_alarm_only_and_other_events_are_ignored(world: World) -> None:
    cfg = config()

    def alarm(state: str) -> dict[str, Any]:
        detail = {
            "alarmName": "shop-prod-churn-drift",
            "state": {"value": state, "timestamp": f"2026-01-05T03:00:00.000+0000 {state}"},
        }
        return {
            "source": "aws.cloudwatch",
            "detail-type": "CloudWatch Alarm State Change",
            **{"detail": detail},
        }

    decisions = [
        process(event, cfg, world.ports, now=lambda: world.now)["decisions"][0]["decision"]
        for event in (alarm("ALARM"), alarm("OK"), {"source": "aws.ec2"})
    ]
    assert decisions == ["started", "ignored", "ignored"]
    (run,) = world.runs.runs(PIPELINE)
    assert run.parameters["TriggerReason"] == "alarm:shop-prod-churn-drift"
