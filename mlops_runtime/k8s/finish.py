"""``python -m mlops_runtime.k8s.finish``: the training Job's register container.

Runs after the user's ``train`` container wrote ``/opt/ml/model`` (configuration
``FinishConfig`` in ``MLOPS_RUNTIME_CONFIG``; the run's Job name in ``MLOPS_RUN``, the trigger's
reason in ``MLOPS_TRIGGER_REASON``):

1. packs ``/opt/ml/model`` into ``<artifacts_uri><run>/model.tar.gz`` (SageMaker's artifact);
2. profiles the training channel with the profile job's code into
   ``<references_uri><run>/profile.json`` (the version's drift reference);
3. registers the version (``register.register_candidate``): ``Approved``, or
   ``PendingManualApproval`` where a person approves.

Not here yet: the gate. On AWS the candidate's serving container scores the holdout (a batch
transform) before the gate; on Kubernetes that step is not built, so the planner must not
send a gated model here (a configuration cannot even ask for it). Exit 2 on a bad
configuration, 1 when a step fails.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from mlops_runtime import profile_job
from mlops_runtime.aws.clients import split_s3_uri
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.contract.controller import FinishConfig
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.k8s.register import register_candidate
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.store import Bucket, s3_client

_LOG = get_logger("finish")


def pack(model_dir: Path) -> bytes:
    """``model_dir``'s files as a gzipped tar with the files at its root (SageMaker's layout)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(model_dir.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=str(path.relative_to(model_dir)))
    return buffer.getvalue()


def finish(config: FinishConfig, run: str, reason: str, s3: Any) -> tuple[str, str]:
    """The three steps above; ``(version arn, status)``."""
    root = Path(config.root)
    artifact = f"{config.artifacts_uri}{run}/model.tar.gz"
    bucket, key = split_s3_uri(artifact)
    s3.put_object(Bucket=bucket, Key=key, Body=pack(root / "model"))
    reference = None
    if config.profile is not None:
        with tempfile.TemporaryDirectory() as folder:
            source = root / "input" / "data" / str(config.profile_channel)
            profile_job.run(config.profile, source, folder, evaluation_dir=folder)
            reference = f"{config.references_uri}{run}/"
            bucket, key = split_s3_uri(f"{reference}{profile_job.PROFILE_FILE}")
            body = (Path(folder) / profile_job.PROFILE_FILE).read_bytes()
            s3.put_object(Bucket=bucket, Key=key, Body=body)
    registry = ObjectRegistry(Bucket.from_settings(config.store, s3))
    return register_candidate(
        registry,
        config.model_id,
        image=config.image,
        artifact_uri=artifact,
        evaluation=None,
        report_uri=None,
        reference_uri=reference,
        trigger_reason=reason,
        manual_approval=config.manual_approval,
    )


def main() -> int:
    try:
        config = FinishConfig.from_env()
        run = os.environ["MLOPS_RUN"]
    except (ConfigError, ValueError, KeyError) as error:
        log(_LOG, "invalid register configuration", logging.ERROR, error=str(error))
        return 2
    reason = os.environ.get("MLOPS_TRIGGER_REASON", "manual")
    try:
        arn, status = finish(config, run, reason, s3_client(config.store))
    except Exception as error:
        log(
            _LOG,
            "registering the run failed",
            logging.ERROR,
            error=f"{type(error).__name__}: {error}",
        )
        return 1
    log(_LOG, "version registered", model=config.model_id, version=arn, status=status, run=run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
