"""Data capture: SageMaker's layout, read back by the monitoring job's own reader, and never in
the way of a request."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timedelta

from mlops_runtime.contract import prometheus as names
from mlops_runtime.contract.proxy import ProxyCapture
from mlops_runtime.core.clock import UTC
from mlops_runtime.jobs.capture import CaptureBatch, list_window, parse_input, parse_output
from mlops_runtime.proxy.capture import CaptureWriter, Exchange, Sampler, record
from mlops_runtime.proxy.metrics import ProxyMetrics
from tests.proxy.conftest import StubModel, config
from tests.proxy.support import Samples, invoke, parse, scrape, value

BUCKET = "captures"
KEY = re.compile(
    r"^datacapture/churn-dev/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/\d{2}-\d{2}-\d{3}-[0-9a-f-]{36}\.jsonl$"
)


class Memory:
    """An object store in memory; ``fail`` makes every put raise, ``hold`` blocks puts."""

    def __init__(self, fail: bool = False) -> None:
        self.objects: dict[str, bytes] = {}
        self.fail = fail
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()

    def put(self, key: str, body: bytes) -> None:
        self.entered.set()
        self.release.wait(30)
        if self.fail:
            raise ConnectionError("the store is down")
        self.objects[key] = body

    def lines(self) -> list[dict]:
        return [json.loads(line) for body in self.objects.values() for line in body.splitlines()]


def capture(**overrides) -> dict:
    return {"destination": f"s3://{BUCKET}/datacapture", "flush_seconds": 0.2, **overrides}


def test_captured_objects_are_read_back_by_the_monitoring_jobs_reader(
    model: StubModel, proxy, s3, s3_url: str
):
    s3.create_bucket(Bucket=BUCKET)
    running = proxy(config(model, capture=capture(endpoint_url=s3_url)))
    start = datetime.now(UTC) - timedelta(minutes=1)
    sent = {f"req-{i}": f"{i}.5,{'ab'[i % 2]},{i}\n{i}.25,b,1\n" for i in range(20)}
    for inference_id, body in sent.items():
        status, _, _ = invoke(
            running.url, body.encode(), X_Amzn_SageMaker_Inference_Id=inference_id
        )
        assert status == 200
    invoke(running.url, b"9,a,9\n")  # no inference id
    running.stop()  # writes what is queued
    keys = list_window(
        s3,
        BUCKET,
        "datacapture/churn-dev/",
        ["AllTraffic"],
        start,
        datetime.now(UTC) + timedelta(minutes=1),
    )
    assert keys and all(KEY.match(key) for key in keys), keys
    batch = CaptureBatch(
        features=["x", "kind", "n"],
        kinds={"x": "numeric", "kind": "categorical", "n": "numeric"},
        outputs=True,
        aligned=True,
    )
    for key in keys:
        text = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        for line in text.splitlines():
            batch.add_line(line, key, (start, datetime.now(UTC) + timedelta(minutes=1)))
    assert (batch.records, batch.corrupt, batch.mismatched) == (21, 0, 0)
    by_id = {entry.inference_id: entry for entry in batch.entries}
    assert set(by_id) == {*sent, None}
    assert by_id["req-3"].rows == [[3.5, "b", 3.0], [3.25, "b", 1.0]]
    assert by_id["req-3"].predictions == ["0.5", "1.5"]
    assert all(start <= entry.time <= datetime.now(UTC) for entry in batch.entries)
    samples = scrape_text(running)
    assert value(samples, names.CAPTURE_RECORDS, mlops_endpoint="churn-dev") == 21
    assert value(samples, names.CAPTURE_DROPPED, reason="queue_full") == 0
    assert value(samples, names.CAPTURE_DROPPED, reason="store_error") == 0


def test_the_record_is_sagemakers_layout_with_json_and_base64_payloads():
    settings = ProxyCapture(destination="s3://b/p")
    moment = datetime(2026, 1, 5, 3, 0, 7, 250000, tzinfo=UTC).timestamp()
    line = json.loads(
        record(
            Exchange(
                moment,
                "abc",
                b'{"instances": [[1, 2]]}',
                "application/json",
                b"\x00\xff",
                "application/octet-stream",
            ),
            settings,
        )
    )
    assert set(line) == {"captureData", "eventMetadata", "eventVersion"}
    assert line["eventVersion"] == "0"
    assert line["captureData"]["endpointInput"] == {
        "observedContentType": "application/json",
        "mode": "INPUT",
        "data": '{"instances": [[1, 2]]}',
        "encoding": "JSON",
    }
    assert line["captureData"]["endpointOutput"] == {
        "observedContentType": "application/octet-stream",
        "mode": "OUTPUT",
        "data": "AP8=",
        "encoding": "BASE64",
    }
    metadata = line["eventMetadata"]
    assert metadata["inferenceTime"] == "2026-01-05T03:00:07Z"
    assert metadata["inferenceId"] == "abc"
    assert re.fullmatch(r"[0-9a-f-]{36}", metadata["eventId"])


def test_text_the_settings_do_not_name_is_base64_and_the_job_still_reads_it():
    settings = ProxyCapture(destination="s3://b/p")
    line = json.loads(
        record(
            Exchange(
                0.0,
                None,
                b'{"x": 1}\n{"x": 2}\n',
                "application/jsonlines",
                b"0.1\n0.2\n",
                "text/csv; charset=utf-8",
            ),
            settings,
        )
    )
    assert line["captureData"]["endpointInput"]["encoding"] == "BASE64"
    assert line["captureData"]["endpointOutput"]["encoding"] == "CSV"  # parameters ignored
    assert "inferenceId" not in line["eventMetadata"]
    assert parse_input(line, ["x"]) == [[1], [2]]
    assert parse_output(line) == ["0.1", "0.2"]
    broken_csv = record(Exchange(0.0, None, b"\xff,1", "text/csv", b"1", "text/csv"), settings)
    assert json.loads(broken_csv)["captureData"]["endpointInput"]["encoding"] == "BASE64"


def test_sampling_none_all_and_a_seeded_percent(model: StubModel, proxy):
    outcomes = {}
    for label, percent, seed in (("none", 0, 1), ("all", 100, 1), ("a", 30, 7), ("b", 30, 7)):
        store = Memory()
        running = proxy(
            config(model, capture=capture(sampling_percent=percent, seed=seed)), put=store.put
        )
        for i in range(200):
            invoke(running.url, X_Amzn_SageMaker_Inference_Id=str(i))
        running.stop()
        outcomes[label] = [line["eventMetadata"]["inferenceId"] for line in store.lines()]
    assert outcomes["none"] == []
    assert outcomes["all"] == [str(i) for i in range(200)]
    assert outcomes["a"] == outcomes["b"]  # the same seed samples the same requests
    assert 35 <= len(outcomes["a"]) <= 85  # 30% of 200, far outside 5 standard deviations


def test_a_seeded_sampler_keeps_its_percent_and_its_sequence():
    sampler, same, other = Sampler(12.5, seed=3), Sampler(12.5, seed=3), Sampler(12.5, seed=4)
    draws = [sampler() for _ in range(20000)]
    assert abs(sum(draws) / len(draws) - 0.125) < 0.01
    assert draws == [same() for _ in range(20000)]
    assert draws != [other() for _ in range(20000)]


def test_only_answered_invocations_are_captured(model: StubModel, proxy):
    store = Memory()
    running = proxy(config(model, capture=capture()), put=store.put)
    invoke(running.url, X_Stub_Status="500")
    invoke(running.url, X_Stub_Status="400")
    invoke(running.url, path="/ping", method="GET")
    invoke(running.url, b"7,a,7\n")
    running.stop()
    assert [line["captureData"]["endpointInput"]["data"] for line in store.lines()] == ["7,a,7\n"]


def test_a_failing_store_never_fails_a_request_and_its_records_are_counted(model: StubModel, proxy):
    store = Memory(fail=True)
    running = proxy(config(model, capture=capture()), put=store.put)
    assert all(invoke(running.url)[0] == 200 for _ in range(12))
    running.stop()
    samples = scrape_text(running)
    assert value(samples, names.CAPTURE_DROPPED, reason="store_error") == 12
    assert value(samples, names.CAPTURE_RECORDS) == 0


def test_a_full_queue_drops_and_counts_while_requests_are_served(model: StubModel, proxy):
    store = Memory()
    store.release.clear()  # the writer blocks in its first put
    settings = capture(queue_records=2, batch_records=1)
    running = proxy(config(model, capture=settings), put=store.put)
    assert invoke(running.url)[0] == 200
    assert store.entered.wait(10)
    started = time.perf_counter()
    assert all(invoke(running.url)[0] == 200 for _ in range(9))
    assert time.perf_counter() - started < 5  # nobody waited for the stuck writer
    samples = scrape(running.metrics_url)
    assert value(samples, names.CAPTURE_DROPPED, reason="queue_full") == 7  # 1 in hand, 2 queued
    store.release.set()
    running.stop()
    assert value(scrape_text(running), names.CAPTURE_RECORDS) == 3
    assert len(store.objects) == 3


def test_an_object_never_spans_two_hours_and_a_quiet_batch_is_flushed_in_time():
    store = Memory()
    metrics = ProxyMetrics("m", "e", "v")
    settings = ProxyCapture(destination="s3://b", flush_seconds=0.3)
    writer = CaptureWriter(settings, "ep", "AllTraffic", store.put, metrics)
    writer.start()
    before = datetime(2026, 3, 1, 10, 59, 59, 900000, tzinfo=UTC).timestamp()
    for moment in (before, before + 0.05, before + 0.2):
        writer.offer(Exchange(moment, None, b"1", "text/csv", b"1", "text/csv"))
    deadline = time.monotonic() + 5
    while len(store.objects) < 2:  # no stop: the flush interval writes them
        assert time.monotonic() < deadline, "a quiet batch was never written"
        time.sleep(0.02)
    writer.stop()
    folders = sorted(key.rsplit("/", 1)[0] for key in store.objects)
    assert folders == ["ep/AllTraffic/2026/03/01/10", "ep/AllTraffic/2026/03/01/11"]
    assert sorted(body.count(b"\n") for body in store.objects.values()) == [1, 2]
    assert sorted(store.objects)[0].split("/")[-1].startswith("59-59-900-")


def scrape_text(running) -> Samples:
    """The samples of a proxy that no longer listens (read from its registry)."""
    return parse(running.proxy.metrics.exposition().decode())
