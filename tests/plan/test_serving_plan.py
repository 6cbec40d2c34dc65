"""Serving plan: endpoint ownership, hashed names, rollout, autoscaling, batch pipelines."""

from __future__ import annotations

import json
from pathlib import Path

from mlops_runtime.aws.endpoint_requests import release
from mlops_runtime.contract.config import EndpointTarget
from mlops_spec.plan import DeploymentPlan
from mlops_spec.plan.serving import ENDPOINT_OWNER_TAG, endpoint_target, wait_minutes
from tests.plan.conftest import PROD, example, full, mini


def _target(deployment: DeploymentPlan, model: str) -> EndpointTarget:
    serving = deployment.serving_for(model)
    assert serving is not None
    return endpoint_target(serving, deployment.policy, deployment.partition)


def _names(deployment: DeploymentPlan, model: str = "mm") -> tuple[str, str]:
    """(model name, endpoint config name) the rollout gives the pinned package."""
    serving = deployment.serving_for(model)
    assert serving and serving.endpoint and serving.endpoint.package_arn
    built = release(_target(deployment, model), serving.endpoint.package_arn)
    return built.model_name, built.config_name


def test_pinned_realtime_is_owned_by_pulumi_with_hashed_names() -> None:
    rt = full("prod").serving_for("rt")
    assert rt is not None and rt.endpoint is not None
    endpoint = rt.endpoint
    assert endpoint.owner == "pulumi" and endpoint.name == "full-prod-rt"
    assert endpoint.package_arn == (
        "arn:aws:sagemaker:us-west-2:${account}:model-package/full-prod-rt/3"
    )
    model_name, config_name = _names(full("prod"), "rt")
    assert model_name.startswith("full-prod-rt-") and config_name.startswith("full-prod-rt-")
    assert model_name != config_name
    assert (endpoint.instance_type, endpoint.initial_instance_count) == ("ml.c5.xlarge", 2)
    assert endpoint.capture and endpoint.capture.sampling_percent == 50
    assert endpoint.capture.destination_uri == "s3://acme-full-prod-capture-us-west-2/endpoints"


def test_a_new_version_gets_new_model_and_config_names() -> None:
    four = mini().serving_for("mm")
    five = mini(serving={"tier": "realtime", "model_version": {"pinned": 5}}).serving_for("mm")
    assert four and five and four.endpoint and five.endpoint
    assert four.endpoint.name == five.endpoint.name
    (model_4, config_4), (model_5, config_5) = (
        _names(mini()),
        _names(mini(serving={"tier": "realtime", "model_version": {"pinned": 5}})),
    )
    assert model_4 != model_5 and config_4 != config_5
    bigger = mini(
        serving={
            "tier": "realtime",
            "model_version": {"pinned": 4},
            "instance_type": "ml.m5.xlarge",
        }
    )
    bigger_model, bigger_config = _names(bigger)
    assert bigger_model == model_4 and bigger_config != config_4


def test_a_rollback_monitor_changes_no_model_or_config_name() -> None:
    """The rollback alarms are the update's deployment config, not the endpoint config's."""
    without = mini(monitors={})
    assert _target(mini(), "mm").rollback_alarms == ("mini-dev-mm-lat",)
    assert _target(without, "mm").rollback_alarms == ()
    assert _names(mini()) == _names(without)


def test_both_owners_tag_what_they_create_with_the_stack_and_themselves() -> None:
    pinned = _target(mini(), "mm")
    assert pinned.tags[ENDPOINT_OWNER_TAG] == "pulumi"
    assert (pinned.tags["system"], pinned.tags["environment"]) == ("mini", "dev")
    churn = _target(example("churn", "prod"), "churn-classifier")
    assert churn.tags[ENDPOINT_OWNER_TAG] == "deploy-function"
    assert churn.execution_role_arn == (
        "arn:aws:iam::${account}:role/churn-prod-churn-classifier-serve"
    )
    assert churn.kms_key_id == "${key_arn}"


def test_pulumi_up_waits_for_the_provisioning_the_bakes_and_the_termination_wait() -> None:
    endpoint = mini().serving_for("mm").endpoint  # type: ignore[union-attr]
    # plus the rollout's budget (20 minutes to start the fleet, the bakes, the termination wait)
    assert endpoint and endpoint.wait_minutes == 30 + 20 + 10 + 5  # one instance: all at once
    linear = full("prod").serving_for("rt").endpoint  # type: ignore[union-attr]
    assert linear and linear.wait_minutes == 30 + 20 + 2 * 5 + 3  # 50% steps: two bakes
    assert wait_minutes(_target(full("prod"), "rt").traffic) == linear.wait_minutes
    churn = example("churn", "prod").serving_for("churn-classifier")
    assert churn and churn.endpoint and churn.endpoint.wait_minutes is None  # not Pulumi's


