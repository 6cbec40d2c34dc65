"""``python -m mlops_runtime.k8s.batch``: one scheduled run of a batch model on Kubernetes.

The main container of the batch CronJob's Job (``mlops_spec.plan.k8s.batch``). Beside it the
model's own image serves the pinned package under the SageMaker hosting contract (a native
sidecar on ``model_url``). The run does what the AWS batch pipeline does after CreateModel:

1. waits for ``GET /ping`` (``ping_deadline_seconds``);
2. lists ``input_uri`` (recursively, in key order); with ``features`` (a data-source input)
   every object is first reduced to the model's features as headerless CSV by the AWS
   PrepareFeatures job's own code (``mlops_runtime.jobs.batch_features.prepare_file``:
   hidden, ``_``-prefixed and empty objects skipped, objects without rows give no output);
3. transforms each (``mlops_runtime.k8s.transform``: split by line, ``batch_strategy``
   within ``max_payload_mb``) and puts ``<output_uri><run>/<relative path>.out`` (SSE-KMS
   with ``kms_key_id``), where the Transform step puts ``<output>/<execution id>/...``.
   ``<run>`` is ``$MLOPS_RUN``, the Job's name.

Each object goes through the pod's ``/tmp`` (downloaded, prepared, transformed, uploaded,
removed): no object is held in memory. An output is uploaded only once complete, and a run
that fails removes the outputs it had put, so a run's folder is either whole or absent
(unless the pod itself is killed: the Job's status is the verdict). Exit 0 when every object
was scored, 1 when the run failed (logged as one JSON line), 2 for a bad configuration.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from mlops_runtime.aws.clients import split_s3_uri
from mlops_runtime.contract.batch import BatchFeaturesConfig
from mlops_runtime.contract.batch_job import RUN_ENV, BatchJobConfig
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.core.logs import get_logger, log
from mlops_runtime.jobs.batch_features import BatchFeaturesError, prepare_file
from mlops_runtime.k8s.transform import (
    ModelClient,
    TransformError,
    TransformSpec,
    output_name,
    transform_file,
)

_LOG = get_logger("batch")
EXIT_FAILED = 1
EXIT_CONFIG = 2


class BatchError(RuntimeError):
    """The run cannot score its input as configured."""


FAILURES = (TransformError, BatchError, BatchFeaturesError, ClientError, BotoCoreError, OSError)
"""What fails a run (exit 1, one JSON log line): the model, the input, the store, the disk."""


@dataclass(frozen=True)
class Scored:
    """What one run wrote."""

    outputs: tuple[str, ...]
    """The keys put under the run's folder."""
    records: int
    skipped: tuple[str, ...]
    """Relative paths of objects without rows (data-source inputs)."""


@dataclass(frozen=True)
class _Input:
    key: str
    relative: str


def inputs(s3: Any, uri: str, data_source: bool) -> list[_Input]:
    """The objects under ``uri`` in key order, with their paths relative to it; folder
    markers skipped, and for a data source what its jobs skip (hidden, ``_``, empty)."""
    bucket, prefix = split_s3_uri(uri)
    found = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = str(item["Key"])
            relative = key[len(prefix) :].lstrip("/")
            if not relative or key.endswith("/"):
                continue
            parts = PurePosixPath(relative).parts
            if ".." in parts:
                raise BatchError(f"object s3://{bucket}/{key} leaves the input prefix")
            hidden = any(part.startswith((".", "_")) for part in parts)
            if data_source and (hidden or item.get("Size", 0) == 0):
                continue
            found.append(_Input(key, relative))
    return sorted(found, key=lambda i: i.key)


def spec_of(config: BatchJobConfig) -> TransformSpec:
    """The transform's parameters (the AWS Transform step's)."""
    return TransformSpec(
        content_type=config.content_type,
        batch_strategy=config.batch_strategy,  # type: ignore[arg-type]
        max_payload_mb=config.max_payload_mb,
    )


def run_folder(config: BatchJobConfig, run: str) -> tuple[str, str]:
    """(bucket, key prefix) of this run's outputs: ``<output_uri>/<run>/``."""
    bucket, prefix = split_s3_uri(config.output_uri)
    base = prefix.rstrip("/")
    return bucket, f"{base}/{run}/" if base else f"{run}/"


