"""Custom resources against the vendored upstream CRD schemas (../shared/k8s-crds)."""

from __future__ import annotations

import jsonschema
import pytest

from tests.k8s import crds, harness, samples

pytestmark = pytest.mark.usefixtures("vendored")


@pytest.fixture(scope="module")
def vendored() -> None:
    crds.require_crds()


def test_every_vendored_crd_loads_including_the_bare_equals_sign():
    kinds = {(group, version, kind) for group, version, kind in crds.definitions()}
    assert ("monitoring.coreos.com", "v1alpha1", "AlertmanagerConfig") in kinds
    assert ("argoproj.io", "v1alpha1", "Rollout") in kinds
    assert ("kueue.x-k8s.io", "v1beta2", "LocalQueue") in kinds
    assert ("gateway.networking.k8s.io", "v1", "HTTPRoute") in kinds  # tests/k8s/vendor
    assert ("networking.istio.io", "v1", "VirtualService") in kinds
    assert len({kind for _, _, kind in kinds}) == 14
    schema = crds.definitions()[("monitoring.coreos.com", "v1alpha1", "AlertmanagerConfig")]
    route = schema["properties"]["spec"]["properties"]["route"]["properties"]
    assert "=" in route["matchers"]["items"]["properties"]["matchType"]["enum"]


@pytest.mark.parametrize(
    "manifest",
    [
        samples.rollout(),
        samples.knative_service(),
        samples.scaled_object(),
        samples.prometheus_rule(),
        samples.alertmanager_config(),
    ],
    ids=lambda m: m["kind"],
)
def test_correct_custom_resources_pass_both_passes(manifest: dict):
    assert crds.is_custom(manifest)
    assert crds.errors(manifest) == []


def test_a_misspelled_key_in_a_canary_step_is_caught_by_the_strict_pass_only():
    manifest = samples.rollout()
    manifest["spec"]["strategy"]["canary"]["steps"][0] = {"setWieght": 10}
    assert crds.errors(manifest, strict=False) == []  # what the schema alone accepts
    (error,) = crds.errors(manifest)
    assert "(strict) spec.strategy.canary.steps.0" in error
    assert "'setWieght' was unexpected" in error


def test_schema_errors_are_reported_once_with_their_path():
    manifest = samples.scaled_object()
    manifest["spec"]["triggers"][0]["metadata"]["threshold"] = 50  # KEDA wants strings
    manifest["spec"]["minReplicaCount"] = "two"
    found = crds.errors(manifest)
    assert len(found) == 2, found
    assert any("spec.triggers.0.metadata.threshold: 50 is not of type 'string'" in e for e in found)
    assert any("spec.minReplicaCount: 'two' is not of type 'integer'" in e for e in found)


def test_a_bad_prometheus_rule_key_and_metadata_typo_are_caught():
    manifest = samples.prometheus_rule()
    manifest["spec"]["groups"][0]["rules"][0]["expression"] = "up"
    manifest["metadata"]["lables"] = {"release": "prom"}
    found = crds.errors(manifest)
    assert any("'expression' was unexpected" in error for error in found)
    assert any("metadata: Additional properties are not allowed ('lables'" in e for e in found)


def test_an_unknown_custom_kind_is_refused_not_passed():
    manifest = {**samples.rollout(), "apiVersion": "argoproj.io/v1beta1"}
    assert not crds.is_custom(manifest)
    with pytest.raises(LookupError, match=r"no vendored CRD for argoproj\.io/v1beta1 Rollout"):
        crds.errors(manifest)


def test_openapi_keywords_map_to_what_the_api_server_accepts():
    schema = {
        "type": "object",
        "properties": {
            "format": {"type": "string", "nullable": True},  # a field named like a keyword
            "port": {"x-kubernetes-int-or-string": True},
            "open": {
                "type": "object",
                "properties": {"a": {}},
                "x-kubernetes-preserve-unknown-fields": True,
            },
            "embedded": {
                "type": "object",
                "properties": {"a": {}},
                "x-kubernetes-embedded-resource": True,
            },
            "map": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    validator = jsonschema.Draft7Validator(crds.openapi_to_jsonschema(schema, strict=True))

    def ok(value: dict) -> bool:
        return validator.is_valid(value)

    assert ok(
        {"format": None, "port": 80, "open": {"b": 1}, "embedded": {"b": 1}, "map": {"k": "v"}}
    )
    assert ok({"port": "http"})
    assert not ok({"port": 1.5})
    assert not ok({"map": {"k": 1}})
    assert not ok({"unknown": 1})
    plain = jsonschema.Draft7Validator(crds.openapi_to_jsonschema(schema, strict=False))
    assert plain.is_valid({"unknown": 1})


def test_a_missing_crd_directory_skips_with_where_it_was_looked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("MLOPS_K8S_CRDS", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.skip.Exception, match=r"no vendored CRD schemas at .*nowhere"):
        crds.require_crds()


def test_a_whole_stack_is_checked_kind_by_kind_and_unknown_kinds_are_errors():
    stack = [samples.deployment(), samples.rollout(), samples.prometheus_rule()]
    assert harness.errors(stack) == []
    bad = samples.deployment()
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    typo = samples.rollout()
    typo["spec"]["strategy"]["canary"]["steps"][0] = {"setWieght": 10}
    unknown = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    found = harness.errors([bad, typo, unknown])
    assert len(found) == 4  # the Deployment at two versions, the Rollout, the Widget
    assert (
        found[-1]
        == "Widget/w: no schema for example.com/v1 Widget (neither a built-in kind nor a vendored CRD)"
    )
