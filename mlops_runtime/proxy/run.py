"""Running a proxy: in the foreground until SIGTERM (the container), or in a thread (tests)."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from mlops_runtime.contract.proxy import ProxyConfig
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.proxy.capture import Put
from mlops_runtime.proxy.server import Proxy

_LOG = get_logger("proxy")


async def serve(config: ProxyConfig) -> None:
    """Serve until SIGTERM or SIGINT, then stop listening and write the queued capture."""
    proxy = Proxy(config)
    await proxy.start()
    log(
        _LOG,
        "proxy listening",
        port=proxy.port,
        metrics_port=proxy.metrics_port,
        upstream=config.upstream,
        capture=config.capture is not None,
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    log(_LOG, "proxy stopping")
    await proxy.stop()


def main() -> int:
    """``python -m mlops_runtime.proxy``: configuration from ``MLOPS_RUNTIME_CONFIG``."""
    try:
        config = ProxyConfig.from_env()
    except ValueError as error:
        log(_LOG, "invalid proxy configuration", logging.ERROR, error=str(error))
        return 2
    asyncio.run(serve(config))
    return 0


class ProxyThread:
    """A proxy on its own event loop in a daemon thread: ``start()`` returns once it listens."""

    def __init__(
        self,
        config: ProxyConfig,
        put: Put | None = None,
        sampler: Callable[[], bool] | None = None,
    ) -> None:
        self.proxy = Proxy(config, put=put, sampler=sampler)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> ProxyThread:
        self._thread.start()
        self._call(self.proxy.start())
        return self

    def stop(self) -> None:
        """Stop the proxy (its capture written) and the thread; a second call does nothing."""
        if self._loop.is_closed():
            return
        self._call(self.proxy.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def _call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.metrics_port}/metrics"
