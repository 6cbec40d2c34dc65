"""SageMaker pipeline definitions (schema 2020-12-01) built as plain JSON.

Training: Train and PrepareHoldout (``python -m mlops_runtime.jobs.holdout``: the holdout as
label-first lines) -> CandidateModel (CreateModel: the image and artifact the package will
serve) -> ScoreHoldout (a batch transform of the holdout by that container; ``DataProcessing``
sends the features only and writes each prediction beside its row's label) -> Evaluate
(``python -m mlops_runtime.evaluate``: deletes the CandidateModel's model, then metrics from
the predictions and the gate's verdict; it never loads the model) -> CheckGate on ``gate.passed`` -> Profile (``python -m
mlops_runtime.profile_job``, which also copies the evaluation's ``predictions.json`` to the
reference prefix; only when a monitor reads the model's references) and Register, else Fail.
Without a gate: Train -> [Profile] and Register.
Batch: [ResolveChampion (``python -m mlops_runtime.champion``)] -> CreateModel ->
[PrepareFeatures (``python -m mlops_runtime.jobs.batch_features``, a data-source input)] ->
Transform.
Monitoring: one Processing step.
Processing steps run on AWS's scikit-learn image and unpack the runtime code archive first.
A step's runtime configuration is an S3 object (:class:`ConfigFile`, uploaded by the component)
given to the job as a ProcessingInput: Processing job environment values are limited to 256
characters, so the step's environment only names the file (``MLOPS_RUNTIME_CONFIG_FILE``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from mlops_runtime.contract.config import FILE_ENV_VAR, REFERENCE_METADATA
from mlops_spec.aws_catalog import has_instance_storage
from mlops_spec.plan.documents import KEY_ARN

VERSION = "2020-12-01"
REASON_PARAMETER = "TriggerReason"
"""Pipeline parameter carrying why a run started (schedule, alarm, new-data, manual)."""
PROCESSING = "/opt/ml/processing"
EVALUATION_PROPERTY_FILE = "EvaluationReport"
EVALUATION_OUTPUT = "evaluation"
EVALUATION_FILE = "evaluation.json"
CHAMPION_PROPERTY_FILE = "Champion"
CHAMPION_OUTPUT = "champion"
CHAMPION_FILE = "champion.json"
CHAMPION_DIR = f"{PROCESSING}/champion"
"""Where ``python -m mlops_runtime.champion --output`` writes ``champion.json``."""
PROFILE_STEP = "Profile"
PROFILE_INPUT = f"{PROCESSING}/input/data"
"""Where the Profile step (``python -m mlops_runtime.profile_job``) reads the training data."""
PROFILE_OUTPUT = f"{PROCESSING}/profile"
"""Where it writes ``profile.json`` (uploaded to the model's reference prefix)."""
PROFILE_EVALUATION_INPUT = f"{PROCESSING}/input/evaluation"
"""Where the Profile step finds the Evaluate step's output (``predictions.json``)."""
EVALUATION_OUTPUT_URI = {
    "Get": f"Steps.Evaluate.ProcessingOutputConfig.Outputs['{EVALUATION_OUTPUT}'].S3Output.S3Uri"
}
"""The Evaluate step's per-execution output prefix (a step property: also the dependency)."""
EXECUTION_ID = {"Get": "Execution.PipelineExecutionId"}
MODEL_ARTIFACTS = {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
"""The candidate's ``model.tar.gz`` (the Train step's output)."""
PREPARE_HOLDOUT_STEP = "PrepareHoldout"
CANDIDATE_MODEL_STEP = "CandidateModel"
SCORE_HOLDOUT_STEP = "ScoreHoldout"
HOLDOUT_OUTPUT = "holdout"
HOLDOUT_INPUT = f"{PROCESSING}/input/data"
"""Where the PrepareHoldout step reads the holdout data source's objects."""
HOLDOUT_DIR = f"{PROCESSING}/holdout"
"""Where it writes the prepared lines (and where the Evaluate step reads them back)."""
PREDICTIONS_DIR = f"{PROCESSING}/predictions"
"""Where the Evaluate step reads the ScoreHoldout transform's output."""
PREPARED_HOLDOUT_URI = {
    "Get": f"Steps.{PREPARE_HOLDOUT_STEP}.ProcessingOutputConfig.Outputs['{HOLDOUT_OUTPUT}']"
    ".S3Output.S3Uri"
}
HOLDOUT_PREDICTIONS_URI = {"Get": f"Steps.{SCORE_HOLDOUT_STEP}.TransformOutput.S3OutputPath"}
CANDIDATE_MODEL_NAME = {"Get": f"Steps.{CANDIDATE_MODEL_STEP}.ModelName"}
"""The name SageMaker gave the CandidateModel step's model (``pipelines-*``): the Evaluate step
deletes that model once the transform has run."""
CONFIG_INPUT = f"{PROCESSING}/input/config"
"""Where a runtime step finds its configuration file (the ProcessingInput ``config``)."""
CONFIG_PREFIX = "code/config"
"""Key prefix of the configuration files in the artifacts bucket: ``<prefix>/<pipeline>/``."""
_DEFINITION = json.JSONEncoder(sort_keys=True, separators=(",", ":"), check_circular=False)
"""``documents.canonical_json``'s encoder without its cycle check: a definition is a tree the
planner builds (one shared constant may appear twice, never inside itself), and the check
costs a tenth of encoding the 10 MB of definitions a 200-model spec plans."""


class Deferred:
    """A frozen dataclass's text field computed when first read (a pipeline definition):
    ``__init__`` takes the text, or a function of no arguments returning it (a
    ``functools.partial`` of frozen inputs), called on the first read, which keeps the text.
    Whoever reads the field (``==``, ``hash``, ``repr``, ``dataclasses.replace``, ``asdict``)
    gets the text; ``mlops validate`` reads none and skips encoding 10 MB of definitions at
    200 models. Copy a record with :func:`copy.copy` to keep the field deferred."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Deferred: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> str: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> str | Deferred:
        if obj is None:  # no class-level value: the dataclass field has no default
            raise AttributeError(self.name)
        value: str | Callable[[], str] = obj.__dict__[self.name]
        if not isinstance(value, str):
            value = value()
            obj.__dict__[self.name] = value
        return value

    def __set__(self, obj: object, value: str | Callable[[], str]) -> None:
        obj.__dict__[self.name] = value  # frozen: only __init__ and copies set it


@dataclass(frozen=True)
class ConfigFile:
    """One Processing step's runtime configuration as an S3 object (SSE-KMS, system key).

    ``content`` is the JSON document (``${account}``/``${key_arn}`` placeholders allowed) that
    ``mlops_runtime.contract.config.<runtime_class>.from_json`` parses."""

    step: str
    runtime_class: str
    """The dataclass of ``mlops_runtime.contract.config`` it holds, e.g. ``EvaluateConfig``."""
    bucket: str
    key: str
    content: Deferred = Deferred()  # the text, or a function building it when first read

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def local_path(self) -> str:
        """The file inside the container (the ProcessingInput downloads the object there)."""
        return f"{CONFIG_INPUT}/{self.key.rsplit('/', 1)[-1]}"


def config_prefix(pipeline: str) -> str:
    """Key prefix of ``pipeline``'s configuration files (what its role may read)."""
    return f"{CONFIG_PREFIX}/{pipeline}/"


def config_file(
    bucket: str, pipeline: str, step: str, runtime_class: str, content: str | Callable[[], str]
) -> ConfigFile:
    """``s3://<bucket>/code/config/<pipeline>/<step>.json``."""
    return ConfigFile(step, runtime_class, bucket, f"{config_prefix(pipeline)}{step}.json", content)


def per_execution(prefix_uri: str, *rest: str) -> dict[str, Any]:
    """``<prefix_uri>/<execution id>[/rest...]`` as a pipeline expression."""
    return {"Std:Join": {"On": "/", "Values": [prefix_uri.rstrip("/"), EXECUTION_ID, *rest]}}


def definition(
    steps: Sequence[Mapping[str, Any]], parameters: Sequence[Mapping[str, str]] = ()
) -> str:
    """A complete pipeline definition (the TriggerReason parameter, then ``parameters``, e.g.
    the lineage's) as canonical JSON."""
    return _DEFINITION.encode(
        {
            "Version": VERSION,
            "Metadata": {},
            "Parameters": [
                {"Name": REASON_PARAMETER, "Type": "String", "DefaultValue": "manual"},
                *parameters,
            ],
            # null: no SageMaker Experiment/Trial per execution (the roles may not create
            # them, and nothing reads them).
            "PipelineExperimentConfig": None,
            "Steps": list(steps),
        }
    )


def volume_key(instance_type: str) -> dict[str, str]:
    """``{"VolumeKmsKeyId": <system key>}``, or nothing for an instance type with local NVMe
    storage: SageMaker refuses a volume key there (the storage is encrypted by the instance's
    hardware), see :data:`mlops_spec.aws_catalog.INSTANCE_STORAGE_FAMILIES`."""
    return {} if has_instance_storage(instance_type) else {"VolumeKmsKeyId": KEY_ARN}


def s3_input(name: str, uri: Any, local: str) -> dict[str, Any]:
    return {
        "InputName": name,
        "AppManaged": False,
        "S3Input": {
            "S3Uri": uri,
            "LocalPath": local,
            "S3DataType": "S3Prefix",
            "S3InputMode": "File",
            "S3DataDistributionType": "FullyReplicated",
        },
    }


def runtime_command(code_object_key: str, module: str, args: Sequence[str] = ()) -> list[str]:
    """Unpack the runtime archive and run ``python3 -m module`` (a shell entrypoint)."""
    archive = f"{PROCESSING}/code/{code_object_key.rsplit('/', 1)[-1]}"
    tail = " ".join([f"python3 -m {module}", *args])
    return [
        "/bin/sh",
        "-c",
        f"python3 -m zipfile -e {archive} {PROCESSING}/runtime && cd {PROCESSING}/runtime "
        f"&& exec {tail}",
    ]


def processing_step(
    name: str,
    *,
    image: str,
    role_arn: str,
    instance_type: str,
    code_uri: str,
    code_object_key: str,
    module: str,
    args: Sequence[str] = (),
    config: ConfigFile | None = None,
    inputs: Sequence[dict[str, Any]] = (),
    outputs: Sequence[tuple[str, Any, str]] = (),
    property_files: Sequence[tuple[str, str, str]] = (),
    max_runtime_seconds: int = 3600,
    volume_size_gb: int = 30,
    environment: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A Processing step running one runtime module. ``config``: its configuration file (input
    ``config``, named by ``MLOPS_RUNTIME_CONFIG_FILE``); ``outputs``: (name, s3 uri, local
    path); ``property_files``: (property file name, output name, file path); ``environment``:
    further variables (values may be pipeline expressions, e.g. a step property)."""
    config_inputs = [s3_input("config", config.uri, CONFIG_INPUT)] if config else []
    arguments: dict[str, Any] = {
        "ProcessingResources": {
            "ClusterConfig": {
                "InstanceType": instance_type,
                "InstanceCount": 1,
                "VolumeSizeInGB": volume_size_gb,
                **volume_key(instance_type),
            }
        },
        "AppSpecification": {
            "ImageUri": image,
            "ContainerEntrypoint": runtime_command(code_object_key, module, args),
        },
        "RoleArn": role_arn,
        "ProcessingInputs": [
            s3_input("code", code_uri, f"{PROCESSING}/code"),
            *config_inputs,
            *inputs,
        ],
        "StoppingCondition": {"MaxRuntimeInSeconds": max_runtime_seconds},
        "Environment": {
            **({FILE_ENV_VAR: config.local_path} if config else {}),
            **(environment or {}),
        },
    }
    if outputs:
        arguments["ProcessingOutputConfig"] = {
            "Outputs": [
                {
                    "OutputName": out_name,
                    "AppManaged": False,
                    "S3Output": {"S3Uri": uri, "LocalPath": local, "S3UploadMode": "EndOfJob"},
                }
                for out_name, uri, local in outputs
            ],
            "KmsKeyId": KEY_ARN,
        }
    step: dict[str, Any] = {"Name": name, "Type": "Processing", "Arguments": arguments}
    if property_files:
        step["PropertyFiles"] = [
            {"PropertyFileName": pf, "OutputName": out, "FilePath": path}
            for pf, out, path in property_files
        ]
    return step


def training_step(
    *,
    image: Any,
    role_arn: str,
    entry_point: str,
    instance_type: str,
    instance_count: int,
    volume_size_gb: int,
    spot: bool,
    max_runtime_seconds: int,
    max_wait_seconds: int | None,
    hyperparameters: Mapping[str, str],
    channels: Sequence[tuple[str, str, str]],
    output_uri: str,
    checkpoint_uri: str | None,
    image_config: Mapping[str, Any] | None = None,
    vpc_config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The Train step; ``channels``: (name, s3 uri, content type); with spot, checkpoints under
    ``<checkpoint_uri>/<execution id>``; a private-registry image pulls with ``image_config``
    (``TrainingImageConfig``) from the job's ``vpc_config`` (``mlops_spec.plan.images``)."""
    stopping: dict[str, Any] = {"MaxRuntimeInSeconds": max_runtime_seconds}
    if spot and max_wait_seconds:
        stopping["MaxWaitTimeInSeconds"] = max_wait_seconds
    arguments: dict[str, Any] = {
        "AlgorithmSpecification": {"TrainingImage": image, "TrainingInputMode": "File"},
        "RoleArn": role_arn,
        "HyperParameters": dict(hyperparameters),
        "Environment": {"SAGEMAKER_PROGRAM": entry_point},
        "InputDataConfig": [
            {
                "ChannelName": name,
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": uri,
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": content_type,
                "InputMode": "File",
            }
            for name, uri, content_type in channels
        ],
        "OutputDataConfig": {"S3OutputPath": output_uri, "KmsKeyId": KEY_ARN},
        "ResourceConfig": {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeSizeInGB": volume_size_gb,
            **volume_key(instance_type),
        },
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": spot,
        "EnableInterContainerTrafficEncryption": instance_count > 1,
    }
    if spot and checkpoint_uri:
        # Per execution: a new run must not resume the previous run's checkpoints (a spot
        # interruption restarts the same job, which finds its own checkpoints there).
        arguments["CheckpointConfig"] = {"S3Uri": per_execution(checkpoint_uri)}
    if image_config is not None:
        arguments["AlgorithmSpecification"]["TrainingImageConfig"] = dict(image_config)
    if vpc_config is not None:
        arguments["VpcConfig"] = dict(vpc_config)
    return {"Name": "Train", "Type": "Training", "Arguments": arguments}


def register_step(
    *,
    group: str,
    approval_status: str,
    image: Any,
    content_type: str,
    evaluation_uri_prefix: str | None,
    gate_metric: str | None,
    realtime_instance_types: Sequence[str] = (),
    transform_instance_types: Sequence[str] = (),
    references_uri_prefix: str | None = None,
    lineage_metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The RegisterModel step (CreateModelPackage into the model's group). With
    ``references_uri_prefix`` the package records where this execution's drift references are
    (``mlops:reference`` = ``<prefix><execution id>``), for the deploy function to promote;
    ``lineage_metadata``: the lineage's short facts (``mlops_spec.plan.lineage``)."""
    inference: dict[str, Any] = {
        "Containers": [candidate_container(image)],
        "SupportedContentTypes": [content_type],
        "SupportedResponseMIMETypes": ["application/json", "text/csv"],
    }
    if realtime_instance_types:
        inference["SupportedRealtimeInferenceInstanceTypes"] = list(realtime_instance_types)
    if transform_instance_types:
        inference["SupportedTransformInstanceTypes"] = list(transform_instance_types)
    metadata: dict[str, Any] = {"mlops:trigger": {"Get": f"Parameters.{REASON_PARAMETER}"}}
    if references_uri_prefix:
        metadata[REFERENCE_METADATA] = per_execution(references_uri_prefix)
    metadata.update(lineage_metadata or {})
    arguments: dict[str, Any] = {
        "ModelPackageGroupName": group,
        "ModelApprovalStatus": approval_status,
        "InferenceSpecification": inference,
        "CustomerMetadataProperties": metadata,
    }
    if evaluation_uri_prefix and gate_metric:
        metadata["mlops:gate.metric"] = gate_metric
        metadata["mlops:verdict"] = {
            "Std:JsonGet": {
                "PropertyFile": {"Get": f"Steps.Evaluate.PropertyFiles.{EVALUATION_PROPERTY_FILE}"},
                "Path": "verdict",
            }
        }
        arguments["ModelMetrics"] = {
            "ModelQuality": {
                "Statistics": {
                    "ContentType": "application/json",
                    "S3Uri": per_execution(evaluation_uri_prefix, EVALUATION_FILE),
                }
            }
        }
    return {"Name": "Register", "Type": "RegisterModel", "Arguments": arguments}


def candidate_container(image: Any) -> dict[str, Any]:
    """The container a package of this run serves: the image and the Train step's artifact
    (the same for the registered package and the gate's holdout transform)."""
    return {"Image": image, "ModelDataUrl": MODEL_ARTIFACTS}


def candidate_model_step(role_arn: str, image: Any) -> dict[str, Any]:
    """CandidateModel: a SageMaker model of the candidate's serving container, run with
    ``role_arn`` (the training job's role: the container runs the team's code)."""
    return {
        "Name": CANDIDATE_MODEL_STEP,
        "Type": "Model",
        "Arguments": {"ExecutionRoleArn": role_arn, "PrimaryContainer": candidate_container(image)},
    }


def gate_steps(passed: Sequence[dict[str, Any]], model: str) -> dict[str, Any]:
    """CheckGate: the ``passed`` steps (Profile, Register) when evaluation.json says
    ``gate.passed``, else Fail."""
    return {
        "Name": "CheckGate",
        "Type": "Condition",
        "Arguments": {
            "Conditions": [
                {
                    "Type": "Equals",
                    "LeftValue": {
                        "Std:JsonGet": {
                            "PropertyFile": {
                                "Get": f"Steps.Evaluate.PropertyFiles.{EVALUATION_PROPERTY_FILE}"
                            },
                            "Path": "gate.passed",
                        }
                    },
                    "RightValue": True,
                }
            ],
            "IfSteps": list(passed),
            "ElseSteps": [
                {
                    "Name": "GateFailed",
                    "Type": "Fail",
                    "Arguments": {
                        "ErrorMessage": f"candidate for {model} did not pass the promotion gate "
                        "(see evaluation.json)"
                    },
                }
            ],
        },
    }


def model_step(role_arn: str, package: Any) -> dict[str, Any]:
    """CreateModel from a model package (an ARN or a pipeline expression)."""
    return {
        "Name": "CreateModel",
        "Type": "Model",
        "Arguments": {
            "ExecutionRoleArn": role_arn,
            "PrimaryContainer": {"ModelPackageName": package},
        },
    }


def champion_expression() -> dict[str, Any]:
    return {
        "Std:JsonGet": {
            "PropertyFile": {
                "Get": f"Steps.ResolveChampion.PropertyFiles.{CHAMPION_PROPERTY_FILE}"
            },
            "Path": "model_package_arn",
        }
    }


def transform_step(
    *,
    input_uri: Any,
    content_type: str,
    split_type: str,
    output_prefix: str,
    instance_type: str,
    instance_count: int,
    max_payload_mb: int,
    name: str = "Transform",
    model_step: str = "CreateModel",
    accept: str | None = None,
    data_processing: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A Transform step with the model ``model_step`` creates; ``input_uri``: an s3:// prefix
    or a pipeline expression (the PrepareFeatures or PrepareHoldout step's output);
    ``accept``: the TransformOutput's Accept; ``data_processing``: its DataProcessing."""
    step = _transform(
        name, model_step, input_uri, content_type, split_type, output_prefix, instance_type,
        instance_count, max_payload_mb,
    )  # fmt: skip
    if accept:
        step["Arguments"]["TransformOutput"]["Accept"] = accept
    if data_processing:  # JSONPath's `$` doubled: the definition is a template (render)
        escaped = {key: value.replace("$", "$$") for key, value in data_processing.items()}
        step["Arguments"]["DataProcessing"] = escaped
    return step


def _transform(
    name: str,
    model_step: str,
    input_uri: Any,
    content_type: str,
    split_type: str,
    output_prefix: str,
    instance_type: str,
    instance_count: int,
    max_payload_mb: int,
) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "Transform",
        "Arguments": {
            "ModelName": {"Get": f"Steps.{model_step}.ModelName"},
            "MaxPayloadInMB": max_payload_mb,
            "BatchStrategy": "MultiRecord" if split_type != "None" else "SingleRecord",
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
                "ContentType": content_type,
                "SplitType": split_type,
            },
            "TransformOutput": {
                "S3OutputPath": per_execution(output_prefix),
                "KmsKeyId": KEY_ARN,
                "AssembleWith": "Line" if split_type == "Line" else "None",
            },
            "TransformResources": {
                "InstanceType": instance_type,
                "InstanceCount": instance_count,
                **volume_key(instance_type),
            },
        },
    }
