"""Generate realistic spec files with N models (for benchmarks)."""

from __future__ import annotations

from pathlib import Path

_HEAD = """\
spec_version: 1
system: {id: bench, owner: bench@example.com, region: eu-west-1, bucket_namespace: acme}
notifications: {emails: [oncall@example.com]}
data_sources:
  events:
    prefix: events/
    features: {f1: numeric, f2: numeric, f3: numeric, c1: categorical, c2: categorical}
    label: y
models:
"""

_MODEL = """\
  model-{i:03d}:
    training:
      image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/m{i}:1.0.0
      instance_type: ml.m5.xlarge
      inputs: [events]
      schedule: cron(0 3 ? * MON *)
      gate: {{metric: auc, min: 0.7}}
    serving:
      tier: realtime
      instance_type: ml.c5.large
      autoscaling: {{min_instances: 2, max_instances: 4}}
    monitors:
      p99-latency: {{type: latency, threshold_ms: 200, action: rollback}}
      errors: {{type: error_rate, threshold_percent: 1, action: rollback}}
      drift: {{type: data_drift, features: [f1, c1], action: retrain}}
"""

_TAIL = """\
environments:
  dev: {mode: development}
  prod: {mode: production}
"""


def generate(models: int) -> str:
    """A valid spec with ``models`` realtime models, each with three monitors."""
    return _HEAD + "".join(_MODEL.format(i=i) for i in range(models)) + _TAIL


def write(directory: Path, models: int) -> Path:
    path = directory / f"bench-{models}.yaml"
    path.write_text(generate(models))
    return path
