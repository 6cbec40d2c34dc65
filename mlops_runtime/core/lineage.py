"""The lineage record of a model version: what made it, built and serialised back-end neutrally.

One JSON document per training run (``lineage.json``, :data:`SCHEMA_VERSION`): the training
image at its digest, a manifest of every object read (key, version id, ETag, size) per data
source, the spec's hash, the commit and stack, hyperparameters and instance, the trigger, the
evaluation. The document's SHA-256 and the short facts go on the package
(:func:`package_metadata`). The AWS adapters (``mlops_runtime.aws.lineage``) and any other back
end (an object-store registry) read the inputs through :class:`InputReader` and store the same
bytes (:func:`serialise`), so a record reads the same everywhere.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from mlops_runtime.contract.lineage import METADATA, SCHEMA_VERSION, UNKNOWN, LineageConfig
from mlops_runtime.core.clock import iso

_ECR = re.compile(
    r"^(?P<registry>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?"
    r"/(?P<repository>[^:@]+)(:(?P<tag>[^@]+))?(@(?P<digest>sha256:[0-9a-f]{64}))?$"
)
METADATA_VALUE = re.compile(r"^[\w .:/=+\-@]{1,256}$")
"""A metadata value SageMaker accepts (``[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@]``, 1-256)."""


class LineageError(RuntimeError):
    """An input of the record cannot be read (a step fails with this message)."""


@dataclass(frozen=True)
class ImageName:
    """An ECR image reference: ``<registry>.dkr.ecr.<region>.amazonaws.com/<repository>``
    with a tag and/or a digest."""

    uri: str
    registry_id: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def base(self) -> str:
        """The URI without tag or digest."""
        named = self.uri.split("@", 1)[0]
        return named.rsplit(":", 1)[0] if self.tag else named

    def at(self, digest: str) -> str:
        """The image pinned to ``digest`` (what the package's container names)."""
        return f"{self.base}@{digest}"


def parse_image(uri: str) -> ImageName | None:
    """``uri`` as an ECR reference, or None for another registry."""
    match = _ECR.match(uri)
    if not match:
        return None
    return ImageName(
        uri,
        match["registry"],
        match["region"],
        match["repository"],
        match["tag"],
        match["digest"],
    )


@dataclass(frozen=True)
class ObjectVersion:
    """One object read: its key, version id (None in an unversioned bucket), ETag, size."""

    key: str
    version_id: str | None
    etag: str
    size: int


class InputReader(Protocol):
    """What the record needs to read from a back end's object store and image registry."""

    def list_latest(self, bucket: str, prefix: str) -> list[ObjectVersion]:
        """Every object under ``prefix`` at its current version (deleted keys left out)."""
        ...

    def head(self, bucket: str, key: str, version_id: str | None) -> ObjectVersion | None:
        """The object at that version (its current one when None); None when it is gone."""
        ...

    def image_digest(self, image: ImageName, tag: str | None) -> str | None:
        """The digest ``tag`` points at now (``tag`` None: ``image.digest`` if it still
        exists); None when there is no such image."""
        ...


def resolve_image(reader: InputReader, uri: str, now: datetime) -> dict[str, Any]:
    """The image section: the spec's ``uri`` resolved to the digest it points at now. An
    image of another registry (a private one) is recorded as written: its digest when the URI
    names one, else ``digest`` null and ``unresolved`` saying why."""
    name = parse_image(uri)
    if name is None:
        pinned = uri.rpartition("@")[2] if "@sha256:" in uri else None
        return {
            "uri": uri,
            "digest": pinned,
            "resolved_uri": uri,
            "resolved_at": iso(now),
            "unresolved": None if pinned else "not an ECR image: its tag was not resolved",
        }
    digest = reader.image_digest(name, name.tag) if name.tag else name.digest
    if digest is None or (name.digest and digest != name.digest):
        raise LineageError(f"training image {uri}: not found in repository {name.repository}")
    return {
        "uri": uri,
        "registry_id": name.registry_id,
        "repository": name.repository,
        "tag": name.tag,
        "digest": digest,
        "resolved_uri": name.at(digest),
        "resolved_at": iso(now),
    }


def manifest(
    reader: InputReader, name: str, uri: str, roles: Sequence[str], now: datetime
) -> dict[str, Any]:
    """One data source's manifest: every object under ``uri`` at its current version."""
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    objects = sorted(reader.list_latest(bucket, prefix), key=lambda o: o.key)
    return {
        "source": name,
        "roles": list(roles),
        "uri": uri,
        "bucket": bucket,
        "prefix": prefix,
        "listed_at": iso(now),
        "count": len(objects),
        "total_bytes": sum(o.size for o in objects),
        "versioned": all(o.version_id for o in objects),
        "objects": [asdict(o) for o in objects],
    }


def snapshot(reader: InputReader, config: LineageConfig, now: datetime) -> dict[str, Any]:
    """What the Inputs step records before training: the image's digest, every object."""
    return {
        "image": resolve_image(reader, config.image, now),
        "data": [manifest(reader, s.name, s.uri, s.roles, now) for s in config.sources],
    }


def changes(reader: InputReader, data: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Objects of the manifests that changed since they were listed: ``added`` (a new key
    under the prefix), ``replaced`` (a newer current version), ``removed``."""
    found: list[dict[str, str]] = []
    for source in data:
        before = {o["key"]: o for o in source["objects"]}
        now = {o.key: o for o in reader.list_latest(source["bucket"], source["prefix"])}
        for key in sorted(set(before) | set(now)):
            old, new = before.get(key), now.get(key)
            change = None
            if old is None:
                change = "added"
            elif new is None:
                change = "removed"
            elif (new.version_id, new.etag) != (old["version_id"], old["etag"]):
                change = "replaced"
            if change:
                found.append({"source": source["source"], "key": key, "change": change})
    return found


def evaluation_summary(evaluation: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The gate's evidence from ``evaluation.json``: metrics, the champion (and its version),
    the verdict and its reasons; None without an evaluation step."""
    if evaluation is None:
        return None
    champion = evaluation.get("champion") or None
    arn = champion.get("model_package_arn") if champion else None
    gate = evaluation.get("gate") or {}
    return {
        "evaluated_at": evaluation.get("evaluated_at"),
        "holdout_rows": (evaluation.get("holdout") or {}).get("rows"),
        "metrics": dict(evaluation.get("metrics") or {}),
        "champion": (
            {"arn": arn, "version": package_version(arn), "metrics": champion.get("metrics", {})}
            if champion and arn
            else None
        ),
        "champion_error": evaluation.get("champion_error"),
        "gate": {k: gate.get(k) for k in ("metric", "value", "champion_value", "passed")},
        "reasons": list(gate.get("reasons") or []),
        "verdict": evaluation.get("verdict"),
    }


def package_version(arn: str | None) -> int | None:
    """``.../model-package/<group>/<version>`` -> version."""
    tail = (arn or "").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


@dataclass(frozen=True)
class RunFacts:
    """What only the run knows, passed by the pipeline (parameters, step properties)."""

    spec_sha256: str = UNKNOWN
    commit: str = UNKNOWN
    stack: str = UNKNOWN
    trigger_reason: str = "manual"
    trigger_id: str = UNKNOWN
    execution_arn: str = UNKNOWN
    training_job: str = UNKNOWN
    model_artifacts: str = UNKNOWN

    @property
    def execution_id(self) -> str:
        return self.execution_arn.rsplit("/", 1)[-1]


def build_record(
    config: LineageConfig,
    facts: RunFacts,
    inputs: Mapping[str, Any],
    *,
    evaluation: Mapping[str, Any] | None,
    changed: Sequence[Mapping[str, str]],
    now: datetime,
) -> dict[str, Any]:
    """The lineage record of one run (plain JSON data)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "system": config.system,
        "model": config.model_id,
        "package_group": config.package_group,
        "stack": facts.stack,
        "recorded_at": iso(now),
        "source": {"spec_sha256": facts.spec_sha256, "commit": facts.commit},
        "run": {
            "pipeline": config.pipeline_name,
            "execution_arn": facts.execution_arn,
            "execution_id": facts.execution_id,
            "training_job": facts.training_job,
            "model_artifacts": facts.model_artifacts,
        },
        "trigger": {"reason": facts.trigger_reason, "id": facts.trigger_id},
        "image": dict(inputs["image"]),
        "training": {
            "instance_type": config.instance_type,
            "instance_count": config.instance_count,
            "spot": config.spot,
            "hyperparameters": dict(sorted(config.hyperparameters.items())),
        },
        "data": [dict(d) for d in inputs["data"]],
        "data_changed_during_run": [dict(c) for c in changed],
        "evaluation": evaluation_summary(evaluation),
    }


def serialise(record: Mapping[str, Any]) -> bytes:
    """The stored bytes: canonical JSON (sorted keys, 2-space indent, UTF-8, final newline)."""
    return (json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def object_count(record: Mapping[str, Any]) -> int:
    return sum(int(d["count"]) for d in record["data"])


def package_metadata(record: Mapping[str, Any], uri: str, digest: str) -> dict[str, str]:
    """The short facts for the package (``CustomerMetadataProperties``), each value valid for
    SageMaker (1-256 characters of its alphabet; anything else becomes ``_``)."""
    values = {
        METADATA["uri"]: uri,
        METADATA["sha256"]: digest,
        METADATA["digest"]: record["image"]["digest"] or "unresolved",
        METADATA["objects"]: str(object_count(record)),
        METADATA["spec_sha256"]: record["source"]["spec_sha256"],
        METADATA["commit"]: record["source"]["commit"],
        METADATA["stack"]: record["stack"],
        METADATA["trigger_id"]: record["trigger"]["id"],
        METADATA["run"]: record["run"]["execution_id"],
    }
    return {key: metadata_value(value) for key, value in values.items()}


def metadata_value(value: object) -> str:
    """``value`` as a metadata value SageMaker accepts."""
    text = re.sub(r"[^\w .:/=+\-@]", "_", str(value))[:256]
    return text or UNKNOWN
