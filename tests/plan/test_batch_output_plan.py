"""A batch model's ``output`` naming a data source of kind output: the bucket and prefix come
from that source as each stack's overlay sets them, and the transform may write only there."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path
from typing import Any

import pytest

from mlops_spec.errors import SpecError
from mlops_spec.load import resolve, validate_file
from mlops_spec.plan import DeploymentPlan, plan
from tests.plan.conftest import PROD, mini

SPEC = """\
spec_version: 1
system: {id: shop, owner: team@example.com, region: eu-west-1, bucket_namespace: acme}
notifications: {emails: [oncall@example.com]}
data_sources:
  events:
    bucket: acme-lake
    prefix: events/
    features: {amount: numeric, country: categorical}
    label: fraud
  scores:
    kind: output
    bucket: acme-lake
    prefix: scores/
models:
  fraud:
    training: {image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1, inputs: [events]}
    serving: {tier: batch, schedule: 'cron(0 2 * * ? *)', input: events, output: scores}
environments:
  dev: {mode: development}
  prod:
    mode: production
    data_sources:
      scores: {bucket: acme-lake-prod, prefix: fraud/scores/}
"""


def _allowed(statements: Any, action: str, resource: str) -> bool:
    return any(
        action in s.actions and any(fnmatch.fnmatchcase(resource, r) for r in s.resources)
        for s in statements
    )


def _writes(deployment: DeploymentPlan, model: str = "fraud") -> list[str]:
    """Every resource pattern the serving role may put objects to."""
    serving = deployment.serving_for(model)
    assert serving is not None
    return sorted(
        r
        for s in serving.role.policy.statements
        if "s3:PutObject" in s.actions
        for r in s.resources
    )


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("output") / "mlops.yaml"
    path.write_text(SPEC)
    return path


def _transform_output(deployment: DeploymentPlan) -> str:
    serving = deployment.serving_for("fraud")
    assert serving and serving.batch
    steps = {s["Name"]: s for s in json.loads(serving.batch.definition)["Steps"]}
    output = steps["Transform"]["Arguments"]["TransformOutput"]["S3OutputPath"]
    return output["Std:Join"]["Values"][0] if isinstance(output, dict) else output


def test_each_stack_writes_where_its_overlay_puts_the_source(spec: Path) -> None:
    dev, prod = plan(resolve(spec, "dev")), plan(resolve(spec, "prod"))
    assert dev.serving_for("fraud").batch.output_uri == "s3://acme-lake/scores/"  # type: ignore[union-attr]
    assert prod.serving_for("fraud").batch.output_uri == (  # type: ignore[union-attr]
        "s3://acme-lake-prod/fraud/scores/"
    )
    # the transform writes under the prefix, one folder per pipeline execution
    assert _transform_output(prod) == "s3://acme-lake-prod/fraud/scores"
    assert _writes(prod) == [
        "arn:aws:s3:::acme-lake-prod/fraud/scores/*",
        # the prepared features of the data-source input, the champion lookup's output
        "arn:aws:s3:::acme-shop-prod-artifacts-eu-west-1/batch-features/fraud/*",
        "arn:aws:s3:::acme-shop-prod-artifacts-eu-west-1/models/fraud/batch/*",
    ]
    assert _writes(dev)[0] == "arn:aws:s3:::acme-lake/scores/*"
    statements = prod.serving_for("fraud").role.policy.statements  # type: ignore[union-attr]
    assert not _allowed(statements, "s3:PutObject", "arn:aws:s3:::acme-lake-prod/events/x")
    assert not _allowed(statements, "s3:PutObject", "arn:aws:s3:::acme-lake-prod/fraud/x")


def test_a_created_output_bucket_is_the_system_s_and_encrypted_with_its_key() -> None:
    sources = {
        "ds": {"prefix": "p/", "features": {"x": "numeric", "c": "categorical"}, "label": "y"},
        "preds": {"kind": "output", "prefix": "daily/"},
    }
    serving = {
        "tier": "batch",
        "schedule": "cron(0 3 * * ? *)",
        "input": "ds",
        "output": "preds",
        "model_version": {"pinned": 1},
    }
    deployment = mini({"data_sources": sources}, PROD, serving=serving, monitors={})
    bucket = "acme-mini-prod-data-preds-eu-west-1"
    assert deployment.serving_for("mm").batch.output_uri == f"s3://{bucket}/daily/"  # type: ignore[union-attr]
    assert f"arn:aws:s3:::{bucket}/daily/*" in _writes(deployment, "mm")
    managed = {b.name: b for b in deployment.storage.buckets}
    assert bucket in managed and managed[bucket].retain  # created, versioned and kept like data
    statements = deployment.serving_for("mm").role.policy.statements  # type: ignore[union-attr]
    # the transform writes with the system key (TransformOutput.KmsKeyId), which the bucket
    # policy requires
    assert _allowed(statements, "kms:GenerateDataKey", "${key_arn}")


def test_a_hard_coded_bucket_still_works() -> None:
    serving = {
        "tier": "batch",
        "schedule": "cron(0 3 * * ? *)",
        "input": "ds",
        "output": "s3://elsewhere-out/x/",
        "model_version": {"pinned": 1},
    }
    deployment = mini(serving=serving, monitors={})
    assert deployment.serving_for("mm").batch.output_uri == "s3://elsewhere-out/x/"  # type: ignore[union-attr]
    assert "arn:aws:s3:::elsewhere-out/x/*" in _writes(deployment, "mm")


def _report(tmp_path: Path, old: str, new: str) -> str:
    bad = tmp_path / "mlops.yaml"
    assert old in SPEC
    bad.write_text(SPEC.replace(old, new))
    with pytest.raises(SpecError) as caught:
        validate_file(bad)
    return str(caught.value)


def test_a_typo_in_the_output_is_located_with_did_you_mean(tmp_path: Path) -> None:
    report = _report(tmp_path, "output: scores}", "output: scors}")
    assert (
        "mlops.yaml:17:82: spec.models.fraud.serving.output: unknown batch output (a data "
        "source of kind output, or an s3:// URI) (got 'scors'; allowed scores; did you mean "
        "'scores'?)"
    ) in report


def test_an_overlay_that_writes_among_the_input_is_refused_in_that_stack(tmp_path: Path) -> None:
    report = _report(
        tmp_path, "{bucket: acme-lake-prod, prefix: fraud/scores/}", "{prefix: events/in/}"
    )
    assert (
        "spec.data_sources.scores.prefix: predictions written here would land among the objects "
        "of data source 'events' (same bucket, one prefix inside the other): give the output "
        "another prefix or bucket (got 'acme-lake/events/in/'; in stack 'prod')"
    ) in report


def test_predictions_go_only_to_an_output_source(tmp_path: Path) -> None:
    report = _report(tmp_path, "output: scores}", "output: events}")
    assert (
        "spec.models.fraud.serving.output: predictions go only to a data source of kind output; "
        "'events' is of kind training (jobs read it): declare a data source with kind: output "
        "(got 'events'; allowed scores)"
    ) in report
