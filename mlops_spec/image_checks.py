"""Where images come from: the rules that let SageMaker pull every image a stack runs.

- The system's region has AWS's scikit-learn image (the evaluation, profile, batch-feature and
  monitoring jobs run on it; ``mlops_spec.images``), else the error is at ``system.region``.
- A training image is in ECR in the system's region (SageMaker training pulls from ECR in
  the job's region), or comes from a private registry that ``training.private_registry``
  declares with the network SageMaker reaches it through (``TrainingImageConfig``,
  ``VpcConfig``; botocore's CreateTrainingJob).
- A model with ``serving`` or a ``gate`` runs its registered package's image
  (``ModelPackageContainerDefinition.Image``: "the Amazon ECR path"; ``ContainerDefinition``:
  the inference image in ECR "must be in the same region as the model"), so its image is in
  ECR in the system's region and ``private_registry`` does not apply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlops_spec.checks import Issue, Loc
from mlops_spec.enums import TrainingPlatform
from mlops_spec.images import SKLEARN_REGISTRIES, SKLEARN_REPOSITORY, SKLEARN_TAG, ecr_image
from mlops_spec.regions import partition
from mlops_spec.types import choice_error

if TYPE_CHECKING:
    from mlops_spec.models.environment import EnvironmentSettings
    from mlops_spec.models.model import Model
    from mlops_spec.models.spec import SystemSpec


def _ecr_uri(region: str) -> str:
    return f"<account>.dkr.ecr.{region}.{partition(region).dns_suffix}/<repository>:<tag>"


def region_has_images(spec: SystemSpec) -> list[Issue]:
    """The region publishes the scikit-learn image every SageMaker-trained model's jobs run."""
    region = spec.system.region
    uses_image = any(
        m.training.platform is TrainingPlatform.SAGEMAKER for m in spec.models.values()
    )
    if not uses_image or region in SKLEARN_REGISTRIES:
        return []
    context = getattr(choice_error("region", region, SKLEARN_REGISTRIES), "context", None) or {}
    return [
        Issue(
            ("system", "region"),
            f"SageMaker runs in {region}, but AWS publishes no scikit-learn image "
            f"({SKLEARN_REPOSITORY}:{SKLEARN_TAG}) there, and the evaluation, profile, "
            "batch-feature and monitoring jobs run on it; deploy the system to a region that "
            "has it",
            got=region,
            allowed=context.get("allowed"),
        )
    ]


def _training_image(spec: SystemSpec, base: Loc, model: Model) -> list[Issue]:
    training, region = model.training, spec.system.region
    loc: Loc = (*base, "training", "image")
    ecr = ecr_image(training.image)
    if ecr is not None and ecr.region != region:
        return [
            Issue(
                loc,
                f"SageMaker pulls images from ECR in the system's region ({region}); this "
                f"image is in {ecr.region}",
                got=training.image,
                allowed=f"an image in {_ecr_uri(region)} (push or replicate the repository "
                f"to {region})",
            )
        ]
    if ecr is None and training.private_registry is None:
        return [
            Issue(
                loc,
                "SageMaker training pulls images from ECR in the system's region, or from a "
                "private registry through your VPC (training.private_registry); this image "
                "is in neither",
                got=training.image,
                allowed=f"an image in {_ecr_uri(region)}, or training.private_registry with "
                "subnets and security_groups",
            )
        ]
    return []


def _private_registry(base: Loc, model: Model) -> list[Issue]:
    training = model.training
    if training.private_registry is None:
        return []
    loc: Loc = (*base, "training", "private_registry")
    if ecr_image(training.image) is not None:
        return [
            Issue(
                loc,
                "private_registry is for images outside ECR; this image is in ECR, which "
                "SageMaker pulls from directly: remove private_registry",
                got=training.image,
            )
        ]
    users = [what for what, used in (("serving", model.serving), ("gate", training.gate)) if used]
    if users:
        return [
            Issue(
                loc,
                f"this model's {' and '.join(users)} {'run' if len(users) > 1 else 'runs'} "
                "its registered package's image, "
                "which SageMaker pulls from ECR only (model packages name an ECR image): "
                "push the image to ECR in the system's region and remove private_registry",
                got=training.image,
                allowed="a private registry for a model without serving or gate",
            )
        ]
    return []


def image_issues(spec: SystemSpec, settings: EnvironmentSettings | None) -> list[Issue]:
    """Every image rule above (``settings`` unused: the rules hold in every stack, checked
    after its overlay)."""
    del settings
    issues = region_has_images(spec)
    for model_id, model in spec.models.items():
        if model.training.platform is not TrainingPlatform.SAGEMAKER:
            continue
        base: Loc = ("models", model_id)
        issues += _training_image(spec, base, model) + _private_registry(base, model)
    return issues
