"""Aliases for renamed models and data sources (``moved_from`` in the spec).

One transformation on ``MlSystem`` reaches every resource under it: a resource whose logical
name holds a moved id also answers to the name it had before the move
(:meth:`mlops_spec.naming.Renames.former`), so the engine updates it in place instead of
creating a new one and deleting the old. URNs hold the parents' types, not their names, so the
former name under the current parent is the former URN for children of renamed components too.
"""

from __future__ import annotations

import pulumi

from mlops_spec.naming import Renames


def rename_aliases(renames: Renames) -> pulumi.ResourceTransformation:
    """The transformation adding ``Alias(name=<former name>)`` where a rename applies."""

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        former = renames.former(args.name)
        if former is None:
            return pulumi.ResourceTransformationResult(args.props, args.opts)
        alias = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=former)])
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, alias)
        )

    return transform


def with_renames(opts: pulumi.ResourceOptions, renames: Renames) -> pulumi.ResourceOptions:
    """``opts`` whose resource and all its descendants alias renamed names (unchanged when
    nothing was renamed)."""
    if not renames:
        return opts
    return pulumi.ResourceOptions.merge(
        opts, pulumi.ResourceOptions(transformations=[rename_aliases(renames)])
    )