def test_rollout_strategies() -> None:
    linear = full("prod").serving_for("rt").endpoint.rollout  # type: ignore[union-attr]
    assert linear and (linear.strategy, linear.step_percent) == ("LINEAR", 50)
    assert (linear.wait_seconds, linear.termination_wait_seconds) == (300, 180)
    assert linear.rollback_alarms == (
        "full-prod-rt-cpu",
        "full-prod-rt-errors",
        "full-prod-rt-latency",
    )
    canary = example("churn", "prod").serving_for("churn-classifier")
    assert canary and canary.endpoint and canary.endpoint.rollout
    assert (canary.endpoint.rollout.strategy, canary.endpoint.rollout.step_percent) == (
        "CANARY",
        50,
    )
    assert canary.rollback_alarms == (
        "churn-prod-churn-classifier-p99-latency",
        "churn-prod-churn-classifier-server-errors",
    )
    off = mini(
        serving={
            "tier": "realtime",
            "model_version": {"pinned": 4},
            "rollout": {"auto_rollback": False},
        }
    ).serving_for("mm")
    assert off and off.rollback_alarms == ()


def test_rollback_alarms_are_alarms_of_the_monitoring_plan() -> None:
    for deployment in (full("prod"), example("churn", "prod")):
        alarm_names = {a.name for a in deployment.monitoring.alarms}
        for serving in deployment.serving:
            assert set(serving.rollback_alarms) <= alarm_names


def test_autoscaling_targets_the_stable_variant() -> None:
    scaling = full("prod").serving_for("rt").endpoint.autoscaling  # type: ignore[union-attr]
    assert scaling is not None
    assert scaling.resource_id == "endpoint/full-prod-rt/variant/AllTraffic"
    assert (scaling.min_capacity, scaling.max_capacity) == (2, 4)
    assert scaling.predefined_metric == "SageMakerVariantInvocationsPerInstance"
    assert scaling.target_invocations_per_instance == 150
    assert full("dev").serving_for("rt").endpoint.autoscaling is None  # type: ignore[union-attr]


def test_latest_approved_endpoints_belong_to_the_deploy_function() -> None:
    churn = example("churn", "prod").serving_for("churn-classifier")
    assert churn and churn.endpoint
    assert churn.endpoint.owner == "deploy-function"
    # planned like a pinned endpoint's, registered by the deploy function once in service
    scaling = churn.endpoint.autoscaling
    assert scaling and (scaling.min_capacity, scaling.max_capacity) == (2, 6)
    assert scaling.resource_id == "endpoint/churn-prod-churn-classifier/variant/AllTraffic"
    assert churn.endpoint.arn == (
        "arn:aws:sagemaker:eu-west-1:${account}:endpoint/churn-prod-churn-classifier"
    )


def test_serverless() -> None:
    sl = full("prod").serving_for("sl")
    assert sl and sl.endpoint and sl.endpoint.serverless
    assert (sl.endpoint.serverless.memory_mb, sl.endpoint.serverless.provisioned_concurrency) == (
        4096,
        2,
    )
    assert sl.endpoint.rollout is None and sl.endpoint.capture is None
    assert sl.endpoint.instance_type is None


def test_metric_descriptors_name_the_endpoint() -> None:
    rt = full().serving_for("rt")
    # The keys alarms, dashboards and the Serving component's ``metrics`` output use.
    assert rt and tuple(k for k, _ in rt.metrics) == (
        "invocations",
        "model_latency",
        "errors_5xx",
        "errors_4xx",
        "cpu",
        "memory",
        "disk",
        "gpu",
    )
    for _, metric in rt.metrics:
        assert metric.dimension_map == {"EndpointName": "full-dev-rt", "VariantName": "AllTraffic"}
    assert rt.metric("model_latency").unit == "Microseconds"
    assert full().serving_for("bt").metrics == ()  # type: ignore[union-attr]


