"""Plan diffs: added, removed, changed, renamed through aliases, and the danger rules."""

from __future__ import annotations

import pytest
from preview_programs import BASE_CONFIG, PROJECT, platform
from rich.console import Console

from mlops_preview import PlanDocument, PlannedResource, diff_plans, preview
from mlops_preview.render import render_diff, render_plan
from mlops_preview.urns import inherited_child_alias, make_urn

BUCKET = "aws:s3/bucket:Bucket"


@pytest.fixture(scope="module")
def base() -> PlanDocument:
    return preview(platform, project=PROJECT, stack="prod", config=BASE_CONFIG)


def text(renderable) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_identical_plans_have_no_changes(base, plan):
    diff = diff_plans(base, plan("prod"))
    assert diff.is_empty and not diff.has_danger
    assert "no changes" in text(render_diff(diff))


def test_input_change_is_listed_by_path(base, plan):
    diff = diff_plans(base, plan("prod", instance_type="ml.c5.xlarge", instances=2))
    [change] = diff.changed
    assert change.type == "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
    assert [(c.path, c.old, c.new) for c in change.inputs] == [
        ("productionVariants[0].initialInstanceCount", 1, 2),
        ("productionVariants[0].instanceType", "ml.m5.large", "ml.c5.xlarge"),
    ]
    assert not diff.has_danger  # an endpoint configuration holds no state


def test_added_and_removed_resources(base, plan):
    diff = diff_plans(base, plan("prod", logs=True, endpoint=False))
    assert [r.type for r in diff.added] == ["aws:cloudwatch/logGroup:LogGroup"]
    assert [r.type for r in diff.removed] == ["aws:sagemaker/endpoint:Endpoint"]
    [danger] = diff.dangers
    assert danger.reason.startswith("deletes SageMaker endpoint 'churn-endpoint'")
    assert diff.outputs[0].path == "resource_count"


def test_replacing_a_stateful_resource_is_dangerous(base, plan):
    diff = diff_plans(base, plan("prod", bucket="mlops-prod-data-v2", group="churn-v2"))
    replaced = {c.type: c.replaces for c in diff.changed}
    assert replaced[BUCKET] == ("bucket",)
    assert replaced["aws:sagemaker/modelPackageGroup:ModelPackageGroup"] == (
        "modelPackageGroupName",
    )
    reasons = sorted(d.reason for d in diff.dangers)
    assert reasons[0].startswith("replaces S3 bucket 'data-bucket' (`bucket`")
    assert reasons[1].startswith("replaces model package group 'churn-group'")
    rendered = text(render_diff(diff))
    assert "DANGER" in rendered and "forces replacement" in rendered
    assert diff.to_dict()["has_danger"] is True


def test_turning_protect_off_is_dangerous(base, plan):
    diff = diff_plans(base, plan("prod", protect=False))
    [change] = diff.changed
    assert [(o.path, o.old, o.new) for o in change.options] == [("protect", True, False)]
    assert [d.reason for d in diff.dangers] == ["turns off protect on S3 bucket 'data-bucket'"]


def test_rename_with_alias_is_not_delete_and_create(base, plan):
    diff = diff_plans(base, plan("prod", storage_name="lake", storage_alias="data"))
    assert not diff.added and not diff.removed and not diff.has_danger
    renamed = {c.name: c.old_urn for c in diff.changed}
    assert renamed["lake"] == "urn:pulumi:prod::mlops::test:storage:Storage::data"
    # children follow the component's alias, with the parent-name prefix rewritten
    assert renamed["lake-bucket"].endswith("test:storage:Storage$aws:s3/bucket:Bucket::data-bucket")
    assert renamed["lake-enc-key"].endswith(
        "test:storage:Storage$test:storage:Encryption$aws:kms/key:Key::data-enc-key"
    )
    assert all(c.renamed and not c.options for c in diff.changed)  # parents follow the rename
    assert "renamed from data-bucket" in text(render_diff(diff))


def test_rename_without_alias_deletes_state(base, plan):
    diff = diff_plans(base, plan("prod", storage_name="lake"))
    assert {r.name for r in diff.removed} >= {"data-bucket", "data-enc-key"}
    reasons = {d.type: d.reason for d in diff.dangers}
    assert reasons["aws:kms/key:Key"].startswith("deletes KMS key 'data-enc-key'")
    assert "protected" in reasons["aws:kms/key:Key"]
    # the bucket is retain_on_delete: it is dropped from the stack, not deleted
    assert reasons[BUCKET].startswith("drops S3 bucket 'data-bucket' from the stack")


def _doc(*resources: PlannedResource, stack: str = "dev") -> PlanDocument:
    return PlanDocument(project="p", stack=stack, resources=resources)


def _res(name: str, type_: str, stack: str = "dev", **fields) -> PlannedResource:
    return PlannedResource(
        urn=make_urn(stack, "p", type_, name),
        type=type_,
        name=name,
        parent=make_urn(stack, "p", "pulumi:pulumi:Stack", f"p-{stack}"),
        custom=True,
        **fields,
    )


