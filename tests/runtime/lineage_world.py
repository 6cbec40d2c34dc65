"""The churn example's prod stack in moto, one retraining run played through its planned
pipeline, for the lineage tests and for the record docs/lineage.md shows.

What Pulumi would have created (versioned buckets, the runtime table, the package group, the
pipeline with its planned definition) and what the team owns (the training image in ECR, the
data) are set up here; the real trigger starts the run; ``pipeline_play`` runs the Inputs and
Lineage steps' code as SageMaker would; the test plays the training job and the Evaluate step
(their outputs only: ``evaluation.json`` in the shape ``mlops_runtime.evaluate`` writes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from pipeline_play import PipelineRun
from runtime_events import scheduler_payload

from mlops_runtime import lineage_job, trigger
from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.core.clock import iso, utcnow
from mlops_spec.load import resolve
from mlops_spec.plan import DeploymentPlan, plan, render
from mlops_spec.plan.lineage import stamp_commit
from mlops_spec.plan.training import TrainingPlan

ROOT = Path(__file__).parents[2]
SPEC = ROOT / "examples" / "churn" / "mlops.yaml"
STACK = "prod"
MODEL = "churn-classifier"
REGION = "eu-west-1"
ACCOUNT = "123456789012"
REFS = {"account": ACCOUNT, "key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/test"}
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/churn-prod-churn-classifier-train"
SCHEDULED = "2026-01-05T03:00:00Z"
COMMIT = "9b2e4f1c0d7a5e3b8c6f2a1d4e7b0c9a8f3e2d1c"
"""What the deploy workflow passes (``MLOPS_COMMIT``: ``github.sha``); MlSystem stamps it."""
TRAINING_OBJECTS = {
    "events/2026/01/01/part-0.parquet": b"tenure_months,churned\n3,1\n40,0\n",
    "events/2026/01/02/part-0.parquet": b"tenure_months,churned\n12,0\n",
    "events/2026/01/03/part-0.parquet": b"tenure_months,churned\n7,1\n55,0\n19,0\n",
}
HOLDOUT_OBJECTS = {"holdout/2026/01/part-0.parquet": b"tenure_months,churned\n9,1\n60,0\n"}
IMAGE_MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7023,
            "digest": "sha256:" + hashlib.sha256(b"churn-train 1.4.0 config").hexdigest(),
        },
        "layers": [],
    },
    indent=3,
)


def filled(document: str) -> str:
    """``${account}`` and ``${key_arn}`` filled as the components do (``documents.render``;
    by replacement here: a definition may hold JSONPath ``$[...]`` filters)."""
    for name, value in REFS.items():
        document = document.replace("${" + name + "}", value)
    return document


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@dataclass
class World:
    deployment: DeploymentPlan
    training: TrainingPlan
    versions: dict[str, str]
    """key -> VersionId S3 answered when the test wrote the object."""

    @property
    def artifacts(self) -> str:
        return self.deployment.storage.bucket("artifacts").name

    @property
    def table(self) -> str:
        assert self.deployment.retraining is not None
        return self.deployment.retraining.table.name


def bucket_of(deployment: DeploymentPlan, source: str) -> str:
    return deployment.storage.location(source).bucket


def build() -> World:
    """What exists before the run: buckets (versioned), data, image, table, group, pipeline."""
    deployment = stamp_commit(plan(resolve(SPEC, STACK)), COMMIT)  # as MlSystem does
    training = deployment.training_for(MODEL)
    s3 = client("s3")
    names = {
        deployment.storage.bucket("artifacts").name,
        bucket_of(deployment, "customer-events"),
        bucket_of(deployment, "customer-events-holdout"),
    }
    for bucket in sorted(names):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    versions = {}
    for source, objects in (
        ("customer-events", TRAINING_OBJECTS),
        ("customer-events-holdout", HOLDOUT_OBJECTS),
    ):
        for key, body in objects.items():
            put = s3.put_object(Bucket=bucket_of(deployment, source), Key=key, Body=body)
            versions[key] = put["VersionId"]
    client("ecr").create_repository(repositoryName="churn-train")
    push_image(IMAGE_MANIFEST, "1.4.0")
    world = World(deployment, training, versions)
    _table(world.table)
    client("sagemaker").create_model_package_group(ModelPackageGroupName=training.package_group)
    client("sagemaker").create_pipeline(
        PipelineName=training.pipeline_name,
        PipelineDefinition=filled(training.definition),
        RoleArn=ROLE_ARN,
    )
    return world


def _table(name: str) -> None:
    client("dynamodb").create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def push_image(manifest: str, tag: str) -> str:
    """``docker push`` of a manifest: ECR's digest is the manifest's SHA-256 (given, as the
    Docker client does: moto would otherwise make one up from the layers)."""
    digest = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    client("ecr").put_image(
        repositoryName="churn-train", imageManifest=manifest, imageTag=tag, imageDigest=digest
    )
    return digest


def evaluation(champion_arn: str) -> dict[str, Any]:
    """What the Evaluate step writes (played): the candidate beat champion version 3."""
    return {
        "schema_version": 1,
        "model_id": MODEL,
        "task": "classification",
        "evaluated_at": iso(utcnow()),
        "holdout": {"rows": 2, "label": "churned", "features": ["tenure_months"]},
        "metrics": {"auc": 0.861, "accuracy": 0.81},
        "champion": {"model_package_arn": champion_arn, "metrics": {"auc": 0.842}},
        "champion_error": None,
        "gate": {
            "metric": "auc",
            "value": 0.861,
            "champion_value": 0.842,
            "higher_is_better": True,
            "min_value": 0.78,
            "max_value": None,
            "min_improvement": 0.002,
            "passed": True,
            "reasons": ["auc 0.861 passes the gate", "beats the champion's 0.842"],
        },
        "verdict": "passed",
        "package_metadata": {"mlops:verdict": "passed"},
    }


def start_run(world: World) -> tuple[str, dict[str, str]]:
    """The trigger (its planned configuration) starts the pipeline on the weekly schedule;
    returns the execution ARN and the parameters it was started with."""
    assert world.deployment.retraining is not None
    function = world.deployment.retraining.function("trigger")
    assert function is not None
    config = TriggerConfig.from_json(render(function.config, REFS))
    result = trigger.process(scheduler_payload(MODEL, SCHEDULED), config, trigger.aws_ports(config))
    assert [d["decision"] for d in result["decisions"]] == ["started"]
    arn = result["decisions"][0]["execution_arn"]
    listed = client("sagemaker").list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
    return arn, {p["Name"]: p["Value"] for p in listed["PipelineParameters"]}


def run_pipeline(world: World, root: Path, champion_arn: str) -> tuple[PipelineRun, str]:
    """One run through the planned steps the lineage is made of; returns the run and the
    registered package's ARN."""
    arn, parameters = start_run(world)
    configs = {f.uri: render(f.content, REFS) for f in world.training.config_files}
    definition = json.loads(filled(world.training.definition))
    run = PipelineRun(definition, parameters, arn, root, client("s3"), configs)
    run.processing("Inputs", lineage_job.main)
    run.train("pipelines-7f3k2q9x1m-Train-Ab12Cd34", b"model.tar.gz of the played training job")
    evaluate = run.resolve(run.steps["Evaluate"]["Arguments"]["ProcessingOutputConfig"])
    output = run.local(evaluate["Outputs"][0]["S3Output"]["LocalPath"])
    output.mkdir(parents=True, exist_ok=True)
    (output / "evaluation.json").write_text(json.dumps(evaluation(champion_arn)))
    run.upload_outputs("Evaluate")
    run.processing("Lineage", lineage_job.main)
    return run, run.register(client("sagemaker"))
