"""What the proxy forwards each way: end-to-end header fields, never hop-by-hop ones."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mlops_runtime.contract.proxy import ProxyConfig
from mlops_runtime.proxy.server import Proxy, end_to_end
from tests.proxy.conftest import StubModel, config
from tests.proxy.origin import Origin, ok, run
from tests.proxy.support import invoke


async def _through_proxy(
    upstream: str, *args: Any, **request: Any
) -> tuple[int, dict[str, str], bytes]:
    """``invoke`` through a proxy of ``upstream`` started (and stopped) on this loop."""
    values = {"model_id": "m", "endpoint_name": "e", "port": 0, "metrics_port": 0}
    proxy = Proxy(ProxyConfig.from_dict({**values, "upstream": upstream}))
    await proxy.start()
    try:
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: invoke(f"http://127.0.0.1:{proxy.port}", *args, **request)
        )
    finally:
        await proxy.stop()


def test_hop_by_hop_fields_and_those_connection_names_are_dropped_in_order():
    raw = [
        (b"Content-Type", b"text/csv"),
        (b"Connection", b"keep-alive, X-Hop"),
        (b"x-hop", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"TE", b"trailers"),
        (b"Host", b"client.example"),
        (b"Content-Length", b"4"),
        (b"X-Trace", b"7"),
        (b"x-trace", b"8"),
    ]
    assert end_to_end(raw) == [
        (b"Content-Type", b"text/csv"),
        (b"X-Trace", b"7"),
        (b"x-trace", b"8"),
    ]


def test_the_model_sees_end_to_end_fields_and_the_client_sees_the_models():
    answer = ok(
        b"0.5\n",
        "Connection: keep-alive, X-Internal",
        "X-Internal: secret",
        "Keep-Alive: timeout=5",
        "X-Model: m1",
    )

    async def play():
        async with Origin([answer]) as origin:
            got = await _through_proxy(
                origin.url + "/prefix",
                b"1,2\n",
                path="/invocations?model=a",
                Connection="keep-alive, X-Hop",
                X_Hop="1",
                TE="trailers",
                Proxy_Authorization="Basic eDp5",
                X_Trace="7",
            )
            return got, origin.requests[0][1], origin.url

    (status, headers, body), sent, url = run(play())
    assert (status, body) == (200, b"0.5\n")
    assert headers["X-Model"] == "m1" and headers["Content-Type"] == "text/csv"
    assert "X-Internal" not in headers and "Keep-Alive" not in headers
    head = sent.split(b"\r\n\r\n")[0].split(b"\r\n")
    assert head[0] == b"POST /prefix/invocations?model=a HTTP/1.1"
    fields = {line.split(b": ", 1)[0].lower(): line.split(b": ", 1)[1] for line in head[1:]}
    assert fields[b"host"] == url.removeprefix("http://").encode()
    assert fields[b"x-trace"] == b"7" and fields[b"content-length"] == b"4"
    assert not {b"connection", b"x-hop", b"te", b"proxy-authorization"} & set(fields)


def test_concurrent_invocations_each_get_their_own_answer(model: StubModel, proxy):
    running = proxy(config(model))

    def one(rows: int) -> tuple[int, bytes]:
        status, _, body = invoke(running.url, b"1,a\n" * rows, X_Stub_Delay_Ms="20")
        return status, body

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(one, range(1, 33)))
    for rows, (status, body) in enumerate(results, start=1):
        assert status == 200
        assert body == "".join(f"{i}.5\n" for i in range(rows)).encode()


def test_a_body_of_megabytes_goes_through_whole_both_ways(model: StubModel, proxy):
    running = proxy(config(model))
    rows = 400_000  # about 2.4 MB in, 3.3 MB back
    status, _, body = invoke(running.url, b"1,a,3\n" * rows)
    assert status == 200
    assert body.count(b"\n") == rows and body.endswith(f"{rows - 1}.5\n".encode())


def test_an_absolute_form_target_reaches_the_model_as_its_path_and_query():
    async def play():
        async with Origin([ok()]) as origin:
            got = await _through_proxy(origin.url, path="http://churn.example/invocations?model=a")
            return got[0], origin.requests[0][1]

    status, sent = run(play())
    assert status == 200
    assert sent.startswith(b"POST /invocations?model=a HTTP/1.1\r\n")
