"""Reusable constrained types for the spec models (``Annotated`` aliases)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictFloat, StrictInt, StringConstraints
from pydantic_core import PydanticCustomError

from mlops_spec import aws_catalog, regions
from mlops_spec.schedule import ScheduleError, validate_schedule


def suggest(value: str, allowed: Iterable[str]) -> str | None:
    """The closest allowed spelling of ``value``, if one is close enough."""
    options = list(allowed)
    matches = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if matches:
        return matches[0]
    lowered = value.lower()
    prefixed = [o for o in options if lowered and o.lower().startswith(lowered)]
    return prefixed[0] if len(prefixed) == 1 else None


def choice_error(what: str, value: Any, allowed: Iterable[str], *, show: int = 8) -> Exception:
    """A validation error for a value outside a closed set, with a 'did you mean'."""
    options = sorted(allowed)
    hint = suggest(str(value), options)
    if len(options) > show:
        near = difflib.get_close_matches(str(value), options, n=show, cutoff=0.5)
        shown = ", ".join(near) + ("" if not near else ", ") + f"… ({len(options)} in all)"
    else:
        shown = ", ".join(options)
    return PydanticCustomError(
        "spec_choice",
        "{what} is not allowed",
        {"what": what, "got": value, "allowed": shown, "suggestion": hint},
    )


def _one_of(what: str, allowed: Callable[[], frozenset[str]]) -> tuple[Any, ...]:
    def check(value: str) -> str:
        options = allowed()
        if value not in options:
            raise choice_error(what, value, options)
        return value

    def schema_extra(schema: dict[str, Any]) -> None:
        schema["enum"] = sorted(allowed())

    return AfterValidator(check), Field(json_schema_extra=schema_extra)


def _schedule(value: str) -> str:
    try:
        return validate_schedule(value)
    except ScheduleError as error:
        raise PydanticCustomError(
            "spec_schedule",
            "invalid EventBridge schedule: {reason}",
            {"reason": str(error), "got": value},
        ) from None


ID_PATTERN = r"^[a-z][a-z0-9-]*[a-z0-9]$"
_ID_DOC = "lowercase letters, digits and '-', starting with a letter (used in resource names)"

# The aliases below constrain values; they carry no description. Every field documents itself
# (an attribute docstring, see ``SpecModel``), and a description on a type would replace the
# docstring of each field of that type. What a form allows is named in ``PATTERN_NAMES``.

Identifier = Annotated[str, StringConstraints(min_length=2, max_length=32, pattern=ID_PATTERN)]
SystemId = Annotated[str, StringConstraints(min_length=2, max_length=20, pattern=ID_PATTERN)]
EnvironmentName = Annotated[str, StringConstraints(min_length=2, max_length=12, pattern=ID_PATTERN)]
Email = Annotated[
    str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$", max_length=254)
]


def _region(value: str) -> str:
    known = regions.region_names()
    if value in known:
        return value
    error = choice_error("region", value, known)
    raise PydanticCustomError(
        "spec_region",
        "is not a region where SageMaker runs (botocore {version}'s endpoint data)",
        {**(getattr(error, "context", None) or {}), "version": regions.botocore_version()},
    )


AwsRegion = Annotated[
    str,
    AfterValidator(_region),
    Field(json_schema_extra=lambda schema: schema.update(enum=sorted(regions.region_names()))),
]
"""A region with a SageMaker endpoint in botocore's endpoint data (``mlops_spec.regions``)."""
AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
SubnetId = Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")]
SecurityGroupId = Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$")]
LambdaFunctionArn = Annotated[
    str,
    StringConstraints(
        max_length=2048,
        pattern=r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}$",
    ),
]
SnsTopicArn = Annotated[
    str,
    StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$"),
]
SsmParameterName = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_.\-/]{1,1010}$")]
ImageUri = Annotated[
    str,
    StringConstraints(
        pattern=r"^[a-z0-9.\-]+(:\d+)?/[a-z0-9._\-/]+(:[A-Za-z0-9._\-]{1,128}|@sha256:[a-f0-9]{64})$"
    ),
]
TagKey = Annotated[
    str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\w.:/=+\-@ ]+$")
]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\w.:/=+\-@ ]*$")]
BucketNamespace = Annotated[
    str, StringConstraints(min_length=3, max_length=20, pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
]
BucketRef = Annotated[
    str,
    StringConstraints(
        pattern=r"^(create|arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]"
        r"|[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])$"
    ),
]
KeyPrefix = Annotated[
    str, StringConstraints(max_length=512, pattern=r"^([A-Za-z0-9!_.*'()\-]+/)*$")
]
S3Uri = Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?$")]
HyperparameterName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,255}$")]
HyperparameterValue = Annotated[str, StringConstraints(max_length=2500)]
SCHEDULE_SCHEMA_PATTERN = (
    r"^(cron\((\S+ ){5}\S+\)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\))$"
)
Schedule = Annotated[
    str,
    AfterValidator(_schedule),
    Field(
        json_schema_extra={"pattern": SCHEDULE_SCHEMA_PATTERN},
        examples=["cron(0 3 ? * MON *)", "rate(1 day)"],
    ),
]
"""An EventBridge schedule expression: ``cron(min hour dom month dow year)`` or
``rate(N unit)`` (checked by :func:`mlops_spec.schedule.validate_schedule`)."""
Percent = Annotated[StrictFloat, Field(ge=0, le=100)]
PositiveInt = Annotated[StrictInt, Field(ge=1)]
TrainingInstanceType = Annotated[
    str, *_one_of("training instance type", aws_catalog.training_instance_types)
]
HostingInstanceType = Annotated[
    str, *_one_of("endpoint instance type", aws_catalog.hosting_instance_types)
]
TransformInstanceType = Annotated[
    str, *_one_of("batch transform instance type", aws_catalog.transform_instance_types)
]
ColumnName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$"),
]

