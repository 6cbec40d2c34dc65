"""Built-in kinds against kubernetes-validate's strict schemas, at the versions we support.

Supported Kubernetes versions: ``OLDEST`` (1.29: the first with native sidecar containers,
``initContainers[].restartPolicy: Always``, on by default, which the batch tier uses) to the
newest the installed kubernetes-validate knows (1.37 with kubernetes-validate 1.37). Strict
schemas refuse unknown fields, wrong types and missing required fields; they do not check
enums, quantities, cron syntax or anything an admission webhook decides.

The validators are built once per (version, kind) and cached (kubernetes-validate's own
``validate`` reloads its schema files on every call).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jsonschema
import referencing
from kubernetes_validate import utils
from packaging.version import Version

from tests.k8s.manifests import clean, name

OLDEST = "1.29"
NEWEST = utils.major_minor(utils.latest_version())
VERSIONS = (OLDEST, NEWEST)


class NoSchema(LookupError):
    """kubernetes-validate has no schema for this kind (a custom resource, or a typo)."""


def _schema_version(version: str) -> str:
    """The newest schema directory not newer than ``version`` (as kubernetes-validate picks)."""
    wanted = Version(version)
    known = sorted({Version(v) for v in utils.all_versions()})
    if wanted > Version(NEWEST) or wanted < Version(utils.major_minor(str(known[0]))):
        raise ValueError(f"kubernetes-validate has no schemas for Kubernetes {version}")
    return str([v for v in known if v <= wanted][-1])


@functools.cache
def _validator(version: str, kind: str, api_version: str) -> jsonschema.Draft202012Validator:
    schema_dir = f"v{_schema_version(version)}-local-strict"
    # rbac.authorization.k8s.io/v1 -> rbac-v1, apps/v1 -> apps-v1, v1 -> v1
    suffix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = utils.schema_contents(
            f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{suffix}.json", version
        )
    except FileNotFoundError:
        raise NoSchema(f"no built-in schema for {api_version} {kind} in {version}") from None
    definitions = utils.schema_contents(
        f"kubernetes-json-schema/{schema_dir}/_definitions.json", version
    )
    # Both documents carry their $id; the kind's $refs resolve into the definitions.
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (document["$id"], referencing.Resource.from_contents(document))
        for document in (schema, definitions)
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


def is_builtin(manifest: dict[str, Any], version: str = NEWEST) -> bool:
    """Whether kubernetes-validate knows the manifest's kind at ``version``."""
    try:
        _validator(version, str(manifest.get("kind")), str(manifest.get("apiVersion")))
    except NoSchema:
        return False
    return True


def errors(manifest: dict[str, Any], versions: tuple[str, ...] = VERSIONS) -> list[str]:
    """Every schema error of a built-in manifest at each of ``versions`` (empty: valid), after
    ``clean`` (nulls dropped, whole floats as ints). Raises ``NoSchema`` for a kind
    kubernetes-validate does not know, never passes it silently."""
    body = clean(manifest)
    found = []
    for version in versions:
        validator = _validator(version, str(body.get("kind")), str(body.get("apiVersion")))
        for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path))):
            path = ".".join(str(part) for part in error.path) or "<root>"
            found.append(f"{name(body)} (Kubernetes {version}) {path}: {error.message}")
    return found
