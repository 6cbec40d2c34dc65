"""A Lambda's runtime configuration, read from its versioned S3 object once per cold start.

The function's environment names the object (``MLOPS_RUNTIME_CONFIG_OBJECT``:
``s3://<bucket>/<key>`` in the artifacts bucket, SSE-KMS with the system key) and the version
deployed with it (``MLOPS_RUNTIME_CONFIG_VERSION``); the role may read exactly that key
(``s3:GetObject``, ``s3:GetObjectVersion``) and decrypt with the system key. The parsed
configuration is cached at module level, so a warm invocation makes no S3 call. Without the
object variable the document is read from ``MLOPS_RUNTIME_CONFIG`` (local runs, the proxy).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any, TypeVar

from mlops_runtime.aws.clients import client, error_code, split_s3_uri
from mlops_runtime.contract.config import (
    ENV_VAR,
    OBJECT_ENV_VAR,
    VERSION_ENV_VAR,
    ConfigError,
    RuntimeConfig,
)

T = TypeVar("T", bound=RuntimeConfig)

MAX_ATTEMPTS = 5
"""Attempts of the one GetObject a cold start makes (throttling, 5xx)."""
_lock = threading.Lock()
_cache: dict[tuple[type, str, str], Any] = {}
"""(config class, object URI, version id) -> the parsed configuration."""
MISSING = ("NoSuchKey", "NoSuchVersion", "NoSuchBucket", "404", "400", "InvalidArgument")
"""Error codes that mean the object (or that version of it) is not there."""


def load_config(cls: type[T], environ: Mapping[str, str] | None = None) -> T:
    """``cls`` from the object the environment names (cached per object and version), else
    from ``MLOPS_RUNTIME_CONFIG``; ``ConfigError`` saying what is missing otherwise."""
    env = os.environ if environ is None else environ
    uri = env.get(OBJECT_ENV_VAR, "")
    if not uri:
        if env.get(ENV_VAR):
            return cls.from_env(env)
        raise ConfigError(
            f"environment variable {OBJECT_ENV_VAR} is not set: the function's configuration "
            f"object (s3://<bucket>/<key>) must be named there (or the document given in {ENV_VAR})"
        )
    version = env.get(VERSION_ENV_VAR, "")
    if not version:
        raise ConfigError(
            f"environment variable {VERSION_ENV_VAR} is not set: the version of {uri} "
            "deployed with this function must be named there"
        )
    key = (cls, uri, version)
    with _lock:
        if key not in _cache:
            _cache[key] = cls.from_json(read_object(uri, version))
        return _cache[key]  # type: ignore[no-any-return]


def read_object(uri: str, version: str) -> str:
    """The text of ``version`` of the object at ``uri``; ``ConfigError`` if it cannot be read."""
    try:
        bucket, key = split_s3_uri(uri)
    except ValueError as error:
        raise ConfigError(f"{OBJECT_ENV_VAR}: {error}") from error
    if not bucket or not key:
        raise ConfigError(f"{OBJECT_ENV_VAR}={uri!r} does not name an object (s3://<bucket>/<key>)")
    s3 = client("s3", MAX_ATTEMPTS)
    try:
        response = s3.get_object(Bucket=bucket, Key=key, VersionId=version)
        return str(response["Body"].read().decode("utf-8"))
    except Exception as error:  # botocore's ClientError and transport errors
        code = error_code(error)
        what = (
            "is missing" if code in MISSING else f"cannot be read ({code or type(error).__name__})"
        )
        raise ConfigError(
            f"the configuration object {uri} (version {version}) {what}: {error}. It is "
            "uploaded with the function by `pulumi up`; re-run it if the object was deleted"
        ) from error


def clear_cache() -> None:
    """Forget every configuration read (tests; a Lambda never needs it)."""
    with _lock:
        _cache.clear()
