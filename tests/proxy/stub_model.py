"""A model server under the SageMaker hosting contract, for the proxy's tests and benchmark.

``GET /ping`` answers 200. ``POST /invocations`` answers one prediction per input row: for CSV
(``text/csv``) one line ``<row number>.5`` per input line; for JSON
(``{"instances": [...]}`` or a list) ``{"predictions": [...]}``. The request headers
``X-Stub-Status`` (answer with that status) and ``X-Stub-Delay-Ms`` (wait first) let a test
play a failing or slow model; ``X-Amzn-SageMaker-Custom-Attributes`` is echoed back. ``python -m tests.proxy.stub_model --port N`` serves it in its own
process and prints ``listening <port>`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from aiohttp import web

ATTRIBUTES = "X-Amzn-SageMaker-Custom-Attributes"
"""Echoed back when sent, so a test sees which headers reached the model."""


def predictions(content_type: str, body: bytes) -> tuple[str, bytes]:
    """The stub's answer (content type, body) to an invocation."""
    if content_type.startswith("application/json"):
        payload: Any = json.loads(body)
        rows = payload["instances"] if isinstance(payload, dict) else payload
        answer = {"predictions": [i + 0.5 for i, _ in enumerate(rows)]}
        return "application/json", json.dumps(answer).encode()
    lines = [line for line in body.decode().splitlines() if line.strip()]
    return "text/csv", "".join(f"{i}.5\n" for i, _ in enumerate(lines)).encode()


async def _ping(request: web.Request) -> web.Response:
    return web.Response(status=200)


async def _invocations(request: web.Request) -> web.Response:
    body = await request.read()
    delay = float(request.headers.get("X-Stub-Delay-Ms", "0"))
    if delay:
        await asyncio.sleep(delay / 1000)
    status = int(request.headers.get("X-Stub-Status", "200"))
    if status != 200:
        return web.Response(status=status, text=f"stub model answers {status}")
    content_type, answer = predictions(request.headers.get("Content-Type", "text/csv"), body)
    headers = {"Content-Type": content_type}
    if ATTRIBUTES in request.headers:
        headers[ATTRIBUTES] = request.headers[ATTRIBUTES]
    return web.Response(body=answer, headers=headers)


def app() -> web.Application:
    application = web.Application(client_max_size=64 * 1024 * 1024)
    application.router.add_get("/ping", _ping)
    application.router.add_post("/invocations", _invocations)
    return application


async def start(port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve on 127.0.0.1:``port`` (0: a free one); returns the runner and the bound port."""
    runner = web.AppRunner(app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def _main(port: int) -> None:
    _, bound = await start(port)
    print(f"listening {bound}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    try:
        asyncio.run(_main(parser.parse_args().port))
    except KeyboardInterrupt:
        sys.exit(0)
