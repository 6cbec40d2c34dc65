"""The training pipeline's lineage: parameters, the Inputs and Lineage steps, the image at its
digest, the package's metadata and the grants (docs/lineage.md)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any

import botocore.session
import pytest
import regex

from mlops_runtime.contract.lineage import METADATA, RUN_ENV
from mlops_spec.load import resolve
from mlops_spec.plan import DeploymentPlan, lineage
from mlops_spec.plan.training import TrainingPlan
from tests.plan.conftest import CASE_IDS, ROOT, example, full, mini

JSON_GET_IMAGE = {
    "Std:JsonGet": {"Path": "uri", "PropertyFile": {"Get": "Steps.Inputs.PropertyFiles.Image"}}
}
SAGEMAKER = botocore.session.get_session().get_service_model("sagemaker")


def steps(training: TrainingPlan) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]], parent: str | None) -> None:
        for step in items:
            found[step["Name"]] = {**step, "parent": parent}
            walk(step.get("Arguments", {}).get("IfSteps", []), step["Name"])

    walk(json.loads(training.definition)["Steps"], None)
    return found


def churn() -> TrainingPlan:
    return example("churn", "prod").training_for("churn-classifier")


def test_the_program_and_the_trigger_pass_spec_hash_commit_stack_and_trigger_id() -> None:
    parameters = {p["Name"]: p for p in json.loads(churn().definition)["Parameters"]}
    resolved = resolve(ROOT / "examples/churn/mlops.yaml", "prod")
    text = json.dumps(resolved.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    assert parameters["SpecSha256"]["DefaultValue"] == hashlib.sha256(text.encode()).hexdigest()
    assert parameters["Stack"]["DefaultValue"] == "prod"
    assert parameters["Commit"]["DefaultValue"] == "unknown"  # until the program sets it
    assert parameters["TriggerId"]["DefaultValue"] == "manual"  # the trigger passes its own
    assert {p["Type"] for p in parameters.values()} == {"String"}


def test_the_commit_is_the_program_s_and_must_fit_package_metadata() -> None:
    definition = lineage.with_commit(churn().definition, "9f2c1e0d4b7a8c3f")
    (commit,) = [p for p in json.loads(definition)["Parameters"] if p["Name"] == "Commit"]
    assert commit["DefaultValue"] == "9f2c1e0d4b7a8c3f"
    assert lineage.with_commit(churn().definition, None) == churn().definition
    with pytest.raises(ValueError, match="mlops:commit"):
        lineage.with_commit(churn().definition, "a commit; rm -rf")


def test_inputs_run_first_and_train_candidate_and_package_use_the_resolved_digest() -> None:
    found = steps(churn())
    assert json.loads(churn().definition)["Steps"][0]["Name"] == "Inputs"
    inputs = found["Inputs"]["Arguments"]
    command = inputs["AppSpecification"]["ContainerEntrypoint"][2]
    assert command.endswith(
        "python3 -m mlops_runtime.lineage_job inputs --output /opt/ml/processing/lineage/inputs"
    )
    assert found["Inputs"]["PropertyFiles"] == [
        {"PropertyFileName": "Image", "OutputName": "inputs", "FilePath": "image.json"}
    ]
    train = found["Train"]["Arguments"]["AlgorithmSpecification"]
    assert train["TrainingImage"] == JSON_GET_IMAGE
    register = found["Register"]["Arguments"]["InferenceSpecification"]["Containers"][0]
    assert register["Image"] == JSON_GET_IMAGE
    if "CandidateModel" in found:  # the gate scores the container the package will serve
        assert found["CandidateModel"]["Arguments"]["PrimaryContainer"]["Image"] == JSON_GET_IMAGE


def test_another_registry_s_image_is_used_as_written() -> None:
    plan = churn().lineage
    assert plan is not None and plan.resolves_image
    private = replace(plan, image="registry.example.com/team/churn-train:1.4.0")
    assert not private.resolves_image
    assert private.image_uri() == "registry.example.com/team/churn-train:1.4.0"


def test_the_record_is_written_after_the_gate_passed_right_before_register() -> None:
    found = steps(churn())
    assert found["Lineage"]["parent"] == found["Register"]["parent"] == "CheckGate"
    if_steps = [s["Name"] for s in found["CheckGate"]["Arguments"]["IfSteps"]]
    assert if_steps.index("Lineage") == if_steps.index("Register") - 1
    arguments = found["Lineage"]["Arguments"]
    command = arguments["AppSpecification"]["ContainerEntrypoint"][2]
    assert "lineage_job record --inputs /opt/ml/processing/input/inputs" in command
    assert command.endswith("--evaluation /opt/ml/processing/input/evaluation")
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in arguments["ProcessingInputs"]}
    assert inputs["inputs"] == {
        "Get": "Steps.Inputs.ProcessingOutputConfig.Outputs['inputs'].S3Output.S3Uri"
    }
    assert inputs["evaluation"] == {
        "Get": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"
    }
    env = arguments["Environment"]
    assert env[RUN_ENV["spec_sha256"]] == {"Get": "Parameters.SpecSha256"}
    assert env[RUN_ENV["commit"]] == {"Get": "Parameters.Commit"}
    assert env[RUN_ENV["trigger_id"]] == {"Get": "Parameters.TriggerId"}
    assert env[RUN_ENV["trigger_reason"]] == {"Get": "Parameters.TriggerReason"}
    assert env[RUN_ENV["execution_arn"]] == {"Get": "Execution.PipelineExecutionArn"}
    assert env[RUN_ENV["model_artifacts"]] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}


def test_without_a_gate_the_record_has_no_evaluation_input() -> None:
    la = full().training_for("la")
    names = [s["Name"] for s in json.loads(la.definition)["Steps"]]
    assert names[0] == "Inputs" and names[-2:] == ["Lineage", "Register"]
    command = steps(la)["Lineage"]["Arguments"]["AppSpecification"]["ContainerEntrypoint"][2]
    assert "--evaluation" not in command


def test_the_holdout_is_listed_and_a_holdout_that_is_an_input_once() -> None:
    plan = churn().lineage
    assert plan is not None
    assert [(s.name, s.roles) for s in plan.sources] == [
        ("customer-events", ("train",)),
        ("customer-events-holdout", ("holdout",)),
    ]
    gated = mini(training={**_mini_training(), "gate": {"metric": "accuracy", "min": 0.5}})
    sources = gated.training_for("mm").lineage
    assert sources is not None
    assert [(s.name, s.roles) for s in sources.sources] == [("ds", ("train", "holdout"))]


def _mini_training() -> dict[str, Any]:
    return {"image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/m:1", "inputs": ["ds"]}


@pytest.mark.parametrize("case", CASE_IDS)
def test_the_package_metadata_fits_sagemaker(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    """Keys (and the values known at plan time) against botocore's CustomerMetadata shapes;
    at most 50 entries."""
    shape = SAGEMAKER.operation_model("CreateModelPackage").input_shape
    properties = shape.members["CustomerMetadataProperties"]
    key, value = (regex.compile(s.metadata["pattern"]) for s in (properties.key, properties.value))
    for training in all_plans[case].training:
        register = steps(training)["Register"]["Arguments"]["CustomerMetadataProperties"]
        assert set(METADATA.values()) - set(register) == {
            "mlops:approval.id",  # set by mlops approve|reject
            "mlops:approval.by",
        }
        assert len(register) + 2 <= properties.metadata["max"]
        for name, entry in register.items():
            assert key.fullmatch(name) and len(name) <= properties.key.metadata["max"], name
            if isinstance(entry, str):
                assert value.fullmatch(entry), (name, entry)
        defaults = json.loads(training.definition)["Parameters"]
        assert all(value.fullmatch(p["DefaultValue"]) for p in defaults), defaults


@pytest.mark.parametrize("case", CASE_IDS)
def test_the_pipeline_role_lists_versions_of_exactly_the_sources_read(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    deployment = all_plans[case]
    artifacts = deployment.storage.bucket("artifacts").arn
    for training in deployment.training:
        assert training.lineage is not None
        statements = training.role.policy.statements
        listing = [s for s in statements if "s3:ListBucketVersions" in s.actions]
        expected = {
            (
                deployment.storage.location(s.name).bucket_arn,
                deployment.storage.location(s.name).prefix,
            )
            for s in training.lineage.sources
        }
        found = set()
        for statement in listing:
            assert statement.actions == ("s3:ListBucketVersions",)
            (resource,) = statement.resources
            (condition,) = statement.conditions
            assert (condition.operator, condition.key) == ("StringLike", "s3:prefix")
            (pattern,) = condition.values
            found.add((resource, pattern.removesuffix("*")))
        assert found == expected
        records = f"{artifacts}/models/{training.model}/lineage/*"
        writes = [s for s in statements if "s3:PutObject" in s.actions and records in s.resources]
        assert writes and all(s.resources == (records,) for s in writes)
        # Resolving the digest is the pull right the role holds for the training image.
        repository = training.image.split("/", 1)[1].split(":")[0]
        pulls = [s for s in statements if "ecr:BatchGetImage" in s.actions]
        if ".dkr.ecr." in training.image:
            assert any(r.endswith(f":repository/{repository}") for s in pulls for r in s.resources)
        assert not any("ecr:DescribeImages" in s.actions for s in statements)


def test_the_program_stamps_its_commit_on_every_training_pipeline() -> None:
    deployment = full("prod")
    stamped = lineage.stamp_commit(deployment, "4c1d9e7")
    for training in stamped.training:
        (commit,) = [
            p for p in json.loads(training.definition)["Parameters"] if p["Name"] == "Commit"
        ]
        assert commit["DefaultValue"] == "4c1d9e7"
    assert lineage.stamp_commit(deployment, None) is deployment
