"""The matching rules of ``tests.components.unit`` (aws-cdk's ``objectLike``), pure."""

from __future__ import annotations

import pytest

from tests.components.unit import Match, mismatch, over_privileged


@pytest.mark.parametrize(
    ("expected", "actual"),
    [
        ({"a": 1}, {"a": 1, "b": 2}),  # unnamed keys are ignored
        ({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}}),  # at every depth
        ([{"a": 1}], [{"a": 1, "b": 2}]),  # list items match like objects
        ({"a": Match.absent()}, {"b": 1}),
        ({"a": Match.any()}, {"a": 0}),
        ({"a": Match.array_with([2])}, {"a": [1, 2, 3]}),
        ({"p": Match.json({"x": [1]})}, {"p": '{"x": [1], "y": 2}'}),
    ],
)
def test_matches(expected: object, actual: object) -> None:
    assert mismatch(expected, actual) is None


@pytest.mark.parametrize(
    ("expected", "actual", "where"),
    [
        ({"a": 1}, {"a": 2}, "a: expected 1, got 2"),
        ({"a": 1}, {}, "a: expected 1, got None"),
        ({"a": [1, 2]}, {"a": [1, 2, 3]}, "a: expected [1, 2], got [1, 2, 3]"),
        ({"a": True}, {"a": 1}, "a: expected True, got 1"),
        ({"a": Match.absent()}, {"a": 0}, "a: expected absent, got 0"),
        ({"a": Match.array_with([4])}, {"a": [1]}, "a: no element matches 4"),
        ({"p": Match.json({"x": 1})}, {"p": '{"x": 2}'}, "p<json>.x: expected 1, got 2"),
    ],
)
def test_mismatches_name_the_path(expected: object, actual: object, where: str) -> None:
    found = mismatch(expected, actual)
    assert found is not None and found.startswith(where), found


def test_over_privileged_names_wildcards_and_unscoped_resources() -> None:
    policy = (
        '{"Statement": ['
        '{"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"},'
        '{"Sid": "B", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},'
        '{"Sid": "C", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},'
        '{"Sid": "D", "Effect": "Deny", "Action": "*", "Resource": "*"}]}'
    )
    assert over_privileged(policy) == [
        "A: wildcard action in ['s3:*']",
        "B: Resource '*' for ['s3:GetObject']",
    ]
