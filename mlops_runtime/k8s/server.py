"""The controller's HTTP side and its periodic work (aiohttp, one event loop).

| route | caller | answer |
|---|---|---|
| ``POST /alerts`` | Alertmanager's webhook receiver (``retrain`` alerts) | 200 with the decisions; 500 when a start failed (Alertmanager retries); 400 for a body that is not JSON |
| ``POST /schedule`` | the model's schedule CronJob | as ``/alerts`` |
| ``GET /healthz`` | the kubelet's probes | 200 |

Decisions block on the object store and the API server, so they run on one worker thread:
one decision at a time in this process (the single replica), conditional writes against any
other. Every ``poll_seconds`` the data sources are polled and every ``reconcile_seconds`` each
served model is reconciled; a failing period is logged and retried at the next one.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web

from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.core.retraining import TriggerError
from mlops_runtime.k8s.controller import Loop

_LOG = get_logger("controller")


def application(loop: Loop, executor: ThreadPoolExecutor) -> web.Application:
    """The routes above, deciding through ``loop`` on ``executor``."""

    def handler(
        decide: Callable[[Any], dict[str, Any]],
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            try:
                body = await request.json()
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                return web.json_response({"error": f"body is not JSON: {error}"}, status=400)
            running = asyncio.get_running_loop()
            try:
                result = await running.run_in_executor(executor, decide, body)
            except TriggerError as error:
                return web.json_response({"error": str(error)}, status=500)
            return web.json_response(result, dumps=lambda v: json.dumps(v, default=str))

        return handle

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/alerts", handler(loop.alerts))
    app.router.add_post("/schedule", handler(loop.schedule))
    app.router.add_get("/healthz", health)
    return app


async def every(seconds: float, work: Callable[[], Any], executor: ThreadPoolExecutor) -> None:
    """Run ``work`` on ``executor`` now and then every ``seconds``, logging failures."""
    running = asyncio.get_running_loop()
    while True:
        try:
            await running.run_in_executor(executor, work)
        except Exception as error:  # the next period tries again
            log(
                _LOG,
                "periodic work failed",
                logging.ERROR,
                work=getattr(work, "__name__", "?"),
                error=f"{type(error).__name__}: {error}",
            )
        await asyncio.sleep(seconds)


async def serve(
    loop: Loop, stopping: asyncio.Event, port: int | None = None, *, periodic: bool = True
) -> None:
    """Serve and run the periodic work until ``stopping`` is set (``periodic`` False: the
    caller polls and reconciles itself, as tests do on their own clock)."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="decide")
    runner = web.AppRunner(application(loop, executor), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "0.0.0.0", loop.config.port if port is None else port)
    await site.start()
    tasks = []
    if periodic:
        tasks = [
            asyncio.create_task(every(loop.config.poll_seconds, loop.poll, executor)),
            asyncio.create_task(every(loop.config.reconcile_seconds, loop.reconcile, executor)),
        ]
    log(_LOG, "controller listening", port=loop.config.port, models=sorted(loop.config.models))
    await stopping.wait()
    for task in tasks:
        task.cancel()
    await runner.cleanup()
    executor.shutdown(wait=True)
