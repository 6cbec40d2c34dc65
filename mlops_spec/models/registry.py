"""``models.<id>.registry``: the model package group and how candidates are approved."""

from typing import Annotated

from pydantic import Field, StringConstraints

from mlops_spec.enums import Approval
from mlops_spec.models.base import SpecModel


class Registry(SpecModel):
    """Where candidates are registered (one SageMaker model package group per model)."""

    approval: Approval = Approval.MANUAL
    """`auto`: a candidate that passes the gate is Approved at once; `manual`: it waits in
    PendingManualApproval for a person. Default: manual."""
    cross_account_read_accounts: list[Annotated[str, StringConstraints(pattern=r"^\d{12}$")]] = (
        Field(default_factory=list)
    )
    """12-digit AWS account ids allowed to read packages (group policy). Default: none."""
