"""The images the project's own jobs run, by region, and what an image URI says (pure data).

The evaluation, profile, batch-feature and monitoring jobs run on AWS's scikit-learn image.
Its registry account per region is AWS's published table, copied from the SageMaker Python
SDK's ``image_uri_config/sklearn.json`` (scope ``training``, which processing jobs use; the
same account for every version): ``tests/spec/vendor/sagemaker_sdk/`` holds that file as
published and ``tests/spec/test_regions.py`` keeps :data:`SKLEARN_REGISTRIES` equal to it.
The planner builds image URIs from here (``mlops_spec.plan.images``); the spec checks
(``mlops_spec.image_checks``) refuse a region with no image before anything is planned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from mlops_spec import regions

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
SKLEARN_TAG = f"{SKLEARN_VERSION}-cpu-py3"
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
    "ca-west-1": "190319476487",
    "cn-north-1": "450853457545",
    "cn-northwest-1": "451049120500",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "il-central-1": "898809789911",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-gov-east-1": "237065988967",
    "us-gov-west-1": "414596584902",
    "us-iso-east-1": "833128469047",
    "us-isob-east-1": "281123927165",
    "us-isof-east-1": "108575199400",
    "us-isof-south-1": "124985052026",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}
"""AWS's account holding ``sagemaker-scikit-learn`` in each region it publishes it in (the
SageMaker Python SDK's table; regions it does not list, such as mx-central-1, have no image)."""


@dataclass(frozen=True)
class EcrImage:
    """Where an ECR image URI points: the registry's account and region, the repository."""

    account: str
    region: str
    repository: str


@cache
def _ecr_pattern() -> re.Pattern[str]:
    suffixes = sorted({re.escape(p.dns_suffix) for p in regions.sagemaker_regions().values()})
    return re.compile(
        r"^(?P<account>\d{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\."
        rf"(?:{'|'.join(suffixes)})/(?P<repository>[^:@]+)"
    )


def ecr_image(uri: str) -> EcrImage | None:
    """The ECR registry behind ``uri`` (a private ECR registry: ``<account>.dkr.ecr.<region>.
    <partition's DNS suffix>/<repository>``), None for any other registry (public ECR too)."""
    match = _ecr_pattern().match(uri)
    if match is None:
        return None
    return EcrImage(match["account"], match["region"], match["repository"])


def sklearn_image_uri(region: str) -> str | None:
    """AWS's scikit-learn image in ``region``, None where AWS publishes none."""
    account = SKLEARN_REGISTRIES.get(region)
    if account is None:
        return None
    suffix = regions.partition(region).dns_suffix
    return f"{account}.dkr.ecr.{region}.{suffix}/{SKLEARN_REPOSITORY}:{SKLEARN_TAG}"
