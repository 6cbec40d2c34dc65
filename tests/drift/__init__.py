"""Tests of the drift engine (mlops_spec.drift)."""
