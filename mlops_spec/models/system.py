"""``system``: who owns the ML system, where it runs, and how it is tagged."""

from pydantic import Field

from mlops_spec.models.base import SpecModel
from mlops_spec.models.kubernetes import KubernetesProfile, Platform
from mlops_spec.types import AwsRegion, BucketNamespace, Email, SystemId, TagKey, TagValue


class System(SpecModel):
    """The ML system as a whole."""

    id: SystemId
    """The system's id (lowercase letters, digits and '-', 2-20 characters): the first part
    of every resource name. Renaming it replaces every resource."""
    owner: Email
    """The owning team's e-mail; tagged on every resource as `owner`."""
    region: AwsRegion = "us-east-1"
    """AWS region of every resource, e.g. eu-west-1: a region where SageMaker runs (botocore's
    endpoint data) and AWS publishes the scikit-learn image the project's jobs run on (not
    yet, for example, mx-central-1 or ap-southeast-5). Default: us-east-1 — every resource of
    every stack is created in us-east-1 (a stack's `aws:region`, if set, must agree)."""
    tags: dict[TagKey, TagValue] = Field(default_factory=dict)
    """Extra tags on every resource (e.g. cost-centre). `system`, `environment`, `owner` and
    `managed-by` are always added. Default: none — resources carry only those four tags."""
    bucket_namespace: BucketNamespace | None = None
    """Prefix making bucket names globally unique (S3 names are global): your AWS account id
    or your organisation's name, e.g. `acme`; buckets are named
    `<namespace>-<system>-<env>-<purpose>-<region>`. Required by every stack, since each
    creates buckets. Default: unset — loading a stack fails, because unprefixed names are
    guessable and another account could create them first."""
    platform: Platform = "aws"
    """aws | kubernetes: where the models are served and monitored (an environment overlay
    may switch it). Default: aws — SageMaker endpoints and CloudWatch alarms. kubernetes
    serves and monitors them on the cluster `kubernetes` describes; training, the registry
    and the buckets stay on AWS (Kubernetes training is issue 13)."""
    kubernetes: KubernetesProfile | None = None
    """The cluster profile (required with platform kubernetes; see docs/kubernetes.md).
    Default: unset — no cluster: refused in a stack whose platform is kubernetes."""
