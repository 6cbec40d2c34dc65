"""The proxy: an aiohttp server in front of a lean keep-alive client to the model.

``/invocations`` (POST) is timed, counted and maybe captured; every other path (``/ping``,
``/execution-parameters``, ...) is forwarded unmeasured. ``/metrics`` is served on its own port,
never on the clients'. Bodies are buffered whole (SageMaker's payloads are at most 6 MB), so
the latency observed is the model's: from the first byte forwarded to the last byte read.

It is on every request's path: the model is called through ``upstream.UpstreamPool`` (header
fields pass through as the bytes received, no URL objects, no auto headers), which took a third
off the proxy's CPU per request against aiohttp's ``ClientSession``; docs/kubernetes.md, "Added
latency", has what was measured (aiohttp's low-level server and uvloop saved nothing more).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable

from aiohttp import web
from multidict import CIMultiDict

from mlops_runtime.contract.prometheus import DROP_QUEUE_FULL
from mlops_runtime.contract.proxy import INFERENCE_ID_HEADER, ProxyConfig
from mlops_runtime.proxy.capture import CaptureWriter, Exchange, Put, Sampler
from mlops_runtime.proxy.metrics import CONTENT_TYPE, ProxyMetrics
from mlops_runtime.proxy.store import S3Store
from mlops_runtime.proxy.upstream import RawHeaders, UpstreamError, UpstreamPool

INVOCATIONS = "/invocations"
HOP_BY_HOP = frozenset(
    {
        # RFC 9110 section 7.6.1, plus the proxy-* fields of older agents.
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        # Set again for the next hop: by the client (Host) and by the framing (Content-Length).
        b"host",
        b"content-length",
    }
)
"""Header fields (lower case) never forwarded, in either direction."""


def end_to_end(raw: Iterable[tuple[bytes, bytes]]) -> RawHeaders:
    """The header fields to forward: all but the hop-by-hop ones and those ``Connection``
    names (RFC 9110 section 7.6.1), in their order and spelling."""
    headers = list(raw)
    drop = HOP_BY_HOP
    for name, value in headers:
        if name.lower() == b"connection":
            drop = drop | {token.strip().lower() for token in value.split(b",")}
    return [(name, value) for name, value in headers if name.lower() not in drop]


def _text(raw: RawHeaders) -> CIMultiDict[str]:
    return CIMultiDict(
        (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        for name, value in raw
    )


class Proxy:
    """One proxy: ``await start()``, then ``await stop()`` (stops listening, then drains capture).

    ``put`` replaces the S3 store (tests); ``sampler`` replaces the configured sampling."""

    def __init__(
        self,
        config: ProxyConfig,
        put: Put | None = None,
        sampler: Callable[[], bool] | None = None,
    ) -> None:
        self.config = config
        self.metrics = ProxyMetrics(
            config.model_id, config.endpoint_name, config.variant_name, config.latency_thresholds_ms
        )
        capture = config.capture
        self.writer: CaptureWriter | None = None
        self._sample: Callable[[], bool] = sampler or (lambda: False)
        if capture is not None:
            store_put = put or S3Store(capture).put
            self.writer = CaptureWriter(
                capture, config.endpoint_name, config.variant_name, store_put, self.metrics
            )
            self._sample = sampler or Sampler(capture.sampling_percent, capture.seed)
        self._upstream = UpstreamPool(config.upstream, config.upstream_timeout_seconds)
        self._runners: list[web.AppRunner] = []
        self.port = 0
        self.metrics_port = 0

    async def start(self) -> None:
        app = web.Application(client_max_size=self.config.max_payload_bytes)
        app.router.add_route("*", "/{tail:.*}", self._forward)
        metrics = web.Application()
        metrics.router.add_get("/metrics", self._metrics)
        self.port = await self._serve(app, self.config.port)
        self.metrics_port = await self._serve(metrics, self.config.metrics_port)
        if self.writer is not None:
            self.writer.start()

    async def _serve(self, app: web.Application, port: int) -> int:
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", port, reuse_address=True)
        await site.start()
        self._runners.append(runner)
        return int(runner.addresses[0][1])

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners.clear()
        self._upstream.close()
        if self.writer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.writer.stop)

    async def _metrics(self, request: web.Request) -> web.Response:
        body = self.metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        if request.path != INVOCATIONS or request.method != "POST":
            response, _, _ = await self._relay(request, measured=False)
            return response
        arrived = time.time()
        self.metrics.in_flight.inc()
        try:
            response, body, answer = await self._relay(request, measured=True)
        finally:
            self.metrics.in_flight.dec()
        self.metrics.request(response.status)
        if self.writer is not None and 200 <= response.status < 300:
            self._capture(self.writer, request, arrived, body, answer, response)
        return response

    def _capture(
        self,
        writer: CaptureWriter,
        request: web.Request,
        arrived: float,
        body: bytes,
        answer: bytes,
        response: web.Response,
    ) -> None:
        """Sample and enqueue one exchange; whatever happens, the response goes out."""
        try:
            if self._sample():
                writer.offer(
                    Exchange(
                        time=arrived,
                        inference_id=request.headers.get(INFERENCE_ID_HEADER),
                        request=body,
                        request_type=request.headers.get("Content-Type", ""),
                        response=answer,
                        response_type=response.headers.get("Content-Type", ""),
                    )
                )
        except Exception:
            self.metrics.dropped(DROP_QUEUE_FULL)

    async def _relay(
        self, request: web.Request, measured: bool
    ) -> tuple[web.Response, bytes, bytes]:
        """The client's response, the request body and the model's answer."""
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as error:
            return web.Response(status=413, text=error.text), b"", b""
        started = time.perf_counter()
        try:
            answer = await self._upstream.request(
                request.method.encode("ascii"),
                request.rel_url.raw_path_qs.encode("utf-8", "surrogateescape"),
                end_to_end(request.raw_headers),
                body,
            )
        except (TimeoutError, UpstreamError) as error:
            if measured:
                self.metrics.upstream_errors.inc()
            if isinstance(error, TimeoutError):
                return web.Response(status=504, text="the model did not answer in time"), body, b""
            return web.Response(status=502, text=f"the model is unreachable: {error}"), body, b""
        if measured:
            self.metrics.duration.observe(time.perf_counter() - started)
        headers = _text(end_to_end(answer.headers))
        return (
            web.Response(status=answer.status, headers=headers, body=answer.body),
            body,
            answer.body,
        )
