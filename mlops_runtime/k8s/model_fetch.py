"""``python -m mlops_runtime.k8s.model_fetch``: a served version's model in /opt/ml/model.

The init container of a model pod on Kubernetes. SageMaker hosting unpacks the package's
``ModelDataUrl`` (a ``model.tar.gz``) into ``/opt/ml/model`` before it starts the container;
this does the same, so an image written for SageMaker serves unchanged. The artifact is
``$MLOPS_MODEL_DATA_URL`` when set (the loop controller writes it for ``latest_approved``),
else the ``ModelDataUrl`` of the pinned package ``$MLOPS_MODEL_PACKAGE_ARN``: a SageMaker
package's ARN, or a version of the cluster's object-store registry (its id, the folder
``s3://<store>/registry/<model>/versions/<N>``, whose ``manifest.json`` names the artifact;
the version must not be Rejected). Configuration (``MLOPS_RUNTIME_CONFIG``): ``{"destination": "/opt/ml/model"}``.
Members that would land outside the destination (absolute paths, ``..``, links) are refused.
Exit 2 on a bad configuration, 1 when the artifact cannot be fetched or unpacked.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import boto3

from mlops_runtime.aws.clients import split_s3_uri
from mlops_runtime.contract.config import ENV_VAR
from mlops_runtime.contract.controller import MANIFEST_FILE
from mlops_runtime.core.logs import get_logger, log

DATA_URL_ENV = "MLOPS_MODEL_DATA_URL"
PACKAGE_ENV = "MLOPS_MODEL_PACKAGE_ARN"
_LOG = get_logger("model_fetch")


class UnsafeArchive(ValueError):
    """An archive member that would be written outside the destination."""


def artifact_uri(env: Mapping[str, str], sagemaker: Any, s3: Any = None) -> str:
    """The artifact to unpack: ``MLOPS_MODEL_DATA_URL``, else the package's ModelDataUrl
    (``s3``: the client reading an object-store registry's manifest)."""
    if env.get(DATA_URL_ENV):
        return env[DATA_URL_ENV]
    package = env.get(PACKAGE_ENV)
    if not package:
        raise ValueError(f"set {DATA_URL_ENV} or {PACKAGE_ENV}")
    if package.startswith("s3://"):
        return registry_artifact(package, s3)
    described = sagemaker.describe_model_package(ModelPackageName=package)
    return str(described["InferenceSpecification"]["Containers"][0]["ModelDataUrl"])


def registry_artifact(version: str, s3: Any) -> str:
    """The ``artifact_uri`` of an object-store registry version (its folder's URI)."""
    bucket, key = split_s3_uri(f"{version.rstrip('/')}/{MANIFEST_FILE}")
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    if manifest.get("status") == "Rejected":
        raise ValueError(f"version {version} is Rejected: pin another version")
    return str(manifest["artifact_uri"])


def unpack(archive: Path, destination: Path) -> int:
    """Extract regular files and folders of ``archive`` under ``destination``; files written."""
    written = 0
    with tarfile.open(archive, "r:*") as tar:
        for member in tar.getmembers():
            relative = PurePosixPath(member.name)
            if relative.is_absolute() or ".." in relative.parts:
                raise UnsafeArchive(f"member {member.name!r} leaves the destination")
            if not (member.isfile() or member.isdir()):
                raise UnsafeArchive(f"member {member.name!r} is not a regular file or folder")
            target = destination.joinpath(*relative.parts)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            assert source is not None  # a regular file
            with source, target.open("wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            written += 1
    return written


def fetch(uri: str, destination: Path, s3: Any) -> int:
    """Download ``uri`` (a tar archive, gzip or not) and unpack it into ``destination``."""
    bucket, key = split_s3_uri(uri)
    destination.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="model-") as folder:
        archive = Path(folder) / "model.tar.gz"
        s3.download_file(bucket, key, str(archive))
        return unpack(archive, destination)


def main() -> int:
    try:
        config = json.loads(os.environ[ENV_VAR])
        destination = Path(config["destination"])
    except (KeyError, TypeError, ValueError) as error:
        log(_LOG, "invalid model fetch configuration", logging.ERROR, error=str(error))
        return 2
    session = boto3.session.Session()
    try:
        s3 = session.client("s3")
        uri = artifact_uri(os.environ, session.client("sagemaker"), s3)
        files = fetch(uri, destination, s3)
    except Exception as error:
        log(
            _LOG,
            "fetching the model failed",
            logging.ERROR,
            error=f"{type(error).__name__}: {error}",
        )
        return 1
    log(_LOG, "model fetched", artifact=uri, files=files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
