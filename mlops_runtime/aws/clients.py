"""boto3 clients with retries configured; endpoints come from the environment.

boto3 honours ``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``) natively, which is how
the tests point unmodified clients at a moto server. Clients are cached per service, retry
budget, region and endpoint so a warm Lambda reuses its connections; boto3 clients are
thread-safe once created.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import boto3
from botocore.config import Config

_lock = threading.Lock()
_clients: dict[tuple[str, int, str | None, str | None], Any] = {}


def retry_config(max_attempts: int) -> Config:
    """botocore's standard retry mode with ``max_attempts`` attempts per call, the first included.

    Standard mode retries throttling, transient and 5xx errors with exponential backoff and
    jitter. (botocore's ``retries["max_attempts"]`` counts retries only; ``total_max_attempts``
    counts every attempt, which is what the runtime's ``max_attempts`` fields mean.)
    """
    return Config(retries={"mode": "standard", "total_max_attempts": max_attempts})


def client(service: str, max_attempts: int = 5) -> Any:
    """A cached boto3 client for ``service`` with ``max_attempts`` attempts per call."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    key = (service, max_attempts, region, os.environ.get("AWS_ENDPOINT_URL"))
    with _lock:
        if key not in _clients:
            session = boto3.session.Session()
            _clients[key] = session.client(service, config=retry_config(max_attempts))
        return _clients[key]


def error_code(error: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri!r}")
    bucket, _, key = uri[len("s3://") :].partition("/")
    return bucket, key
