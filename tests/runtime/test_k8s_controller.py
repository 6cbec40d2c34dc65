"""The Kubernetes loop controller's trigger decisions, through its real adapters: the object
store (moto over HTTP) and the API server stand-in (Jobs validated by kubernetes-validate).

What plays a part here: Alertmanager (its webhook payloads: the test builds them as
Alertmanager 0.25+ sends them), the CronJob (its calls to /schedule) and new objects landing in
a data source bucket (the test writes them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from k8s_loop_support import (
    DATA_BUCKET,
    DATA_PREFIX,
    JOB_TEMPLATE,
    MODEL,
    NAMESPACE,
    alert,
    at,
    cluster,
    config,
    controller,
    decisions,
)
from k8s_store_support import STATE_BUCKET, ignoring_conditions
from runtime_support import boto

from mlops_runtime.core.clock import UTC
from mlops_runtime.core.retraining import TriggerError
from mlops_runtime.k8s.kube import ApiServer
from mlops_runtime.k8s.main import build
from mlops_runtime.k8s.probe import StoreNotSafe
from mlops_runtime.k8s.state import ObjectAudit
from mlops_runtime.k8s.store import Bucket, s3_client
from tests.k8s.api_server import TOKEN, ApiServerStandIn

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def api() -> Any:
    with ApiServerStandIn() as server:
        cluster(server)
        yield server


def jobs(api: ApiServerStandIn) -> list[dict[str, Any]]:
    return [o for (g, r, _, _), o in api.objects.items() if (g, r) == ("batch", "jobs")]


def audit(aws: str) -> list[str]:
    settings = config(aws).store
    records = ObjectAudit(Bucket.from_settings(settings, s3_client(settings)))
    return [r["decision"] for r in records.records("trigger", MODEL)]


def test_100_duplicate_alert_deliveries_create_one_job(api: ApiServerStandIn, aws: str) -> None:
    # Two controllers (a Recreate rollout overlapping, or a restarted pod) share the store.
    first, second = controller(api, aws, at(NOW)), controller(api, aws, at(NOW))
    payload = alert()
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda i: (first, second)[i % 2].alerts(payload), range(100)))
    outcomes = [d for r in results for d in decisions(r)]
    assert outcomes.count("started") == 1 and outcomes.count("duplicate") == 99
    assert len(api.writes("create", "jobs")) == 1
    (job,) = jobs(api)
    assert job["metadata"]["name"].startswith(f"{JOB_TEMPLATE}-")
    env = {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["MLOPS_TRIGGER_REASON"] == "alert:shop-dev-churn-feature-drift"
    assert api.invalid == []  # every body passed kubernetes-validate --strict at 1.29 and newest


def test_a_new_alert_episode_is_a_new_run_and_a_resolved_alert_is_ignored(
    api: ApiServerStandIn, aws: str
) -> None:
    loop = controller(api, aws, at(NOW))
    assert decisions(loop.alerts(alert())) == ["started"]
    assert decisions(loop.alerts(alert(status="resolved"))) == ["ignored"]
    again = controller(api, aws, at(NOW + timedelta(days=1)))
    assert decisions(again.alerts(alert(starts="2026-01-06T02:55:00Z"))) == ["started"]
    assert len(jobs(api)) == 2


@pytest.mark.parametrize("first", ["schedule", "alert", "data"])
def test_cooldown_holds_for_every_kind_of_start(
    api: ApiServerStandIn, aws: str, first: str
) -> None:
    boto("s3").create_bucket(Bucket=DATA_BUCKET)
    boto("s3").put_object(Bucket=DATA_BUCKET, Key=f"{DATA_PREFIX}old.csv", Body=b"a\n1\n")

    def start(kind: str, moment: datetime, n: int) -> list[str]:
        loop = controller(api, aws, at(moment), cooldown_hours=6.0)
        if kind == "schedule":
            return decisions(
                loop.schedule({"model": MODEL, "scheduled_time": f"{JOB_TEMPLATE}-{n}"})
            )
        if kind == "alert":
            return decisions(loop.alerts(alert(fingerprint=f"f{n}", starts=moment.isoformat())))
        boto("s3").put_object(Bucket=DATA_BUCKET, Key=f"{DATA_PREFIX}part-{n}.csv", Body=b"a\n2\n")
        return decisions(loop.poll())

    controller(api, aws, at(NOW)).poll()  # the first poll records what is already there
    others = [k for k in ("schedule", "alert", "data") if k != first]
    assert start(first, NOW, 1) == ["started"]
    assert start(others[0], NOW + timedelta(hours=1), 2) == ["cooldown"]
    assert start(others[1], NOW + timedelta(hours=2), 3) == ["cooldown"]
    assert start(first, NOW + timedelta(hours=7), 4) == ["started"]
    assert len(api.writes("create", "jobs")) == 2


def test_the_daily_cap_holds_across_schedule_alert_and_data(
    api: ApiServerStandIn, aws: str
) -> None:
    boto("s3").create_bucket(Bucket=DATA_BUCKET)
    loop = controller(api, aws, at(NOW), max_runs_per_day=2)
    assert decisions(loop.poll()) == []  # baseline: an empty source
    assert decisions(loop.schedule({"model": MODEL, "scheduled_time": "t1"})) == ["started"]
    assert decisions(loop.alerts(alert())) == ["started"]
    boto("s3").put_object(Bucket=DATA_BUCKET, Key=f"{DATA_PREFIX}part-1.csv", Body=b"a\n1\n")
    assert decisions(loop.poll()) == ["daily-limit"]
    assert decisions(loop.poll()) == []  # the watermark moved on: decided once
    tomorrow = controller(api, aws, at(NOW + timedelta(days=1)), max_runs_per_day=2)
    assert decisions(tomorrow.schedule({"model": MODEL, "scheduled_time": "t2"})) == ["started"]
    assert len(api.writes("create", "jobs")) == 3
    assert audit(aws) == ["started", "started", "daily-limit", "started"]


def test_a_failed_job_create_gives_the_claim_back_for_the_retry(
    api: ApiServerStandIn, aws: str
) -> None:
    loop = controller(api, aws, at(NOW))
    del api.objects[("", "configmaps", NAMESPACE, JOB_TEMPLATE)]  # the template is missing
    with pytest.raises(TriggerError):
        loop.alerts(alert())
    cluster(api)  # Pulumi (re)creates it; Alertmanager sends the alert again
    assert decisions(loop.alerts(alert())) == ["started"]
    assert audit(aws) == ["error", "started"]


def test_the_controller_refuses_a_store_without_conditional_writes(
    api: ApiServerStandIn, aws: str
) -> None:
    boto("s3").create_bucket(Bucket=STATE_BUCKET)
    with ignoring_conditions(aws) as url:
        settings = config(url)
        with pytest.raises(StoreNotSafe):
            build(settings, ApiServer(api.url, token=TOKEN), s3_client(settings.store))
        # The process itself: exit 1, one JSON line saying why, nothing listening.
        run = subprocess.run(
            [sys.executable, "-m", "mlops_runtime.k8s"],
            env={**os.environ, **settings.to_env()},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert run.returncode == 1, run.stderr
    assert run.stderr == ""
    line = json.loads(run.stdout.strip().splitlines()[-1])
    assert line["message"] == "refusing to start: the object store is not safe"
    assert "If-None-Match" in line["error"]
    assert api.writes("create", "jobs") == []
