"""Limits and rules AWS enforces that offline doubles do not: Processing job environment
values (256 characters), Lambda environments (4 KB: configurations live in S3 objects instead),
pipelines that create no Experiments,
SageMaker trust guards and the KMS grants SageMaker needs for encrypted jobs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import botocore.session
import pytest

import mlops_runtime.contract.batch as runtime_batch
import mlops_runtime.contract.config as runtime_config
import mlops_runtime.contract.holdout as runtime_holdout
import mlops_runtime.contract.lineage as runtime_lineage
from mlops_spec.plan import DeploymentPlan, pipelines
from mlops_spec.plan.documents import render
from mlops_spec.plan.function_config import FUNCTIONS_PREFIX
from mlops_spec.plan.iam import RolePlan
from mlops_spec.plan.retraining import FunctionPlan
from tests.plan.conftest import CASE_IDS, REFS, example, mini
from tests.plan.test_iam_plan import roles_of

RUNTIME_MODULES = (
    "mlops_runtime.evaluate",
    "mlops_runtime.profile_job",
    "mlops_runtime.monitoring_job",
    "mlops_runtime.jobs.batch_features",
    "mlops_runtime.jobs.holdout",
    "mlops_runtime.lineage_job",
)
"""The Processing steps configured by a runtime configuration (the champion step takes
arguments)."""


def definitions(deployment: DeploymentPlan) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    """(pipeline name, owning plan, definition) of every pipeline."""
    for training in deployment.training:
        yield training.pipeline_name, training, json.loads(training.definition)
    for job in deployment.monitoring.jobs:
        yield job.pipeline_name, job, json.loads(job.definition)
    for serving in deployment.serving:
        if serving.batch:
            # the batch pipeline's steps run as the serving role, with the batch's config files
            owner = SimpleNamespace(role=serving.role, config_files=serving.batch.config_files)
            yield serving.batch.pipeline_name, owner, json.loads(serving.batch.definition)


def steps(definition: dict[str, Any]) -> Iterator[dict[str, Any]]:
    def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for step in items:
            yield step
            if step["Type"] == "Condition":
                yield from walk(step["Arguments"]["IfSteps"])
                yield from walk(step["Arguments"]["ElseSteps"])

    yield from walk(definition["Steps"])


def processing_steps(deployment: DeploymentPlan) -> Iterator[tuple[str, Any, dict[str, Any]]]:
    for name, owner, definition in definitions(deployment):
        for step in steps(definition):
            if step["Type"] == "Processing":
                yield name, owner, step


def _sagemaker_max(*shapes: str) -> tuple[int, ...]:
    """The maximum lengths botocore's SageMaker model gives these shapes."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    return tuple(model.shape_for(shape).metadata["max"] for shape in shapes)


