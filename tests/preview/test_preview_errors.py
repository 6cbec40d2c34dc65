"""Failures inside the program surface as one clear PreviewError, never a hang."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from mlops_preview import PreviewError, preview


def run(program):
    return preview(program, project="p", stack="s")


def test_unknown_invoke_names_the_token():
    def program() -> None:
        aws.iam.get_policy_document(statements=[{"actions": ["s3:GetObject"], "resources": ["*"]}])

    with pytest.raises(
        PreviewError, match=r"aws:iam/getPolicyDocument:getPolicyDocument.*no offline answer"
    ):
        run(program)


def test_unknown_invoke_fails_even_when_the_program_swallows_it():
    def program() -> None:
        bucket = aws.s3.Bucket("b")
        try:
            aws.get_availability_zones()  # answered
            aws.ec2.get_vpc(default=True)  # not answered
        except Exception:
            pass
        pulumi.export("bucket", bucket.id)

    with pytest.raises(PreviewError, match="aws:ec2/getVpc:getVpc"):
        run(program)


def test_program_exception_reports_the_user_line():
    def program() -> None:
        aws.s3.Bucket("b")
        raise RuntimeError("spec says no")

    with pytest.raises(PreviewError, match="RuntimeError: spec says no") as info:
        run(program)
    assert info.value.location is not None
    assert info.value.location.endswith(
        f"test_preview_errors.py:{program.__code__.co_firstlineno + 2}"
    )


def test_exception_in_an_apply_is_reported():
    def program() -> None:
        bucket = aws.s3.Bucket("b", bucket="x")
        aws.sqs.Queue("q", name=bucket.arn.apply(lambda arn: arn.split(":")[99]))

    with pytest.raises(PreviewError, match="IndexError"):
        run(program)


def test_duplicate_urn_names_the_resource():
    def program() -> None:
        aws.s3.Bucket("same", bucket="one")
        aws.s3.Bucket("same", bucket="two")

    with pytest.raises(PreviewError, match="duplicate resource URN") as info:
        run(program)
    assert info.value.resource == "aws:s3/bucket:Bucket 'same'"
    assert "test_preview_errors.py" in (info.value.location or "")


def test_logged_error_fails_the_preview():
    def program() -> None:
        pulumi.log.error("model threshold missing")

    with pytest.raises(PreviewError, match="logged an error: model threshold missing"):
        run(program)


def test_missing_program_directory_and_main(tmp_path):
    with pytest.raises(PreviewError, match=r"no __main__\.py"):
        preview(tmp_path, project="p", stack="s")
    with pytest.raises(PreviewError, match="does not exist"):
        preview(tmp_path / "nope", project="p", stack="s")


def test_project_module_not_on_sys_path_gets_a_hint(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\nruntime: python\nmain: infra/\n")
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "__main__.py").write_text("import preview_local_pkg\n")
    (tmp_path / "preview_local_pkg").mkdir()
    (tmp_path / "preview_local_pkg" / "__init__.py").write_text("")
    with pytest.raises(PreviewError, match="pip install -e") as info:
        preview(tmp_path / "infra", project="p", stack="s")
    assert info.value.location == "infra/__main__.py:1"


def test_a_failed_run_does_not_poison_the_next():
    with pytest.raises(PreviewError):
        run(lambda: aws.sqs.Queue("q", name=aws.s3.Bucket("b").arn.apply(lambda _: 1 / 0)))
    doc = run(lambda: aws.s3.Bucket("ok"))
    assert [r.name for r in doc.resources] == ["ok"]
