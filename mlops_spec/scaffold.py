"""``mlops init``: a commented, valid starter spec."""

from __future__ import annotations

from string import Template

_TEMPLATE = Template("""\
$modeline#
# $system_id: an ML system described by mlops-spec. Validate with `mlops validate $filename`,
# preview with `mlops plan $filename --stack dev`. Every key is documented in docs/spec.md.
spec_version: 1

system:
  id: $system_id               # lowercase; the first part of every resource name
  owner: $owner
  region: $region
  tags:
    cost-centre: change-me

notifications:
  emails: [$owner]             # alarm e-mails; secrets only by reference (SSM parameter names)

data_sources:
  training-data:
    bucket: create             # or the name/ARN of an existing bucket
    prefix: training/
    format: parquet
    features:                  # name: numeric | categorical
      feature_a: numeric
      feature_b: categorical
    label: label

models:
  $model_id:
    training:
      image: 123456789012.dkr.ecr.$region.amazonaws.com/$model_id-train:0.1.0
      instance_type: ml.m5.xlarge
      inputs: [training-data]
      schedule: cron(0 3 ? * MON *)   # or null for no schedule
      gate:
        metric: auc
        min: 0.7
    registry:
      approval: manual         # auto: approve every candidate that passes the gate
$serving
environments:
  dev:
    mode: development          # smaller, schedules paused, no paging
  prod:
    mode: production           # protected, alarms page, rollback monitors required
""")

_SERVING = {
    "realtime": """\
    serving:
      tier: realtime
      instance_type: ml.m5.large
      # production runs at least 2 instances; development runs 1 whatever this says
      autoscaling: {min_instances: 2, max_instances: 4, target_invocations_per_instance: 100}
      rollout: {strategy: canary, traffic_percent: 10, bake_minutes: 10}
    monitors:
      p99-latency: {type: latency, percentile: p99, threshold_ms: 300, action: rollback}
      server-errors: {type: error_rate, threshold_percent: 1, action: rollback}
      feature-drift: {type: data_drift, method: psi, threshold: 0.2, action: retrain}
""",
    "serverless": """\
    serving:
      tier: serverless
      memory_mb: 2048
      max_concurrency: 5
    monitors:
      p99-latency: {type: latency, percentile: p99, threshold_ms: 1000}
""",
    "batch": """\
    serving:
      tier: batch
      instance_type: ml.m5.xlarge
      schedule: cron(0 5 * * ? *)
      input: training-data
    monitors:
      feature-drift: {type: data_drift, method: psi, threshold: 0.2, action: retrain}
""",
}

SCHEMA_FILE = ".mlops/mlops-spec.v1.schema.json"
"""Where `mlops init` puts the JSON Schema, relative to the spec (for editor completion)."""


def render_spec(
    *,
    system_id: str,
    owner: str,
    region: str,
    model_id: str,
    tier: str,
    filename: str,
    schema: bool = True,
) -> str:
    """The starter spec text for the given choices (with a modeline to the local schema)."""
    modeline = f"# yaml-language-server: $schema={SCHEMA_FILE}\n" if schema else ""
    return _TEMPLATE.substitute(
        modeline=modeline,
        system_id=system_id,
        owner=owner,
        region=region,
        model_id=model_id,
        serving=_SERVING[tier],
        filename=filename,
    )
