"""kubernetes-validate through the harness: strict, at the oldest and newest supported version."""

from __future__ import annotations

import pytest

from tests.k8s import builtin, samples
from tests.k8s.manifests import clean, drop_nulls, ints


def test_a_correct_deployment_with_mock_floats_and_nulls_passes_at_both_versions():
    assert builtin.VERSIONS == ("1.29", builtin.NEWEST)
    assert builtin.errors(samples.deployment()) == []


def test_an_unknown_field_in_a_deployment_is_reported_at_every_version():
    manifest = samples.deployment()
    manifest["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    found = builtin.errors(manifest)
    assert len(found) == 2
    assert all("'imagePullPolice' was unexpected" in error for error in found)
    assert "spec.template.spec.containers.0" in found[0]
    assert "(Kubernetes 1.29)" in found[0] and f"(Kubernetes {builtin.NEWEST})" in found[1]


def test_wrong_types_and_missing_required_fields_are_reported():
    manifest = samples.deployment()
    manifest["spec"]["replicas"] = 2.5
    del manifest["spec"]["selector"]
    found = builtin.errors(manifest, ("1.29",))
    assert any("spec.replicas: 2.5 is not of type 'integer'" in error for error in found)
    assert any("'selector' is a required property" in error for error in found)


def test_a_field_newer_than_the_oldest_version_is_refused_there_only():
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "churn", "namespace": samples.NAMESPACE},
        "spec": {"ports": [{"port": 80}], "trafficDistribution": "PreferClose"},  # 1.30+
    }
    found = builtin.errors(service)
    assert len(found) == 1 and "(Kubernetes 1.29)" in found[0]
    assert "'trafficDistribution' was unexpected" in found[0]


def test_a_kind_kubernetes_does_not_define_is_never_passed_silently():
    assert not builtin.is_builtin(samples.rollout())
    with pytest.raises(builtin.NoSchema, match="Rollout"):
        builtin.errors(samples.rollout())
    misspelled = {**samples.deployment(), "kind": "Deploymnet"}
    with pytest.raises(builtin.NoSchema):
        builtin.errors(misspelled)


def test_whole_floats_become_ints_and_nulls_are_dropped():
    value = {"a": 2.0, "b": [1.0, 2.5, True, "3.0"], "c": None, "d": {"e": None, "f": -0.0}}
    assert ints(value) == {"a": 2, "b": [1, 2.5, True, "3.0"], "c": None, "d": {"e": None, "f": 0}}
    assert type(ints(value)["a"]) is int and type(ints(value)["b"][1]) is float
    assert drop_nulls(value) == {"a": 2.0, "b": [1.0, 2.5, True, "3.0"], "d": {"f": -0.0}}
    assert clean({"x": [None, 1.0]}) == {"x": [None, 1]}  # list items are kept
