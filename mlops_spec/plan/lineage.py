"""The training pipeline's lineage: parameters, the Inputs and Lineage steps, their grants.

Inputs (before Train) resolves the training image to its digest and lists every object the run
reads; Train runs the image at that digest; Lineage (before Register) writes ``lineage.json``
under ``s3://<artifacts>/models/<model>/lineage/<execution id>/``; Register names the image at
its digest and copies the short facts (record URI and SHA-256, digest, spec hash, commit,
stack, trigger id, execution) into the package's metadata. See docs/lineage.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache, partial
from typing import Any, TypeVar

from mlops_runtime.contract.lineage import (
    IMAGE_FILE,
    METADATA,
    PARAMETERS,
    RUN_ENV,
    SUMMARY_FILE,
    UNKNOWN,
    LineageConfig,
    LineageSource,
)
from mlops_spec.models import ResolvedSpec
from mlops_spec.plan import iam, pipelines
from mlops_spec.plan.documents import Condition, Statement, canonical_json
from mlops_spec.plan.images import image as parse_image

Plan = TypeVar("Plan")

INPUTS_STEP = "Inputs"
LINEAGE_STEP = "Lineage"
IMAGE_PROPERTY_FILE = "Image"
SUMMARY_PROPERTY_FILE = "LineageSummary"
INPUTS_OUTPUT = "inputs"
RECORD_OUTPUT = "record"
LINEAGE_PREFIX = "lineage"
"""Under ``models/<model>/``: ``<execution id>/inputs/`` and ``<execution id>/lineage.json``."""
INSTANCE_TYPE = "ml.t3.medium"
"""The lineage steps list objects and call ECR: the smallest Processing instance."""
MAX_RUNTIME_SECONDS = 1800
"""Each lineage step's limit: listing a million objects takes about 100 s (1,000 versions per
``ListObjectVersions`` page); the cost estimate prices each step at this much."""
MODULE = "mlops_runtime.lineage_job"
COMMIT = re.compile(r"^[\w.:/=+\-@]{1,256}$")
"""A commit (or any revision name) a package's metadata can hold."""
INPUTS_URI = {
    "Get": f"Steps.{INPUTS_STEP}.ProcessingOutputConfig.Outputs['{INPUTS_OUTPUT}'].S3Output.S3Uri"
}


@dataclass(frozen=True)
class LineagePlan:
    """A model's lineage steps: what they read and where the records go."""

    records_uri: str
    """``s3://<artifacts>/models/<model>/lineage/``."""
    config: str
    """``LineageConfig`` JSON (the steps' config file)."""
    stack: str
    sources: tuple[LineageSource, ...]
    image: str
    """The training image as the spec writes it."""
    spec_sha256: pipelines.Deferred = pipelines.Deferred()  # noqa: RUF009 - a descriptor
    """Default of the ``SpecSha256`` parameter: :func:`spec_sha256` of the stack's spec
    (computed when first read: validation reads none)."""

    @property
    def resolves_image(self) -> bool:
        """An ECR image: Train and Register use it at the digest the Inputs step resolved.
        Another registry's image is used as written (its digest is not looked up)."""
        return parse_image(self.image, "aws").repository_arn is not None

    def image_uri(self) -> Any:
        """What Train and Register name: the resolved digest, or the image as written."""
        return (
            _json_get(IMAGE_PROPERTY_FILE, INPUTS_STEP, "uri")
            if self.resolves_image
            else self.image
        )


_SPEC_HASHES: list[tuple[ResolvedSpec, str]] = []
"""The last few specs hashed: every model of a stack records the same spec, and hashing it once
per model made planning quadratic in the number of models (6 s of 7 at 200 models)."""


def spec_sha256(resolved: ResolvedSpec) -> str:
    """SHA-256 of the resolved spec (the stack's overlay applied, defaults filled) as
    canonical JSON: what decided the pipeline, whatever the file's layout or comments."""
    for spec, digest in _SPEC_HASHES:
        if spec is resolved:
            return digest
    data = resolved.model_dump(mode="json")
    digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()
    _SPEC_HASHES[:] = [*_SPEC_HASHES[-7:], (resolved, digest)]
    return digest


