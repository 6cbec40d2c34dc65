"""The ``mlops`` command line's entry point; the typer app and its commands are in
``mlops_spec.cli_app`` (``app`` and the other names of that module are read through this one
too). Exit codes: 0 ok, 1 invalid input, 2 usage.

A plain ``mlops validate SPEC [--stack|-s STACK] [--format|-f text|json]`` runs without typer,
whose import and command building are ~25 ms of a 0.3 s command: :func:`main` reads exactly that
form and runs the command's work (``mlops_spec.cli_validate``) itself. Any other command line
(help, other commands, ``--option=value``, repeated or unknown options, values starting with
'-', an unreadable SPEC, shell completion) goes through typer, and whatever the work raises (the
exit of an invalid spec, an interrupt, a broken pipe) is finished by typer as if its command had
raised it, so both paths print and exit alike."""

from __future__ import annotations

import atexit
import gc
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

GC_THRESHOLD = (100_000, 50, 100)
"""The cyclic garbage collector's thresholds for the command's process: a command allocates
hundreds of thousands of long-lived objects (modules, models, plans) and frees them when it
exits, so the default (700, 10, 10) spends about a sixth of a 200-model validation in
collections that find nothing to free."""

_VALIDATE_OPTIONS = {"--stack": "stack", "-s": "stack", "--format": "format", "-f": "format"}
_FORMATS = ("text", "json")
_COMPLETE_VAR = "_MLOPS_COMPLETE"
"""Typer's shell-completion variable for the program ``mlops``."""


def __getattr__(name: str) -> Any:
    """``app`` and the rest of :mod:`mlops_spec.cli_app` (importing it imports typer)."""
    if name.startswith("__"):
        raise AttributeError(name)
    from mlops_spec import cli_app

    return getattr(cli_app, name)


def plain_validate(args: list[str]) -> tuple[Path, str | None, str] | None:
    """``(spec, stack, format)`` when ``args`` is a plain `validate` command line that typer would
    accept as it is, else None (typer then reads it)."""
    if not args or args[0] != "validate" or _COMPLETE_VAR in os.environ:
        return None
    spec: str | None = None
    values: dict[str, str] = {}
    rest, index = args[1:], 0
    while index < len(rest):
        token, name = rest[index], _VALIDATE_OPTIONS.get(rest[index])
        if name is None:
            if spec is not None or not token or token.startswith("-"):
                return None
            spec, index = token, index + 1
        elif name in values or index + 1 == len(rest) or rest[index + 1].startswith("-"):
            return None
        else:
            values[name], index = rest[index + 1], index + 2
    if spec is None or values.get("format", "text") not in _FORMATS or not _readable(spec):
        return None
    return Path(spec), values.get("stack"), values.get("format", "text")


def _readable(spec: str) -> bool:
    """False for an existing path typer would refuse as not readable (a usage error)."""
    return not os.path.exists(spec) or os.access(spec, os.R_OK)


def _finish_as_typer(error: BaseException) -> NoReturn:
    """End the process as typer does when its command raises ``error``: the exit code of an
    exit, 130 for an interrupt, "Aborted" for an end of input, quiet exit 1 on a broken pipe,
    and any other exception raised on."""
    import typer

    def command() -> None:
        raise error

    finisher = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    finisher.command()(command)
    finisher(args=[], prog_name="mlops")
    raise error  # typer always exits or raises; this line is never reached


def _exit_without_collecting() -> None:
    """At exit, freeze the collector's objects (``gc.freeze``), so the interpreter's last
    collections do not walk what the command built: the validations and plans live until the
    process ends, and at 200 models x 3 stacks walking their millions of objects once more was a
    quarter of a `mlops validate` process's CPU time (~0.1 s of the churn example's). Only the
    command's own process does this; a program importing the library (the Pulumi program, a
    user's script) keeps Python's exit as it is."""
    atexit.register(gc.freeze)


def _compile_once(args: list[str], plain: bool) -> None:
    """The code ``dataclasses``, ``typing`` and ``collections`` compile from generated text is
    compiled once and kept between commands beside this package's bytecode
    (``mlops_spec.cli_codecache``: ~55 ms of a 0.3 s `mlops validate`), in one cache per kind of
    command (the plain `validate`, else the command's name). Only the command's own process does
    this, as with :func:`gc.freeze`."""
    from mlops_spec.cli_codecache import install, kind

    install(kind(args, plain))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: the plain `validate` command line without typer, anything
    else with typer (``mlops_spec.cli_app.run``)."""
    gc.set_threshold(*GC_THRESHOLD)
    _exit_without_collecting()
    args = sys.argv[1:] if argv is None else list(argv)
    plain = plain_validate(args)
    _compile_once(args, plain is not None)
    if plain is None:
        from mlops_spec.cli_app import run

        run(args)
        return
    from mlops_spec.cli_common import Format
    from mlops_spec.cli_validate import run as validate

    spec, stack, format = plain
    try:
        validate(spec, stack, Format(format))
    except (Exception, KeyboardInterrupt) as error:
        _finish_as_typer(error)
    sys.exit(0)  # as typer ends a command that returns


if __name__ == "__main__":
    main()
