"""Plays a planned training pipeline's steps against moto, the way SageMaker would run them.

moto stores pipelines but runs no step. This harness reads the *planned* definition and does
what SageMaker does for the steps the lineage needs: resolves pipeline expressions (``Get``
of parameters, execution variables and step properties, ``Std:Join``, ``Std:JsonGet`` of
property files), downloads a Processing step's S3 inputs into a local directory standing for
``/opt/ml/processing``, runs the step's runtime module in-process with the step's environment
and arguments, uploads its outputs to their S3 URIs and registers the package with the Register
step's resolved arguments. The training job and the Evaluate step are played by the test
(their outputs are written by it and uploaded here).
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlops_runtime.contract.config import FILE_ENV_VAR

PROCESSING = "/opt/ml/processing"


def steps_by_name(definition: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step of a definition (inside conditions too), by name."""
    found: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for step in items:
            found[step["Name"]] = step
            walk(step.get("Arguments", {}).get("IfSteps", []))
            walk(step.get("Arguments", {}).get("ElseSteps", []))

    walk(definition["Steps"])
    return found


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class PipelineRun:
    """One execution: its parameters, the step properties known so far, local directories."""

    def __init__(
        self,
        definition: Mapping[str, Any],
        parameters: Mapping[str, str],
        execution_arn: str,
        root: Path,
        s3: Any,
        config_files: Mapping[str, str],
    ) -> None:
        self.steps = steps_by_name(definition)
        defaults = {p["Name"]: p["DefaultValue"] for p in definition["Parameters"]}
        self.values: dict[str, Any] = {
            f"Parameters.{name}": value for name, value in {**defaults, **parameters}.items()
        }
        self.values["Execution.PipelineExecutionArn"] = execution_arn
        self.values["Execution.PipelineExecutionId"] = execution_arn.rsplit("/", 1)[-1]
        self.property_files: dict[str, Path] = {}
        self.root, self.s3, self.config_files = root, s3, config_files

    # -- expressions --------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if set(value) == {"Get"}:
            return self.values[value["Get"]]  # KeyError: a step read what was not played
        if set(value) == {"Std:Join"}:
            join = value["Std:Join"]
            return join["On"].join(str(self.resolve(v)) for v in join["Values"])
        if set(value) == {"Std:JsonGet"}:
            get = value["Std:JsonGet"]
            document = json.loads(self.property_files[get["PropertyFile"]["Get"]].read_text())
            for part in get["Path"].split("."):
                document = document[part]
            return document
        return {k: self.resolve(v) for k, v in value.items()}

    def local(self, path: str) -> Path:
        """``/opt/ml/processing/...`` of the container -> the test's directory."""
        assert path.startswith(PROCESSING), path
        return self.root / path[len(PROCESSING) :].lstrip("/")

    # -- Processing steps ---------------------------------------------------------------
    def processing(self, name: str, main: Callable[[list[str]], int]) -> None:
        """Download the inputs, run ``main`` with the step's arguments and environment,
        upload the outputs, remember the property files."""
        arguments = self.resolve(self.steps[name]["Arguments"])
        for item in arguments["ProcessingInputs"]:
            self._download(item["InputName"], item["S3Input"])
        env = dict(arguments["Environment"])
        if FILE_ENV_VAR in env:
            env[FILE_ENV_VAR] = str(self.local(env[FILE_ENV_VAR]))
        command = arguments["AppSpecification"]["ContainerEntrypoint"][2]
        words = shlex.split(command.split("exec python3 -m ", 1)[1])[1:]
        argv = [str(self.local(w)) if w.startswith(PROCESSING) else w for w in words]
        with environment(env):
            assert main(argv) == 0, (name, argv)
        self.upload_outputs(name)

    def _download(self, name: str, source: Mapping[str, Any]) -> None:
        target = self.local(source["LocalPath"])
        target.mkdir(parents=True, exist_ok=True)
        if name == "code":  # the runtime archive: the test runs this checkout's code
            return
        if name == "config":  # the object the component uploads: the planned document
            (target / source["S3Uri"].rsplit("/", 1)[-1]).write_text(
                self.config_files[source["S3Uri"]]
            )
            return
        bucket, _, prefix = source["S3Uri"][len("s3://") :].partition("/")
        listing = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/")
        for entry in listing.get("Contents", []):
            relative = entry["Key"][len(prefix.rstrip("/")) + 1 :]
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            body = self.s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
            (target / relative).write_bytes(body)

    def upload_outputs(self, name: str) -> None:
        """What a ProcessingOutput does at the end of the job (S3UploadMode EndOfJob)."""
        step = self.steps[name]
        config = self.resolve(step["Arguments"].get("ProcessingOutputConfig", {}))
        local_of: dict[str, Path] = {}
        for output in config.get("Outputs", []):
            uri, local = output["S3Output"]["S3Uri"], self.local(output["S3Output"]["LocalPath"])
            bucket, _, prefix = uri[len("s3://") :].partition("/")
            for path in sorted(p for p in local.rglob("*") if p.is_file()):
                key = f"{prefix.rstrip('/')}/{path.relative_to(local).as_posix()}"
                self.s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
            get = f"Steps.{name}.ProcessingOutputConfig.Outputs['{output['OutputName']}']"
            self.values[f"{get}.S3Output.S3Uri"] = uri
            local_of[output["OutputName"]] = local
        for pf in step.get("PropertyFiles", []):
            path = local_of[pf["OutputName"]] / pf["FilePath"]
            self.property_files[f"Steps.{name}.PropertyFiles.{pf['PropertyFileName']}"] = path

    # -- the training job and registration ----------------------------------------------
    def train(self, job_name: str, model: bytes) -> dict[str, Any]:
        """Plays the training job: its model artifact where SageMaker writes it; returns the
        job's resolved arguments (what the job would run)."""
        arguments = self.resolve(self.steps["Train"]["Arguments"])
        output = arguments["OutputDataConfig"]["S3OutputPath"].rstrip("/")
        uri = f"{output}/{job_name}/output/model.tar.gz"
        bucket, _, key = uri[len("s3://") :].partition("/")
        self.s3.put_object(Bucket=bucket, Key=key, Body=model)
        self.values["Steps.Train.TrainingJobName"] = job_name
        self.values["Steps.Train.ModelArtifacts.S3ModelArtifacts"] = uri
        return dict(arguments)

    def register(self, sagemaker: Any) -> str:
        """The RegisterModel step: CreateModelPackage with its resolved arguments."""
        arguments = self.resolve(self.steps["Register"]["Arguments"])
        return str(sagemaker.create_model_package(**arguments)["ModelPackageArn"])