def parameters(plan: LineagePlan) -> list[dict[str, str]]:
    """The pipeline parameters the lineage record takes from the program and the trigger."""
    defaults = {
        "spec_sha256": plan.spec_sha256,
        "commit": UNKNOWN,
        "stack": plan.stack,
        "trigger_id": "manual",
    }
    return [
        {"Name": PARAMETERS[field], "Type": "String", "DefaultValue": defaults[field]}
        for field in PARAMETERS
    ]


def with_commit(definition: str, commit: str | None) -> str:
    """``definition`` with the ``Commit`` parameter's default set to ``commit`` (the program's
    ``mlops:commit`` config); unchanged when ``commit`` is None or the pipeline has none."""
    if not commit:
        return definition
    if not COMMIT.match(commit):
        raise ValueError(
            f"mlops:commit {commit!r}: use 1-256 letters, digits and _.:/=+-@ (a commit SHA)"
        )
    document = json.loads(definition)
    for parameter in document.get("Parameters", []):
        if parameter["Name"] == PARAMETERS["commit"]:
            parameter["DefaultValue"] = commit
    return canonical_json(document)


COMMIT_CONFIG = "mlops:commit"
"""The Pulumi config key a program reads the repository commit from (``MlSystem``)."""
COMMIT_ENV = "MLOPS_COMMIT"
"""Else this environment variable (the deploy workflow sets it to ``github.sha``)."""


def stamp_commit(deployment: Plan, commit: str | None) -> Plan:
    """Every training pipeline of ``deployment`` (a ``DeploymentPlan``: not imported, the
    deployment planner imports this module) with ``commit`` as its ``Commit`` default."""
    if not commit:
        return deployment
    trainings = getattr(deployment, "training")  # noqa: B009 - a TypeVar has no attributes
    training = tuple(replace(t, definition=with_commit(t.definition, commit)) for t in trainings)
    stamped = replace(deployment, training=training)  # type: ignore[type-var]
    kubernetes = getattr(deployment, "kubernetes", None)
    loop = getattr(kubernetes, "loop", None)
    if loop is None:
        return stamped
    jobs = tuple(
        replace(job, finish_config=job_commit(job.finish_config, commit)) for job in loop.jobs
    )
    cluster = replace(kubernetes, loop=replace(loop, jobs=jobs))  # type: ignore[type-var]
    return replace(stamped, kubernetes=cluster)  # type: ignore[type-var]


def job_commit(finish_config: str, commit: str) -> str:
    """A cluster training Job's ``FinishConfig`` JSON with ``commit`` as its lineage record's
    commit (unchanged without a record); the features keep their order."""
    config = json.loads(finish_config)
    if not config.get("lineage"):
        return finish_config
    if not COMMIT.match(commit):
        raise ValueError(
            f"mlops:commit {commit!r}: use 1-256 letters, digits and _.:/=+-@ (a commit SHA)"
        )
    config["lineage"]["commit"] = commit
    return json.dumps(config, separators=(",", ":"))


def plan_lineage(
    resolved: ResolvedSpec,
    model_id: str,
    *,
    pipeline_name: str,
    package_group: str,
    model_uri: str,
    data: tuple[Sequence[tuple[str, str]], tuple[str, str] | None],
) -> LineagePlan:
    """A model's lineage steps; ``model_uri``: ``s3://<artifacts>/<model prefix>`` (the
    records go under its ``lineage/``); ``data``: ((channel, uri) in order, (holdout, uri) or
    None)."""
    training = resolved.spec.models[model_id].training
    records_uri = f"{model_uri.rstrip('/')}/{LINEAGE_PREFIX}/"
    config = LineageConfig(
        system=resolved.spec.system.id,
        model_id=model_id,
        pipeline_name=pipeline_name,
        image=training.image,
        sources=sources(tuple(data[0]), data[1]),
        records_uri=records_uri,
        instance_type=str(training.instance_type),
        instance_count=training.instance_count,
        spot=training.spot,
        hyperparameters={
            k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in sorted(training.hyperparameters.items())
        },
        package_group=package_group,
    )
    return LineagePlan(
        records_uri=records_uri,
        config=config.to_json(),
        spec_sha256=partial(spec_sha256, resolved),
        stack=resolved.environment.name,
        sources=config.sources,
        image=training.image,
    )


