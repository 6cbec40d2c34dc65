"""The proxy forwards the hosting contract and publishes the contract's Prometheus series."""

from __future__ import annotations

import threading
import time

from mlops_runtime.contract import prometheus as names
from tests.proxy.conftest import StubModel, config, free_port
from tests.proxy.stub_model import ATTRIBUTES
from tests.proxy.support import invoke, scrape, value

CONSTANT = {"mlops_model": "churn", "mlops_endpoint": "churn-dev", "mlops_variant": "AllTraffic"}


def test_invocations_and_ping_reach_the_model_and_come_back_unchanged(model: StubModel, proxy):
    running = proxy(config(model))
    status, headers, body = invoke(running.url, b"1,a\n2,b\n3,c\n", **{ATTRIBUTES: "trace=7"})
    assert (status, body) == (200, b"0.5\n1.5\n2.5\n")
    assert headers["Content-Type"] == "text/csv"
    assert headers[ATTRIBUTES] == "trace=7"
    status, headers, body = invoke(running.url, b'{"instances": [[1], [2]]}', "application/json")
    assert (status, body) == (200, b'{"predictions": [0.5, 1.5]}')
    assert invoke(running.url, path="/ping", method="GET")[0] == 200


def test_requests_are_counted_by_the_status_code_the_client_received(model: StubModel, proxy):
    running = proxy(config(model))
    for status in (200, 200, 200, 500, 500, 400):
        assert invoke(running.url, X_Stub_Status=str(status))[0] == status
    invoke(running.url, path="/ping", method="GET")  # not an invocation
    samples = scrape(running.metrics_url)
    assert value(samples, names.REQUESTS, code="200", **CONSTANT) == 3
    assert value(samples, names.REQUESTS, code="500", **CONSTANT) == 2
    assert value(samples, names.REQUESTS, code="400", **CONSTANT) == 1
    assert value(samples, names.REQUEST_DURATION + "_count", **CONSTANT) == 6
    assert value(samples, names.IN_FLIGHT, **CONSTANT) == 0


def test_every_latency_threshold_is_a_bucket_bound_and_slow_requests_land_above_it(
    model: StubModel, proxy
):
    running = proxy(config(model, latency_thresholds_ms=[123.0, 7.5]))
    invoke(running.url)
    invoke(running.url, X_Stub_Delay_Ms="200")
    samples = scrape(running.metrics_url)
    bucket = names.REQUEST_DURATION + "_bucket"
    bounds = sorted(float(dict(ls)["le"]) for n, ls in samples if n == bucket)
    assert {0.123, 0.0075, 0.005, 0.25, 60.0, float("inf")} <= set(bounds)
    assert len(bounds) == len(names.DEFAULT_LATENCY_BUCKETS_MS) + 2 + 1  # +Inf
    assert value(samples, bucket, le="0.123", **CONSTANT) == 1
    assert value(samples, bucket, le="0.25", **CONSTANT) == 2
    assert value(samples, names.REQUEST_DURATION + "_sum", **CONSTANT) >= 0.2


def test_an_unreachable_model_is_a_502_counted_as_an_upstream_error(model: StubModel, proxy):
    running = proxy(config(model, upstream=f"http://127.0.0.1:{free_port()}"))
    status, _, body = invoke(running.url)
    assert status == 502 and b"unreachable" in body
    samples = scrape(running.metrics_url)
    assert value(samples, names.REQUESTS, code="502", **CONSTANT) == 1
    assert value(samples, names.UPSTREAM_ERRORS, **CONSTANT) == 1
    assert value(samples, names.REQUEST_DURATION + "_count", **CONSTANT) == 0


def test_a_model_slower_than_the_timeout_is_a_504(model: StubModel, proxy):
    running = proxy(config(model, upstream_timeout_seconds=0.2))
    assert invoke(running.url, X_Stub_Delay_Ms="1000")[0] == 504
    samples = scrape(running.metrics_url)
    assert value(samples, names.REQUESTS, code="504", **CONSTANT) == 1
    assert value(samples, names.UPSTREAM_ERRORS, **CONSTANT) == 1


def test_a_payload_over_the_limit_is_a_413_and_never_reaches_the_model(model: StubModel, proxy):
    running = proxy(config(model, max_payload_bytes=64))
    assert invoke(running.url, b"1," * 100)[0] == 413
    assert invoke(running.url, b"1,2\n")[0] == 200
    samples = scrape(running.metrics_url)
    assert value(samples, names.REQUESTS, code="413", **CONSTANT) == 1
    assert value(samples, names.REQUEST_DURATION + "_count", **CONSTANT) == 1


def test_the_in_flight_gauge_counts_requests_being_served(model: StubModel, proxy):
    running = proxy(config(model))
    slow = threading.Thread(target=invoke, args=(running.url,), kwargs={"X_Stub_Delay_Ms": "800"})
    slow.start()
    deadline = time.monotonic() + 5
    while value(scrape(running.metrics_url), names.IN_FLIGHT, **CONSTANT) != 1:
        assert time.monotonic() < deadline, "the slow request never showed as in flight"
        time.sleep(0.02)
    slow.join()
    assert value(scrape(running.metrics_url), names.IN_FLIGHT, **CONSTANT) == 0


def test_the_page_holds_exactly_the_series_the_contract_names(model: StubModel, proxy):
    running = proxy(config(model))
    invoke(running.url)
    published = {name for name, _ in scrape(running.metrics_url)}
    assert published <= names.published()
    # Counters without a sample yet (no code seen, no capture) are absent until first use.
    assert published >= {
        names.REQUESTS,
        names.IN_FLIGHT,
        names.UPSTREAM_ERRORS,
        *(names.REQUEST_DURATION + s for s in ("_bucket", "_sum", "_count")),
    }
    for name, labels in scrape(running.metrics_url):
        assert set(CONSTANT.items()) <= labels, name


def test_metrics_are_not_served_to_the_models_clients(model: StubModel, proxy):
    running = proxy(config(model))
    status, _, body = invoke(running.url, path="/metrics", method="GET")
    assert names.REQUESTS.encode() not in body  # forwarded to the model, which has no /metrics
    assert status == 404
