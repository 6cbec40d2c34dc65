"""The training pipeline's lineage steps: ``python -m mlops_runtime.lineage_job inputs|record``.

``inputs`` (the Inputs step, before Train) resolves the training image's tag to its digest
(ECR) and lists every object of each data source the run reads at its current version (S3
``ListObjectVersions``): ``image.json`` (the property file Train and Register read the image
from) and ``inputs.json``. ``record`` (the Lineage step, before Register) lists the sources
again (objects that changed while the run read them are recorded), reads ``evaluation.json``
when the pipeline has a gate, and writes ``lineage.json`` and ``summary.json`` (the property
file: the record's URI, SHA-256 and object count for the package's metadata).

Configuration: :class:`~mlops_runtime.contract.lineage.LineageConfig` from
``MLOPS_RUNTIME_CONFIG_FILE``; the run's facts from the environment (:data:`RUN_ENV`, set by
the pipeline from its parameters). Exit status: 0 written, 2 with the message on stderr and as
the job's ExitMessage when an input cannot be read or the configuration is bad.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from mlops_runtime.aws.clients import client
from mlops_runtime.aws.lineage import AwsInputReader
from mlops_runtime.contract.config import ConfigError
from mlops_runtime.contract.lineage import (
    IMAGE_FILE,
    INPUTS_FILE,
    RECORD_FILE,
    RUN_ENV,
    SUMMARY_FILE,
    LineageConfig,
)
from mlops_runtime.core import lineage
from mlops_runtime.core.clock import utcnow
from mlops_runtime.core.lineage import InputReader, LineageError, RunFacts
from mlops_runtime.jobs.processing import fail

EXIT_INPUT = 2


def run_facts(environ: Mapping[str, str]) -> RunFacts:
    """The run's facts from the step's environment (absent ones stay ``unknown``)."""
    values = {field: environ[name] for field, name in RUN_ENV.items() if environ.get(name)}
    return RunFacts(**values)


def write_inputs(config: LineageConfig, reader: InputReader, output: Path, now: datetime) -> dict:
    """The Inputs step: ``image.json`` and ``inputs.json`` under ``output``."""
    inputs = lineage.snapshot(reader, config, now)
    output.mkdir(parents=True, exist_ok=True)
    section = inputs["image"]
    image = {"uri": section["resolved_uri"], "digest": section["digest"] or "unresolved"}
    (output / IMAGE_FILE).write_text(json.dumps(image, sort_keys=True), encoding="utf-8")
    (output / INPUTS_FILE).write_text(json.dumps(inputs, sort_keys=True), encoding="utf-8")
    return inputs


def write_record(
    config: LineageConfig,
    facts: RunFacts,
    reader: InputReader,
    dirs: tuple[Path, Path | None, Path],
    now: datetime,
) -> tuple[str, dict]:
    """The Lineage step: ``lineage.json`` and ``summary.json`` under the output directory;
    ``dirs`` = (the Inputs step's output, the Evaluate step's output or None, output).
    Returns the record's URI and the summary."""
    inputs_dir, evaluation_dir, output = dirs
    inputs = json.loads((inputs_dir / INPUTS_FILE).read_text(encoding="utf-8"))
    evaluation = None
    if evaluation_dir is not None:
        evaluation = json.loads((evaluation_dir / "evaluation.json").read_text(encoding="utf-8"))
    record = lineage.build_record(
        config,
        facts,
        inputs,
        evaluation=evaluation,
        changed=lineage.changes(reader, inputs["data"]),
        now=now,
    )
    body = lineage.serialise(record)
    uri = f"{config.records_uri}{facts.execution_id}/{RECORD_FILE}"
    summary = {
        "uri": uri,
        "sha256": lineage.sha256(body),
        "objects": str(lineage.object_count(record)),
    }
    output.mkdir(parents=True, exist_ok=True)
    (output / RECORD_FILE).write_bytes(body)
    (output / SUMMARY_FILE).write_text(json.dumps(summary, sort_keys=True), encoding="utf-8")
    return uri, summary


def main(argv: Sequence[str] | None = None) -> int:
    """Processing job entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m mlops_runtime.lineage_job")
    parser.add_argument("mode", choices=("inputs", "record"))
    parser.add_argument("--output", required=True, help="output directory")
    parser.add_argument("--inputs", help="the Inputs step's output (record)")
    parser.add_argument("--evaluation", help="the Evaluate step's output (with a gate)")
    args = parser.parse_args(argv)
    try:
        config = LineageConfig.from_env()
        reader = AwsInputReader(
            client("s3", config.max_attempts), client("ecr", config.max_attempts)
        )
        if args.mode == "inputs":
            write_inputs(config, reader, Path(args.output), utcnow())
        else:
            if not args.inputs:
                parser.error("record needs --inputs")
            dirs = (
                Path(args.inputs),
                Path(args.evaluation) if args.evaluation else None,
                Path(args.output),
            )
            write_record(config, run_facts(os.environ), reader, dirs, utcnow())
    except (ConfigError, LineageError, OSError, ValueError, KeyError) as error:
        return fail(f"lineage {args.mode} failed: {error}", EXIT_INPUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
