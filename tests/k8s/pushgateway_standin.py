"""A local stand-in for the Prometheus Pushgateway, enough to test a client against: ``PUT``
replaces a group (grouping key from the path, ``@base64`` segments decoded), ``POST`` merges
by name, the body is parsed with prometheus_client's text parser, and the Pushgateway's
refusals are played (a pushed timestamp, a label contradicting the grouping key, an
unparsable body: HTTP 400). ``fail_next`` answers the next requests with an error status.
``series()`` is what Prometheus would scrape: every sample with its group's labels, plus
``push_time_seconds`` per group.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


def _decode(segment: str) -> str:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)).decode()


def grouping_key(path: str) -> Labels:
    """``/metrics/job@base64/<v>/<label>/<v>...`` -> ((label, value), ...)."""
    parts = path.removeprefix("/metrics/").split("/")
    if len(parts) % 2:
        raise ValueError(f"odd grouping key path {path!r}")
    key = []
    for name, value in zip(parts[::2], parts[1::2], strict=True):
        if name.endswith("@base64"):
            key.append((name.removesuffix("@base64"), _decode(value)))
        else:
            key.append((name, value))
    if not key or key[0][0] != "job":
        raise ValueError(f"grouping key must start with job: {path!r}")
    return tuple(key)


@dataclass
class Pushgateway:
    groups: dict[Labels, dict[str, list[tuple[dict[str, str], float]]]] = field(
        default_factory=dict
    )
    push_times: dict[Labels, float] = field(default_factory=dict)
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)
    """(method, path, content type, body) of every request."""
    fail_next: list[int] = field(default_factory=list)

    def handle(self, method: str, path: str, body: str) -> tuple[int, str]:
        if self.fail_next:
            return self.fail_next.pop(0), "injected failure"
        try:
            key = grouping_key(path)
            families = self._parse(body, dict(key))
        except ValueError as error:
            return 400, str(error)
        if method == "PUT" or key not in self.groups:
            self.groups[key] = {}
        self.groups[key].update(families)
        self.push_times[key] = time.time()
        return 200, ""

    @staticmethod
    def _parse(body: str, key: dict[str, str]) -> dict[str, list[tuple[dict[str, str], float]]]:
        families: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in text_string_to_metric_families(body):
            for sample in family.samples:
                if sample.timestamp is not None:
                    raise ValueError(f"pushed metrics must not have timestamps: {sample.name}")
                clash = {k for k, v in sample.labels.items() if k in key and key[k] != v}
                if clash:
                    raise ValueError(f"{sample.name}: labels {clash} contradict the grouping key")
                families.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
        return families

    def series(self) -> dict[tuple[str, Labels], float]:
        """(name, sorted labels) -> value, as a scrape with honor_labels would see them."""
        out: dict[tuple[str, Labels], float] = {}
        for key, families in self.groups.items():
            for name, samples in families.items():
                for labels, value in samples:
                    out[(name, tuple(sorted({**labels, **dict(key)}.items())))] = value
            out[("push_time_seconds", tuple(sorted(key)))] = self.push_times[key]
        return out


def _handler(gateway: Pushgateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            gateway.requests.append(
                (self.command, self.path, self.headers.get("Content-Type", ""), body)
            )
            status, text = gateway.handle(self.command, self.path, body)
            self.send_response(status)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text.encode())

        do_PUT = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running() -> Iterator[tuple[str, Pushgateway]]:
    """(base URL, the stand-in) of a server on a free loopback port."""
    gateway = Pushgateway()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(gateway))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", gateway
    finally:
        server.shutdown()
        server.server_close()
