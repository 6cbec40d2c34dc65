"""``models.<id>.registry``: the model package group and how candidates are approved."""

from pydantic import Field

from mlops_spec.enums import Approval
from mlops_spec.models.base import SpecModel
from mlops_spec.types import AccountId


class Registry(SpecModel):
    """Where candidates are registered (one SageMaker model package group per model)."""

    approval: Approval = Approval.MANUAL
    """`auto`: a candidate that passes the gate is Approved at once; `manual`: it waits in
    PendingManualApproval for a person. Default: manual — nothing is deployed until a person
    approves the candidate."""
    cross_account_read_accounts: list[AccountId] = Field(default_factory=list)
    """12-digit AWS account ids allowed to read packages (group policy). Default: none — the
    group has no resource policy; only this account reads its packages."""
