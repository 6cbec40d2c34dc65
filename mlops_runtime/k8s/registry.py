"""The model registry as versioned manifests in the object store.

``registry/<model>/group.json`` says the model's registry exists (the controller creates it at
start-up, as Pulumi creates a SageMaker package group, so the first candidate is gated with "no
champion" rather than failed with "no such group"); each version is one immutable-numbered
manifest, ``registry/<model>/versions/<N>/manifest.json``:

```json
{"schema_version": 1, "model": "churn", "version": 3, "status": "Approved",
 "created_at": 1767582720.0, "created_at_iso": "2026-01-05T03:12:00.000Z",
 "metadata": {"mlops:verdict": "passed", "mlops:metric.auc": "0.91", ...},
 "evaluation": {... evaluation.json ...}, "quality_report_uri": "s3://.../evaluation.json",
 "image": "registry.example/churn@sha256:...", "artifact_uri": "s3://.../model.tar.gz",
 "lineage": {...}, "approvals": [{"status": "Approved", "by": "gate", "at": "...", "reason": "..."}]}
```

A version number is allocated by creating its manifest with ``If-None-Match: *``: two runs
registering at once get two numbers (the loser takes the next). Status and metadata changes
are read-merge-write with ``If-Match: <etag>``. A package's ``arn`` is its folder's URI
(``s3://bucket/prefix/registry/<model>/versions/<N>``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mlops_runtime.aws.clients import error_code, split_s3_uri
from mlops_runtime.core.clock import iso, utcnow
from mlops_runtime.core.ports import (
    GroupNotFound,
    ModelRegistry,
    Package,
    PackageRef,
    RegistryWriter,
)
from mlops_runtime.k8s.store import MISSING, Bucket

STATUSES = ("Approved", "PendingManualApproval", "Rejected")
SCHEMA_VERSION = 1
WRITE_ATTEMPTS = 20


class RegistryConflict(RuntimeError):
    """A manifest kept changing under this writer."""


class ObjectRegistry(ModelRegistry, RegistryWriter):
    """``ModelRegistry`` and ``RegistryWriter`` on manifests; ``register`` and ``set_status``
    are what the training Job's register step and ``mlops approve`` call."""

    def __init__(self, bucket: Bucket) -> None:
        self.bucket = bucket

    # --- groups and versions --------------------------------------------------------------

    def ensure_group(self, model: str, now: datetime | None = None) -> bool:
        """Create the model's registry if missing; True when it was created now."""
        moment = now or utcnow()
        marker = {"schema_version": SCHEMA_VERSION, "model": model, "created_at": iso(moment)}
        return self.bucket.create(f"registry/{model}/group.json", marker) is not None

    def register(
        self,
        model: str,
        *,
        status: str,
        metadata: Mapping[str, str],
        image: str,
        artifact_uri: str,
        evaluation: Mapping[str, Any] | None = None,
        quality_report_uri: str | None = None,
        lineage: Mapping[str, Any] | None = None,
        reason: str = "",
        now: datetime | None = None,
    ) -> str:
        """Add a version with the next free number; its ``arn``."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        self._require_group(model)
        moment = now or utcnow()
        manifest: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "model": model,
            "status": status,
            "created_at": moment.timestamp(),
            "created_at_iso": iso(moment),
            "metadata": dict(metadata),
            "evaluation": dict(evaluation) if evaluation is not None else None,
            "quality_report_uri": quality_report_uri,
            "image": image,
            "artifact_uri": artifact_uri,
            "approvals": [
                {"status": status, "by": "register", "at": iso(moment), "reason": reason}
            ],
        }
        if lineage is not None:
            manifest["lineage"] = dict(lineage)
        version = max(self._versions(model), default=0) + 1
        for _ in range(WRITE_ATTEMPTS):
            manifest["version"] = version
            if self.bucket.create(self._manifest_key(model, version), manifest) is not None:
                return self._arn(model, version)
            version += 1  # another run took this number
        raise RegistryConflict(f"no free version number for {model} after {WRITE_ATTEMPTS} tries")

    def set_status(
        self,
        arn: str,
        status: str,
        *,
        by: str,
        reason: str = "",
        metadata: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> Package:
        """Approve, reject or hold a version (``mlops approve`` / ``reject``), adding
        ``metadata`` to the version's; the package. One read-merge-write with ``If-Match``."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
        entry = {"status": status, "by": by, "at": iso(now or utcnow()), "reason": reason}
        added = dict(metadata or {})

        def change(manifest: dict[str, Any]) -> dict[str, Any]:
            approvals = [*manifest.get("approvals", []), entry]
            merged = {**manifest.get("metadata", {}), **added}
            return {**manifest, "status": status, "approvals": approvals, "metadata": merged}

        return self._package(self._update(arn, change))

    # --- ModelRegistry ----------------------------------------------------------------------

    def latest_approved(self, group: str) -> PackageRef | None:
        approved = self.approved_packages(group)
        return approved[0] if approved else None

    def approved_packages(self, group: str) -> list[PackageRef]:
        self._require_group(group)
        found = []
        for version in self._versions(group):
            document = self.bucket.read(self._manifest_key(group, version))
            if document is not None and document.body.get("status") == "Approved":
                created = float(document.body.get("created_at", 0))
                found.append(PackageRef(self._arn(group, version), version, created))
        found.sort(key=lambda ref: (ref.created_at, ref.version), reverse=True)
        return found

    def version_arn(self, model: str, version: int) -> str:
        """The id of ``model``'s ``version`` (LookupError when there is no such version)."""
        if self.bucket.read(self._manifest_key(model, version)) is None:
            raise LookupError(f"model {model} has no version {version} in {self.bucket.uri('')}")
        return self._arn(model, version)

    def package(self, arn: str) -> Package:
        model, version = self._parse(arn)
        document = self.bucket.read(self._manifest_key(model, version))
        if document is None:
            raise LookupError(f"no model version {arn}")
        return self._package(document.body)

    def manifest(self, arn: str) -> dict[str, Any]:
        """The whole manifest of a version (``mlops lineage``, the Rollout patch)."""
        model, version = self._parse(arn)
        document = self.bucket.read(self._manifest_key(model, version))
        if document is None:
            raise LookupError(f"no model version {arn}")
        return document.body

    def quality_report(self, uri: str) -> Mapping[str, Any]:
        bucket, key = split_s3_uri(uri)
        try:
            body = self.bucket.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except Exception as error:
            if error_code(error) in MISSING:
                raise LookupError(f"no report at {uri}") from error
            raise
        report = json.loads(body)
        return report if isinstance(report, dict) else {}

    # --- RegistryWriter ---------------------------------------------------------------------

    def set_metadata(self, arn: str, values: Mapping[str, str]) -> None:
        self._update(arn, lambda m: {**m, "metadata": {**m.get("metadata", {}), **values}})

    # --- helpers ----------------------------------------------------------------------------

    def _update(self, arn: str, change: Any) -> dict[str, Any]:
        model, version = self._parse(arn)
        key = self._manifest_key(model, version)
        for _ in range(WRITE_ATTEMPTS):
            current = self.bucket.read(key)
            if current is None:
                raise LookupError(f"no model version {arn}")
            changed = change(dict(current.body))
            if self.bucket.replace(key, changed, current.etag) is not None:
                return dict(changed)
        raise RegistryConflict(f"{arn} changed {WRITE_ATTEMPTS} times while being updated")

    def _package(self, manifest: Mapping[str, Any]) -> Package:
        model, version = str(manifest["model"]), int(manifest["version"])
        return Package(
            arn=self._arn(model, version),
            version=version,
            status=str(manifest["status"]),
            metadata=dict(manifest.get("metadata") or {}),
            quality_report_uri=manifest.get("quality_report_uri"),
            image=manifest.get("image"),
            model_data_url=manifest.get("artifact_uri"),
        )

    def _require_group(self, model: str) -> None:
        if self.bucket.read(f"registry/{model}/group.json") is None:
            raise GroupNotFound(
                f"model registry {self.bucket.uri(f'registry/{model}/')} does not exist"
            )

    def _versions(self, model: str) -> list[int]:
        found = []
        for key in self.bucket.keys(f"registry/{model}/versions/"):
            parts = key.split("/")
            if len(parts) == 5 and parts[4] == "manifest.json" and parts[3].isdigit():
                found.append(int(parts[3]))
        return sorted(found)

    @staticmethod
    def _manifest_key(model: str, version: int) -> str:
        return f"registry/{model}/versions/{version}/manifest.json"

    def _arn(self, model: str, version: int) -> str:
        return self.bucket.uri(f"registry/{model}/versions/{version}")

    def _parse(self, arn: str) -> tuple[str, int]:
        prefix = self.bucket.uri("registry/")
        rest = arn[len(prefix) :] if arn.startswith(prefix) else ""
        parts = rest.split("/")
        if len(parts) != 3 or parts[1] != "versions" or not parts[2].isdigit():
            raise LookupError(f"{arn!r} is not a model version of {prefix}")
        return parts[0], int(parts[2])
