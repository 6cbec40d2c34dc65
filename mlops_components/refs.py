"""What every component needs from the rest of the stack: the account and the system key.

Documents in the plan carry ``${account}`` and ``${key_arn}`` placeholders; :meth:`Refs.render`
fills them from resource outputs (the account is read from the key's ARN, so no invoke runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi

from mlops_spec.plan.documents import render
from mlops_spec.plan.policy import EnvironmentPolicy


def account_of(arn: str) -> str:
    """The account id field of an ARN."""
    return arn.split(":")[4]


@dataclass(frozen=True)
class Refs:
    """The account id and the system KMS key's ARN, as Outputs."""

    account: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    @classmethod
    def from_key_arn(cls, key_arn: pulumi.Output[str]) -> Refs:
        return cls(account=key_arn.apply(account_of), key_arn=key_arn)

    def render(self, template: str) -> pulumi.Output[str]:
        """``template`` with the placeholders filled in."""
        return pulumi.Output.all(self.account, self.key_arn).apply(
            lambda values: render(template, {"account": values[0], "key_arn": values[1]})
        )


def child(
    parent: pulumi.Resource, *, retain: bool = False, **kwargs: object
) -> pulumi.ResourceOptions:
    """Options of a child resource; ``retain`` protects it and keeps it on delete."""
    if retain:
        kwargs.setdefault("protect", True)
        kwargs.setdefault("retain_on_delete", True)
    return pulumi.ResourceOptions(parent=parent, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StackContext:
    """What every component of a stack shares: the environment policy, the account/key refs,
    the resources its children must wait for, and where the stack's alarms notify."""

    policy: EnvironmentPolicy
    refs: Refs
    depends_on: tuple[pulumi.Resource, ...] = ()
    alarm_actions: tuple[pulumi.Input[str], ...] = ()
    """The alarm topic and the spec's existing topics (``Monitoring.alarm_actions``): what an
    alarm created by any component notifies (empty before Monitoring exists)."""

    @property
    def tags(self) -> dict[str, str]:
        return self.policy.tag_map

    def after(self, *resources: pulumi.Resource) -> StackContext:
        """The same context, also waiting for ``resources``."""
        return replace(self, depends_on=(*self.depends_on, *resources))

    def notifying(self, actions: Sequence[pulumi.Input[str]]) -> StackContext:
        """The same context, its alarms notifying ``actions``."""
        return replace(self, alarm_actions=tuple(actions))
