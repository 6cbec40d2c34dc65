"""The lineage record on the cluster: the AWS record's code (``core.lineage``) over the object
store, and ``python -m mlops_runtime.k8s.lineage`` (the training Job's ``lineage-inputs`` init
container, the AWS pipeline's Inputs step).

``lineage-inputs`` runs before ``fetch-inputs`` with the register container's ``FinishConfig``
and writes ``<root>/lineage/inputs.json``: every object under each channel and the holdout at
its current version (``ListObjectVersions``: key, version id, ETag, size) and the training
image as the spec pins it. The register container lists the sources again (objects changed
while the run read them), builds the record with the evaluation and the planner's facts, and
stores it beside the run's artifact and in the version's manifest.

**The image's digest.** A pod cannot learn which image bytes its ``train`` container ran
without reading its own status from the API server, and RBAC cannot grant ``get`` on one
generated pod name: the Role would read every pod of the namespace. So the cluster records the
digest the spec pins (``image@sha256:...``): the kubelet pulls exactly those bytes, for
training and for serving the version (the manifest's ``image``). A tag is recorded with
``digest`` null and ``unresolved`` saying why; ``--verify`` cannot check an image registry it
has no credentials for and says ``unverified``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_runtime.aws.lineage import AwsInputReader
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.contract.controller import FinishConfig, FinishLineage
from mlops_runtime.contract.lineage import INPUTS_FILE, RECORD_FILE
from mlops_runtime.core import lineage
from mlops_runtime.core.clock import iso, utcnow
from mlops_runtime.core.lineage import ImageName, RunFacts
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.k8s.store import s3_client

_LOG = get_logger("lineage")
FOLDER = "lineage"
"""``<root>/lineage/``: the inputs snapshot, on the Job's shared volume."""
TAG_ONLY = (
    "a tag on the cluster: pin the training image by digest (image@sha256:...) for the record "
    "to name the bytes that ran"
)


class StoreInputReader(AwsInputReader):
    """Objects through the store's S3 API (versions as S3 lists them); no image registry."""

    def __init__(self, s3: Any) -> None:
        super().__init__(s3, ecr=None)

    def image_digest(self, image: ImageName, tag: str | None) -> str | None:
        raise NotImplementedError("the cluster's image registry is not read")


def image_section(uri: str, now: datetime) -> dict[str, Any]:
    """The image as the spec names it: its pinned digest, or ``unresolved`` for a tag."""
    named, _, pinned = uri.partition("@")
    last = named.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else None
    digest = pinned if pinned.startswith("sha256:") else None
    return {
        "uri": uri,
        "tag": tag,
        "digest": digest,
        "resolved_uri": uri,
        "resolved_at": iso(now),
        "unresolved": None if digest else TAG_ONLY,
    }


def snapshot(settings: FinishLineage, reader: StoreInputReader, now: datetime) -> dict[str, Any]:
    """``inputs.json``: the image and every source's objects at their current versions."""
    config = settings.config
    data = [lineage.manifest(reader, s.name, s.uri, s.roles, now) for s in config.sources]
    return {"image": image_section(config.image, now), "data": data}


def record(
    settings: FinishLineage,
    facts: RunFacts,
    inputs: Mapping[str, Any],
    reader: StoreInputReader,
    evaluation: Mapping[str, Any] | None,
    now: datetime,
) -> dict[str, Any]:
    """The run's record (``core.lineage.build_record``, the AWS Lineage step's)."""
    return lineage.build_record(
        settings.config,
        facts,
        inputs,
        evaluation=evaluation,
        changed=lineage.changes(reader, inputs["data"]),
        now=now,
    )


def run_facts(
    settings: FinishLineage, run: str, reason: str, trigger_id: str, artifact: str
) -> RunFacts:
    """What only this run knows: the planner's facts, the Job (the trigger audits its name as
    the run's ``execution_arn``), the trigger and the artifact."""
    return RunFacts(
        spec_sha256=settings.spec_sha256,
        commit=settings.commit,
        stack=settings.stack,
        trigger_reason=reason,
        trigger_id=trigger_id,
        execution_arn=run,
        training_job=run,
        model_artifacts=artifact,
    )


def record_uri(settings: FinishLineage, run: str) -> str:
    return f"{settings.config.records_uri}{run}/{RECORD_FILE}"


def inputs_path(root: str | Path) -> Path:
    return Path(root) / FOLDER / INPUTS_FILE


def main() -> int:
    """``lineage-inputs``: write the snapshot; exit 2 on a bad configuration, 1 on a failure."""
    try:
        config = FinishConfig.from_env()
        if config.lineage is None:
            raise ConfigError("lineage is not configured: nothing to record")
    except ConfigError as error:
        log(_LOG, "invalid lineage configuration", logging.ERROR, error=str(error))
        return 2
    try:
        inputs = snapshot(config.lineage, StoreInputReader(s3_client(config.store)), utcnow())
        path = inputs_path(config.root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(inputs, sort_keys=True), encoding="utf-8")
    except Exception as error:
        log(_LOG, "listing the inputs failed", logging.ERROR,
            error=f"{type(error).__name__}: {error}")  # fmt: skip
        return 1
    objects = sum(d["count"] for d in inputs["data"])
    log(_LOG, "inputs listed", model=config.model_id, objects=objects)
    return 0


if __name__ == "__main__":
    sys.exit(main())
