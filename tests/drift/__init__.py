"""Tests of the drift engine (mlops_runtime.drift)."""
