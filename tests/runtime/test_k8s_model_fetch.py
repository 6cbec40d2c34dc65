"""The model pod's init container against moto's registry and S3 over HTTP: the pinned
package's ModelDataUrl unpacked into the destination as SageMaker hosting does."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from k8s_store_support import STATE_BUCKET, state_bucket
from runtime_support import REGION, boto

from mlops_runtime.contract.config import ENV_VAR
from mlops_runtime.k8s import model_fetch
from mlops_runtime.k8s.registry import ObjectRegistry
from mlops_spec.plan.k8s import pod

BUCKET = "acme-churnk-prod-artifacts-eu-west-1"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-train:1.4.0"


def _archive(members: dict[str, bytes], link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo("escape")
            info.type, info.linkname = tarfile.SYMTYPE, link
            tar.addfile(info)
    return buffer.getvalue()


def _package(members: dict[str, bytes], link: str | None = None) -> str:
    s3, sagemaker = boto("s3"), boto("sagemaker")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="models/run-7/model.tar.gz", Body=_archive(members, link))
    sagemaker.create_model_package_group(ModelPackageGroupName="churnk-prod-churn-classifier")
    return str(
        sagemaker.create_model_package(
            ModelPackageGroupName="churnk-prod-churn-classifier",
            ModelApprovalStatus="Approved",
            InferenceSpecification={
                "Containers": [
                    {"Image": IMAGE, "ModelDataUrl": f"s3://{BUCKET}/models/run-7/model.tar.gz"}
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
    )


def _run(env: dict[str, str], aws: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlops_runtime.k8s.model_fetch"],
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_ENDPOINT_URL": aws,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_pinned_package_is_unpacked_into_the_destination(aws: str, tmp_path: Path) -> None:
    package = _package({"model.joblib": b"weights", "code/inference.py": b"print(1)"})
    destination = tmp_path / "opt-ml-model"
    config = json.dumps({"destination": str(destination)})
    done = _run({ENV_VAR: config, model_fetch.PACKAGE_ENV: package}, aws)
    assert done.returncode == 0, done.stderr
    assert (destination / "model.joblib").read_bytes() == b"weights"
    assert (destination / "code/inference.py").read_bytes() == b"print(1)"


def test_a_data_url_wins_over_the_package(aws: str, tmp_path: Path) -> None:
    _package({"model.joblib": b"v7"})
    uri = model_fetch.artifact_uri(
        {model_fetch.DATA_URL_ENV: "s3://b/other.tar.gz", model_fetch.PACKAGE_ENV: "x"}, None
    )
    assert uri == "s3://b/other.tar.gz"


def test_an_archive_escaping_the_destination_is_refused(aws: str, tmp_path: Path) -> None:
    package = _package({"../outside": b"x"})
    config = json.dumps({"destination": str(tmp_path / "model")})
    done = _run({ENV_VAR: config, model_fetch.PACKAGE_ENV: package}, aws)
    assert done.returncode == 1
    assert "UnsafeArchive" in done.stderr + done.stdout
    assert not (tmp_path / "outside").exists()


def test_links_are_refused(tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(_archive({"a": b"1"}, link="/etc/passwd"))
    with pytest.raises(model_fetch.UnsafeArchive, match="not a regular file"):
        model_fetch.unpack(archive, tmp_path / "out")


def test_a_bad_configuration_exits_2(aws: str) -> None:
    assert _run({ENV_VAR: "{}"}, aws).returncode == 2


def test_the_planner_names_this_module_and_its_variable() -> None:
    assert model_fetch.__name__ == pod.FETCH_MODULE
    assert pod.PACKAGE_ENV == model_fetch.PACKAGE_ENV


def _registered(members: dict[str, bytes]) -> tuple[ObjectRegistry, str]:
    """A version of the cluster's object-store registry whose artifact holds ``members``."""
    state = state_bucket()
    s3 = boto("s3")
    s3.put_object(
        Bucket=STATE_BUCKET, Key="models/churn/training/run-1/model.tar.gz", Body=_archive(members)
    )
    registry = ObjectRegistry(state)
    registry.ensure_group("churn")  # the controller does at start-up
    version = registry.register(
        "churn",
        status="Approved",
        metadata={},
        image=IMAGE,
        artifact_uri=f"s3://{STATE_BUCKET}/models/churn/training/run-1/model.tar.gz",
    )
    return registry, version


def test_a_pinned_version_of_the_clusters_registry_is_unpacked(aws: str, tmp_path: Path) -> None:
    """A cluster-trained model pinned in the spec: the pod's fetcher gets the version's id (its
    folder in the store, as the planner writes it) and reads the artifact from its manifest."""
    _, version = _registered({"model.joblib": b"cluster-trained"})
    assert version == f"s3://{STATE_BUCKET}/mlops/registry/churn/versions/1"
    destination = tmp_path / "opt-ml-model"
    config = json.dumps({"destination": str(destination)})
    done = _run({ENV_VAR: config, model_fetch.PACKAGE_ENV: version}, aws)
    assert done.returncode == 0, done.stderr
    assert (destination / "model.joblib").read_bytes() == b"cluster-trained"


def test_a_rejected_version_is_not_served(aws: str, tmp_path: Path) -> None:
    registry, version = _registered({"model.joblib": b"bad"})
    registry.set_status(version, "Rejected", by="someone@example.com", reason="leaks labels")
    config = json.dumps({"destination": str(tmp_path / "model")})
    done = _run({ENV_VAR: config, model_fetch.PACKAGE_ENV: version}, aws)
    assert done.returncode == 1
    assert "Rejected" in done.stderr + done.stdout
    assert not (tmp_path / "model").exists()
