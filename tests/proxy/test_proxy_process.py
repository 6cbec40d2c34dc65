"""``python -m mlops_runtime.proxy``: the container's entry point, end to end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

from tests.proxy.conftest import ROOT, StubModel, free_port
from tests.proxy.support import invoke


def _start(config: dict, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlops_runtime.proxy"],
        cwd=ROOT,
        env={**os.environ, **env, "MLOPS_RUNTIME_CONFIG": json.dumps(config)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_process_serves_and_on_sigterm_writes_its_capture_then_exits_0(
    model: StubModel, s3, s3_url: str, aws_env: dict[str, str]
):
    s3.create_bucket(Bucket="cap")
    port = free_port()
    config = {
        "model_id": "churn",
        "endpoint_name": "churn-dev",
        "upstream": model.url,
        "port": port,
        "metrics_port": free_port(),
        # A long flush interval: only the shutdown can write these records.
        "capture": {"destination": "s3://cap/dc", "endpoint_url": s3_url, "flush_seconds": 600},
    }
    process = _start(config, aws_env)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.communicate()
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the proxy did not start in 20 s"
                time.sleep(0.05)
        for _ in range(3):
            assert invoke(f"http://127.0.0.1:{port}")[0] == 200
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    logs = [json.loads(line) for line in stdout.splitlines()]
    assert [entry["message"] for entry in logs] == ["proxy listening", "proxy stopping"]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="cap").get("Contents", [])]
    assert len(keys) == 1 and keys[0].startswith("dc/churn-dev/AllTraffic/")
    body = s3.get_object(Bucket="cap", Key=keys[0])["Body"].read()
    assert body.count(b"\n") == 3


def test_a_bad_configuration_exits_2_with_one_json_error_and_no_traceback():
    process = _start({"model_id": "churn", "endpoint_name": "e", "port": "80"}, {})
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "Traceback" not in stdout + stderr
    (entry,) = [json.loads(line) for line in stdout.splitlines()]
    assert entry["level"] == "ERROR"
    assert "port: expected an integer" in entry["error"]
