"""Lineage against moto over HTTP: the churn example's prod stack, one run through its planned
pipeline (``lineage_world``), then ``mlops approve`` and ``mlops lineage [--verify]``.

moto runs no pipeline step, emits no registry event and evaluates no IAM: the harness runs the
lineage steps' code as SageMaker would, the test builds the approval event EventBridge would
deliver, and the grants are checked by the planner tests (tests/plan/test_lineage_plan.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from lineage_world import (
    COMMIT,
    HOLDOUT_OBJECTS,
    IMAGE_MANIFEST,
    MODEL,
    REFS,
    REGION,
    ROOT,
    SPEC,
    STACK,
    TRAINING_OBJECTS,
    World,
    bucket_of,
    build,
    client,
    push_image,
    run_pipeline,
)
from runtime_events import model_package_state_change
from typer.testing import CliRunner

from mlops_runtime.contract.config import DeployConfig
from mlops_runtime.core.reconcile import process as reconcile
from mlops_runtime.deploy import aws_ports
from mlops_spec.cli import app
from mlops_spec.plan import render

DIGEST = "sha256:" + hashlib.sha256(IMAGE_MANIFEST.encode()).hexdigest()
REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn-train"


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> World:
    """Every client of the runtime and the CLI in the stack's region."""
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    return build()


def earlier_packages(world: World) -> str:
    """Versions 1-3, registered before lineage existed; version 3 is the approved champion."""
    sagemaker = client("sagemaker")
    arns = [
        sagemaker.create_model_package(
            ModelPackageGroupName=world.training.package_group,
            ModelApprovalStatus="Approved" if version == 3 else "Rejected",
            InferenceSpecification={
                "Containers": [{"Image": f"{REPOSITORY}:1.3.{version}"}],
                "SupportedContentTypes": ["application/x-parquet"],
                "SupportedResponseMIMETypes": ["application/json"],
            },
        )["ModelPackageArn"]
        for version in (1, 2, 3)
    ]
    return str(arns[-1])


def mlops(*args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, [*args, "--spec", str(SPEC), "--stack", STACK, "-f", "json"])
    return result.exit_code, json.loads(result.stdout) if result.stdout.strip() else None


def deploy(world: World, arn: str) -> dict[str, Any]:
    """The deploy function (its planned configuration) on the approval event EventBridge
    would deliver (moto sends none)."""
    assert world.deployment.retraining is not None
    function = world.deployment.retraining.function("deploy")
    assert function is not None
    config = DeployConfig.from_json(render(function.config, REFS))
    package = client("sagemaker").describe_model_package(ModelPackageName=arn)
    return reconcile(model_package_state_change(package), config, aws_ports(config))


