"""Fail closed: refuse to run on a store that does not honour conditional writes.

Claims, run ledgers, version numbers and rollout memory are only safe if a write conditional
on ``If-None-Match: *`` or ``If-Match: <etag>`` is refused when its condition does not hold.
A store that ignores those headers (older S3-compatible servers, some gateways) silently
overwrites instead: two deliveries of one alert would both start a Job, two runs would both
get version 3. So the controller writes a probe object at start-up and checks that

1. a create of an existing key is refused (``If-None-Match: *``),
2. a replace naming a stale ETag is refused (``If-Match``),
3. a replace naming the current ETag succeeds,

and refuses to start otherwise. The probe object is deleted afterwards.
"""

from __future__ import annotations

import uuid

from mlops_runtime.k8s.store import Bucket

PROBE_PREFIX = "probe/"


class StoreNotSafe(RuntimeError):
    """The object store does not honour conditional writes: the controller must not run."""


def require_conditional_writes(bucket: Bucket) -> None:
    """Raise ``StoreNotSafe`` unless the store honours ``If-None-Match`` and ``If-Match``."""
    key = f"{PROBE_PREFIX}{uuid.uuid4().hex}.json"
    where = bucket.uri(key)
    first = bucket.create(key, {"probe": 1})
    if first is None:
        raise StoreNotSafe(f"{where}: a create of a new key was refused")
    try:
        if bucket.create(key, {"probe": 2}) is not None:
            raise StoreNotSafe(
                f"{where}: a second PUT with If-None-Match: * overwrote the object; the store "
                "ignores conditional creates, so claims and version numbers would not be unique"
            )
        if bucket.replace(key, {"probe": 3}, '"0000000000000000"') is not None:
            raise StoreNotSafe(
                f"{where}: a PUT with If-Match naming a stale ETag overwrote the object; the "
                "store ignores If-Match, so run ledgers and rollout memory could lose writes"
            )
        current = bucket.read(key)
        if current is None or bucket.replace(key, {"probe": 4}, current.etag) is None:
            raise StoreNotSafe(f"{where}: a PUT with If-Match naming the current ETag was refused")
    finally:
        latest = bucket.read(key)
        if latest is not None:
            bucket.delete(key, latest.etag)
