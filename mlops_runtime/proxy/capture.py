"""Data capture in SageMaker's JSONL layout, off the request path.

The request path only samples and enqueues (``CaptureWriter.offer``: never blocks, never
raises); one background thread turns queued exchanges into capture lines, batches them and puts
each batch as one object. A full queue or a failed put drops records and counts them
(``mlops_proxy_capture_dropped_total``); the client is never affected.

Each line is what SageMaker's endpoint data capture writes and the monitoring job reads
(``mlops_runtime.jobs.capture``)::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "1.5,a,3", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "0.91", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2026-01-05T03:00:00Z",
                       "inferenceId": "<X-Amzn-SageMaker-Inference-Id, when sent>"},
     "eventVersion": "0"}

Objects are keyed ``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<ms>-<uuid>.jsonl``
(UTC); one object never spans two hours, so a job listing an hour's folder sees every record of
that hour.
"""

from __future__ import annotations

import base64
import json
import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from mlops_runtime.contract import prometheus as names
from mlops_runtime.contract.proxy import ProxyCapture
from mlops_runtime.core.clock import UTC
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.proxy.metrics import ProxyMetrics

EVENT_VERSION = "0"
_STOP = object()
_LOG = get_logger("proxy.capture")

Put = Callable[[str, bytes], None]
"""Writes one object (key, body); raises on failure."""


@dataclass(frozen=True)
class Exchange:
    """One sampled request and its response, as the request path hands them over."""

    time: float
    """Epoch seconds when the request arrived."""
    inference_id: str | None
    request: bytes
    request_type: str
    response: bytes
    response_type: str


class Sampler:
    """Decides which requests are captured: ``percent`` of them, drawn from a seeded generator."""

    def __init__(self, percent: float, seed: int | None = None) -> None:
        self.percent = percent
        self._random = random.Random(seed)

    def __call__(self) -> bool:
        if self.percent >= 100:
            return True
        if self.percent <= 0:
            return False
        return self._random.random() * 100 < self.percent


def _payload(body: bytes, content_type: str, mode: str, settings: ProxyCapture) -> dict[str, str]:
    media = content_type.split(";")[0].strip().lower()
    encoding = "BASE64"
    if media in settings.csv_content_types:
        encoding = "CSV"
    elif media in settings.json_content_types:
        encoding = "JSON"
    data = None
    if encoding != "BASE64":
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "BASE64"
    if data is None:
        data = base64.b64encode(body).decode("ascii")
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def record(exchange: Exchange, settings: ProxyCapture) -> str:
    """The capture line (JSON, no newline) of one exchange."""
    moment = datetime.fromtimestamp(exchange.time, UTC)
    metadata = {
        "eventId": str(uuid.uuid4()),
        "inferenceTime": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if exchange.inference_id:
        metadata["inferenceId"] = exchange.inference_id
    line = {
        "captureData": {
            "endpointInput": _payload(exchange.request, exchange.request_type, "INPUT", settings),
            "endpointOutput": _payload(
                exchange.response, exchange.response_type, "OUTPUT", settings
            ),
        },
        "eventMetadata": metadata,
        "eventVersion": EVENT_VERSION,
    }
    return json.dumps(line, separators=(",", ":"))


def object_key(prefix: str, endpoint: str, variant: str, first: float) -> str:
    """The key of a batch whose first record arrived at epoch ``first``."""
    moment = datetime.fromtimestamp(first, UTC)
    name = f"{moment:%M-%S}-{moment.microsecond // 1000:03d}-{uuid.uuid4()}.jsonl"
    parts = [prefix, endpoint, variant, f"{moment:%Y/%m/%d/%H}", name]
    return "/".join(part for part in parts if part)


def _hour(epoch: float) -> int:
    return int(epoch // 3600)


class CaptureWriter:
    """A bounded queue drained by one daemon thread that batches lines into objects."""

    def __init__(
        self,
        settings: ProxyCapture,
        endpoint: str,
        variant: str,
        put: Put,
        metrics: ProxyMetrics,
    ) -> None:
        self.settings = settings
        self._endpoint = endpoint
        self._variant = variant
        self._put = put
        self._metrics = metrics
        self._queue: queue.Queue[object] = queue.Queue(maxsize=settings.queue_records)
        self._thread = threading.Thread(target=self._run, name="mlops-capture", daemon=True)
        self._lines: list[str] = []
        self._first = 0.0
        self._deadline = 0.0

    def start(self) -> None:
        self._thread.start()

    def offer(self, exchange: Exchange) -> None:
        """Enqueue ``exchange``, or count it dropped when the queue is full. Never raises."""
        try:
            self._queue.put_nowait(exchange)
        except queue.Full:
            self._metrics.dropped(names.DROP_QUEUE_FULL)
        except Exception:  # the request path must not fail for capture
            self._metrics.dropped(names.DROP_QUEUE_FULL)

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued and end the thread (waits up to ``timeout`` seconds)."""
        if not self._thread.is_alive():
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            wait = max(0.0, self._deadline - time.monotonic()) if self._lines else None
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                self._flush()
                continue
            if item is _STOP:
                self._flush()
                return
            assert isinstance(item, Exchange)
            self._add(item)

    def _add(self, exchange: Exchange) -> None:
        if self._lines and _hour(exchange.time) != _hour(self._first):
            self._flush()
        try:
            line = record(exchange, self.settings)
        except Exception as error:  # never let one odd payload end the thread
            log(_LOG, "capture record failed", logging.WARNING, error=str(error))
            self._metrics.dropped(names.DROP_STORE_ERROR)
            return
        if not self._lines:
            self._first = exchange.time
            self._deadline = time.monotonic() + self.settings.flush_seconds
        self._lines.append(line)
        if len(self._lines) >= self.settings.batch_records:
            self._flush()

    def _flush(self) -> None:
        lines, self._lines = self._lines, []
        if not lines:
            return
        key = object_key(self.settings.prefix, self._endpoint, self._variant, self._first)
        try:
            self._put(key, ("\n".join(lines) + "\n").encode("utf-8"))
        except Exception as error:
            self._metrics.dropped(names.DROP_STORE_ERROR, len(lines))
            log(
                _LOG,
                "capture put failed",
                logging.WARNING,
                key=key,
                records=len(lines),
                error=str(error),
            )
            return
        self._metrics.captured.inc(len(lines))
