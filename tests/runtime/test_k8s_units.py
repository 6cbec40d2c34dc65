"""The Kubernetes loop's smaller parts on their own: the HTTP server's answers, the schedule
CronJob's client, the inputs fetcher, the Job starter's idempotency and the Rollout patch's
guard, each against the real thing it talks to (moto's S3, the API-server stand-in, the
controller's server)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from k8s_loop_support import (
    MODEL,
    NAMESPACE,
    ROLLOUT,
    cluster,
    config,
    controller,
    register,
    running,
)
from runtime_support import boto

from mlops_runtime.core.clock import UTC
from mlops_runtime.core.ports import RunRequest, UpdateInProgress
from mlops_runtime.k8s import fetch
from mlops_runtime.k8s.controller import Loop
from mlops_runtime.k8s.jobs import JobRuns
from mlops_runtime.k8s.kube import ApiServer
from mlops_runtime.k8s.server import every
from tests.k8s.api_server import TOKEN, ApiServerStandIn

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def api() -> Iterator[ApiServerStandIn]:
    with ApiServerStandIn() as server:
        cluster(server)
        yield server


@pytest.fixture
def server(api: ApiServerStandIn, aws: str) -> Iterator[tuple[str, Loop]]:
    loop = controller(api, aws, lambda: NOW)
    with running(loop) as url:
        yield url, loop


def status_of(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_the_server_answers_400_for_non_json_and_500_when_a_start_failed(
    server: tuple[str, Loop], api: ApiServerStandIn
) -> None:
    url, _ = server
    assert status_of(f"{url}/alerts", b"{not json") == 400
    del api.objects[("", "configmaps", NAMESPACE, "shop-dev-churn-train")]  # no template
    assert (
        status_of(f"{url}/schedule", json.dumps({"model": MODEL, "scheduled_time": "a"}).encode())
        == 500
    )
    cluster(api)
    assert (
        status_of(f"{url}/schedule", json.dumps({"model": MODEL, "scheduled_time": "a"}).encode())
        == 200
    )


def test_the_schedule_cronjobs_client_starts_a_run_once_per_scheduled_job(
    server: tuple[str, Loop], api: ApiServerStandIn
) -> None:
    url, _ = server
    env = {**os.environ, "MLOPS_CONTROLLER_URL": f"{url}/schedule", "MLOPS_MODEL": MODEL}
    env["MLOPS_SCHEDULED_JOB"] = "shop-dev-churn-train-schedule-29443680"
    for _ in range(2):  # the pod retried within its Job: the same occurrence
        run = subprocess.run(
            [sys.executable, "-m", "mlops_runtime.k8s.schedule_client"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    assert len(api.writes("create", "jobs")) == 1
    last = json.loads(run.stdout.strip().splitlines()[-1])
    assert last["decisions"] == ["duplicate"]
    env["MLOPS_CONTROLLER_URL"] = "http://127.0.0.1:9/schedule"  # nothing listens
    down = subprocess.run(
        [sys.executable, "-m", "mlops_runtime.k8s.schedule_client"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert down.returncode == 1


def test_periodic_work_goes_on_after_a_failure() -> None:
    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the store was unreachable")

    async def run() -> None:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(1) as executor:
            task = asyncio.create_task(every(0.01, work, executor))
            while len(calls) < 3:
                await asyncio.sleep(0.01)
            task.cancel()

    asyncio.run(run())
    assert len(calls) >= 3


def test_a_second_start_with_the_same_token_is_the_same_job(api: ApiServerStandIn) -> None:
    runs = JobRuns(ApiServer(api.url, token=TOKEN), NAMESPACE)
    request = RunRequest(
        "shop-dev-churn-train", "ab" * 32, {"TriggerReason": "manual"}, "shop/churn: manual"
    )
    first, second = runs.start(request), runs.start(request)
    assert first == second == "shop-dev-churn-train-abababab" + "ab"
    creates = [c for c in api.calls if c.verb == "create"]
    assert [c.status for c in creates] == [201, 409]  # the API server refused the second


def test_a_wrong_token_is_refused_by_the_api_server(api: ApiServerStandIn) -> None:
    runs = JobRuns(ApiServer(api.url, token="stolen"), NAMESPACE)
    with pytest.raises(RuntimeError, match="HTTP 401"):
        runs.start(RunRequest("shop-dev-churn-train", "cd" * 32, {}, "x"))


def test_a_rollout_changed_under_the_patch_is_an_update_in_progress(
    api: ApiServerStandIn, aws: str
) -> None:
    loop = controller(api, aws, lambda: NOW)
    register(aws, 1, when=NOW)
    loop.reconcile()  # created
    api.set_status(NAMESPACE, ROLLOUT, {"phase": "Healthy"})
    endpoints: Any = loop.deploy.endpoints
    target = config(aws).endpoint_targets()[MODEL]
    release = endpoints.release(target, register(aws, 2, when=NOW))
    stale = api.get("argoproj.io", "rollouts", NAMESPACE, ROLLOUT)
    assert stale is not None
    # Someone renames the model container between the read and the patch.
    api.objects[("argoproj.io", "rollouts", NAMESPACE, ROLLOUT)]["spec"]["template"]["spec"][
        "containers"
    ][0]["name"] = "renamed"
    original = endpoints._get
    endpoints._get = lambda name: stale
    try:
        with pytest.raises(UpdateInProgress, match="changed"):
            endpoints.update(release)
    finally:
        endpoints._get = original


def test_fetch_lays_the_channels_out_as_sagemaker_does(tmp_path: Path, aws: str) -> None:
    s3 = boto("s3")
    s3.create_bucket(Bucket="shop-data")
    for key in (
        "events/a.csv",
        "events/day=1/b.csv",
        "events/",
        "events/../escape.csv",
        "other/c.csv",
    ):
        s3.put_object(Bucket="shop-data", Key=key, Body=b"x,y\n1,2\n")
    config = {
        "channels": {"train": "s3://shop-data/events/"},
        "hyperparameters": {"eta": 0.3, "depth": 6},
        "root": str(tmp_path),
    }
    assert fetch.fetch(config, s3) == {"train": 2}
    data = tmp_path / "input" / "data" / "train"
    assert sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file()) == [
        "a.csv",
        "day=1/b.csv",
    ]
    settings = tmp_path / "input" / "config"
    assert json.loads((settings / "hyperparameters.json").read_text()) == {
        "eta": "0.3",
        "depth": "6",
    }
    assert json.loads((settings / "inputdataconfig.json").read_text()) == {
        "train": {"S3DistributionType": "FullyReplicated"}
    }
    assert (tmp_path / "model").is_dir()