def _json_get(property_file: str, step: str, path: str) -> dict[str, Any]:
    return {
        "Std:JsonGet": {
            "PropertyFile": {"Get": f"Steps.{step}.PropertyFiles.{property_file}"},
            "Path": path,
        }
    }


def _parameter(field: str) -> dict[str, str]:
    return {"Get": f"Parameters.{PARAMETERS[field]}"}


def package_metadata() -> dict[str, Any]:
    """The register step's lineage metadata (pipeline expressions)."""
    return {
        METADATA["uri"]: _json_get(SUMMARY_PROPERTY_FILE, LINEAGE_STEP, "uri"),
        METADATA["sha256"]: _json_get(SUMMARY_PROPERTY_FILE, LINEAGE_STEP, "sha256"),
        METADATA["objects"]: _json_get(SUMMARY_PROPERTY_FILE, LINEAGE_STEP, "objects"),
        METADATA["digest"]: _json_get(IMAGE_PROPERTY_FILE, INPUTS_STEP, "digest"),
        METADATA["spec_sha256"]: _parameter("spec_sha256"),
        METADATA["commit"]: _parameter("commit"),
        METADATA["stack"]: _parameter("stack"),
        METADATA["trigger_id"]: _parameter("trigger_id"),
        METADATA["run"]: pipelines.EXECUTION_ID,
    }