def test_replace_on_changes_option_and_retain_turned_off():
    table = "aws:dynamodb/table:Table"
    before = _doc(_res("t", table, inputs={"billingMode": "PROVISIONED"}, retain_on_delete=True))
    after = _doc(
        _res(
            "t",
            table,
            inputs={"billingMode": "PAY_PER_REQUEST"},
            replace_on_changes=("billingMode",),
        )
    )
    diff = diff_plans(before, after)
    assert diff.changed[0].replaces == ("billingMode",)
    assert [d.reason.split(" (")[0] for d in diff.dangers] == [
        "replaces DynamoDB table 't'",
        "turns off retain_on_delete on DynamoDB table 't'",
    ]


def test_documents_of_different_stacks_compare_by_logical_identity():
    queue = "aws:sqs/queue:Queue"
    diff = diff_plans(
        _doc(_res("q", queue, inputs={"delaySeconds": 0})),
        _doc(_res("q", queue, stack="prod", inputs={"delaySeconds": 5}), stack="prod"),
    )
    [change] = diff.changed
    assert change.urn == make_urn("prod", "p", queue, "q")
    assert not change.options  # its parent, the stack, counts as the same
    assert diff.base == "p/dev" and diff.head == "p/prod"


def test_nested_keys_that_are_not_identifiers_are_quoted():
    queue = "aws:sqs/queue:Queue"
    diff = diff_plans(
        _doc(_res("q", queue, inputs={"tags": {"kubernetes.io/name": "a"}})),
        _doc(_res("q", queue, inputs={"tags": {"kubernetes.io/name": "b", "x": 1}})),
    )
    assert [(c.path, c.kind) for c in diff.changed[0].inputs] == [
        ('tags["kubernetes.io/name"]', "changed"),
        ("tags.x", "added"),
    ]


def test_urn_helpers():
    parent = make_urn("dev", "p", "a:b:Outer", "o", "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev")
    assert parent == "urn:pulumi:dev::p::a:b:Outer::o"
    child = make_urn("dev", "p", "a:b:Inner", "o-in", parent)
    assert child == "urn:pulumi:dev::p::a:b:Outer$a:b:Inner::o-in"
    old_parent = "urn:pulumi:dev::p::a:b:Outer::legacy"
    assert inherited_child_alias("a:b:Inner", "o-in", "o", old_parent) == (
        "urn:pulumi:dev::p::a:b:Outer$a:b:Inner::legacy-in"
    )


def test_plan_rendering_shows_the_tree_and_counts(base):
    rendered = text(render_plan(base))
    assert "mlops/prod  8 resources" in rendered
    assert "data-enc-key  aws:kms/key:Key  [protect]" in rendered
    assert "test:storage:Storage" in rendered  # no rich emoji substitution of ':x:'-like text
    assert "total" in rendered and "Stack outputs" in rendered


def test_document_version_is_checked(base):
    data = base.to_dict()
    data["format_version"] = 99
    with pytest.raises(ValueError, match="format_version 99"):
        PlanDocument.from_dict(data)


def test_json_held_in_a_string_is_compared_structurally():
    fn = "aws:lambda/function:Function"
    before = '{"endpoints": {"e": {"instance_type": "ml.c5.large", "count": 1}}}'
    after = '{"endpoints": {"e": {"instance_type": "ml.c5.xlarge", "count": 1}}}'
    diff = diff_plans(
        _doc(_res("f", fn, inputs={"env": {"CONFIG": before}, "handler": "{not json"})),
        _doc(_res("f", fn, inputs={"env": {"CONFIG": after}, "handler": "{still not"})),
    )
    assert [(c.path, c.old, c.new) for c in diff.changed[0].inputs] == [
        ("env.CONFIG<json>.endpoints.e.instance_type", "ml.c5.large", "ml.c5.xlarge"),
        ("handler", "{not json", "{still not"),
    ]


def test_turning_off_paging_is_dangerous_and_replacements_are_counted():
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
    bucket = "aws:s3/bucket:Bucket"
    diff = diff_plans(
        _doc(
            _res("a", alarm, inputs={"actionsEnabled": True}),
            _res("b", bucket, inputs={"bucket": "x"}, protect=True),
        ),
        _doc(
            _res("a", alarm, inputs={"actionsEnabled": False}),
            _res("b", bucket, inputs={"bucket": "y"}, protect=True),
        ),
    )
    reasons = [d.reason for d in diff.dangers]
    assert any("turns off actionsEnabled on 'a'" in r and "paging" in r for r in reasons)
    assert any("replaces S3 bucket 'b'" in r and "`pulumi up` will refuse" in r for r in reasons)
    assert diff.summary()["replaced"] == 1


def test_depends_on_changes_are_listed_per_resource():
    queue = "aws:sqs/queue:Queue"
    one, two = make_urn("dev", "p", queue, "one"), make_urn("dev", "p", queue, "two")
    diff = diff_plans(
        _doc(_res("q", queue, depends_on=(one,))), _doc(_res("q", queue, depends_on=(two,)))
    )
    assert [(o.kind, o.old or o.new) for o in diff.changed[0].options] == [
        ("removed", one),
        ("added", two),
    ]
