"""The instance types the spec accepts are botocore's SageMaker enums, read from the service
model's text one shape at a time (:mod:`mlops_spec.aws_catalog`), compared here with the shapes
botocore's own loader builds from the whole model."""

from __future__ import annotations

from collections.abc import Callable

import botocore.session
import pytest

from mlops_spec import aws_catalog


@pytest.mark.parametrize(
    ("read", "shape"),
    [
        (aws_catalog.training_instance_types, "TrainingInstanceType"),
        (aws_catalog.hosting_instance_types, "ProductionVariantInstanceType"),
        (aws_catalog.transform_instance_types, "TransformInstanceType"),
    ],
)
def test_each_enum_is_botocores_shape(read: Callable[[], frozenset[str]], shape: str) -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    assert read() == frozenset(model.shape_for(shape).enum)


def test_a_key_that_is_not_one_string_enum_is_left_to_the_whole_model() -> None:
    text = (
        '{"shapes":{"A":{"shape":"B"},"B":{"type":"string","enum":["x"]},"C":{"A":{"shape":"B"}}}}'
    )
    assert aws_catalog._enum_shape(text, "B") == ["x"]
    assert aws_catalog._enum_shape(text, "A") is None
    assert aws_catalog._enum_shape(text, "Missing") is None
