"""Dynamic resources (``pulumi.dynamic.Resource``) in a plan document.

The SDK sends the resource's provider as the input ``__provider``: the provider object pickled
with dill and base64-encoded (a secret unless the provider sets
``serialize_as_secret_always = False``). The blob is unreadable, and changes with the pickler's
version rather than with the code. The document keeps a short, stable description instead::

    "__provider": {"provider": {"class": "<module>.<qualified name>", "sha256": "<16 hex>"}}

``sha256`` hashes the source of the module that defines the provider's class, so a change to
the provider's code shows in a diff (``__provider.provider.sha256``) while the same code always
gives the same document.
"""

from __future__ import annotations

import base64
import hashlib
import inspect
import sys
from typing import Any

from google.protobuf import struct_pb2

DYNAMIC_TYPE_PREFIX = "pulumi-python:dynamic"
"""Type tokens of Python dynamic resources: ``pulumi-python:dynamic[/<module>]:<name>``."""
PROVIDER_KEY = "__provider"
HASH_CHARS = 16


def is_dynamic(type_: str) -> bool:
    return type_.startswith(DYNAMIC_TYPE_PREFIX)


def _digest(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.sha256(data).hexdigest()[:HASH_CHARS]


def describe_provider(blob: str) -> dict[str, Any]:
    """The provider's class and a hash of its module's source (of the blob when the source
    cannot be read); ``class`` is ``<unreadable>`` when the blob does not unpickle here."""
    import dill  # the SDK's own pickler (a pulumi dependency)

    try:
        provider = dill.loads(base64.b64decode(blob))
    except Exception:
        return {"provider": {"class": "<unreadable>", "sha256": _digest(blob)}}
    cls = type(provider)
    module = sys.modules.get(cls.__module__)
    try:
        source: str | bytes = inspect.getsource(module) if module else blob
    except (OSError, TypeError):
        source = blob
    return {
        "provider": {"class": f"{cls.__module__}.{cls.__qualname__}", "sha256": _digest(source)}
    }


def provider_blob(inputs: struct_pb2.Struct) -> str | None:
    """The serialized provider in a registration's inputs, secret or not; None if absent."""
    if PROVIDER_KEY not in inputs.fields:
        return None
    value = inputs.fields[PROVIDER_KEY]
    if value.WhichOneof("kind") == "string_value":
        return value.string_value
    if value.WhichOneof("kind") == "struct_value":  # a secret, or an output value
        inner = value.struct_value.fields.get("value")
        if inner is not None and inner.WhichOneof("kind") == "string_value":
            return inner.string_value
    return None


def describe_dynamic(type_: str, raw: struct_pb2.Struct, inputs: dict[str, Any]) -> dict[str, Any]:
    """``inputs`` of a registration with a dynamic resource's ``__provider`` described."""
    if not is_dynamic(type_):
        return inputs
    blob = provider_blob(raw)
    if blob is None:
        return inputs
    return {**inputs, PROVIDER_KEY: describe_provider(blob)}
