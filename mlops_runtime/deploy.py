"""Deploy Lambda (``mlops_runtime.deploy.handler``, serving ``latest_approved``): wires the AWS
adapters into the deploy decisions (``mlops_runtime.core.reconcile``) and the one rollout
(``mlops_runtime.core.rollout``).

Pulumi does not create ``latest_approved`` endpoints (no approved package exists at the first
``pulumi up``); this function creates each one on its group's first approval and owns its
configs from then on: the registry is SageMaker's, endpoints are SageMaker endpoints with
Application Auto Scaling, audit records and each endpoint's rollout memory go to the runtime
table, rollbacks are announced on the alarm topic (SNS), and the served package's drift
references are copied to the current ones in S3.
"""

from __future__ import annotations

from typing import Any

from mlops_runtime.aws.audit import DynamoAudit
from mlops_runtime.aws.clients import client
from mlops_runtime.aws.config_object import load_config
from mlops_runtime.aws.endpoints import SageMakerEndpoints
from mlops_runtime.aws.objects import S3Objects
from mlops_runtime.aws.registry import SageMakerRegistry
from mlops_runtime.aws.rollout_memory import DynamoRolloutMemory
from mlops_runtime.aws.sns import SnsNotifier
from mlops_runtime.contract.config import ConfigError, DeployConfig
from mlops_runtime.core.reconcile import DeployError, DeployPorts, process

__all__ = ["DeployError", "aws_ports", "handler", "process"]


def aws_ports(config: DeployConfig) -> DeployPorts:
    """The deploy function's ports on AWS."""
    if not config.table_name:
        raise ConfigError(
            "table_name: the deploy function keeps each endpoint's rollout memory (rolled-back "
            "packages) in the runtime table; without it a rolled-back package would be rolled "
            "out again on the next event"
        )
    sagemaker = client("sagemaker", config.max_attempts)
    dynamodb = client("dynamodb", config.max_attempts)
    notifier = None
    if config.notification_topic_arn:
        notifier = SnsNotifier(client("sns", config.max_attempts), config.notification_topic_arn)
    objects = None
    if any(target.references for target in config.endpoints.values()):
        objects = S3Objects(client("s3", config.max_attempts))
    return DeployPorts(
        registry=SageMakerRegistry(sagemaker),
        endpoints=SageMakerEndpoints(
            sagemaker, client("application-autoscaling", config.max_attempts)
        ),
        audit=DynamoAudit(dynamodb, config.table_name),
        memory=DynamoRolloutMemory(dynamodb, config.table_name),
        notifier=notifier,
        objects=objects,
    )


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """Lambda entry point; configuration (``DeployConfig``) from the object the environment
    names, read once per cold start (``aws.config_object``)."""
    config = load_config(DeployConfig)
    return process(event, config, aws_ports(config))
