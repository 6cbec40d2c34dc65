"""Manifests as the Kubernetes tests receive them: plain data, cleaned before validation.

Under Pulumi's mocks every number arrives as a float (``backoffLimit: 0.0``) and optional
inputs may be ``None``; the API server prunes nulls of non-nullable fields before it validates,
and a JSON schema for integers refuses ``0.0``. ``clean`` applies both fixes; every validator of
this harness calls it first.
"""

from __future__ import annotations

from typing import Any

import yaml


def ints(value: Any) -> Any:
    """A deep copy of ``value`` with every whole float turned back into an int (``2.0`` -> ``2``;
    ``2.5``, booleans and strings unchanged)."""
    if isinstance(value, dict):
        return {key: ints(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [ints(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def drop_nulls(value: Any) -> Any:
    """A deep copy of ``value`` without ``None`` mapping values (list items are kept)."""
    if isinstance(value, dict):
        return {key: drop_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list | tuple):
        return [drop_nulls(item) for item in value]
    return value


def clean(manifest: dict[str, Any]) -> dict[str, Any]:
    """``ints(drop_nulls(manifest))``: what the API server would validate."""
    return ints(drop_nulls(manifest))


def name(manifest: dict[str, Any]) -> str:
    """``Kind/namespace/name`` of a manifest, for messages."""
    metadata = manifest.get("metadata") or {}
    parts = [manifest.get("kind", "?"), metadata.get("namespace"), metadata.get("name", "?")]
    return "/".join(str(part) for part in parts if part)


def group_version(manifest: dict[str, Any]) -> tuple[str, str]:
    """``(group, version)`` of the manifest's apiVersion (group '' for the core group)."""
    api_version = str(manifest.get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    return group, version


def dump(manifests: list[dict[str, Any]]) -> str:
    """YAML documents, as ``kubectl apply -f`` reads them."""
    return yaml.safe_dump_all(manifests, sort_keys=False)
