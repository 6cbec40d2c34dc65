"""Pulumi components of the Kubernetes back end (typed pulumi_kubernetes classes and
``apiextensions.CustomResource`` only: YAML and Helm expand at engine time, invisible offline)."""
