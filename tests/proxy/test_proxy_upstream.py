"""The proxy's client to the model (``upstream.UpstreamPool``): framing, keep-alive, failures."""

from __future__ import annotations

import asyncio

import pytest

from mlops_runtime.proxy.upstream import UpstreamError, UpstreamPool
from tests.proxy.origin import DROP, HANG, Closing, Origin, ok, run

CSV = [(b"Content-Type", b"text/csv")]


async def _post(pool: UpstreamPool, body: bytes = b"1,2\n", method: bytes = b"POST"):
    return await pool.request(method, b"/invocations", CSV, body)


def test_a_request_is_sent_once_with_host_length_and_headers_as_given_and_the_answer_whole():
    async def play():
        async with Origin([ok(b"0.5\n1.5\n", "X-Amzn-SageMaker-Custom-Attributes: a=1")]) as o:
            pool = UpstreamPool(o.url + "/base/", timeout=5)
            answer = await pool.request(
                b"POST", b"/invocations?x=1", [(b"X-Trace", b"7"), *CSV], b"1\n2\n"
            )
            pool.close()
            return o, answer

    origin, answer = run(play())
    port = origin.url.rsplit(":", 1)[1]
    ((_, sent),) = origin.requests
    assert sent == (
        b"POST /base/invocations?x=1 HTTP/1.1\r\nHost: 127.0.0.1:" + port.encode() + b"\r\n"
        b"X-Trace: 7\r\nContent-Type: text/csv\r\nContent-Length: 4\r\n\r\n1\n2\n"
    )
    assert (answer.status, answer.body) == (200, b"0.5\n1.5\n")
    assert answer.headers[:2] == [
        (b"Content-Type", b"text/csv"),
        (b"X-Amzn-SageMaker-Custom-Attributes", b"a=1"),
    ]


def test_a_kept_alive_connection_is_reused_and_one_the_model_closes_is_not():
    close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\n1"

    async def play():
        async with Origin([ok(), ok(), close, ok()]) as origin:
            pool = UpstreamPool(origin.url, timeout=5)
            for _ in range(4):
                assert (await _post(pool)).status == 200
            pool.close()
            return [number for number, _ in origin.requests]

    assert run(play()) == [1, 1, 1, 2]


def test_chunked_and_close_delimited_answers_are_read_whole():
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n0.5\n\r\n4\r\n1.5\n\r\n0\r\n\r\n"
    until_close = Closing(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n\r\n0.5\n2.5\n")
    # RFC 9112 6.3: a transfer coding that does not end in chunked is read until the close
    coded = Closing(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc")

    async def play():
        async with Origin([chunked, until_close, coded, ok()]) as origin:
            pool = UpstreamPool(origin.url, timeout=5)
            answers = [await _post(pool) for _ in range(4)]
            pool.close()
            return [a.body for a in answers], [number for number, _ in origin.requests]

    bodies, connections = run(play())
    assert bodies == [b"0.5\n1.5\n", b"0.5\n2.5\n", b"abc", b"0.5\n"]
    assert connections == [1, 1, 2, 3]  # a close-delimited answer uses its connection up


def test_an_interim_100_is_skipped_and_a_head_answer_has_no_body():
    continue_then_ok = b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"7\n")
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n"

    async def play():
        async with Origin([continue_then_ok, head, ok()]) as origin:
            pool = UpstreamPool(origin.url, timeout=5)
            first = await _post(pool)
            second = await pool.request(b"HEAD", b"/ping", [], b"")
            third = await pool.request(b"GET", b"/ping", [], b"")
            pool.close()
            return first, second, third, origin.requests

    first, second, third, requests = run(play())
    assert (first.status, first.body) == (200, b"7\n")
    assert (second.status, second.body) == (200, b"")
    assert (third.status, third.body) == (200, b"0.5\n")
    assert requests[2][1].startswith(b"GET /ping HTTP/1.1\r\n")
    assert b"Content-Length" not in requests[2][1]  # none for a GET without a body


def test_a_reused_connection_closed_before_answering_is_retried_once_only_when_idempotent():
    async def play(method: bytes):
        async with Origin([ok(), DROP, ok()]) as origin:
            pool = UpstreamPool(origin.url, timeout=5)
            await _post(pool)
            try:
                outcome: object = (await _post(pool, method=method)).status
            except UpstreamError as error:
                outcome = error
            pool.close()
            return outcome, [number for number, _ in origin.requests]

    assert run(play(b"PUT")) == (200, [1, 1, 2])
    error, requests = run(play(b"POST"))
    assert isinstance(error, UpstreamError) and "closed the connection" in str(error)
    assert requests == [1, 1]  # an invocation is never sent twice


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Closing(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0.5"), "closed the connection"),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", "malformed"),
        (Closing(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n0.5"), "closed"),
        (Closing(b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nX-Cut"), "closed"),
    ],
    ids=["cut-short", "malformed", "chunk-cut-short", "head-cut-short"],
)
def test_a_cut_or_malformed_answer_is_an_upstream_error_and_the_next_request_still_works(
    answer: bytes, message: str
):
    async def play():
        async with Origin([answer, ok()]) as origin:
            pool = UpstreamPool(origin.url, timeout=5)
            with pytest.raises(UpstreamError, match=message):
                await _post(pool)
            assert (await _post(pool)).body == b"0.5\n"
            pool.close()
            return [number for number, _ in origin.requests]

    assert run(play()) == [1, 2]


def test_an_unreachable_model_is_an_upstream_error():
    async def play():
        async with Origin([]) as origin:
            url = origin.url
        await asyncio.sleep(0)
        with pytest.raises(UpstreamError, match="cannot connect"):
            await _post(UpstreamPool(url, timeout=5))

    run(play())


def test_a_timeout_closes_the_connection_and_the_next_request_opens_another():
    async def play():
        async with Origin([HANG, ok()]) as origin:
            pool = UpstreamPool(origin.url, timeout=0.2)
            with pytest.raises(TimeoutError):
                await _post(pool)
            assert (await _post(pool)).status == 200
            pool.close()
            await asyncio.sleep(0.05)
            return [number for number, _ in origin.requests], origin.closed

    requests, closed = run(play())
    assert requests == [1, 2]
    assert closed >= 1  # the origin saw the timed-out connection closed


def test_connections_idle_longer_than_idle_seconds_are_closed():
    async def play():
        async with Origin([ok(), ok(), ok(), ok()]) as origin:
            pool = UpstreamPool(origin.url, timeout=5, idle_seconds=0.1)
            await asyncio.gather(_post(pool), _post(pool))  # two connections, both idle after
            await asyncio.sleep(0.2)
            await _post(pool)  # reuses the newest; releasing it closes the stale other one
            await asyncio.sleep(0.05)
            closed = origin.closed
            await _post(pool)
            pool.close()
            return closed, [number for number, _ in origin.requests]

    closed, requests = run(play())
    assert closed == 1
    assert sorted(requests[:2]) == [1, 2]
    assert requests[2] == requests[3]
