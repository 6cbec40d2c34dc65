"""Serving alone, batch model ``mm`` writing to a data source of kind output (``preds``):
the pipeline's transform writes under that source's bucket and prefix, encrypted with the
system key, and the serving role may put objects there and nowhere else outside the system's
artifacts."""

from __future__ import annotations

import json

import pytest

from tests.components.test_unit_serving import SM, serving
from tests.components.unit import KEY_ARN, Match, Template
from tests.plan.conftest import PROD, mini

BUCKET = "acme-mini-prod-data-preds-eu-west-1"
SOURCES = {
    "ds": {"prefix": "p/", "features": {"x": "numeric", "c": "categorical"}, "label": "y"},
    "preds": {"kind": "output", "prefix": "daily/"},
}


@pytest.fixture(scope="module")
def batch() -> Template:
    tier = {"tier": "batch", "schedule": "cron(0 3 * * ? *)", "input": "ds", "output": "preds"}
    plan = mini(
        {"data_sources": SOURCES},
        PROD,
        serving={**tier, "model_version": {"pinned": 4}},
        monitors={},
    )
    return serving(plan)


def test_the_transform_writes_under_the_output_source(batch: Template) -> None:
    """One folder per execution under the source's prefix, with the system key (the bucket
    policy refuses any other)."""
    output = {"KmsKeyId": KEY_ARN, "S3OutputPath": {"Std:Join": Match.any()}}
    transform = {"Name": "Transform", "Arguments": {"TransformOutput": output}}
    pipeline = batch.has_resource_properties(
        f"{SM}pipeline:Pipeline",
        {"pipelineDefinition": Match.json({"Steps": Match.array_with([transform])})},
    )
    steps = json.loads(pipeline.inputs["pipelineDefinition"])["Steps"]
    (step,) = [s for s in steps if s["Name"] == "Transform"]
    joined = step["Arguments"]["TransformOutput"]["S3OutputPath"]["Std:Join"]
    assert joined["Values"][0] == f"s3://{BUCKET}/daily"


def test_the_serving_role_writes_only_there_outside_the_artifacts(batch: Template) -> None:
    policy = batch.has_resource(
        "aws:iam/rolePolicy:RolePolicy", {"name": "mm-serving-serve-policy"}
    )
    statements = json.loads(policy.inputs["policy"])["Statement"]
    writes = sorted(
        r
        for s in statements
        if "s3:PutObject" in s["Action"]
        for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    )
    assert f"arn:aws:s3:::{BUCKET}/daily/*" in writes
    others = [w for w in writes if f":::{BUCKET}/" in w or "-artifacts-" not in w]
    assert others == [f"arn:aws:s3:::{BUCKET}/daily/*"]
    kms = [s for s in statements if "kms:GenerateDataKey" in s["Action"]]
    assert kms and all(s["Resource"] in (KEY_ARN, [KEY_ARN]) for s in kms)
