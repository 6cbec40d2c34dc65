"""Where a batch model writes its predictions (``serving.output``), checked offline (pure).

``output`` is a data source of kind ``output`` (its bucket and prefix come from the stack's
overlay; the transform may write only there) or an s3:// URI prefix. Predictions must never
land among objects a job reads: an output source shares no objects with another source
(training data, ground truth, a holdout, the batch input), and it is never a holdout.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError

from mlops_spec.models.data import DataSource
from mlops_spec.models.serving import BatchServing
from mlops_spec.models.spec import SystemSpec
from mlops_spec.types import S3Uri, suggest

_S3_URI = TypeAdapter(S3Uri)


@dataclass(frozen=True)
class OutputProblem:
    """One broken rule, located by its spec path."""

    loc: tuple[str | int, ...]
    message: str
    got: str
    allowed: str | None = None
    suggestion: str | None = None


def output_sources(spec: SystemSpec) -> list[str]:
    """Ids of the data sources of kind output."""
    return sorted(k for k, s in spec.data_sources.items() if s.kind == "output")


def problems(spec: SystemSpec) -> list[OutputProblem]:
    """Every batch ``output`` names an output source or is an s3:// URI; output sources share
    no objects with other sources, are no holdout and retrain nothing."""
    found: list[OutputProblem] = []
    for model_id, model in sorted(spec.models.items()):
        if isinstance(model.serving, BatchServing) and model.serving.output is not None:
            loc = ("models", model_id, "serving", "output")
            found += _output_problems(spec, loc, model.serving.output)
        holdout = model.training.holdout
        source = spec.data_sources.get(holdout) if holdout else None
        if source is not None and source.kind == "output":
            found.append(
                OutputProblem(
                    ("models", model_id, "training", "holdout"),
                    "a holdout is labelled data the gate reads; this data source receives "
                    "predictions (kind output)",
                    got=str(holdout),
                    allowed="a data source of kind training with a label",
                )
            )
    for source_id, source in sorted(spec.data_sources.items()):
        if source.kind == "output":
            found += _overlaps(spec, source_id, source)
        if source.kind == "output" and source.retrain_on_new_data:
            found.append(
                OutputProblem(
                    ("data_sources", source_id, "retrain_on_new_data"),
                    "an output source receives predictions: new objects under it cannot "
                    "start retraining; remove retrain_on_new_data",
                    got="true",
                    allowed="false",
                )
            )
    return found


def _output_problems(spec: SystemSpec, loc: tuple[str | int, ...], output: str) -> list:
    if output.startswith("s3://"):
        try:
            _S3_URI.validate_python(output)
        except ValidationError:
            return [OutputProblem(loc, "not a valid s3:// URI", output, "s3://bucket/prefix/")]
        return []
    source = spec.data_sources.get(output)
    if source is None:
        outputs = output_sources(spec)
        return [
            OutputProblem(
                loc,
                "unknown batch output (a data source of kind output, or an s3:// URI)",
                output,
                allowed=", ".join(outputs) or "(no data source of kind output)",
                suggestion=suggest(output, outputs or spec.data_sources),
            )
        ]
    if source.kind != "output":
        return [
            OutputProblem(
                loc,
                f"predictions go only to a data source of kind output; {output!r} is of kind "
                f"{source.kind} (jobs read it): declare a data source with kind: output",
                output,
                allowed=", ".join(output_sources(spec)) or "(no data source of kind output)",
            )
        ]
    return []


def _overlaps(spec: SystemSpec, source_id: str, source: DataSource) -> list[OutputProblem]:
    return [
        OutputProblem(
            ("data_sources", source_id, "prefix"),
            f"predictions written here would land among the objects of data source "
            f"{other_id!r} (same bucket, one prefix inside the other): give the output "
            "another prefix or bucket",
            got=f"{source.bucket}/{source.prefix}",
        )
        for other_id, other in sorted(spec.data_sources.items())
        if other_id != source_id and source.shares_objects_with(other)
    ]
