"""Regions come from botocore, images from one table checked against AWS's published one.

Every region botocore lists for SageMaker either validates and plans with the image from the
table, or is refused at ``system.region`` with a located message (never a traceback).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import botocore.session
import pytest
from botocore.regions import EndpointResolver

from mlops_spec import regions
from mlops_spec.errors import SpecError
from mlops_spec.images import (
    SKLEARN_IMAGE_PYTHON,
    SKLEARN_REGISTRIES,
    SKLEARN_REPOSITORY,
    SKLEARN_VERSION,
    ecr_image,
    sklearn_image_uri,
)
from mlops_spec.load import validate_document
from mlops_spec.plan.documents import partition_of
from mlops_spec.yamlio import parse

VENDOR = Path(__file__).parent / "vendor/sagemaker_sdk"
SDK_FILE_SHA256 = "f2c99d104d203be6739751125d25caebf52d4158316a4d7d2f8f1c275706aca8"
SESSION = botocore.session.get_session()


def _sdk_training_scope() -> dict:
    data = json.loads((VENDOR / "sklearn.json").read_bytes())
    return data["training"]["versions"]


def test_the_region_list_is_botocores_for_every_partition() -> None:
    ours = regions.sagemaker_regions()
    for partition in SESSION.get_available_partitions():
        theirs = set(SESSION.get_available_regions("sagemaker", partition))
        mine = {r for r, p in ours.items() if p.name == partition}
        assert mine == theirs, partition
    assert {"il-central-1", "ca-west-1", "mx-central-1", "ap-southeast-5"} <= set(ours)


def test_partitions_and_dns_suffixes_are_botocores() -> None:
    resolver = EndpointResolver(SESSION.get_component("data_loader").load_data("endpoints"))
    for region, where in regions.sagemaker_regions().items():
        assert resolver.get_partition_for_region(region) == where.name, region
        assert resolver.get_partition_dns_suffix(where.name) == where.dns_suffix, region
        assert partition_of(region) == where.name
    assert partition_of("cn-north-1") == "aws-cn"
    assert partition_of("us-iso-east-1") == "aws-iso"


def test_the_vendored_table_is_the_published_file() -> None:
    digest = hashlib.sha256((VENDOR / "sklearn.json").read_bytes()).hexdigest()
    assert digest == SDK_FILE_SHA256, "update tests/spec/vendor/sagemaker_sdk/README.md too"


def test_the_image_table_is_the_sdks_for_every_version_we_name() -> None:
    versions = _sdk_training_scope()
    for version in SKLEARN_IMAGE_PYTHON:
        assert versions[version]["repository"] == SKLEARN_REPOSITORY
        assert "cpu" in versions[version]["processors"]
        assert versions[version]["registries"] == SKLEARN_REGISTRIES, version
    assert SKLEARN_VERSION in SKLEARN_IMAGE_PYTHON


def test_every_region_with_an_image_is_a_sagemaker_region() -> None:
    assert set(SKLEARN_REGISTRIES) <= regions.region_names()


def test_image_uris_use_the_partitions_dns_suffix() -> None:
    assert sklearn_image_uri("eu-west-1") == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"
    )
    assert str(sklearn_image_uri("cn-north-1")).startswith(
        "450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/"
    )
    assert str(sklearn_image_uri("us-iso-east-1")).startswith(
        "833128469047.dkr.ecr.us-iso-east-1.c2s.ic.gov/"
    )
    assert sklearn_image_uri("mx-central-1") is None
    for region in SKLEARN_REGISTRIES:
        parsed = ecr_image(sklearn_image_uri(region) or "")
        assert parsed is not None and parsed.region == region


@pytest.mark.parametrize(
    ("uri", "region"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1", "eu-west-1"),
        (
            "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.3-cpu-py311",
            "us-east-1",
        ),
        ("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com/churn:1", "us-east-1"),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/churn:1", "cn-north-1"),
        ("public.ecr.aws/acme/churn:1", None),
        ("docker.io/acme/churn:1", None),
        ("123456789012.dkr.ecr.eu-west-1.example.com/churn:1", None),
    ],
)
def test_ecr_images_are_recognised_by_their_registry(uri: str, region: str | None) -> None:
    parsed = ecr_image(uri)
    assert (parsed.region if parsed else None) == region


SPEC = """\
spec_version: 1
system: {{id: shop, owner: ml@example.com, region: {region}, bucket_namespace: acme}}
notifications: {{emails: [ml@example.com]}}
data_sources:
  events: {{prefix: events/, features: {{amount: numeric}}, label: fraud}}
models:
  fraud:
    training:
      image: 763104351884.dkr.ecr.{region}.{suffix}/pytorch-training:2.3-cpu-py311
      inputs: [events]
    serving: {{tier: serverless}}
environments:
  dev: {{mode: development}}
"""


@pytest.mark.parametrize("region", sorted(regions.region_names()))
def test_every_sagemaker_region_plans_or_is_refused_where_it_is_written(region: str) -> None:
    suffix = regions.partition(region).dns_suffix
    text = SPEC.format(region=region, suffix=suffix)
    document = parse(text, "mlops.yaml")
    if region in SKLEARN_REGISTRIES:
        plan = validate_document(document).stacks["dev"].plan
        assert plan is not None and plan.partition == regions.partition(region).name
        (training,) = plan.training
        assert training.profile is not None
        assert f".dkr.ecr.{region}.{suffix}/sagemaker-scikit-learn:" in training.definition
        return
    with pytest.raises(SpecError) as caught:
        validate_document(document)
    (problem,) = caught.value.problems
    column = text.splitlines()[1].index(f"region: {region}") + len("region: ") + 1
    assert (problem.loc, problem.line, problem.column) == (("system", "region"), 2, column)
    assert f"SageMaker runs in {region}, but AWS publishes no scikit-learn image" in problem.message


def test_a_region_typo_is_caught_at_load_with_did_you_mean() -> None:
    document = parse(SPEC.format(region="eu-wset-1", suffix="amazonaws.com"), "mlops.yaml")
    with pytest.raises(SpecError) as caught:
        validate_document(document)
    (problem,) = caught.value.problems
    assert problem.loc == ("system", "region") and problem.line == 2
    assert problem.suggestion == "eu-west-1"
    assert "is not a region where SageMaker runs" in problem.message


def test_the_schema_offers_the_regions_to_editors() -> None:
    from mlops_spec.schema import json_schema

    region = json_schema()["$defs"]["System"]["properties"]["region"]
    assert region["enum"] == sorted(regions.region_names())  # region_typo.yaml: refused
