"""What ``mlops validate`` and ``mlops plan`` say about the loop on a cluster: who owns a
``latest_approved`` Rollout, and the AWS grants the loop's service accounts need on an ``s3``
object store (exact actions and resources). The roles are the team's, associated with the
ServiceAccounts this project creates through EKS Pod Identity (IRSA would need an annotation
on them that Pulumi does not write)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from mlops_spec.models import SystemSpec
from mlops_spec.plan.k8s.controller import LoopPlan
from mlops_spec.plan.k8s.loop import Locations, follows_latest
from mlops_spec.plan.training import PACKAGE_REFERENCES_PREFIX, REFERENCE_PREFIX, TRAINING_PREFIX

KMS = "kms:Decrypt and kms:GenerateDataKey on the system key"


def object_arn(uri: str) -> str:
    """``arn:aws:s3:::bucket/key*`` of an s3:// prefix (objects under it)."""
    parts = urlsplit(uri)
    return f"arn:aws:s3:::{parts.netloc}{parts.path}*"


def _list(uri: str) -> str:
    parts = urlsplit(uri)
    return f"s3:ListBucket on arn:aws:s3:::{parts.netloc} (s3:prefix {parts.path.lstrip('/')}*)"


def ownership_notes(spec: SystemSpec, loop: LoopPlan) -> list[str]:
    """One note per Rollout the controller owns (as the AWS deploy function's endpoints)."""
    templates = dict(loop.rollout_templates)
    notes = []
    for model_id, model in sorted(loop.controller.config.models.items()):
        if model.rollout and follows_latest(spec, model_id):
            assert model.rollout_template in templates
            notes.append(
                f"models.{model_id}.serving: Rollout {model.rollout} follows latest_approved, so "
                "the loop controller creates it on the first approved version of the cluster's "
                "registry and patches it on later ones; Pulumi owns its template (ConfigMap "
                f"{model.rollout_template}), Service, scaler, budget, monitors and analysis"
            )
    return notes


def controller_grants(loop: LoopPlan) -> list[str]:
    config = loop.controller.config
    grants = [
        f"s3:GetObject, s3:PutObject and s3:DeleteObject on {object_arn(config.store.uri)}",
        _list(config.store.uri),
    ]
    for _, model in sorted(config.models.items()):
        if model.references is not None:
            grants.append(
                f"s3:GetObject on {object_arn(model.references.packages_uri)} and s3:PutObject on "
                f"{object_arn(model.references.current_uri)}"
            )
    grants += [
        f"s3:ListBucket on arn:aws:s3:::{s.bucket} (s3:prefix {s.prefix}*)"
        for s in config.data_sources
    ]
    return [*grants, KMS]


def training_grants(loop: LoopPlan, where: Locations) -> list[str]:
    store = loop.controller.config.store.uri
    grants = []
    for job in loop.jobs:
        for _, uri in job.channels:
            grants += [_list(uri), f"s3:GetObject on {object_arn(uri)}"]
        model = job.model
        writes = [TRAINING_PREFIX, PACKAGE_REFERENCES_PREFIX, REFERENCE_PREFIX]
        grants.append(
            "s3:PutObject on " + ", ".join(object_arn(where.model(model, w)) for w in writes)
        )
        registry = f"{store}registry/{model}/"
        grants += [f"s3:GetObject and s3:PutObject on {object_arn(registry)}", _list(registry)]
        grants += _gate_and_lineage_grants(job.finish_config)
    return [*dict.fromkeys(grants), KMS]


def _gate_and_lineage_grants(finish_config: str) -> list[str]:
    """The register container's gate (the holdout read) and the Job's lineage record (every
    source listed with its versions, the record written)."""
    config = json.loads(finish_config)
    grants = []
    if config.get("gate"):
        holdout = config["gate"]["holdout_uri"]
        grants += [_list(holdout), f"s3:GetObject on {object_arn(holdout)}"]
    record = (config.get("lineage") or {}).get("config")
    if record:
        for source in record["sources"]:
            parts = urlsplit(source["uri"])
            grants.append(
                f"s3:ListBucketVersions on arn:aws:s3:::{parts.netloc} "
                f"(s3:prefix {parts.path.lstrip('/')}*)"
            )
        grants.append(f"s3:PutObject on {object_arn(record['records_uri'])}")
    return grants


def iam_notes(loop: LoopPlan, where: Locations) -> list[str]:
    """The roles the controller's and the training pods' ServiceAccounts need (s3 store), or
    what an S3-compatible store must give them."""
    namespace = loop.controller.namespace
    control, trainers = loop.controller.name, ", ".join(loop.service_accounts)
    if not where.s3:
        secret = where.profile.object_store.credentials_secret_name
        return [
            f"system.kubernetes.object_store: the loop controller ({control}) and the training "
            f"Jobs ({trainers}) reach the store with Secret {secret}'s keys: they need read, "
            f"write and list on {where.root} (models, data, loop state) and delete under "
            f"{loop.controller.config.store.uri}, and the store must honour conditional "
            "writes (If-None-Match, If-Match): the controller's start-up probe refuses it "
            "otherwise"
        ]
    return [
        f"system.kubernetes: bind ServiceAccount {control} in namespace {namespace} (the loop "
        "controller) with an EKS Pod Identity association to an AWS role that may "
        + "; ".join(controller_grants(loop)),
        f"system.kubernetes: bind ServiceAccount {trainers} in namespace {namespace} (the "
        "training Jobs' pods) with an EKS Pod Identity association to an AWS role that may "
        + "; ".join(training_grants(loop, where)),
    ]
