"""Custom resources against the upstream CRD schemas vendored in ``../shared/k8s-crds/``.

The directory sits beside the repository (``<repo>/../shared/k8s-crds``, in CI as on a
developer's machine; ``$MLOPS_K8S_CRDS`` overrides it). Per its README: the YAML is loaded with
the ``tag:yaml.org,2002:value`` fix (AlertmanagerConfig's bare ``=``), the manifest's version
picks ``spec.versions[].schema.openAPIV3Schema``, nulls are dropped and whole floats made ints
(``manifests.clean``), and jsonschema's Draft 7 validates. OpenAPI's ``nullable`` becomes a
``null`` type and int-or-string an ``anyOf`` of integer and string.

Two passes: as is (what the API server's structural schema enforces), and strict, with
``additionalProperties: false`` on every object schema that lists ``properties`` and is neither
``x-kubernetes-preserve-unknown-fields`` nor ``x-kubernetes-embedded-resource`` (what
``kubectl``'s default ``fieldValidation=Strict`` refuses: a misspelled key). The resource's
``metadata`` is checked as a built-in ObjectMeta (the CRD schemas leave it open). Not checked:
CEL rules, admission webhooks, the controller's own checks, ``format`` values.
"""

from __future__ import annotations

import copy
import functools
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.k8s import builtin
from tests.k8s.manifests import clean, group_version, name

ROOT = Path(__file__).resolve().parents[2]
VENDOR = Path(__file__).resolve().parent / "vendor"
"""CRDs vendored in the repository beside the shared ones (HTTPRoute, VirtualService: see its
README)."""
INT_OR_STRING = [{"type": "integer"}, {"type": "string"}]
SCHEMA_KEYS = ("items", "additionalProperties", "not")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def crd_dir() -> Path:
    """The vendored CRDs: ``$MLOPS_K8S_CRDS``, else ``<repository>/../shared/k8s-crds``."""
    return Path(os.environ.get("MLOPS_K8S_CRDS") or ROOT.parent / "shared" / "k8s-crds")


def require_crds() -> Path:
    """The CRD directory, or skip the calling test saying where it was looked for."""
    found = crd_dir()
    if not found.is_dir():
        pytest.skip(
            f"no vendored CRD schemas at {found} (a copy of shared/k8s-crds beside the "
            "repository; set MLOPS_K8S_CRDS to point elsewhere)"
        )
    return found


class _Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader reading YAML 1.1's ``=`` (value) tag as the plain string."""


_Loader.add_constructor(
    "tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node)
)


@functools.cache
def definitions() -> dict[tuple[str, str, str], dict[str, Any]]:
    """``(group, version, kind) -> openAPIV3Schema`` of every vendored CRD version."""
    found = {}
    for path in [*sorted(require_crds().glob("*.yaml")), *sorted(VENDOR.glob("*.yaml"))]:
        with path.open(encoding="utf-8") as handle:
            crd = yaml.load(handle, Loader=_Loader)
        if not isinstance(crd, dict) or crd.get("kind") != "CustomResourceDefinition":
            continue
        spec = crd["spec"]
        for version in spec["versions"]:
            key = (spec["group"], version["name"], spec["names"]["kind"])
            found[key] = version["schema"]["openAPIV3Schema"]
    return found


def openapi_to_jsonschema(schema: Any, strict: bool) -> Any:
    """A copy of an OpenAPI v3 schema that Draft 7 reads as the API server would (see module)."""
    if isinstance(schema, list):
        return [openapi_to_jsonschema(item, strict) for item in schema]
    if not isinstance(schema, dict):
        return schema
    node = dict(schema)
    if "properties" in node:
        node["properties"] = {
            key: openapi_to_jsonschema(value, strict) for key, value in node["properties"].items()
        }
    for key in SCHEMA_KEYS:
        if isinstance(node.get(key), dict):
            node[key] = openapi_to_jsonschema(node[key], strict)
    for key in SCHEMA_LISTS:
        if isinstance(node.get(key), list):
            node[key] = openapi_to_jsonschema(node[key], strict)
    int_or_string = node.get("x-kubernetes-int-or-string") or node.get("format") == "int-or-string"
    if int_or_string and "type" not in node and "anyOf" not in node:
        node["anyOf"] = copy.deepcopy(INT_OR_STRING)
    if node.get("nullable") is True:
        if "type" in node:
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            node["type"] = [*types, "null"]
        elif "anyOf" in node:
            node["anyOf"] = [*node["anyOf"], {"type": "null"}]
    open_ended = node.get("x-kubernetes-preserve-unknown-fields") or node.get(
        "x-kubernetes-embedded-resource"
    )
    if strict and "properties" in node and "additionalProperties" not in node and not open_ended:
        node["additionalProperties"] = False
    return node


@functools.cache
def _validator(group: str, version: str, kind: str, strict: bool) -> jsonschema.Draft7Validator:
    schema = definitions().get((group, version, kind))
    if schema is None:
        known = sorted(f"{g}/{v} {k}" for g, v, k in definitions())
        raise LookupError(f"no vendored CRD for {group}/{version} {kind}; known: {known}")
    # The API server implies apiVersion, kind and metadata at the root of every CRD schema
    # (Istio's schemas leave them out; the others list them).
    implied = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {}}
    root = {**schema, "properties": {**implied, **schema.get("properties", {})}}
    return jsonschema.Draft7Validator(openapi_to_jsonschema(root, strict))


def is_custom(manifest: dict[str, Any]) -> bool:
    """Whether a vendored CRD defines the manifest's group, version and kind."""
    group, version = group_version(manifest)
    return (group, version, str(manifest.get("kind"))) in definitions()


def errors(manifest: dict[str, Any], strict: bool = True) -> list[str]:
    """Every error of a custom resource (empty: valid) after ``clean``: the schema as is, then
    (``strict``) with unknown fields refused, then its metadata as an ObjectMeta."""
    body = clean(manifest)
    group, version = group_version(body)
    kind = str(body.get("kind"))
    found: list[str] = []
    for mode in (False, True) if strict else (False,):
        label = "strict" if mode else "schema"
        validator = _validator(group, version, kind, mode)
        for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path))):
            path = ".".join(str(part) for part in error.path) or "<root>"
            message = f"{name(body)} ({label}) {path}: {error.message}"
            if message.replace("(strict)", "(schema)") not in found:
                found.append(message)
    metadata = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": body.get("metadata", {})}
    found += [
        error.replace("ConfigMap/", f"{kind}/", 1)
        for error in builtin.errors(metadata, (builtin.NEWEST,))
    ]
    return found
