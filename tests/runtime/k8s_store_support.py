"""The object store the Kubernetes loop keeps its state in, for the tests: moto's S3 over
HTTP, and a stand-in for a store that ignores conditional writes.

``IgnoringConditions`` is a small HTTP proxy in front of moto that drops ``If-None-Match``
and ``If-Match`` from every request, as an S3-compatible server without conditional writes
does: each PUT simply overwrites. (moto does not check request signatures, so the dropped
signed headers go unnoticed, as they would on a server that ignores them.)
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from runtime_support import boto

from mlops_runtime.contract.controller import ObjectStoreSettings
from mlops_runtime.k8s.store import Bucket, s3_client

STATE_BUCKET = "shop-mlops-state"
IGNORED_HEADERS = frozenset({"if-none-match", "if-match"})


def state_bucket(endpoint_url: str | None = None, prefix: str = "mlops/") -> Bucket:
    """The loop's state bucket (created) through the adapter's own client."""
    boto("s3").create_bucket(Bucket=STATE_BUCKET)
    settings = ObjectStoreSettings(uri=f"s3://{STATE_BUCKET}/{prefix}", endpoint_url=endpoint_url)
    return Bucket.from_settings(settings, s3_client(settings))


def _forwarder(upstream: str) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(upstream)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k: v for k, v in self.headers.items() if k.lower() not in IGNORED_HEADERS}
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            self.send_response(answer.status)
            for name, value in answer.getheaders():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            connection.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        def log_message(self, *args: Any) -> None:
            return None

    return Forward


@contextmanager
def ignoring_conditions(upstream: str) -> Iterator[str]:
    """URL of a store that forwards to ``upstream`` without the conditional headers."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _forwarder(upstream))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