def test_a_run_registers_a_package_whose_lineage_names_digest_objects_and_spec(
    world: World, tmp_path: Path
) -> None:
    champion = earlier_packages(world)
    run, arn = run_pipeline(world, tmp_path, champion)
    package = client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert package["ModelPackageVersion"] == 4
    assert package["ModelApprovalStatus"] == "PendingManualApproval"  # approval: manual
    # The package serves the image at the digest ECR had for the tag, not the tag.
    assert package["InferenceSpecification"]["Containers"][0]["Image"] == f"{REPOSITORY}@{DIGEST}"
    metadata = package["CustomerMetadataProperties"]
    assert metadata["mlops:image.digest"] == DIGEST
    # The full record is where the package says, with the SHA-256 the package holds.
    uri = metadata["mlops:lineage.uri"]
    execution_id = run.values["Execution.PipelineExecutionId"]
    assert uri == (f"s3://{world.artifacts}/models/{MODEL}/lineage/{execution_id}/lineage.json")
    body = client("s3").get_object(Bucket=world.artifacts, Key=uri.split("/", 3)[3])["Body"]
    stored = body.read()
    assert metadata["mlops:lineage.sha256"] == hashlib.sha256(stored).hexdigest()
    record = json.loads(stored)
    assert record["image"]["digest"] == DIGEST and record["image"]["tag"] == "1.4.0"
    # Every object read, at the version S3 gave the test when it wrote it, with its ETag.
    objects = {o["key"]: o for d in record["data"] for o in d["objects"]}
    written = {**TRAINING_OBJECTS, **HOLDOUT_OBJECTS}
    assert set(objects) == set(written)
    for key, body_written in written.items():
        assert objects[key]["version_id"] == world.versions[key]
        assert objects[key]["etag"] == f'"{hashlib.md5(body_written).hexdigest()}"'
        assert objects[key]["size"] == len(body_written)
    by_source = {d["source"]: d for d in record["data"]}
    assert by_source["customer-events"]["roles"] == ["train"]
    assert by_source["customer-events"]["count"] == 3
    assert by_source["customer-events-holdout"]["roles"] == ["holdout"]
    assert by_source["customer-events"]["total_bytes"] == sum(map(len, TRAINING_OBJECTS.values()))
    assert metadata["mlops:data.objects"] == "4"
    # The spec's hash, the stack and the trigger, as the program and the trigger passed them.
    spec_sha = {p["Name"]: p for p in json.loads(world.training.definition)["Parameters"]}
    assert record["source"]["spec_sha256"] == spec_sha["SpecSha256"]["DefaultValue"]
    assert metadata["mlops:spec.sha256"] == record["source"]["spec_sha256"]
    assert len(record["source"]["spec_sha256"]) == 64
    assert (record["stack"], metadata["mlops:stack"]) == ("prod", "prod")
    assert record["source"]["commit"] == COMMIT == metadata["mlops:commit"]
    token = hashlib.sha256(f"schedule#{MODEL}#2026-01-05T03:00:00Z".encode()).hexdigest()
    assert record["trigger"] == {"reason": "schedule:2026-01-05T03:00:00Z", "id": token}
    assert metadata["mlops:trigger.id"] == token
    assert record["training"] == {
        "instance_type": "ml.m5.xlarge",
        "instance_count": 1,
        "spot": True,
        "hyperparameters": {"max_depth": "6", "n_estimators": "300"},
    }
    assert record["evaluation"]["champion"]["version"] == 3
    assert record["evaluation"]["verdict"] == "passed"
    assert record["data_changed_during_run"] == []


def test_verify_reports_an_input_changed_after_the_run(world: World, tmp_path: Path) -> None:
    earlier_packages(world)
    run_pipeline(world, tmp_path, "none")
    code, shown = mlops("lineage", MODEL, "4", "--verify")
    assert code == 0, shown
    assert shown["verification"]["verdict"] == "unchanged"
    assert shown["record_integrity"] == "intact"
    # Someone rewrites one training object: a new version at the same key.
    s3, bucket = client("s3"), bucket_of(world.deployment, "customer-events")
    key = "events/2026/01/02/part-0.parquet"
    s3.put_object(Bucket=bucket, Key=key, Body=b"tenure_months,churned\n12,1\n")
    code, shown = mlops("lineage", MODEL, "4", "--verify")
    assert code == 3
    events = next(d for d in shown["verification"]["data"] if d["source"] == "customer-events")
    assert (events["status"], events["replaced"], events["unchanged"]) == ("changed", [key], 2)
    # ... and deletes the version the run read: the run can no longer be repeated.
    s3.delete_object(Bucket=bucket, Key=key, VersionId=world.versions[key])
    code, shown = mlops("lineage", MODEL, "4", "--verify")
    assert code == 4
    events = next(d for d in shown["verification"]["data"] if d["source"] == "customer-events")
    assert events["gone"] == [key]
    # The image: the tag moved to another image, the recorded digest still exists (the image
    # also carries its build tag: moto deletes an image whose only tag is pushed again, where
    # ECR would leave it untagged).
    push_image(IMAGE_MANIFEST, "1.4.0-build.7")
    pushed = push_image(IMAGE_MANIFEST.replace("7023", "7024"), "1.4.0")
    _, shown = mlops("lineage", MODEL, "4", "--verify")
    assert shown["verification"]["image"]["status"] == "changed", shown["verification"]["image"]
    assert shown["verification"]["image"]["tag_digest"] == pushed != DIGEST


