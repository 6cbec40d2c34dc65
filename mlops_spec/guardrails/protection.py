"""Stateful resources are protected in production: ``pulumi destroy`` or a replacement cannot
delete the data they hold."""

from __future__ import annotations

from collections.abc import Iterator

from mlops_spec.guardrails.stack import Resource

STATEFUL = {
    "aws:s3/bucket:Bucket": "its objects",
    "aws:kms/key:Key": "everything encrypted with it",
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": "the registered model versions",
    "aws:dynamodb/table:Table": "its items (the retraining audit)",
    "aws:cloudwatch/logGroup:LogGroup": "its logs",
    "aws:ecr/repository:Repository": "its images",
    "aws:sagemaker/featureGroup:FeatureGroup": "its feature records",
}
"""Types whose deletion loses data. Endpoints are not listed: they hold no data, and the
deploy function or a spec change must be able to replace them."""


def stateful_protected(resource: Resource) -> Iterator[str]:
    """protect and retainOnDelete on stateful resources; tables refuse deletion too."""
    holds = STATEFUL.get(resource.type)
    if holds is None:
        return
    if resource.protect is False:
        yield f"not protected: deleting it loses {holds} (set protect)"
    if resource.retain_on_delete is False:
        yield f"not retained on delete: removing it from the program deletes {holds}"
    if (
        resource.type == "aws:dynamodb/table:Table"
        and resource.inputs.get("deletionProtectionEnabled") is not True
    ):
        yield "deletion protection is off (deletionProtectionEnabled)"
    if resource.type == "aws:s3/bucket:Bucket" and resource.inputs.get("forceDestroy") is True:
        yield "forceDestroy is on: deleting the bucket deletes its objects"
