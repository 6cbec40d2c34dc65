"""Deploy Lambda (``mlops_runtime.deploy.handler``, serving ``latest_approved``): wires the AWS
adapters into the deploy decisions (``mlops_runtime.core.reconcile``) and the one rollout
(``mlops_runtime.core.rollout``).

Pulumi does not create ``latest_approved`` endpoints (no approved package exists at the first
``pulumi up``); this function creates each one on its group's first approval and owns its
configs from then on: the registry is SageMaker's, endpoints are SageMaker endpoints with
Application Auto Scaling, audit records go to the runtime table (or only to the log when the
configuration names no table).
"""

from __future__ import annotations

from typing import Any

from mlops_runtime.aws.audit import DynamoAudit
from mlops_runtime.aws.clients import client
from mlops_runtime.aws.endpoints import SageMakerEndpoints
from mlops_runtime.aws.registry import SageMakerRegistry
from mlops_runtime.contract.config import DeployConfig
from mlops_runtime.core.audit import LogOnly
from mlops_runtime.core.ports import AuditLog
from mlops_runtime.core.reconcile import DeployError, DeployPorts, process

__all__ = ["DeployError", "aws_ports", "handler", "process"]


def aws_ports(config: DeployConfig) -> DeployPorts:
    """The deploy function's ports on AWS."""
    sagemaker = client("sagemaker", config.max_attempts)
    log: AuditLog = LogOnly()
    if config.table_name:
        log = DynamoAudit(client("dynamodb", config.max_attempts), config.table_name)
    return DeployPorts(
        registry=SageMakerRegistry(sagemaker),
        endpoints=SageMakerEndpoints(
            sagemaker, client("application-autoscaling", config.max_attempts)
        ),
        audit=log,
    )


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; configuration from ``MLOPS_RUNTIME_CONFIG`` (``DeployConfig``)."""
    config = DeployConfig.from_env()
    return process(event, config, aws_ports(config))
