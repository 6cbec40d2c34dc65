"""Retraining trigger Lambda (``mlops_runtime.trigger.handler``): wires the AWS adapters into
the trigger's decisions (``mlops_runtime.core.retraining``).

Claims and run ledgers live in the runtime table (DynamoDB conditional writes), runs are
SageMaker pipeline executions, audit records go to the same table.
"""

from __future__ import annotations

from typing import Any

from mlops_runtime.aws.audit import DynamoAudit
from mlops_runtime.aws.claims import DynamoClaims, DynamoLedger
from mlops_runtime.aws.clients import client
from mlops_runtime.aws.config_object import load_config
from mlops_runtime.aws.pipelines import PipelineRuns
from mlops_runtime.contract.config import TriggerConfig
from mlops_runtime.core.retraining import TriggerError, TriggerPorts, process

__all__ = ["TriggerError", "aws_ports", "handler", "process"]


def aws_ports(config: TriggerConfig) -> TriggerPorts:
    """The trigger's ports on AWS: the runtime table and SageMaker pipelines."""
    dynamodb = client("dynamodb", config.max_attempts)
    return TriggerPorts(
        claims=DynamoClaims(dynamodb, config.table_name),
        ledger=DynamoLedger(dynamodb, config.table_name),
        runs=PipelineRuns(client("sagemaker", config.max_attempts)),
        audit=DynamoAudit(dynamodb, config.table_name),
    )


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; configuration (``TriggerConfig``) from the object the environment
    names, read once per cold start (``aws.config_object``)."""
    config = load_config(TriggerConfig)
    return process(event, config, aws_ports(config))
