"""``system``: who owns the ML system, where it runs, and how it is tagged."""

from typing import Annotated

from pydantic import Field, StringConstraints

from mlops_spec.models.base import SpecModel
from mlops_spec.types import AwsRegion, Email, SystemId

TagKey = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/=+\-@ ]+$")
]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w.:/=+\-@ ]*$")]


class System(SpecModel):
    """The ML system as a whole."""

    id: SystemId
    """Lowercase id used as the first part of every resource name. Renaming it replaces everything."""
    owner: Email
    """The owning team's e-mail; tagged on every resource as `owner`."""
    region: AwsRegion = "us-east-1"
    """AWS region of every resource. Default: us-east-1."""
    tags: dict[TagKey, TagValue] = Field(default_factory=dict)
    """Extra tags on every resource (e.g. cost-centre). `system`, `environment`, `owner` and
    `managed-by` are always added. Default: none."""
    bucket_namespace: (
        Annotated[str, StringConstraints(min_length=3, max_length=20, pattern=r"^[a-z0-9-]+$")]
        | None
    ) = None
    """Prefix making bucket names globally unique (S3 names are global), e.g. your org or
    account id. Default: unset, buckets are named `<system>-<env>-<purpose>-<region>`."""
