"""What the endpoint providers need besides the rollout's ``EndpointDeployer``: tags, deletes,
listings by tag and the state of rollback alarms, behind one small port, with its SageMaker
adapter (boto3).

The providers run inside ``pulumi up`` / ``pulumi destroy``, in the Pulumi program's Python
environment: :func:`aws_backends` builds the clients with boto3's default credential chain
(the environment, ``AWS_PROFILE``, SSO, an instance role...) for the plan's region. The Pulumi
``aws`` provider's configuration (``aws:profile``, ``aws:assumeRoles``, ``aws:endpoints``...)
is not used: the deployer's own credentials must be allowed these calls (docs/components.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import boto3

from mlops_runtime.aws import scaling as variant_scaling
from mlops_runtime.aws.clients import error_code, retry_config
from mlops_runtime.aws.endpoints import SageMakerEndpoints
from mlops_runtime.core.ports import EndpointDeployer

MAX_ATTEMPTS = 8
"""Attempts per call (botocore standard retries: throttling of List*/ListTags loops)."""


@dataclass(frozen=True)
class Owned:
    """What a listing by tags found, by kind."""

    endpoints: tuple[str, ...] = ()
    configs: tuple[str, ...] = ()
    models: tuple[str, ...] = ()


class EndpointAdmin(Protocol):
    """Tags, deletes and listings of SageMaker endpoints, configs and models."""

    def tag_endpoint(self, endpoint: str, tags: Mapping[str, str]) -> None:
        """Add (or overwrite) tags of an existing endpoint."""
        ...

    def models_of(self, config_name: str) -> tuple[str, ...]:
        """The models a config's variants serve; () when the config does not exist."""
        ...

    def delete_endpoint(self, endpoint: str) -> bool:
        """Deregister its variants' scaling, then delete it; False if it did not exist."""
        ...

    def delete_config(self, config_name: str) -> bool:
        """Delete an endpoint config; False if it did not exist."""
        ...

    def delete_model(self, model_name: str) -> bool:
        """Delete a model; False if it did not exist."""
        ...

    def owned(self, prefix: str, tags: Mapping[str, str]) -> Owned:
        """Endpoints, configs and models whose name contains ``prefix`` and whose tags hold
        every one of ``tags``."""
        ...

    def alarms_in_alarm(self, names: Sequence[str]) -> tuple[str, ...]:
        """Which of ``names`` (CloudWatch alarms) are in state ALARM now."""
        ...


class SageMakerAdmin(EndpointAdmin):
    """``EndpointAdmin`` with boto3 clients (SageMaker, Application Auto Scaling, CloudWatch)."""

    def __init__(self, sagemaker: Any, autoscaling: Any, cloudwatch: Any) -> None:
        self.sagemaker = sagemaker
        self.autoscaling = autoscaling
        self.cloudwatch = cloudwatch

    def tag_endpoint(self, endpoint: str, tags: Mapping[str, str]) -> None:
        arn = self.sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointArn"]
        pairs = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        self.sagemaker.add_tags(ResourceArn=arn, Tags=pairs)

    def models_of(self, config_name: str) -> tuple[str, ...]:
        try:
            config = self.sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        except Exception as error:
            if missing(error):
                return ()
            raise
        return tuple(v["ModelName"] for v in config.get("ProductionVariants", []))

    def delete_endpoint(self, endpoint: str) -> bool:
        try:
            described = self.sagemaker.describe_endpoint(EndpointName=endpoint)
        except Exception as error:
            if missing(error):
                return False
            raise
        for variant in described.get("ProductionVariants", []):
            variant_scaling.deregister(self.autoscaling, endpoint, variant["VariantName"])
        return _deleted(self.sagemaker.delete_endpoint, EndpointName=endpoint)

    def delete_config(self, config_name: str) -> bool:
        return _deleted(self.sagemaker.delete_endpoint_config, EndpointConfigName=config_name)

    def delete_model(self, model_name: str) -> bool:
        return _deleted(self.sagemaker.delete_model, ModelName=model_name)

    def owned(self, prefix: str, tags: Mapping[str, str]) -> Owned:
        found = {
            kind: tuple(
                name
                for name, arn in self._listed(operation, key, prefix)
                if _holds(self._tags(arn), tags)
            )
            for kind, operation, key in (
                ("endpoints", "list_endpoints", "Endpoint"),
                ("configs", "list_endpoint_configs", "EndpointConfig"),
                ("models", "list_models", "Model"),
            )
        }
        return Owned(**found)

    def alarms_in_alarm(self, names: Sequence[str]) -> tuple[str, ...]:
        if not names:
            return ()
        found = self.cloudwatch.describe_alarms(AlarmNames=list(names), StateValue="ALARM")
        return tuple(sorted(a["AlarmName"] for a in found.get("MetricAlarms", [])))

    def _listed(self, operation: str, key: str, prefix: str) -> Iterator[tuple[str, str]]:
        """(name, ARN) of each listed item whose name contains ``prefix``."""
        pages = self.sagemaker.get_paginator(operation).paginate(NameContains=prefix)
        plural = {"Endpoint": "Endpoints", "EndpointConfig": "EndpointConfigs", "Model": "Models"}
        for page in pages:
            for item in page.get(plural[key], []):
                yield item[f"{key}Name"], item[f"{key}Arn"]

    def _tags(self, arn: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        for page in self.sagemaker.get_paginator("list_tags").paginate(ResourceArn=arn):
            tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
        return tags


def missing(error: BaseException) -> bool:
    """SageMaker's answer to a Describe* or Delete* of something that does not exist: a
    ``ValidationException`` "Could not find ..." (its not-found has no code of its own; any
    other ValidationException, e.g. a delete refused while an update runs, is an error)."""
    code = error_code(error)
    if code == "ResourceNotFound":
        return True
    return code == "ValidationException" and "could not find" in str(error).lower()


def _holds(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(tags.get(key) == value for key, value in wanted.items())


def _deleted(delete: Any, **name: str) -> bool:
    try:
        delete(**name)
    except Exception as error:
        if missing(error):
            return False
        raise
    return True


def aws_backends(region: str) -> tuple[EndpointDeployer, EndpointAdmin]:
    """The SageMaker deployer and admin for ``region``, with the default credentials."""
    session = boto3.session.Session(region_name=region)
    config = retry_config(MAX_ATTEMPTS)
    sagemaker = session.client("sagemaker", config=config)
    autoscaling = session.client("application-autoscaling", config=config)
    cloudwatch = session.client("cloudwatch", config=config)
    return (
        SageMakerEndpoints(sagemaker, autoscaling),
        SageMakerAdmin(sagemaker, autoscaling, cloudwatch),
    )