def test_an_approval_is_attributed_and_the_chain_reaches_the_served_version(
    world: World, tmp_path: Path
) -> None:
    champion = earlier_packages(world)
    _, arn = run_pipeline(world, tmp_path, champion)
    registered = client("sagemaker").describe_model_package(ModelPackageName=arn)
    code, decided = mlops("approve", MODEL, "4", "--reason", "holdout auc 0.861, reviewed by ml")
    assert code == 0, decided
    caller = client("sts").get_caller_identity()["Arn"]
    package = client("sagemaker").describe_model_package(ModelPackageName=arn)
    assert package["ModelApprovalStatus"] == "Approved"
    assert package["ApprovalDescription"].startswith(f"approved by {caller}: holdout auc 0.861")
    assert package["CustomerMetadataProperties"]["mlops:approval.by"] == caller
    # written through the RegistryWriter: the approval's keys added, the run's all kept
    assert registered["CustomerMetadataProperties"].items() <= (
        package["CustomerMetadataProperties"].items()
    )
    assert "mlops:lineage.uri" in registered["CustomerMetadataProperties"]
    assert decided["by"] == caller and decided["package_arn"] == arn
    assert decided["previous_status"] == "PendingManualApproval"
    # The deploy function acts on the approval: the endpoint is created on version 4.
    assert deploy(world, arn)["decision"] == "created"
    code, shown = mlops("lineage", MODEL)  # no version: the one serving
    assert code == 0, shown
    assert (shown["version"], shown["serves_this_version"]) == (4, True)
    steps = [(link["step"], link["decision"]) for link in shown["chain"]]
    assert steps == [
        ("trigger", "started"),
        ("run", "trained"),
        ("gate", "passed"),
        ("approval", "approved"),
        ("deploy", "created"),
    ]
    trigger = shown["chain"][0]
    assert trigger["audited"] and trigger["reason"] == "schedule:2026-01-05T03:00:00Z"
    approval = next(link for link in shown["chain"] if link["step"] == "approval")
    assert approval["audit_id"] == decided["audit_id"] and approval["by"] == caller
    # the deploy names the approval it acted on: the chain follows ids, not only the package
    deployed = next(link for link in shown["chain"] if link["step"] == "deploy")
    assert deployed["approval_id"] == decided["audit_id"]


def test_a_rejection_through_the_command_needs_a_reason(world: World, tmp_path: Path) -> None:
    earlier_packages(world)
    run_pipeline(world, tmp_path, "none")
    code, answer = mlops("reject", MODEL, "4", "--reason", "  ")
    assert code == 1 and "say why" in answer["error"]
    code, answer = mlops("approve", MODEL, "9", "--reason", "ok")
    assert code == 1 and "no version 9" in answer["error"]


DOC = ROOT / "docs" / "lineage.md"
DOC_START, DOC_END = "<!-- lineage-record:start -->\n```json\n", "```\n<!-- lineage-record:end -->"
VOLATILE = {"version_id", "execution_arn", "execution_id", "spec_sha256"}
"""Values that differ between two runs of the same example (moto's version ids, the execution,
the times) or whenever the example's spec changes (its hash)."""


def stable(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: stable(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return "<varies>" if key in VOLATILE or key.endswith("_at") else value


def test_docs_show_a_record_of_this_run(world: World, tmp_path: Path) -> None:
    """docs/lineage.md shows a record this code path wrote (MLOPS_UPDATE_DOCS=1 rewrites it)."""
    champion = earlier_packages(world)
    _, arn = run_pipeline(world, tmp_path, champion)
    uri = client("sagemaker").describe_model_package(ModelPackageName=arn)[
        "CustomerMetadataProperties"
    ]["mlops:lineage.uri"]
    record = client("s3").get_object(Bucket=world.artifacts, Key=uri.split("/", 3)[3])["Body"]
    text = record.read().decode()
    document = DOC.read_text()
    head, rest = document.split(DOC_START)
    shown, tail = rest.split(DOC_END)
    if os.environ.get("MLOPS_UPDATE_DOCS") == "1":
        DOC.write_text(head + DOC_START + text + DOC_END + tail)
        shown = text
    assert stable(json.loads(shown)) == stable(json.loads(text)), (
        "docs/lineage.md shows another record: MLOPS_UPDATE_DOCS=1 pytest "
        "tests/runtime/test_runtime_lineage.py -k docs"
    )
