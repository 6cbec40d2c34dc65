"""Container images: the ECR repository behind an image URI, and AWS's scikit-learn image.

The registry accounts of the scikit-learn image are AWS's published table (the SageMaker
Python SDK's ``image_uri_config/sklearn.json``; the same accounts for every version), so no
lookup (invoke) is made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SKLEARN_IMAGE_PYTHON: dict[str, tuple[int, int]] = {
    "1.2-1": (3, 9),
    "1.4-2": (3, 10),
}
"""The Python of each scikit-learn container version (aws/sagemaker-scikit-learn-container,
``docker/<version>/base/Dockerfile.cpu``)."""
SKLEARN_VERSION = "1.4-2"
"""The image the runtime jobs run on: its Python must be at least :data:`RUNTIME_PYTHON`."""
SKLEARN_PYTHON = SKLEARN_IMAGE_PYTHON[SKLEARN_VERSION]
RUNTIME_PYTHON = (3, 10)
"""The oldest Python the Processing job code supports (kw_only dataclasses, ``X | Y`` in
``isinstance``, ``zip(strict=True)``); ``tests/runtime/test_runtime_py310.py`` parses the job
modules with :data:`SKLEARN_PYTHON`'s grammar."""
SKLEARN_REPOSITORY = "sagemaker-scikit-learn"
SKLEARN_REGISTRIES = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "me-south-1": "801668240914",
    "me-central-1": "272398656194",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-west-1": "414596584902",
    "us-gov-east-1": "237065988967",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}

_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?"
    r"/(?P<repository>[^:@]+)"
)


class ImageError(ValueError):
    """An image SageMaker cannot use in this region."""


@dataclass(frozen=True)
class Image:
    """An image URI and, for ECR images, its repository ARN (for scoped pull rights)."""

    uri: str
    repository_arn: str | None


def image(uri: str, partition: str) -> Image:
    """Parse ``uri``; non-ECR registries get no repository ARN (nothing to grant)."""
    match = _ECR.match(uri)
    if not match:
        return Image(uri, None)
    arn = (
        f"arn:{partition}:ecr:{match['region']}:{match['account']}:repository/{match['repository']}"
    )
    return Image(uri, arn)


def sklearn_image(region: str, partition: str) -> Image:
    """AWS's scikit-learn image, which runs the evaluation and monitoring jobs."""
    account = SKLEARN_REGISTRIES.get(region)
    if account is None:
        raise ImageError(
            f"no SageMaker scikit-learn image is published in {region}; "
            f"regions: {', '.join(sorted(SKLEARN_REGISTRIES))}"
        )
    suffix = ".cn" if partition == "aws-cn" else ""
    return image(
        f"{account}.dkr.ecr.{region}.amazonaws.com{suffix}/{SKLEARN_REPOSITORY}:"
        f"{SKLEARN_VERSION}-cpu-py3",
        partition,
    )