def score(config: BatchJobConfig, run: str, s3: Any, client: ModelClient, work: Path) -> Scored:
    """Score every input object (see the module doc); removes its outputs when it fails."""
    client.wait_ready(config.ping_deadline_seconds)
    found = inputs(s3, config.input_uri, data_source=config.features is not None)
    if not found:
        raise BatchError(f"no input objects under {config.input_uri}")
    bucket, folder = run_folder(config, run)
    written: list[str] = []
    records, skipped = 0, []
    try:
        for item in found:
            count = _score_one(config, s3, client, item, work, (bucket, folder))
            if count is None:
                skipped.append(item.relative)
                continue
            written.append(folder + output_name(item.relative))
            records += count
        if not written:
            raise BatchError(f"no rows to score: the objects under {config.input_uri} hold no "
                             f"data rows ({len(skipped)} without any)")  # fmt: skip
    except BaseException:
        _remove(s3, bucket, written)
        raise
    return Scored(tuple(written), records, tuple(skipped))


def _score_one(
    config: BatchJobConfig,
    s3: Any,
    client: ModelClient,
    item: _Input,
    work: Path,
    target: tuple[str, str],
) -> int | None:
    """Download, [prepare,] transform and put one object; its records (None: no rows)."""
    bucket, _ = split_s3_uri(config.input_uri)
    with _scratch(work) as scratch:
        name = PurePosixPath(item.relative).name  # it says gzip (.gz) to the readers
        local = scratch / "input" / name
        local.parent.mkdir()
        s3.download_file(bucket, item.key, str(local))
        source = local
        if config.features is not None:
            source = scratch / "prepared.csv"  # plain CSV whatever the object's name says
            features = BatchFeaturesConfig(
                model_id=config.model_id, features=config.features, format=config.format or ""
            )
            if prepare_file(features, local, source) == 0:
                return None
        out = scratch / "output" / output_name(name)
        count = transform_file(client, spec_of(config), source, out)
        out_bucket, folder = target
        key = folder + output_name(item.relative)
        s3.upload_file(str(out), out_bucket, key, ExtraArgs=_encryption(config))
    return count


class _scratch:
    """A fresh folder under ``work`` for one object, removed afterwards."""

    def __init__(self, work: Path) -> None:
        self._path = Path(tempfile.mkdtemp(prefix="object-", dir=work))

    def __enter__(self) -> Path:
        return self._path

    def __exit__(self, *_: object) -> None:
        shutil.rmtree(self._path, ignore_errors=True)


def _encryption(config: BatchJobConfig) -> dict[str, str]:
    if not config.kms_key_id:
        return {}
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": config.kms_key_id}


def _remove(s3: Any, bucket: str, keys: list[str]) -> None:
    """Best effort: the outputs a failed run had put."""
    for start in range(0, len(keys), 1000):
        chunk = [{"Key": key} for key in keys[start : start + 1000]]
        try:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
        except (ClientError, BotoCoreError) as error:
            log(_LOG, "could not remove a failed run's outputs", logging.ERROR, error=str(error))


def _config(env: Mapping[str, str]) -> tuple[BatchJobConfig, str]:
    config = BatchJobConfig.from_env(env)
    run = env.get(RUN_ENV, "")
    if not run or "/" in run:
        raise ConfigError(f"{RUN_ENV} must name the run (the Job's name), got {run!r}")
    return config, run


def main(env: Mapping[str, str] | None = None) -> int:
    environ = os.environ if env is None else env
    try:
        config, run = _config(environ)
    except ConfigError as error:
        log(_LOG, "bad batch configuration", logging.ERROR, error=str(error))
        return EXIT_CONFIG
    work = Path(tempfile.mkdtemp(prefix="batch-"))
    try:
        with ModelClient(config.model_url) as client:
            scored = score(config, run, boto3.client("s3"), client, work)
    except FAILURES as error:
        log(_LOG, "batch run failed", logging.ERROR, model=config.model_id, run=run,
            error=f"{type(error).__name__}: {error}")  # fmt: skip
        return EXIT_FAILED
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(_LOG, "batch run scored", model=config.model_id, run=run, outputs=len(scored.outputs),
        records=scored.records, skipped=len(scored.skipped))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
