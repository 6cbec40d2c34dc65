"""Errors of the planner."""


class PlanError(ValueError):
    """A validated spec asks for something the AWS components cannot build (spec path first)."""
