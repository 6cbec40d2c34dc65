"""Throttled AWS calls are retried by the runtime's clients (botocore standard retry mode).

A Stubber cannot show this: it answers before botocore's retry handler runs. Instead a tiny
HTTP proxy sits between the unmodified client and moto and answers the first N calls of one
operation with the 400 ThrottlingException AWS sends when a rate is exceeded; the remaining
calls are forwarded. The proxy's count of requests is the evidence that retries happened.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from runtime_events import scheduler_payload
from runtime_support import audit_records, create_pipeline, executions

from mlops_runtime import trigger
from mlops_runtime.contract.config import ENV_VAR, TriggerConfig

OPERATION = "SageMaker.StartPipelineExecution"


class ThrottlingProxy(ThreadingHTTPServer):
    """Forwards to ``upstream``; the first ``failures`` calls of ``operation`` are throttled."""

    daemon_threads = True

    def __init__(self, upstream: str, operation: str, failures: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = urlsplit(upstream)
        self.operation = operation
        self.failures = failures
        self.seen = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: ThrottlingProxy

    def log_message(self, format: str, *args: object) -> None:  # quiet
        return

    def _relay(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("X-Amz-Target") == self.server.operation:
            with self.server.lock:
                self.server.seen += 1
                throttle = self.server.seen <= self.server.failures
            if throttle:
                payload = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
                self.send_response(400)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("x-amzn-RequestId", f"throttled-{self.server.seen}")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload.encode())
                return
        upstream = http.client.HTTPConnection(
            self.server.upstream.hostname, self.server.upstream.port, timeout=30
        )
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers))
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThrottlingProxy]:
    """The proxy, with the runtime's clients pointed at it through AWS_ENDPOINT_URL."""
    server = ThrottlingProxy(aws, OPERATION, failures=2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def configure(table: str, max_attempts: int, monkeypatch: pytest.MonkeyPatch) -> None:
    config = TriggerConfig.from_dict(
        {
            "system": "shop",
            "table_name": table,
            "models": {"churn": {"pipeline_name": "churn-retrain"}},
            "max_attempts": max_attempts,
        }
    )
    monkeypatch.setenv(ENV_VAR, config.to_json())


def test_throttled_pipeline_start_is_retried(
    table: str, proxy: ThrottlingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_pipeline("churn-retrain")
    configure(table, max_attempts=3, monkeypatch=monkeypatch)

    result = trigger.handler(scheduler_payload("churn", "2026-01-05T03:00:00Z"), None)

    assert [d["decision"] for d in result["decisions"]] == ["started"]
    assert proxy.seen == 3  # two throttled attempts, then the one moto answered
    assert len(executions("churn-retrain")) == 1


def test_retries_are_bounded_by_max_attempts(
    table: str, proxy: ThrottlingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_pipeline("churn-retrain")
    configure(table, max_attempts=2, monkeypatch=monkeypatch)
    event = scheduler_payload("churn", "2026-01-05T03:00:00Z")

    with pytest.raises(trigger.TriggerError, match="ThrottlingException"):
        trigger.handler(event, None)

    assert proxy.seen == 2
    assert executions("churn-retrain") == []
    # The failed claim was released: the redelivered event (no longer throttled) starts the run.
    assert [d["decision"] for d in trigger.handler(event, None)["decisions"]] == ["started"]
    records = audit_records(table, "trigger", "churn")
    assert [r["decision"] for r in records] == ["error", "started"]
