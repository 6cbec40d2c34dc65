"""Training plan: pipeline definition, role, gate, holdout, reference profile, schedule."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest
from pydantic import ValidationError

from mlops_runtime.contract.config import EvaluateConfig, ProfileConfig
from mlops_spec.plan import DeploymentPlan
from tests.plan.conftest import CASE_IDS, MINIMAL, PROD, example, full, mini, step_config

IMAGE = MINIMAL["models"]["mm"]["training"]["image"]


def _steps(definition: str) -> dict[str, Any]:
    steps: dict[str, Any] = {}

    def collect(items: list[dict[str, Any]]) -> None:
        for step in items:
            steps[step["Name"]] = step
            collect(step.get("Arguments", {}).get("IfSteps", []))
            collect(step.get("Arguments", {}).get("ElseSteps", []))

    collect(json.loads(definition)["Steps"])
    return steps


def test_churn_pipeline_trains_evaluates_gates_and_registers() -> None:
    training = example("churn", "prod").training_for("churn-classifier")
    document = json.loads(training.definition)
    assert [s["Name"] for s in document["Steps"]] == [
        "Inputs",
        "Train",
        "PrepareHoldout",
        "CandidateModel",
        "ScoreHoldout",
        "Evaluate",
        "CheckGate",
    ]
    assert document["Parameters"][0] == {
        "Name": "TriggerReason",
        "Type": "String",
        "DefaultValue": "manual",
    }
    # The lineage's (tests/plan/test_lineage_plan.py)
    assert [p["Name"] for p in document["Parameters"][1:]] == [
        "SpecSha256",
        "Commit",
        "Stack",
        "TriggerId",
    ]
    steps = _steps(training.definition)
    train = steps["Train"]["Arguments"]
    assert train["EnableManagedSpotTraining"] is True
    assert train["StoppingCondition"] == {
        "MaxRuntimeInSeconds": 5400,
        "MaxWaitTimeInSeconds": 10800,
    }
    assert train["HyperParameters"] == {"max_depth": "6", "n_estimators": "300"}
    assert train["Environment"] == {"SAGEMAKER_PROGRAM": "train.py"}
    assert train["InputDataConfig"][0]["ChannelName"] == "customer-events"
    assert train["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == (
        "s3://acme-churn-prod-data-customer-events-eu-west-1/events/"
    )
    # The training container runs with its own role, not the pipeline's.
    assert train["RoleArn"] == "arn:aws:iam::${account}:role/churn-prod-churn-classifier-trainer"
    assert train["OutputDataConfig"]["KmsKeyId"] == "${key_arn}"
    # Checkpoints per execution: the next run starts fresh, a restarted spot job resumes.
    assert train["CheckpointConfig"]["S3Uri"] == {
        "Std:Join": {
            "On": "/",
            "Values": [
                "s3://acme-churn-prod-artifacts-eu-west-1/models/churn-classifier/checkpoints",
                {"Get": "Execution.PipelineExecutionId"},
            ],
        }
    }
    condition = steps["CheckGate"]["Arguments"]["Conditions"][0]
    assert condition["LeftValue"]["Std:JsonGet"]["Path"] == "gate.passed"
    assert condition["RightValue"] is True
    passed = steps["CheckGate"]["Arguments"]["IfSteps"]
    assert [s["Name"] for s in passed] == ["Profile", "Lineage", "Register"]
    assert steps["GateFailed"]["Type"] == "Fail"
    register = steps["Register"]["Arguments"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ModelPackageGroupName"] == "churn-prod-churn-classifier"
    assert register["InferenceSpecification"]["SupportedRealtimeInferenceInstanceTypes"] == [
        "ml.c5.large"
    ]


def test_evaluation_step_runs_the_runtime_with_its_config() -> None:
    training = example("churn", "dev").training_for("churn-classifier")
    evaluate = _steps(training.definition)["Evaluate"]
    args = evaluate["Arguments"]
    assert args["AppSpecification"]["ImageUri"] == (
        "141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-scikit-learn:1.4-2-cpu-py3"
    )
    assert "python3 -m mlops_runtime.evaluate" in args["AppSpecification"]["ContainerEntrypoint"][2]
    config = step_config(training, args, EvaluateConfig)
    assert (config.task, config.label, config.gate.metric, config.gate.min_value) == (
        "classification",
        "churned",
        "auc",
        0.78,
    )
    assert config.gate.min_improvement == 0.002
    assert config.model_package_group == "churn-dev-churn-classifier"
    assert evaluate["PropertyFiles"] == [
        {
            "PropertyFileName": "EvaluationReport",
            "OutputName": "evaluation",
            "FilePath": "evaluation.json",
        }
    ]
    inputs = {i["InputName"]: i["S3Input"]["LocalPath"] for i in args["ProcessingInputs"]}
    assert inputs == {
        "code": "/opt/ml/processing/code",
        "config": "/opt/ml/processing/input/config",
        "predictions": "/opt/ml/processing/predictions",  # the ScoreHoldout transform's output
        "holdout": "/opt/ml/processing/holdout",  # the PrepareHoldout step's output
    }


def test_dev_auto_approval_and_regression_gate() -> None:
    churn_dev = _steps(example("churn", "dev").training_for("churn-classifier").definition)
    assert churn_dev["Register"]["Arguments"]["ModelApprovalStatus"] == "Approved"
    bt = full("prod").training_for("bt")  # development presets force spot
    assert bt.gate and bt.gate.task == "regression" and bt.gate.max_value == 10
    assert bt.spot is False and bt.max_wait_seconds is None and bt.checkpoint_uri is None
    train = _steps(bt.definition)["Train"]["Arguments"]
    assert "MaxWaitTimeInSeconds" not in train["StoppingCondition"]
    assert "CheckpointConfig" not in train


def test_without_a_gate_the_candidate_is_profiled_and_registered_directly() -> None:
    drift = {"type": "data_drift", "method": "psi", "threshold": 0.2, "action": "notify"}
    watched = mini(
        monitors={"drift": drift}, serving={"tier": "realtime", "data_capture_percent": 10}
    ).training_for("mm")
    assert watched.gate is None
    steps = json.loads(watched.definition)["Steps"]
    assert [s["Name"] for s in steps] == ["Inputs", "Train", "Profile", "Lineage", "Register"]
    assert steps[2]["DependsOn"] == ["Train"]  # profiles the data of a model that trained


def test_a_model_whose_references_no_monitor_reads_writes_none() -> None:
    """Unserved, or served without a drift, bias or prediction-drift monitor: no Profile step
    (the latency monitor of the minimal spec reads no reference)."""
    for training in (full().training_for("la"), mini().training_for("mm")):
        steps = json.loads(training.definition)["Steps"]
        assert [s["Name"] for s in steps] == ["Inputs", "Train", "Lineage", "Register"]
        _writes_no_reference(training)


def test_hyperparameters_are_strings_and_multi_instance_traffic_is_encrypted() -> None:
    rt = full("prod").training_for("rt")  # development presets use one instance
    assert dict(rt.hyperparameters) == {
        "balanced": "true",
        "depth": "6",
        "eta": "0.1",
        "name": "rt",
    }
    assert _steps(rt.definition)["Train"]["Arguments"]["EnableInterContainerTrafficEncryption"]


def test_schedules_invoke_the_trigger_and_are_paused_in_development() -> None:
    dev, prod = example("churn", "dev").retraining, example("churn", "prod").retraining
    assert dev and prod
    dev_schedule, schedule = (
        dev.schedule_for("churn-classifier"),
        prod.schedule_for("churn-classifier"),
    )
    assert dev_schedule and schedule
    assert (dev_schedule.state, schedule.state) == ("DISABLED", "ENABLED")
    assert schedule.expression == "cron(0 3 ? * MON *)"
    trigger = prod.function("trigger")
    assert trigger and schedule.target_arn == trigger.arn == (
        "arn:aws:lambda:eu-west-1:${account}:function:churn-prod-retrain-trigger"
    )
    assert json.loads(schedule.input) == {
        "source": "mlops.schedule",
        "model": "churn-classifier",
        "scheduled_time": "<aws.scheduler.scheduled-time>",
    }
    assert schedule.role_name == "churn-prod-churn-classifier-scheduler"


def test_scheduler_role_starts_exactly_the_models_pipelines_and_invokes_the_trigger() -> None:
    deployment = full("prod")
    rt = deployment.training_for("rt")
    assert rt.scheduler_role is not None
    start, invoke, dead_letters, key = rt.scheduler_role.policy.statements
    assert start.actions == ("sagemaker:StartPipelineExecution",)
    assert {r.rsplit("/", 1)[1] for r in start.resources} == {"full-prod-rt-monitor"}
    assert invoke.actions == ("lambda:InvokeFunction",)
    assert invoke.resources == (
        "arn:aws:lambda:us-west-2:${account}:function:full-prod-retrain-trigger",
    )
    # and sends failed starts to its schedules' own queues, encrypted with the system key
    assert dead_letters.actions == ("sqs:SendMessage",)
    assert {r.rsplit(":", 1)[1] for r in dead_letters.resources} == {
        "full-prod-rt-monitor-dlq",
        "full-prod-rt-train-dlq",
    }
    assert (key.actions, key.resources) == (("kms:Decrypt", "kms:GenerateDataKey"), ("${key_arn}",))
    assert rt.scheduler_role.trust.statements[0].conditions[0].key == "aws:SourceAccount"
    assert deployment.training_for("reg").scheduler_role is None
    ltv = example("ltv", "prod").training_for("ticket-router").scheduler_role
    assert ltv and [s.sid for s in ltv.policy.statements] == [
        "InvokeFunctions",
        "DeadLetters",
        "UseSystemKey",
    ]


def test_kubernetes_training_is_refused_with_the_spec_path() -> None:
    with pytest.raises(ValidationError, match=r"models\.mm\.training\.platform\n.*system"):
        mini(
            training={
                "platform": "kubernetes",
                "image": "r.example.com/m:1",
                "cpu": 2,
                "memory_gib": 4,
                "inputs": ["ds"],
            }
        )


def test_a_gate_needs_a_labelled_holdout_when_the_spec_is_loaded() -> None:
    unlabelled = {"data_sources": {"ds": {"features": {"x": "numeric"}}}}
    training = {"image": IMAGE, "inputs": ["ds"], "gate": {"metric": "accuracy", "min": 0.5}}
    with pytest.raises(ValidationError, match="has no label column"):
        mini(unlabelled, training=training, settings=PROD)


def _two_sources(holdout_label: str | None = "y") -> dict[str, Any]:
    holdout: dict[str, Any] = {"prefix": "holdout/", "features": {"x": "numeric"}}
    if holdout_label:
        holdout["label"] = holdout_label
    return {
        "data_sources": {
            "ds": {"prefix": "p/", "features": {"x": "numeric", "c": "categorical"}},
            "hold": holdout,
        }
    }


def test_the_gate_scores_the_holdout_source() -> None:
    training = {
        "image": IMAGE,
        "inputs": ["ds"],
        "holdout": "hold",
        "gate": {"metric": "auc", "min": 0.5},
        "evaluation": {"output": "probability"},
    }
    plan = mini(_two_sources(), training=training).training_for("mm")
    assert plan.gate and (plan.gate.holdout, plan.gate.label) == ("hold", "y")
    assert plan.gate.holdout_uri == "s3://acme-mini-dev-data-hold-eu-west-1/holdout/"
    steps = _steps(plan.definition)
    prepare = steps["PrepareHoldout"]["Arguments"]
    holdout = next(i for i in prepare["ProcessingInputs"] if i["InputName"] == "data")
    assert holdout["S3Input"]["S3Uri"] == plan.gate.holdout_uri
    evaluate = steps["Evaluate"]["Arguments"]
    config = step_config(plan, evaluate, EvaluateConfig)
    assert (config.label, config.features) == ("y", ("x", "c"))  # the model's input order
    reads = {
        r
        for s in plan.role.policy.statements
        if s.actions == ("s3:GetObject",)
        for r in s.resources
    }
    assert "arn:aws:s3:::acme-mini-dev-data-hold-eu-west-1/holdout/*" in reads
    # the channels stay the training inputs
    assert [c.name for c in plan.channels] == ["ds"]
    with pytest.raises(ValidationError, match="'hold', which has no label column"):
        mini(_two_sources(holdout_label=None), training=training)


def test_more_than_ten_rollback_monitors_fail_when_the_spec_is_loaded() -> None:
    monitors = {
        f"lat-{i}": {"type": "latency", "threshold_ms": 100 + i, "action": "rollback"}
        for i in range(11)
    }
    with pytest.raises(ValidationError, match="at most 10 alarms"):
        mini(monitors=monitors)


@pytest.mark.parametrize("case", CASE_IDS)
def test_every_pipeline_writes_the_profile_the_monitoring_job_reads(
    all_plans: dict[str, DeploymentPlan], case: str
) -> None:
    deployment = all_plans[case]
    for training in deployment.training:
        profile = training.profile
        # a cluster's monitoring jobs (platform: kubernetes) read the references of every model
        if deployment.kubernetes is None and not _reads_references(deployment, training.model):
            _writes_no_reference(training)
            continue
        step = _steps(training.definition)["Profile"]
        args = step["Arguments"]
        config = step_config(training, args, ProfileConfig)
        assert config.model_id == training.model
        (output,) = args["ProcessingOutputConfig"]["Outputs"]
        assert output["S3Output"]["LocalPath"] == "/opt/ml/processing/profile"
        if profile.packages_uri:  # per execution; the deploy function promotes the served one's
            per_execution = {
                "Std:Join": {
                    "On": "/",
                    "Values": [
                        profile.packages_uri.rstrip("/"),
                        {"Get": "Execution.PipelineExecutionId"},
                    ],
                }
            }
            assert output["S3Output"]["S3Uri"] == per_execution
            metadata = _steps(training.definition)["Register"]["Arguments"]
            assert metadata["CustomerMetadataProperties"]["mlops:reference"] == per_execution
            assert profile.profile_uri == f"{profile.output_uri}/profile.json"
        else:
            assert f"{output['S3Output']['S3Uri']}/profile.json" == profile.profile_uri
        job = deployment.monitoring.model(training.model).job
        if job:
            assert job.profile_uri == profile.profile_uri
            assert json.loads(job.config)["profile_uri"] == profile.profile_uri


def _reads_references(deployment: DeploymentPlan, model: str) -> bool:
    """The model's monitoring job reads a reference: its config measures data drift or bias
    (against profile.json) or names the reference predictions (prediction drift)."""
    job = deployment.monitoring.model(model).job
    if job is None:
        return False
    config = json.loads(job.config)
    return bool(config["data_drift"] or config["bias"] or config["prediction_drift"])


def _writes_no_reference(training: Any) -> None:
    """No Profile step, no reference metadata on the package, no grant to write one."""
    steps = _steps(training.definition)
    assert "Profile" not in steps and training.profile.files == ()
    metadata = steps["Register"]["Arguments"]["CustomerMetadataProperties"]
    assert "mlops:reference" not in metadata
    written = [
        r for s in training.role.policy.statements if "s3:PutObject" in s.actions
        for r in s.resources
    ]  # fmt: skip
    assert written and not [r for r in written if "/reference/" in r or "/profiles/" in r]
    assert not [f for f in training.config_files if f.step == "Profile"]


def test_profile_step_runs_the_runtime_like_the_evaluation_step() -> None:
    training = example("churn", "dev").training_for("churn-classifier")
    steps = _steps(training.definition)
    profile, evaluate = steps["Profile"]["Arguments"], steps["Evaluate"]["Arguments"]
    assert profile["AppSpecification"]["ImageUri"] == evaluate["AppSpecification"]["ImageUri"]
    command = profile["AppSpecification"]["ContainerEntrypoint"]
    assert command[2].endswith("exec python3 -m mlops_runtime.profile_job")
    assert (
        command[2].split(" && ")[:2]
        == evaluate["AppSpecification"]["ContainerEntrypoint"][2].split(" && ")[:2]
    )  # unpack the same archive the same way
    from mlops_runtime import profile_job

    inputs = {i["InputName"]: i["S3Input"] for i in profile["ProcessingInputs"]}
    assert (
        inputs["code"]
        == {i["InputName"]: i["S3Input"] for i in evaluate["ProcessingInputs"]}["code"]
    )
    assert inputs["data"]["LocalPath"] == profile_job.INPUT_DIR == "/opt/ml/processing/input/data"
    (output,) = profile["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["LocalPath"] == profile_job.OUTPUT_DIR
    assert inputs["data"]["S3Uri"] == training.channels[0].uri
    config = step_config(training, profile, ProfileConfig)
    assert list(config.features) == [  # spec order, which is the captured CSV column order
        "tenure_months",
        "monthly_charges",
        "total_charges",
        "support_tickets_90d",
        "logins_30d",
        "contract",
        "payment_method",
        "region",
    ]
    assert config.features["contract"] == "categorical"
    assert (config.format, config.sample_rows) == ("parquet", 1_000_000)
    assert training.profile.profile_uri == (
        "s3://acme-churn-dev-artifacts-eu-west-1/models/churn-classifier/reference/"
        + profile_job.PROFILE_FILE
    )
    writes = {
        r
        for s in training.role.policy.statements
        if "s3:PutObject" in s.actions
        for r in s.resources
    }
    # a latest_approved endpoint: the step writes the execution's own references; the deploy
    # function promotes the served package's to reference/
    assert (
        "arn:aws:s3:::acme-churn-dev-artifacts-eu-west-1/models/churn-classifier/profiles/*"
        in writes
    )
    tickets = example("ltv", "dev").training_for("ticket-router").profile
    assert ProfileConfig.from_json(tickets.config).format == "jsonl"


def test_a_multi_input_model_is_profiled_from_its_first_input() -> None:
    changes = _two_sources()
    changes["data_sources"]["hold"]["features"] = {"z": "numeric"}
    deployment = mini(changes, training={"image": IMAGE, "inputs": ["ds", "hold"]})
    profile = deployment.training_for("mm").profile
    assert profile.source == "ds"
    assert list(json.loads(profile.config)["features"]) == ["x", "c", "z"]
    assert any("computed from the first input, 'ds', only" in n for n in deployment.notes)


def _allows(role: Any, action: str, resource: str) -> list[Any]:
    """The Allow statements of ``role`` that grant ``action`` on ``resource``."""
    return [
        s
        for s in role.policy.statements
        if s.effect == "Allow"
        and action in s.actions
        and any(fnmatch.fnmatchcase(resource, pattern) for pattern in s.resources)
    ]


ARTIFACTS = "arn:aws:s3:::acme-churn-prod-artifacts-eu-west-1/models/churn-classifier"
PACKAGE = "arn:aws:sagemaker:eu-west-1:${account}:model-package/churn-prod-churn-classifier/7"


def test_training_jobs_run_with_a_role_that_cannot_register_or_touch_what_the_gate_trusts() -> None:
    training = example("churn", "prod").training_for("churn-classifier")
    job = training.job_role
    assert job.name == "churn-prod-churn-classifier-trainer"
    assert _steps(training.definition)["Train"]["Arguments"]["RoleArn"] == (
        "arn:aws:iam::${account}:role/churn-prod-churn-classifier-trainer"
    )
    # what the container needs: its input, its model, its checkpoints
    events = "arn:aws:s3:::acme-churn-prod-data-customer-events-eu-west-1/events/part-0.parquet"
    assert _allows(job, "s3:GetObject", events)
    for prefix in ("training", "checkpoints"):
        assert _allows(job, "s3:PutObject", f"{ARTIFACTS}/{prefix}/job/model.tar.gz"), prefix
    assert _allows(job, "s3:GetObject", f"{ARTIFACTS}/checkpoints/run/ckpt-1")
    # and nothing the gate, the monitoring job or the deploy function trusts
    for prefix in ("evaluation", "reference"):
        assert not _allows(job, "s3:PutObject", f"{ARTIFACTS}/{prefix}/x.json"), prefix
    actions = {a for s in job.policy.statements for a in s.actions}
    assert not {a for a in actions if a.startswith("sagemaker:")}
    assert "iam:PassRole" not in actions and "kms:CreateGrant" not in actions


def test_the_pipeline_role_writes_only_evaluation_and_reference_and_registers_as_the_spec_says() -> (
    None
):
    training = example("churn", "prod").training_for("churn-classifier")  # approval: manual
    role = training.role
    assert _allows(role, "s3:PutObject", f"{ARTIFACTS}/evaluation/exec/evaluation.json")
    # its references per execution; the current ones are the served package's (deploy function)
    assert _allows(role, "s3:PutObject", f"{ARTIFACTS}/profiles/exec/profile.json")
    assert not _allows(role, "s3:PutObject", f"{ARTIFACTS}/reference/profile.json")
    for prefix in ("training", "checkpoints"):
        assert not _allows(role, "s3:PutObject", f"{ARTIFACTS}/{prefix}/x"), prefix
    (passed,) = [s for s in role.policy.statements if "iam:PassRole" in s.actions]
    assert set(passed.resources) == {training.role.arn("aws"), training.job_role.arn("aws")}
    # manual approval: packages can only be created pending a person's approval
    (register,) = _allows(role, "sagemaker:CreateModelPackage", PACKAGE)
    assert register.actions == ("sagemaker:CreateModelPackage",)
    assert [(c.operator, c.key, c.values) for c in register.conditions] == [
        ("StringEquals", "sagemaker:ModelApprovalStatus", ("PendingManualApproval",))
    ]
    auto = example("churn", "dev").training_for("churn-classifier")  # approval: auto
    (register,) = [s for s in auto.role.policy.statements if s.sid == "RegisterPackages"]
    assert [(c.key, c.values) for c in register.conditions] == [
        ("sagemaker:ModelApprovalStatus", ("Approved",))
    ]
