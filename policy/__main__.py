"""The mlops-spec guardrails as a Pulumi CrossGuard policy pack:

    pulumi preview --policy-pack policy/                       # production stacks
    pulumi preview --policy-pack policy/ --policy-pack-config policy/development.json

Constructing the PolicyPack starts the analyzer server, so it is done here and nowhere else;
the validate functions live in mlops_pack.py (tested without pulumi_policy).
"""

from mlops_pack import PACK_NAME, policies
from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name=p.name, description=p.description, validate=p.validate)
        if p.kind == "resource"
        else StackValidationPolicy(name=p.name, description=p.description, validate=p.validate)
        for p in policies()
    ],
)
