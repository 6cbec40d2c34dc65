"""Generate realistic spec files with N models (for benchmarks).

The mix is the 50-model estate's (tests/components/specs/estate.yaml): of every five models,
two are real-time on ``latest_approved`` (canary, rollback alarms, drift-triggered retraining),
one is serverless and pinned, two are nightly batch scorers; every gate scores a holdout.
Three stacks: dev, staging and prod.
"""

from __future__ import annotations

from pathlib import Path

_HEAD = """\
spec_version: 1
system: {id: bench, owner: bench@example.com, region: eu-west-1, bucket_namespace: acme}
notifications: {emails: [oncall@example.com]}
data_sources:
  events:
    bucket: arn:aws:s3:::acme-bench-data
    prefix: events/
    features: {f1: numeric, f2: numeric, f3: numeric, c1: categorical, c2: categorical}
    label: y
  events-holdout:
    bucket: arn:aws:s3:::acme-bench-data
    prefix: holdout/
    features: {f1: numeric, f2: numeric, f3: numeric, c1: categorical, c2: categorical}
    label: y
models:
"""

_TRAINING = """\
    training:
      image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/m{i}:1.0.0
      instance_type: ml.m5.xlarge
      inputs: [events]
      holdout: events-holdout
      gate: {{metric: auc, min: 0.7}}
      evaluation: {{output: probability}}
"""

_REALTIME = """\
  model-{i:03d}:
{training}      schedule: cron(0 3 ? * MON *)
    serving:
      tier: realtime
      instance_type: ml.c5.large
      autoscaling: {{min_instances: 2, max_instances: 4}}
      rollout: {{strategy: canary, traffic_percent: 50}}
      data_capture_percent: 10
      model_version: latest_approved
    monitors:
      p99-latency: {{type: latency, threshold_ms: 200, action: rollback}}
      errors: {{type: error_rate, threshold_percent: 1, action: rollback}}
      drift: {{type: data_drift, features: [f1, c1], action: retrain}}
"""

_SERVERLESS = """\
  model-{i:03d}:
{training}    serving: {{tier: serverless, memory_mb: 2048, max_concurrency: 5, model_version: {{pinned: 1}}}}
    monitors:
      slow: {{type: latency, threshold_ms: 1000}}
"""

_BATCH = """\
  model-{i:03d}:
{training}    serving: {{tier: batch, schedule: 'cron(0 2 * * ? *)', input: events, output: 's3://acme-bench-scores/m{i}/'}}
"""

_TAIL = """\
environments:
  dev: {mode: development}
  staging: {mode: production, alarm_actions_enabled: false}
  prod: {mode: production}
"""

_KINDS = (_REALTIME, _REALTIME, _SERVERLESS, _BATCH, _BATCH)


def generate(models: int) -> str:
    """A valid spec with ``models`` models in the estate's mix (the first is real-time)."""
    blocks = [
        _KINDS[i % len(_KINDS)].format(i=i, training=_TRAINING.format(i=i)) for i in range(models)
    ]
    return _HEAD + "".join(blocks) + _TAIL


def write(directory: Path, models: int) -> Path:
    path = directory / f"bench-{models}.yaml"
    path.write_text(generate(models))
    return path
