"""The JSON Schema of spec files, generated from the models."""

from __future__ import annotations

import json
from typing import Any

from mlops_spec.models.spec import SpecFile

SCHEMA_ID = "https://mlops-spec.dev/schema/mlops-spec.v1.schema.json"


def json_schema() -> dict[str, Any]:
    """The schema editors use to complete and check spec files (draft 2020-12)."""
    schema = SpecFile.model_json_schema(mode="validation")
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "mlops-spec v1",
        **schema,
    }
    schema["description"] = (
        "One ML system: data sources, models (training, registry, serving, monitors), "
        "notifications and per-stack environment overlays."
    )
    # Editors see the $schema modeline comment, not a key; allow nothing else at the top.
    return schema


def render() -> str:
    """The schema as committed: sorted keys, two-space indent, trailing newline."""
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"