@pytest.mark.parametrize("case", CASE_IDS)
def test_processing_environment_values_fit_botocore_limits(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    key_limit, value_limit = _sagemaker_max(
        "ProcessingEnvironmentKey", "ProcessingEnvironmentValue"
    )
    found = 0
    for pipeline, _, step in processing_steps(all_plans[case]):
        found += 1
        for name, value in step["Arguments"]["Environment"].items():
            assert len(name) <= key_limit and len(value) <= value_limit, (
                pipeline,
                step["Name"],
                name,
                len(value),
            )
    assert found


@pytest.mark.parametrize("case", CASE_IDS)
def test_processing_steps_run_on_instance_types_sagemaker_accepts(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    """The evaluation, profile, monitoring and champion steps' fixed instance types are in
    botocore's ProcessingInstanceType enum (the pipeline would fail at run time otherwise)."""
    model = botocore.session.get_session().get_service_model("sagemaker")
    accepted = set(model.shape_for("ProcessingInstanceType").enum)
    found = 0
    for pipeline, _, step in processing_steps(all_plans[case]):
        found += 1
        cluster = step["Arguments"]["ProcessingResources"]["ClusterConfig"]
        assert cluster["InstanceType"] in accepted, (pipeline, step["Name"], cluster)
    assert found


@pytest.mark.parametrize("case", CASE_IDS)
def test_every_runtime_step_reads_a_config_file_that_round_trips(
    all_plans: dict[str, DeploymentPlan], case: str, tmp_path: Path
) -> None:
    deployment = all_plans[case]
    shipped: set[str] = set()
    for pipeline, owner, step in processing_steps(deployment):
        args = step["Arguments"]
        if not any(
            m in args["AppSpecification"]["ContainerEntrypoint"][2] for m in RUNTIME_MODULES
        ):
            assert not args["Environment"], step["Name"]
            continue
        path = args["Environment"][runtime_config.FILE_ENV_VAR]
        inputs = {i["InputName"]: i["S3Input"] for i in args["ProcessingInputs"]}
        config = inputs["config"]
        assert config["LocalPath"] == pipelines.CONFIG_INPUT
        assert path.startswith(pipelines.CONFIG_INPUT + "/")
        (file,) = [f for f in owner.config_files if f.uri == config["S3Uri"]]
        assert file.local_path == path and file.step == step["Name"]
        assert file.key == f"code/config/{pipeline}/{step['Name']}.json"
        assert file.bucket == deployment.storage.bucket("artifacts").name
        # The runtime's dataclass parses the rendered file and gives the same document back.
        text = render(file.content, REFS)  # what the component uploads
        cls = (
            getattr(runtime_config, file.runtime_class, None)
            or getattr(runtime_lineage, file.runtime_class, None)
            or getattr(runtime_holdout, file.runtime_class, None)
            or getattr(runtime_batch, file.runtime_class)
        )
        parsed = cls.from_json(text)
        assert parsed.to_dict() == json.loads(text)
        # ... and that is what the unit reads from the file its environment names.
        local = tmp_path / f"{pipeline}-{file.step}.json"
        local.write_text(text)
        assert cls.from_env({runtime_config.FILE_ENV_VAR: str(local)}) == parsed
        # The job's role may read the file (and only the pipeline's config prefix).
        role: RolePlan = owner.role
        arn = f"{deployment.storage.bucket('artifacts').arn}/{pipelines.config_prefix(pipeline)}*"
        assert any(
            "s3:GetObject" in s.actions and arn in s.resources for s in role.policy.statements
        ), role.name
        shipped.add(file.uri)
    every = {
        f.uri
        for owner in (*deployment.training, *deployment.monitoring.jobs)
        for f in owner.config_files
    }
    every |= {f.uri for s in deployment.serving if s.batch for f in s.batch.config_files}
    assert shipped == every  # no file without a step, no step without its file


def test_the_documents_were_too_long_for_the_environment() -> None:
    # Why the files exist: churn prod's Evaluate, Profile and MonitorDrift configurations are
    # each longer than a Processing job environment value may be.
    deployment = example("churn", "prod")
    lengths = {
        f.step: len(f.content)
        for owner in (*deployment.training, *deployment.monitoring.jobs)
        for f in owner.config_files
    }
    assert {"Evaluate", "Profile", "MonitorDrift"} <= set(lengths)
    (limit,) = _sagemaker_max("ProcessingEnvironmentValue")
    assert all(length > limit for length in lengths.values()), lengths


@pytest.mark.parametrize("case", CASE_IDS)
def test_pipelines_create_no_experiments(all_plans: dict[str, DeploymentPlan], case: str) -> None:
    for name, _, definition in definitions(all_plans[case]):
        assert "PipelineExperimentConfig" in definition, name
        assert definition["PipelineExperimentConfig"] is None, name


def functions_of(deployment: DeploymentPlan) -> list[FunctionPlan]:
    functions = list(deployment.retraining.functions) if deployment.retraining else []
    if deployment.monitoring.notifier:
        functions.append(deployment.monitoring.notifier.function)
    return functions


@pytest.mark.parametrize("case", CASE_IDS)
def test_each_function_reads_its_own_config_object_and_no_other(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    """Lambda allows 4 KB of environment variables: each function's configuration is an object
    in the artifacts bucket that its role alone may read, exactly that key."""
    deployment = all_plans[case]
    (artifacts,) = [b for b in deployment.storage.buckets if b.key == "artifacts"]
    keys = set()
    for function in functions_of(deployment):
        file = function.config_file
        assert (file.bucket, file.key) == (
            artifacts.name,
            f"{FUNCTIONS_PREFIX}{function.name}.json",
        )
        # the document parses as the class the handler reads
        getattr(runtime_config, file.runtime_class).from_json(render(file.content, REFS))
        reads = [s for s in function.role.policy.statements if s.sid == "ReadRuntimeConfig"]
        assert [(s.actions, s.resources) for s in reads] == [
            (("s3:GetObject", "s3:GetObjectVersion"), (f"{artifacts.arn}/{file.key}",))
        ]
        keys.add(file.key)
    assert len(keys) == len(functions_of(deployment))


def test_a_large_spec_plans_its_functions() -> None:
    """100 retrain monitors: a 5 KB trigger configuration, more than a Lambda environment holds."""
    many = {
        f"drift-{i:03d}-" + "x" * 20: {"type": "data_drift", "threshold": 0.2, "action": "retrain"}
        for i in range(100)
    }
    deployment = mini(monitors=many)
    trigger = deployment.retraining.function("trigger")  # type: ignore[union-attr]
    assert trigger is not None
    config = runtime_config.TriggerConfig.from_json(render(trigger.config, REFS))
    assert len(config.alarms) == 100
    assert len(trigger.config) > 4096
    # 100 alarm names do not fit one EventBridge pattern: the stack's alarms by prefix (the
    # trigger ignores alarms its configuration does not name)
    (rule,) = [r for r in deployment.retraining.rules if r.key == "alarm-retrain"]  # type: ignore[union-attr]
    assert json.loads(rule.event_pattern)["detail"]["alarmName"] == [{"prefix": "mini-dev-"}]
    assert all(len(r.event_pattern) <= 4096 for r in deployment.retraining.rules)  # type: ignore[union-attr]


SAGEMAKER_ROLES = ("train", "trainer", "serve", "monitor")


@pytest.mark.parametrize("case", CASE_IDS)
def test_sagemaker_roles_trust_only_this_account_and_region(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    deployment = all_plans[case]
    for role in roles_of(deployment):
        (statement,) = role.trust.statements
        conditions = {(c.operator, c.key): c.values for c in statement.conditions}
        if role.service == "sagemaker.amazonaws.com":
            assert role.key in SAGEMAKER_ROLES
            assert conditions == {
                ("StringEquals", "aws:SourceAccount"): ("${account}",),
                ("ArnLike", "aws:SourceArn"): (
                    f"arn:{deployment.partition}:sagemaker:{deployment.region}:${{account}}:*",
                ),
            }, role.name


@pytest.mark.parametrize("case", CASE_IDS)
def test_only_roles_that_start_encrypted_jobs_may_grant_the_key(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    deployment = all_plans[case]
    starts_jobs = {t.role.name for t in deployment.training}
    starts_jobs |= {j.role.name for j in deployment.monitoring.jobs}
    starts_jobs |= {s.role.name for s in deployment.serving if s.batch}
    creates_endpoints = set()
    if deployment.retraining and deployment.retraining.function("deploy"):
        creates_endpoints.add(deployment.retraining.function("deploy").role.name)  # type: ignore[union-attr]
    for role in roles_of(deployment):
        grants = [s for s in role.policy.statements if "kms:CreateGrant" in s.actions]
        if role.name in starts_jobs | creates_endpoints:
            (grant,) = grants
            assert grant.actions == ("kms:CreateGrant",)
            assert grant.resources == ("${key_arn}",)
            assert [(c.operator, c.key, c.values) for c in grant.conditions] == [
                ("Bool", "kms:GrantIsForAWSResource", ("true",))
            ]
        else:
            assert not grants, role.name
    # and those roles do start jobs with the key on volumes and outputs
    for _, owner, step in processing_steps(deployment):
        cluster = step["Arguments"]["ProcessingResources"]["ClusterConfig"]
        assert cluster["VolumeKmsKeyId"] == "${key_arn}"
        assert owner.role.name in starts_jobs
