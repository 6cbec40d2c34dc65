"""Mocks that let a real AWS program run offline and fail loudly where they cannot answer.

``new_resource`` echoes the inputs and adds deterministic stand-ins for what AWS would compute
(``id``, ``arn``), so ``apply`` callbacks and dependent inputs proceed. ``call`` answers the
invokes an AWS program commonly makes and raises :class:`UnknownInvokeError` for any other: an
empty answer would make the inputs built from it vanish silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"

InvokeHandler = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownInvokeError(Exception):
    """The program called a provider function the offline preview cannot answer."""

    def __init__(self, token: str) -> None:
        super().__init__(
            f"invoke {token!r} has no offline answer; build the value client-side "
            "(e.g. pulumi.Output.json_dumps for policy documents) or pass "
            "preview(..., invokes={token: handler})"
        )
        self.token = token


def aws_service(type_: str) -> str:
    """``aws:s3/bucket:Bucket`` -> ``s3``."""
    parts = type_.split(":")
    return parts[1].split("/", 1)[0] if len(parts) > 2 else parts[0]


def synthetic_arn(type_: str, name: str, region: str) -> str:
    """A deterministic ARN shaped like AWS's: ``arn:aws:<service>:<region>:<account>:<name>``."""
    return f"arn:aws:{aws_service(type_)}:{region}:{ACCOUNT_ID}:{name}"


class PreviewMocks(Mocks):
    """Answers resource registrations and invokes for an offline preview."""

    def __init__(
        self, region: str = DEFAULT_REGION, invokes: Mapping[str, InvokeHandler] | None = None
    ) -> None:
        self.region = region
        self.invokes: dict[str, InvokeHandler] = {**self._builtin_invokes(), **(invokes or {})}

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        physical = state.get("name", state.get("bucket"))
        name = physical if isinstance(physical, str) and physical else args.name
        if args.typ.startswith("aws:"):
            state.setdefault("arn", synthetic_arn(args.typ, name, self.region))
        resource_id = args.resource_id or f"{name}-id"
        state.setdefault("id", resource_id)
        return resource_id, state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        handler = self.invokes.get(args.token)
        if handler is None:
            raise UnknownInvokeError(args.token)
        return handler(dict(args.args)), []

    def _builtin_invokes(self) -> dict[str, InvokeHandler]:
        return {
            "aws:index/getCallerIdentity:getCallerIdentity": self._caller_identity,
            "aws:index/getRegion:getRegion": self._get_region,
            "aws:index/getPartition:getPartition": self._partition,
            "aws:index/getAvailabilityZones:getAvailabilityZones": self._availability_zones,
        }

    @staticmethod
    def _caller_identity(_: dict[str, Any]) -> dict[str, Any]:
        return {
            "accountId": ACCOUNT_ID,
            "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/mlops-preview",
            "id": ACCOUNT_ID,
            "userId": "AIDAMLOPSPREVIEW",
        }

    def _get_region(self, args: dict[str, Any]) -> dict[str, Any]:
        region = args.get("region") or args.get("name") or self.region
        return {
            "description": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
            "id": region,
            "name": region,
            "region": region,
        }

    @staticmethod
    def _partition(_: dict[str, Any]) -> dict[str, Any]:
        return {
            "dnsSuffix": "amazonaws.com",
            "id": "aws",
            "partition": "aws",
            "reverseDnsPrefix": "com.amazonaws",
        }

    def _availability_zones(self, _: dict[str, Any]) -> dict[str, Any]:
        zones = [f"{self.region}{suffix}" for suffix in "abc"]
        return {
            "groupNames": [self.region],
            "id": self.region,
            "names": zones,
            "zoneIds": [f"{self.region}-az{i}" for i in range(1, 4)],
        }
