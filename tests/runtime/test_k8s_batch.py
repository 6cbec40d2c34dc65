"""The batch tier's driver (``python -m mlops_runtime.k8s.batch``, a real process) against
moto's S3 over HTTP and a local stub model server (threads): input objects in a bucket ->
outputs where the AWS Transform step writes them, one answer per input row in order; a failing
model -> exit 1 and nothing left in the run's folder."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from runtime_support import boto

from mlops_runtime.contract.batch_job import RUN_ENV, BatchJobConfig
from mlops_runtime.contract.config import ENV_VAR
from tests.k8s.batch_stub import StubState, serving

DATA, OUT = "acme-ltv-prod-data", "acme-ltv-prod-reports"
RUN = "acme-ltv-prod-scorer-batch-29412345"
FEATURES = {"tenure": "numeric", "charges": "numeric"}
ROOT = Path(__file__).resolve().parents[2]


def _run(config: BatchJobConfig, run: str = RUN) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ENV_VAR: config.to_json(), RUN_ENV: run}
    return subprocess.run(
        [sys.executable, "-m", "mlops_runtime.k8s.batch"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _buckets() -> Any:
    s3 = boto("s3")
    s3.create_bucket(Bucket=DATA)
    s3.create_bucket(Bucket=OUT)
    return s3


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def _body(s3: Any, key: str) -> list[str]:
    return s3.get_object(Bucket=OUT, Key=key)["Body"].read().decode().splitlines()


def _config(url: str, **fields: Any) -> BatchJobConfig:
    base: dict[str, Any] = {
        "model_id": "scorer",
        "input_uri": f"s3://{DATA}/events/",
        "output_uri": f"s3://{OUT}/batch/scorer/",
        "features": FEATURES,
        "format": "csv",
        "model_url": url,
        "ping_deadline_seconds": 5.0,
    }
    return BatchJobConfig(**{**base, **fields})


def _data_source(s3: Any) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """A data source as a team stores it: header, label and id columns, gzip, a marker."""
    first = [(12.0, 70.5), (3.0, 20.25), (40.0, 99.0)]
    second = [(1.0, 2.5), (7.0, 0.5)]
    rows = "".join(f"{t:g},{c:g},{i % 2},id-{i}\n" for i, (t, c) in enumerate(first))
    s3.put_object(Bucket=DATA, Key="events/day=1/a.csv", Body="tenure,charges,label,id\n" + rows)
    text = "tenure,charges,label,id\n" + "".join(f"{t:g},{c:g},0,x\n" for t, c in second)
    s3.put_object(Bucket=DATA, Key="events/day=2/b.csv.gz", Body=gzip.compress(text.encode()))
    s3.put_object(Bucket=DATA, Key="events/_SUCCESS", Body=b"")
    s3.put_object(Bucket=DATA, Key="events/day=3/empty.csv", Body=b"tenure,charges,label,id\n")
    return first, second


def test_scores_a_data_source_where_batch_transform_writes() -> None:
    s3 = _buckets()
    key = boto("kms").create_key()["KeyMetadata"]["Arn"]
    first, second = _data_source(s3)
    with serving() as (url, state):
        done = _run(_config(url, kms_key_id=key))
    assert done.returncode == 0, done.stdout + done.stderr
    folder = f"batch/scorer/{RUN}/"
    assert _keys(s3, OUT, "") == [f"{folder}day=1/a.csv.out", f"{folder}day=2/b.csv.gz.out"]
    assert _body(s3, f"{folder}day=1/a.csv.out") == [f"{t + c:g}" for t, c in first]
    assert _body(s3, f"{folder}day=2/b.csv.gz.out") == [f"{t + c:g}" for t, c in second]
    sent = [
        [tuple(float(v) for v in line.split(",")) for line in body.decode().splitlines()]
        for _, _, body in state.invocations()
    ]
    assert sent == [first, second]  # the features only, in the model's order, one request each
    head = s3.head_object(Bucket=OUT, Key=f"{folder}day=1/a.csv.out")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["message"] == "batch run scored"


def test_an_s3_prefix_is_sent_as_it_is() -> None:
    s3 = _buckets()
    s3.put_object(Bucket=DATA, Key="ready/part-0", Body=b"1,2\n3,4\n\n5,6\n")
    with serving() as (url, state):
        config = _config(url, input_uri=f"s3://{DATA}/ready", features=None, format=None,
                         batch_strategy="SingleRecord")  # fmt: skip
        done = _run(config)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _body(s3, f"batch/scorer/{RUN}/part-0.out") == ["3", "7", "11"]
    assert [body for _, _, body in state.invocations()] == [b"1,2\n", b"3,4\n", b"5,6\n"]


def test_a_failing_model_fails_the_run_and_leaves_nothing() -> None:
    s3 = _buckets()
    _data_source(s3)
    state = StubState(fail=[None, 500, 503, 500, 502])  # day=1 answered, day=2 never
    with serving(state) as (url, _):
        done = _run(_config(url))
    assert done.returncode == 1
    error = json.loads(done.stdout.strip().splitlines()[-1])
    assert error["message"] == "batch run failed"
    assert "failed 4 attempts (last: HTTP 502" in error["error"]
    assert len(state.invocations()) == 5
    assert _keys(s3, OUT, "") == []  # day=1's output was removed with the failed run


def test_a_model_that_never_starts_and_bad_configurations() -> None:
    s3 = _buckets()
    _data_source(s3)
    with serving(StubState(ready_after=600)) as (url, _):
        done = _run(_config(url, ping_deadline_seconds=0.5))
    assert done.returncode == 1 and "did not answer /ping" in done.stdout
    done = _run(_config("http://127.0.0.1:9"), run="")
    assert done.returncode == 2 and "MLOPS_RUN must name the run" in done.stdout
    with serving() as (url, _):
        done = _run(_config(url, input_uri=f"s3://{DATA}/nothing/"))
    assert done.returncode == 1 and "no input objects under" in done.stdout
    assert _keys(s3, OUT, "") == []
