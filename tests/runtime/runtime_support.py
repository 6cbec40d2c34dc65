"""Helpers shared by the runtime tests (constants, plain boto3 clients, moto setup)."""

from __future__ import annotations

import base64
import io
import json
import tarfile
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import joblib
import numpy as np
import pandas as pd
from botocore.stub import Stubber
from sklearn.datasets import make_classification

from mlops_runtime.aws.audit import DynamoAudit

REGION = "us-east-1"
ACCOUNT = "123456789012"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/mlops-test"


def boto(service: str) -> Any:
    """A plain boto3 client for test setup and assertions."""
    return boto3.client(service, region_name=REGION)


def audit_records(table: str | None, unit: str, model: str | None) -> list[dict[str, Any]]:
    """A unit's audit records for one model in the runtime table, oldest first."""
    assert table
    return DynamoAudit(boto("dynamodb"), table).records(unit, model)


def create_pipeline(name: str, parameters: tuple[str, ...] = ("TriggerReason",)) -> str:
    """A SageMaker pipeline in moto declaring ``parameters`` (moto never runs its steps)."""
    definition = {
        "Version": "2020-12-01",
        "Parameters": [{"Name": p, "Type": "String", "DefaultValue": "manual"} for p in parameters],
        "Steps": [],
    }
    response = boto("sagemaker").create_pipeline(
        PipelineName=name,
        PipelineDefinition=json.dumps(definition),
        RoleArn=ROLE_ARN,
    )
    return str(response["PipelineArn"])


def executions(pipeline: str) -> list[dict[str, Any]]:
    """Every execution of ``pipeline`` moto recorded."""
    sagemaker = boto("sagemaker")
    return list(
        sagemaker.list_pipeline_executions(PipelineName=pipeline)["PipelineExecutionSummaries"]
    )


def model_tarball(model: Any) -> bytes:
    """model.tar.gz holding model.joblib, as a SageMaker training job would upload it."""
    with tempfile.TemporaryDirectory() as scratch:
        joblib.dump(model, Path(scratch) / "model.joblib")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(Path(scratch) / "model.joblib", arcname="model.joblib")
        return buffer.getvalue()


def classification_data(rows: int = 600, seed: int = 7) -> pd.DataFrame:
    """A deterministic binary classification table: f0..f5 and the label 'churned'."""
    features, labels = make_classification(
        n_samples=rows, n_features=6, n_informative=4, random_state=seed
    )
    frame = pd.DataFrame(features, columns=[f"f{i}" for i in range(6)])
    frame["churned"] = labels
    return frame


class OperationStubber(Stubber):
    """botocore's Stubber for ONE operation of a client; every other call still goes to moto.

    Used only where moto lacks the call (it answers HTTP 500). Like the Stubber, it validates
    the request against the AWS service model and checks the expected parameters.
    """

    def __init__(self, client: Any, operation: str) -> None:
        super().__init__(client)
        self.operation = operation
        self.service = client.meta.service_model.service_id.hyphenize()
        # botocore's ids are constants: make them per operation, so several operations of one
        # client can be stubbed at once (the events system ignores a repeated unique_id).
        self._event_id = f"{self._event_id}_{operation}"
        self._expected_params_event_id = f"{self._expected_params_event_id}_{operation}"

    def activate(self) -> None:
        events = self.client.meta.events
        events.register_first(
            f"before-parameter-build.{self.service}.{self.operation}",
            self._assert_expected_params,
            unique_id=self._expected_params_event_id,
        )
        events.register(
            f"before-call.{self.service}.{self.operation}",
            self._get_response_handler,
            unique_id=self._event_id,
        )

    def deactivate(self) -> None:
        events = self.client.meta.events
        events.unregister(
            f"before-parameter-build.{self.service}.{self.operation}",
            self._assert_expected_params,
            unique_id=self._expected_params_event_id,
        )
        events.unregister(
            f"before-call.{self.service}.{self.operation}",
            self._get_response_handler,
            unique_id=self._event_id,
        )


FEATURES = {"tenure": "numeric", "spend": "numeric", "calls": "numeric", "plan": "categorical"}


def customers(rows: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Deterministic serving-like data; ``shift`` moves 'spend' to create drift."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "tenure": rng.normal(24, 6, rows),
            "spend": rng.normal(50 + shift, 10, rows),
            "calls": rng.poisson(3, rows).astype(float),
            "plan": rng.choice(["basic", "pro", "team"], rows, p=[0.5, 0.3, 0.2]),
        }
    )


def capture_line(rows: pd.DataFrame, when: datetime, fmt: str = "csv") -> str:
    """One SageMaker data-capture JSONL line for a request carrying ``rows``."""
    if fmt == "csv":
        data = rows.to_csv(header=False, index=False).strip()
        captured = {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": data,
            "encoding": "CSV",
        }
    elif fmt == "json":
        data = json.dumps({"instances": rows.to_dict(orient="records")})
        captured = {
            "observedContentType": "application/json",
            "mode": "INPUT",
            "data": data,
            "encoding": "JSON",
        }
    else:  # base64 CSV, as capture stores payloads it cannot keep as text
        data = base64.b64encode(rows.to_csv(header=False, index=False).encode()).decode()
        captured = {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": data,
            "encoding": "BASE64",
        }
    output = {
        "observedContentType": "text/csv; charset=utf-8",
        "mode": "OUTPUT",
        "data": "\n".join("0.5" for _ in range(len(rows))),
        "encoding": "CSV",
    }
    return json.dumps(
        {
            "captureData": {"endpointInput": captured, "endpointOutput": output},
            "eventMetadata": {
                "eventId": str(uuid.uuid4()),
                "inferenceTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "eventVersion": "0",
        }
    )


def put_capture(
    bucket: str,
    prefix: str,
    endpoint: str,
    when: datetime,
    lines: list[str],
    variant: str = "AllTraffic",
) -> str:
    """Write a capture file where SageMaker data capture would put it; returns the key."""
    key = f"{prefix}/{endpoint}/{variant}/{when:%Y/%m/%d/%H}/{when:%M-%S}-{uuid.uuid4().hex[:8]}.jsonl"
    boto("s3").put_object(Bucket=bucket, Key=key, Body="\n".join(lines).encode())
    return key
