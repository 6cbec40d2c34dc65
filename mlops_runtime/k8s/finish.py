"""``python -m mlops_runtime.k8s.finish``: the training Job's register container.

Runs after the user's ``train`` container wrote ``/opt/ml/model`` (configuration
``FinishConfig`` in ``MLOPS_RUNTIME_CONFIG``; the run's Job name in ``MLOPS_RUN``, the trigger's
reason and id in ``MLOPS_TRIGGER_REASON`` and ``MLOPS_TRIGGER_ID``), the AWS pipeline's steps
after Train:

1. packs ``/opt/ml/model`` into ``<artifacts_uri><run>/model.tar.gz`` (SageMaker's artifact);
2. with a gate (``FinishConfig.gate``, ``mlops_runtime.k8s.gate``): prepares the holdout,
   scores it against the candidate's model server (the Job's native sidecar), evaluates and
   applies the gate against the registry's champion; ``evaluation.json`` goes to
   ``<artifacts_uri><run>/evaluation.json``;
3. when the gate passed (or there is none), profiles the training channel with the profile
   job's code into ``<references_uri><run>/`` (``profile.json``, and the holdout predictions'
   ``predictions.json`` with a gate): the version's drift references, also written to
   ``current_references_uri`` for a model no controller deploys (the AWS Profile step's);
4. with a lineage record (``FinishConfig.lineage``): the inputs listed by ``lineage-inputs``,
   listed again, with the evaluation and the planner's facts, to
   ``<records_uri><run>/lineage.json`` and into the version;
5. registers the version (``register.register_candidate``): ``Approved`` or
   ``PendingManualApproval`` when the gate passed, ``Rejected`` with its reasons when not.

Exit 2 on a bad configuration, 3 when the candidate cannot be scored (the holdout cannot be
read or prepared, the model server refuses a request or its answers do not pair with the
holdout: the Job's ``podFailurePolicy`` fails the Job rather than train again), 1 when another
step fails (the store or the model server unreachable: the Job retries the pod).
"""

from __future__ import annotations

import io
import json
import logging
import os
import sys
import tarfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mlops_runtime import profile_job
from mlops_runtime.aws.clients import split_s3_uri
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.contract.controller import FinishConfig
from mlops_runtime.contract.events import REASON_PARAMETER, TRIGGER_ID_PARAMETER
from mlops_runtime.contract.lineage import UNKNOWN
from mlops_runtime.core import lineage as core_lineage
from mlops_runtime.core.clock import utcnow
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.drift import DriftInputError
from mlops_runtime.evaluate import EvaluationError
from mlops_runtime.jobs.holdout import HoldoutError
from mlops_runtime.k8s import gate
from mlops_runtime.k8s import lineage as k8s_lineage
from mlops_runtime.k8s.jobs import parameter_env
from mlops_runtime.k8s.register import register_candidate
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_runtime.k8s.store import Bucket, s3_client
from mlops_runtime.k8s.transform import ModelClientError

_LOG = get_logger("finish")
EXIT_UNSCORABLE = 3
UNSCORABLE = (EvaluationError, HoldoutError, DriftInputError, ModelClientError)
"""Failures that training again would not change."""
WORK = "gate"
"""``<root>/gate/``: the gate's files, on the Job's volume."""
EVALUATION_FILE = "evaluation.json"


@dataclass(frozen=True)
class Run:
    """What the Job tells this run: its name, the trigger's reason and id."""

    name: str
    reason: str = "manual"
    trigger_id: str = UNKNOWN


