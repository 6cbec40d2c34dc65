"""Fixtures: a stub model server (thread), a moto_server for S3 (process), a proxy factory."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from mlops_runtime.contract.proxy import ProxyConfig
from mlops_runtime.proxy.run import ProxyThread
from tests.proxy import stub_model

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class StubModel:
    """The stub model server on its own event loop in a daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> StubModel:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(stub_model.start(), self._loop)
        self._runner, self.port = future.result(timeout=30)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="session")
def model() -> Iterator[StubModel]:
    with StubModel() as stub:
        yield stub


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def s3_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a moto_server subprocess (S3 API over HTTP)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (tmp_path_factory.mktemp("moto") / "moto_server.log").open("wb")
    executable = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(executable), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "moto_server exited"
            try:
                urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto_server did not start in 30 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Test credentials for boto3's default chain (the proxy's S3 client reads them)."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return CREDENTIALS


@pytest.fixture
def s3(s3_url: str, aws_env: dict[str, str]) -> Any:
    """A client of the moto S3 and an empty account."""
    urllib.request.urlopen(
        urllib.request.Request(f"{s3_url}/moto-api/reset", method="POST"), timeout=10
    ).close()
    return boto3.session.Session().client("s3", endpoint_url=s3_url)


def config(model: StubModel, **overrides: Any) -> ProxyConfig:
    """A proxy configuration in front of ``model`` on free ports."""
    values: dict[str, Any] = {
        "model_id": "churn",
        "endpoint_name": "churn-dev",
        "upstream": model.url,
        "port": 0,
        "metrics_port": 0,
        **overrides,
    }
    return ProxyConfig.from_dict(values)


@pytest.fixture
def proxy() -> Iterator[Callable[..., ProxyThread]]:
    """Start proxies (``ProxyThread`` arguments); every one is stopped after the test."""
    started: list[ProxyThread] = []

    def start(config: ProxyConfig, **kwargs: Any) -> ProxyThread:
        running = ProxyThread(config, **kwargs).start()
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()
