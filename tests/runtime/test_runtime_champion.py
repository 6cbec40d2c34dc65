"""Batch champion step against moto's model registry: champion.json for the pipeline's JsonGet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from runtime_support import boto

from mlops_runtime import champion
from mlops_runtime.aws import registry

GROUP = "churn"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"


def register(status: str, version: int) -> str:
    """A package as the training pipeline's register step leaves it."""
    return str(
        boto("sagemaker").create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [
                    {"Image": IMAGE, "ModelDataUrl": f"s3://shop-models/churn/v{version}.tar.gz"}
                ],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
    )


@pytest.fixture
def packages() -> list[str]:
    """v1 rejected, v2 approved, v3 pending, v4 approved, v5 rejected."""
    boto("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
    statuses = ["Rejected", "Approved", "PendingManualApproval", "Approved", "Rejected"]
    return [register(status, version) for version, status in enumerate(statuses, start=1)]


def test_champion_is_the_latest_approved_package_across_pages(
    packages: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "PAGE_SIZE", 1)  # every package on its own page
    sagemaker, pages = boto("sagemaker"), []
    sagemaker.meta.events.register(
        "before-call.sagemaker.ListModelPackages", lambda **kwargs: pages.append(1)
    )
    written = champion.run(GROUP, tmp_path / "champion", client=sagemaker)
    assert len(pages) >= 2
    expected = {
        "model_package_arn": packages[3],
        "model_package_version": 4,
        "model_data_url": "s3://shop-models/churn/v4.tar.gz",
        "image": IMAGE,
    }
    assert written == expected
    # What the pipeline's PropertyFile reads (JsonGet path "model_package_arn").
    assert json.loads((tmp_path / "champion" / "champion.json").read_text()) == expected


def test_re_approving_an_older_package_does_not_make_it_the_champion(
    packages: list[str], tmp_path: Path
) -> None:
    """Newest created wins, as for the deploy function; roll back by rejecting the newer one."""
    sagemaker = boto("sagemaker")
    sagemaker.update_model_package(ModelPackageArn=packages[1], ModelApprovalStatus="Approved")
    assert champion.run(GROUP, tmp_path)["model_package_version"] == 4
    sagemaker.update_model_package(ModelPackageArn=packages[3], ModelApprovalStatus="Rejected")
    assert champion.run(GROUP, tmp_path)["model_package_version"] == 2


@pytest.mark.parametrize("group_exists", [True, False])
def test_no_approved_package_stops_the_pipeline_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], group_exists: bool
) -> None:
    if group_exists:
        boto("sagemaker").create_model_package_group(ModelPackageGroupName=GROUP)
        register("PendingManualApproval", 1)
    status = champion.main(["--group", GROUP, "--output", str(tmp_path)])
    assert status == champion.EXIT_NO_CHAMPION
    assert f"model package group {GROUP!r} has no Approved model package" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "champion.json").exists()