def pack(model_dir: Path) -> bytes:
    """``model_dir``'s files as a gzipped tar with the files at its root (SageMaker's layout)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path in sorted(model_dir.rglob("*")):
            if path.is_file():
                archive.add(path, arcname=str(path.relative_to(model_dir)))
    return buffer.getvalue()


def put(s3: Any, uri: str, body: bytes) -> str:
    bucket, key = split_s3_uri(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return uri


def references(config: FinishConfig, run: str, s3: Any, evaluated: Path | None) -> str | None:
    """The drift references of the run (profile, and the holdout predictions with a gate),
    also written to the model's current ones when no controller promotes them."""
    if config.profile is None:
        return None
    root, prefix = Path(config.root), f"{config.references_uri}{run}/"
    folder = root / WORK / "profile"
    source = root / "input" / "data" / str(config.profile_channel)
    profile_job.run(config.profile, source, folder, evaluation_dir=evaluated or folder)
    for target in filter(None, (prefix, config.current_references_uri)):
        for path in sorted(folder.iterdir()):
            put(s3, f"{target}{path.name}", path.read_bytes())
    return prefix


def record(
    config: FinishConfig, run: Run, s3: Any, artifact: str, evaluation: Any, now: datetime
) -> tuple[dict[str, Any] | None, str | None]:
    """The run's lineage record, stored at its URI; ``(None, None)`` without lineage."""
    if config.lineage is None:
        return None, None
    path = k8s_lineage.inputs_path(config.root)
    inputs = json.loads(path.read_text(encoding="utf-8"))
    facts = k8s_lineage.run_facts(config.lineage, run.name, run.reason, run.trigger_id, artifact)
    reader = k8s_lineage.StoreInputReader(s3)
    built = k8s_lineage.record(config.lineage, facts, inputs, reader, evaluation, now)
    uri = put(s3, k8s_lineage.record_uri(config.lineage, run.name), core_lineage.serialise(built))
    return built, uri


def finish(config: FinishConfig, run: Run, s3: Any, now: datetime | None = None) -> tuple[str, str]:
    """The steps above; ``(version arn, status)``."""
    root = Path(config.root)
    artifact = put(s3, f"{config.artifacts_uri}{run.name}/model.tar.gz", pack(root / "model"))
    registry = ObjectRegistry(Bucket.from_settings(config.store, s3))
    evaluation, report, evaluated = None, None, None
    if config.gate is not None:
        scored = gate.run(config.gate, s3, registry, root / WORK)
        evaluation, evaluated = scored.evaluation, scored.folder
        body = (evaluated / EVALUATION_FILE).read_bytes()
        report = put(s3, f"{config.artifacts_uri}{run.name}/{EVALUATION_FILE}", body)
    passed = evaluation is None or bool(evaluation["gate"]["passed"])
    reference = references(config, run.name, s3, evaluated) if passed else None
    lineage, lineage_uri = record(config, run, s3, artifact, evaluation, now or utcnow())
    return register_candidate(
        registry,
        config.model_id,
        image=config.image,
        artifact_uri=artifact,
        evaluation=evaluation,
        report_uri=report,
        reference_uri=reference,
        trigger_reason=run.reason,
        manual_approval=config.manual_approval,
        lineage=lineage,
        lineage_uri=lineage_uri,
        now=now,
    )


def run_of(environ: Any) -> Run:
    """The run from the Job's environment (``MLOPS_RUN`` required)."""
    return Run(
        name=environ["MLOPS_RUN"],
        reason=environ.get(parameter_env(REASON_PARAMETER)) or "manual",
        trigger_id=environ.get(parameter_env(TRIGGER_ID_PARAMETER)) or UNKNOWN,
    )


def main() -> int:
    try:
        config = FinishConfig.from_env()
        run = run_of(os.environ)
    except (ConfigError, ValueError, KeyError) as error:
        log(_LOG, "invalid register configuration", logging.ERROR, error=str(error))
        return 2
    try:
        arn, status = finish(config, run, s3_client(config.store))
    except UNSCORABLE as error:
        log(_LOG, "the candidate cannot be scored", logging.ERROR,
            error=f"{type(error).__name__}: {error}")  # fmt: skip
        return EXIT_UNSCORABLE
    except Exception as error:
        log(
            _LOG,
            "registering the run failed",
            logging.ERROR,
            error=f"{type(error).__name__}: {error}",
        )
        return 1
    log(_LOG, "version registered", model=config.model_id, version=arn, status=status,
        run=run.name)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