def run_environment() -> dict[str, Any]:
    """The Lineage step's environment: the run's facts (parameters, Train's properties)."""
    return {
        RUN_ENV["spec_sha256"]: _parameter("spec_sha256"),
        RUN_ENV["commit"]: _parameter("commit"),
        RUN_ENV["stack"]: _parameter("stack"),
        RUN_ENV["trigger_id"]: _parameter("trigger_id"),
        RUN_ENV["trigger_reason"]: {"Get": f"Parameters.{pipelines.REASON_PARAMETER}"},
        RUN_ENV["execution_arn"]: {"Get": "Execution.PipelineExecutionArn"},
        RUN_ENV["training_job"]: {"Get": "Steps.Train.TrainingJobName"},
        RUN_ENV["model_artifacts"]: {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"},
    }


def inputs_step(plan: LineagePlan, processing: Any, config: pipelines.ConfigFile) -> dict:
    """Resolve the image and list the data: ``image.json`` (property file) and
    ``inputs.json`` under ``<records_uri><execution id>/inputs``."""
    local = f"{pipelines.PROCESSING}/lineage/inputs"
    return processing(
        INPUTS_STEP,
        INSTANCE_TYPE,
        MODULE,
        config,
        args=("inputs", "--output", local),
        max_runtime_seconds=MAX_RUNTIME_SECONDS,
        outputs=[(INPUTS_OUTPUT, pipelines.per_execution(plan.records_uri, INPUTS_OUTPUT), local)],
        property_files=[(IMAGE_PROPERTY_FILE, INPUTS_OUTPUT, IMAGE_FILE)],
    )


def lineage_step(
    plan: LineagePlan, processing: Any, config: pipelines.ConfigFile, gated: bool
) -> dict:
    """Write ``lineage.json`` (after the gate passed, with one) and ``summary.json``."""
    received, local = (
        f"{pipelines.PROCESSING}/input/inputs",
        f"{pipelines.PROCESSING}/lineage/record",
    )
    inputs = [pipelines.s3_input("inputs", INPUTS_URI, received)]
    args: tuple[str, ...] = ("record", "--inputs", received, "--output", local)
    if gated:
        evaluation = f"{pipelines.PROCESSING}/input/evaluation"
        inputs.append(pipelines.s3_input("evaluation", pipelines.EVALUATION_OUTPUT_URI, evaluation))
        args += ("--evaluation", evaluation)
    step = processing(
        LINEAGE_STEP,
        INSTANCE_TYPE,
        MODULE,
        config,
        args=args,
        inputs=inputs,
        max_runtime_seconds=MAX_RUNTIME_SECONDS,
        outputs=[(RECORD_OUTPUT, pipelines.per_execution(plan.records_uri), local)],
        property_files=[(SUMMARY_PROPERTY_FILE, RECORD_OUTPUT, SUMMARY_FILE)],
    )
    step["Arguments"]["Environment"].update(run_environment())
    return step


def grants(
    plan: LineagePlan, locations: Mapping[str, tuple[str, str]], artifacts_arn: str
) -> tuple[Statement, ...]:
    """The steps list every version under each source's prefix (``ListObjectVersions``) and
    write the records; ``locations``: source -> (bucket ARN, prefix). Resolving the image is
    ``ecr:BatchGetImage``, which the role's image pulls already grant."""
    listing = tuple(
        Statement(
            sid="ListDataVersions",
            actions=("s3:ListBucketVersions",),
            resources=(locations[s.name][0],),
            conditions=_prefix_condition(locations[s.name][1]),
        )
        for s in plan.sources
    )
    records_prefix = plan.records_uri[len("s3://") :].split("/", 1)[1]
    return (*listing, *iam.s3_write(artifacts_arn, records_prefix))


def _prefix_condition(prefix: str) -> tuple[Condition, ...]:
    return (Condition("StringLike", "s3:prefix", (f"{prefix}*",)),) if prefix else ()


@lru_cache(maxsize=1024)
def sources(
    channels: tuple[tuple[str, str], ...], holdout: tuple[str, str] | None
) -> tuple[LineageSource, ...]:
    """One source per channel (``train``) and the holdout (``holdout``; both roles when the
    holdout is also an input). The models reading the same data share them (cached)."""
    found = {name: (uri, ["train"]) for name, uri in channels}
    if holdout:
        name, uri = holdout
        found.setdefault(name, (uri, []))[1].append("holdout")
    return tuple(LineageSource(name=n, uri=u, roles=tuple(r)) for n, (u, r) in found.items())


def config_files(
    plan: LineagePlan, artifacts_bucket: str, pipeline_name: str
) -> tuple[pipelines.ConfigFile, pipelines.ConfigFile]:
    """The Inputs and Lineage steps' config files: one ``LineageConfig`` document, one file
    per step."""
    inputs_config, record_config = (
        pipelines.config_file(artifacts_bucket, pipeline_name, step, "LineageConfig", plan.config)
        for step in (INPUTS_STEP, LINEAGE_STEP)
    )
    return inputs_config, record_config


def with_steps(
    plan: LineagePlan,
    steps: Sequence[dict[str, Any]],
    inputs_config: pipelines.ConfigFile,
    record_config: pipelines.ConfigFile,
    *,
    processing: Any,
) -> list[dict[str, Any]]:
    """The pipeline's steps with Inputs first and Lineage right before Register (at the top
    level, or inside the gate's condition with Register); ``inputs_config``,
    ``record_config``: their config files (:func:`config_files`)."""
    gated = any(step["Name"] == "Evaluate" for step in steps)
    record = lineage_step(plan, processing, record_config, gated)
    placed = [inputs_step(plan, processing, inputs_config), *_before_register(steps, record)]
    if sum(_count_register(step) for step in placed) != 1:
        raise AssertionError("the training pipeline has no single Register step")
    return placed


def _before_register(steps: Sequence[dict[str, Any]], record: dict[str, Any]) -> list[dict]:
    placed: list[dict[str, Any]] = []
    for step in steps:
        if step["Name"] == "Register":
            placed.append(record)
        if step["Type"] == "Condition":
            arguments = dict(step["Arguments"])
            arguments["IfSteps"] = _before_register(arguments["IfSteps"], record)
            step = {**step, "Arguments": arguments}
        placed.append(step)
    return placed


def _count_register(step: Mapping[str, Any]) -> int:
    if step["Type"] == "Condition":
        return sum(_count_register(s) for s in step["Arguments"]["IfSteps"])
    return int(step["Name"] == "Register")
