"""``RunStarter`` for SageMaker pipelines."""

from __future__ import annotations

from typing import Any

from mlops_runtime.core.ports import RunRequest, RunStarter

DESCRIPTION_LENGTH = 3072
"""``PipelineExecutionDescription`` limit."""


class PipelineRuns(RunStarter):
    """Starts pipeline executions; the request's token is the ``ClientRequestToken``, so a
    retried start never starts a second execution."""

    def __init__(self, sagemaker: Any) -> None:
        self.sagemaker = sagemaker

    def start(self, request: RunRequest) -> str:
        response = self.sagemaker.start_pipeline_execution(
            PipelineName=request.pipeline,
            ClientRequestToken=request.token,
            PipelineParameters=[{"Name": k, "Value": v} for k, v in request.parameters.items()],
            PipelineExecutionDescription=request.description[:DESCRIPTION_LENGTH],
        )
        return str(response["PipelineExecutionArn"])
