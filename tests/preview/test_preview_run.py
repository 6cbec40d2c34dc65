"""Running real programs offline: what is recorded, URNs, isolation between runs."""

from __future__ import annotations

import hashlib
import inspect
import json
import sys
from pathlib import Path

import preview_programs
import pulumi
import pulumi_aws as aws
from preview_programs import dynamic, nested

from mlops_preview import PlanDocument, preview, preview_project
from mlops_preview.values import COMPUTED, SECRET

STACK_URN = "urn:pulumi:dev::mlops::pulumi:pulumi:Stack::mlops-dev"
STORAGE_URN = "urn:pulumi:dev::mlops::test:storage:Storage::data"
ENC_URN = "urn:pulumi:dev::mlops::test:storage:Storage$test:storage:Encryption::data-enc"
KEY_URN = "urn:pulumi:dev::mlops::test:storage:Storage$test:storage:Encryption$aws:kms/key:Key::data-enc-key"
BUCKET_URN = "urn:pulumi:dev::mlops::test:storage:Storage$aws:s3/bucket:Bucket::data-bucket"


def one(doc: PlanDocument, type_: str):
    [found] = doc.find(type_)
    return found


def test_inputs_are_camel_case_with_normalised_numbers(plan):
    doc = plan()
    config = one(doc, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    variant = config.inputs["productionVariants"][0]
    assert variant == {
        "initialInstanceCount": 1,
        "initialVariantWeight": 1,
        "instanceType": "ml.m5.large",
        "modelName": "churn-model",
        "variantName": "primary",
    }
    assert type(variant["initialInstanceCount"]) is int
    assert one(doc, "aws:kms/key:Key").inputs["deletionWindowInDays"] == 7


def test_engine_urns_for_a_component_nested_in_a_component():
    doc = preview(nested, project="mlops", stack="dev")
    urns = {r.urn for r in doc.resources}
    assert {STORAGE_URN, ENC_URN, KEY_URN, BUCKET_URN} <= urns
    assert doc.resource(STORAGE_URN).parent == STACK_URN
    assert doc.resource(ENC_URN).parent == STORAGE_URN
    assert doc.resource(KEY_URN).parent == ENC_URN
    # every URN a resource points at is one the plan holds (or the stack)
    for res in doc.resources:
        referenced = {res.parent, *res.depends_on, *sum(res.property_dependencies.values(), ())}
        assert referenced <= urns | {STACK_URN}, res.urn


def test_options_and_dependencies_are_recorded(plan):
    doc = plan()
    bucket = doc.resource(BUCKET_URN)
    assert (bucket.protect, bucket.retain_on_delete, bucket.ignore_changes) == (
        True,
        True,
        ("tags",),
    )
    assert bucket.custom and bucket.inputs["tags"] == {"cost-center": "42", "team": "ml"}
    versioning = one(doc, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.depends_on == (BUCKET_URN,)
    assert versioning.property_dependencies == {"bucket": (BUCKET_URN,)}
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    endpoint = one(doc, "aws:sagemaker/endpoint:Endpoint")
    assert endpoint.replace_on_changes == ("endpointConfigName",)
    assert endpoint.delete_before_replace is True
    endpoint_config = one(doc, "aws:sagemaker/endpointConfiguration:EndpointConfiguration")
    group_urn = one(doc, "aws:sagemaker/modelPackageGroup:ModelPackageGroup").urn
    assert endpoint_config.depends_on == (group_urn,)  # explicit depends_on
    assert not doc.resource(STORAGE_URN).custom


def test_stack_config_component_and_stack_outputs(plan):
    doc = plan(stack="prod")
    assert doc.outputs == {
        "bucket": "mlops-prod-data",
        "resource_count": 4,
        "spec": "examples/churn.yaml",
    }
    storage = doc.resource(STORAGE_URN.replace(":dev:", ":prod:"))
    assert storage.outputs["bucket"] == "mlops-prod-data"
    assert storage.outputs["key_arn"].startswith("arn:aws:kms:us-east-1:123456789012:")


def test_runs_are_isolated_and_repeatable(plan):
    first_a, b, second_a = plan("dev"), plan("prod", instances=3), plan("dev")
    assert first_a.to_json() == second_a.to_json()
    assert len(first_a.resources) == len(second_a.resources) == len(b.resources) == 8
    assert all(":prod::" in r.urn for r in b.resources)
    assert pulumi.runtime.get_root_resource() is None  # nothing leaked into the caller


def test_json_is_deterministic_and_round_trips(plan):
    text = plan().to_json()
    assert text == plan().to_json()
    assert PlanDocument.from_json(text).to_json() == text
    data = json.loads(text)
    assert data["format_version"] == 1
    assert [r["urn"] for r in data["resources"]] == sorted(r["urn"] for r in data["resources"])


def test_secrets_unknowns_and_assets(tmp_path):
    (tmp_path / "handler.py").write_text("def handler(event, context):\n    return 1\n")

    def program() -> None:
        bucket = aws.s3.Bucket("b")
        aws.ssm.Parameter("p", type="SecureString", value=pulumi.Output.secret("hunter2"))
        aws.sqs.Queue("q", name=bucket.bucket_domain_name)
        aws.lambda_.Function(
            "f",
            role="arn:aws:iam::123456789012:role/r",
            runtime="python3.12",
            handler="handler.handler",
            code=pulumi.AssetArchive(
                {"handler.py": pulumi.FileAsset(str(tmp_path / "handler.py"))}
            ),
        )
        aws.s3.BucketObjectv2("o", bucket=bucket.id, key="k", source=pulumi.StringAsset("hello"))

    doc = preview(program, project="p", stack="s")
    inputs = {r.name: r.inputs for r in doc.resources}
    assert inputs["p"]["value"] == SECRET
    assert inputs["q"]["name"] == COMPUTED  # not an input AWS echoes: unknown in a preview
    asset = inputs["f"]["code"]["archive"]["assets"]["handler.py"]["asset"]
    assert asset["path"].endswith("handler.py") and len(asset["sha256"]) == 64
    assert inputs["o"]["source"]["asset"]["text"] == "hello"

    (tmp_path / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    changed = preview(program, project="p", stack="s").find(name="f")[0]
    assert (
        changed.inputs["code"]["archive"]["assets"]["handler.py"]["asset"]["sha256"]
        != asset["sha256"]
    )


def test_invokes_common_to_aws_programs_are_answered():
    def program() -> None:
        account = aws.get_caller_identity().account_id
        region = aws.get_region().region
        partition = aws.get_partition().partition
        pulumi.export("arn", f"arn:{partition}:s3:{region}:{account}")
        pulumi.export("custom", aws.iam.get_policy_document(statements=[]).json)

    doc = preview(
        program,
        project="p",
        stack="s",
        config={"aws:region": "eu-west-1"},
        invokes={"aws:iam/getPolicyDocument:getPolicyDocument": lambda args: {"json": "{}"}},
    )
    assert doc.outputs == {"arn": "arn:aws:s3:eu-west-1:123456789012", "custom": "{}"}


def _write_project(root: Path) -> None:
    (root / "infra").mkdir()
    (root / "stacks").mkdir()
    (root / "Pulumi.yaml").write_text(
        "name: shop\nruntime: python\nmain: infra/\nstackConfigDir: stacks\n"
        "config:\n  shop:tier:\n    default: small\n"
    )
    (root / "stacks" / "Pulumi.dev.yaml").write_text(
        "config:\n  shop:replicas: 2\n  shop:public: false\n  shop:tags:\n    team: ml\n"
        "  aws:region: eu-central-1\n"
    )
    (root / "infra" / "preview_helper_mod.py").write_text("PREFIX = 'shop'\n")
    (root / "infra" / "__main__.py").write_text(
        "import os, sys\n"
        "import pulumi, pulumi_aws as aws\n"
        "import preview_helper_mod\n"
        "cfg = pulumi.Config()\n"
        "aws.s3.Bucket('b', bucket=f'{preview_helper_mod.PREFIX}-{pulumi.get_stack()}')\n"
        "pulumi.export('cwd', os.getcwd())\n"
        "pulumi.export('path0', sys.path[0])\n"
        "pulumi.export('replicas', cfg.require_int('replicas'))\n"
        "pulumi.export('public', cfg.require_bool('public'))\n"
        "pulumi.export('tags', cfg.require_object('tags'))\n"
        "pulumi.export('tier', cfg.require('tier'))\n"
        "pulumi.export('region', pulumi.Config('aws').require('region'))\n"
    )


def test_directory_program_runs_like_the_language_host(tmp_path):
    _write_project(tmp_path)
    cwd = Path.cwd()
    doc = preview_project(tmp_path, "dev")
    infra = str((tmp_path / "infra").resolve())
    assert doc.outputs == {
        "cwd": infra,
        "path0": infra,
        "public": False,
        "region": "eu-central-1",
        "replicas": 2,
        "tags": {"team": "ml"},
        "tier": "small",
    }
    assert doc.find("aws:s3/bucket:Bucket")[0].inputs == {"bucket": "shop-dev"}
    assert Path.cwd() == cwd
    assert "preview_helper_mod" not in sys.modules  # program modules do not outlive the run
    again = preview(
        tmp_path / "infra",
        project="shop",
        stack="dev",
        config={
            "replicas": 5,
            "public": True,
            "tags": {},
            "tier": "big",
            "aws:region": "us-west-2",
        },
    )
    assert again.outputs["replicas"] == 5 and again.outputs["tier"] == "big"


def test_preview_false_runs_as_an_update_would():
    def program() -> None:
        bucket = aws.s3.Bucket("b")
        aws.sqs.Queue("q", name=bucket.bucket_domain_name)
        pulumi.export("dry_run", pulumi.runtime.is_dry_run())

    doc = preview(program, project="p", stack="s", preview=False)
    assert doc.outputs == {"dry_run": False}
    assert "name" not in doc.find(name="q")[0].inputs  # no unknowns: an unset output is absent


def test_a_dynamic_resource_s_pickled_provider_is_described_by_class_and_source(plan):
    """The ``__provider`` blob (secret or not) becomes the provider's class and a hash of its
    module's source: readable, the same for the same code, changed with the code."""
    doc = plan(program=dynamic)
    (secret,) = doc.find(name="secret-echo")
    (plain,) = doc.find(name="plain-echo")
    assert secret.type == plain.type == "pulumi-python:dynamic/test:Echo"
    source = inspect.getsource(preview_programs)
    digest = hashlib.sha256(source.encode()).hexdigest()[:16]
    assert secret.inputs == {
        "__provider": {"provider": {"class": "preview_programs.Echo", "sha256": digest}},
        "size": 3,
    }
    assert plain.inputs["__provider"] == {
        "provider": {"class": "preview_programs.PlainEcho", "sha256": digest}
    }
    assert plan(program=dynamic).to_json() == doc.to_json()
