"""Container images as the planner uses them: an image URI and the ECR repository to grant.

Which image runs the project's own jobs in each region, and how an ECR URI reads, is
``mlops_spec.images`` (one table, checked against AWS's published one); the spec checks refuse
a region without that image (``mlops_spec.image_checks``), so planning never meets one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mlops_spec.images import (
    RUNTIME_PYTHON,
    SKLEARN_IMAGE_PYTHON,
    SKLEARN_PYTHON,
    SKLEARN_REGISTRIES,
    SKLEARN_REPOSITORY,
    SKLEARN_VERSION,
    ecr_image,
    sklearn_image_uri,
)
from mlops_spec.plan.documents import ACCOUNT, Statement

if TYPE_CHECKING:
    from mlops_spec.models.training import PrivateRegistry

__all__ = [
    "RUNTIME_PYTHON",
    "SKLEARN_IMAGE_PYTHON",
    "SKLEARN_PYTHON",
    "SKLEARN_REGISTRIES",
    "SKLEARN_REPOSITORY",
    "SKLEARN_VERSION",
    "Image",
    "ImageError",
    "image",
    "private_registry_grants",
    "sklearn_image",
    "training_image_access",
]


class ImageError(ValueError):
    """An image SageMaker cannot use in this region."""


@dataclass(frozen=True)
class Image:
    """An image URI and, for ECR images, its repository ARN (for scoped pull rights)."""

    uri: str
    repository_arn: str | None


@lru_cache(maxsize=1024)
def image(uri: str, partition: str) -> Image:
    """Parse ``uri``; non-ECR registries get no repository ARN (nothing to grant). Cached: a
    stack asks for each model's image several times (steps, roles, lineage)."""
    ecr = ecr_image(uri)
    if ecr is None:
        return Image(uri, None)
    arn = f"arn:{partition}:ecr:{ecr.region}:{ecr.account}:repository/{ecr.repository}"
    return Image(uri, arn)


@lru_cache(maxsize=64)
def sklearn_image(region: str, partition: str) -> Image:
    """AWS's scikit-learn image, which runs the evaluation, profile, batch-feature and
    monitoring jobs. A region without it is refused when the spec loads; reaching here with
    one is a bug, reported as such."""
    uri = sklearn_image_uri(region)
    if uri is None:
        raise ImageError(
            f"no SageMaker scikit-learn image is published in {region} (the spec checks "
            "should have refused this region: mlops_spec.image_checks)"
        )
    return image(uri, partition)


def training_image_access(
    registry: PrivateRegistry | None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(``AlgorithmSpecification.TrainingImageConfig``, ``VpcConfig``) of a training job
    whose image is in a private registry; (None, None) for an ECR image."""
    if registry is None:
        return None, None
    image_config: dict[str, Any] = {"TrainingRepositoryAccessMode": "Vpc"}
    if registry.credentials_provider_arn:
        image_config["TrainingRepositoryAuthConfig"] = {
            "TrainingRepositoryCredentialsProviderArn": registry.credentials_provider_arn
        }
    vpc = {"SecurityGroupIds": list(registry.security_groups), "Subnets": list(registry.subnets)}
    return image_config, vpc


VPC_DESCRIBE_ACTIONS = (
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
"""What SageMaker reads with the job's role to place it in the VPC (AWS: "Give SageMaker
training jobs access to resources in your Amazon VPC"); EC2's Describe* take no resource."""
VPC_INTERFACE_ACTIONS = (
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
)
"""What SageMaker does with the job's network interfaces once created (their ids are not known
in advance: every interface of the account and region)."""


def private_registry_grants(
    registry: PrivateRegistry | None, partition: str, region: str
) -> tuple[Statement, ...]:
    """The training job's role, for a private-registry image: create its network interfaces in
    exactly the declared subnets and security groups, manage and describe them, and invoke
    the registry's credentials provider (SageMaker calls it with the job's role)."""
    if registry is None:
        return ()

    def ec2(resource: str) -> str:
        return f"arn:{partition}:ec2:{region}:{ACCOUNT}:{resource}"

    statements = [
        Statement(
            sid="VpcCreateInterfaces",
            actions=("ec2:CreateNetworkInterface",),
            resources=(
                *(ec2(f"subnet/{s}") for s in registry.subnets),
                *(ec2(f"security-group/{g}") for g in registry.security_groups),
                ec2("network-interface/*"),
            ),
        ),
        Statement(
            sid="VpcManageInterfaces",
            actions=VPC_INTERFACE_ACTIONS,
            resources=(ec2("network-interface/*"),),
        ),
        Statement(sid="VpcDescribe", actions=VPC_DESCRIBE_ACTIONS, resources=("*",)),
    ]
    if registry.credentials_provider_arn:
        statements.append(
            Statement(
                sid="RegistryCredentials",
                actions=("lambda:InvokeFunction",),
                resources=(registry.credentials_provider_arn,),
            )
        )
    return tuple(statements)