def test_pinned_batch_pipeline_creates_the_model_then_transforms() -> None:
    bt = full("prod").serving_for("bt")
    assert bt and bt.batch and bt.endpoint is None
    steps = json.loads(bt.batch.definition)["Steps"]
    assert [s["Name"] for s in steps] == ["CreateModel", "Transform"]
    package = steps[0]["Arguments"]["PrimaryContainer"]["ModelPackageName"]
    assert package == "arn:aws:sagemaker:us-west-2:${account}:model-package/full-prod-bt/1"
    transform = steps[1]["Arguments"]
    assert transform["ModelName"] == {"Get": "Steps.CreateModel.ModelName"}
    assert transform["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"] == (
        "s3://acme-scoring-inputs/daily/"
    )
    assert transform["TransformOutput"]["S3OutputPath"]["Std:Join"]["Values"][0] == (
        "s3://acme-scoring-outputs/bt"
    )
    assert bt.batch.schedule.expression == "cron(0 2 * * ? *)"
    assert bt.batch.schedule.enabled and bt.batch.schedule.pipeline_name == "full-prod-bt-batch"


def test_latest_approved_batch_resolves_the_champion_at_run_time() -> None:
    from mlops_runtime import champion

    ltv = example("ltv", "prod").serving_for("lifetime-value")
    assert ltv and ltv.batch and ltv.batch.package_version is None
    steps = json.loads(ltv.batch.definition)["Steps"]
    assert [s["Name"] for s in steps] == [
        "ResolveChampion",
        "CreateModel",
        "PrepareFeatures",
        "Transform",
    ]
    resolve = steps[0]
    command = resolve["Arguments"]["AppSpecification"]["ContainerEntrypoint"][2]
    assert command.endswith(
        "exec python3 -m mlops_runtime.champion --group ltv-prod-lifetime-value "
        f"--output {champion.OUTPUT_DIR}"
    )
    (output,) = resolve["Arguments"]["ProcessingOutputConfig"]["Outputs"]
    assert output["S3Output"]["LocalPath"] == champion.OUTPUT_DIR
    (property_file,) = resolve["PropertyFiles"]
    assert property_file == {
        "PropertyFileName": "Champion",
        "OutputName": output["OutputName"],
        "FilePath": champion.CHAMPION_FILE,
    }
    model_package = steps[1]["Arguments"]["PrimaryContainer"]["ModelPackageName"]
    assert model_package["Std:JsonGet"] == {
        "PropertyFile": {"Get": "Steps.ResolveChampion.PropertyFiles.Champion"},
        "Path": "model_package_arn",
    }
    assert ltv.batch.input_uri == "s3://210987654321-ltv-prod-data-orders-us-east-1/orders/"
    # parquet input reaches the model as prepared CSV lines (see test_batch_features_plan)
    assert (ltv.batch.content_type, ltv.batch.split_type) == ("text/csv", "Line")
    assert (
        ltv.batch.output_uri == "s3://210987654321-ltv-prod-reports-us-east-1/batch/lifetime-value/"
    )


def test_models_without_serving_have_no_serving_plan() -> None:
    assert full().serving_for("reg") is None
    assert mini(settings=PROD).serving_for("mm") is not None


class _Registry:
    """The two SageMaker calls ``mlops_runtime.champion`` makes, answered from memory."""

    ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/ltv-prod-lifetime-value/3"

    def list_model_packages(self, **kwargs: object) -> dict[str, object]:
        assert kwargs["ModelApprovalStatus"] == "Approved"
        return {
            "ModelPackageSummaryList": [
                {"ModelPackageArn": self.ARN, "ModelPackageVersion": 3, "CreationTime": 1}
            ]
        }

    def describe_model_package(self, ModelPackageName: str) -> dict[str, object]:
        return {
            "ModelPackageVersion": 3,
            "InferenceSpecification": {
                "Containers": [{"Image": "img", "ModelDataUrl": "s3://b/model.tar.gz"}]
            },
        }


def test_champion_json_answers_the_pipeline_expression(tmp_path: Path) -> None:
    from mlops_runtime import champion

    ltv = example("ltv", "prod").serving_for("lifetime-value")
    assert ltv and ltv.batch
    create_model = json.loads(ltv.batch.definition)["Steps"][1]
    path = create_model["Arguments"]["PrimaryContainer"]["ModelPackageName"]["Std:JsonGet"]["Path"]
    champion.run("ltv-prod-lifetime-value", tmp_path, client=_Registry())
    written = json.loads((tmp_path / champion.CHAMPION_FILE).read_text())
    assert written[path] == _Registry.ARN
    assert set(written) == {"model_package_arn", "model_package_version", "model_data_url", "image"}
