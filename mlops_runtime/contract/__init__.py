"""The runtime contract: what the control plane writes and the data plane reads.

Config dataclasses the planner serialises and the jobs and functions load, metric names and
dimensions both sides agree on, and event constants. Imports nothing first-party.
"""