S3_BUCKET_PATTERN = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def _pattern(alias: object) -> str:
    for meta in getattr(alias, "__metadata__", ()):
        if isinstance(meta, StringConstraints) and meta.pattern:
            return str(meta.pattern)
    raise ValueError(f"{alias} has no pattern")


PATTERN_NAMES: dict[str, str] = {
    ID_PATTERN: _ID_DOC,
    _pattern(Email): "an e-mail address (name@example.com)",
    _pattern(AccountId): "a 12-digit AWS account id",
    _pattern(SubnetId): "a VPC subnet id (subnet-0123456789abcdef0)",
    _pattern(SecurityGroupId): "a security group id (sg-0123456789abcdef0)",
    _pattern(LambdaFunctionArn): "a Lambda function ARN "
    "(arn:aws:lambda:<region>:<account>:function:<name>)",
    _pattern(SnsTopicArn): "an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)",
    _pattern(SsmParameterName): "an SSM parameter name starting with '/'",
    _pattern(ImageUri): "an image URI with a tag or digest (registry/repo:tag)",
    _pattern(ColumnName): "a column name (letters, digits, '_', '.', '-')",
    _pattern(TagKey): "letters, digits, spaces and _ . : / = + - @",
    _pattern(TagValue): "letters, digits, spaces and _ . : / = + - @ (or empty)",
    _pattern(BucketNamespace): "lowercase letters, digits and '-', starting and ending with a "
    "letter or digit (it starts every bucket name: DNS-safe)",
    _pattern(BucketRef): "`create`, or an existing bucket's name or ARN",
    _pattern(KeyPrefix): "a key prefix ending in '/' (letters, digits and ! _ . * ' ( ) -), or ''",
    _pattern(S3Uri): "an s3:// URI (s3://bucket/prefix/)",
    _pattern(HyperparameterName): "a name of letters, digits, '_', '.', '-', not starting "
    "with a digit, '.' or '-'",
}
"""What each string form allows, in words: error messages show it as "allowed"."""
