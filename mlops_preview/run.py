"""Run a real Pulumi program offline, as the Python language host would, and record its plan.

For ``main: infra/`` the CLI runs ``pulumi-language-python-exec --pwd <root>/infra .``: the
working directory is the program directory, ``runpy.run_path(".")`` puts that directory (not the
project root) first on ``sys.path``, and config arrives as ``PULUMI_CONFIG``. ``preview`` does the
same in-process, with ``pulumi.runtime.run_in_stack`` creating the root stack and registering the
stack outputs, and a recording mock monitor in place of the engine.

Isolation between runs (pulumi/pulumi#8280): each run gets its own thread, a fresh
``contextvars.Context``, event loop, executor, config and a complete settings bag (the SDK's
context properties otherwise fall back to shared defaults such as the pending-outputs set).
Modules first imported by the program from the project tree are dropped afterwards, so module
level state cannot leak into the next run. The working directory, ``sys.argv`` and
``PULUMI_CONFIG*`` variables are process-wide: runs are serialised and they are restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import runpy
import sys
import sysconfig
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pulumi.runtime
from pulumi.runtime import settings
from pulumi.runtime.mocks import MockSettings
from pulumi.runtime.stack import run_in_stack

from mlops_preview.document import PlanDocument, PlannedResource
from mlops_preview.engine import RecordingEngine
from mlops_preview.errors import PreviewError
from mlops_preview.mocks import DEFAULT_REGION, InvokeHandler, PreviewMocks
from mlops_preview.monitor import RecordingMonitor, RegistrationError
from mlops_preview.project import PROJECT_FILE, load_project, namespaced, stack_config

PARALLEL = 4
"""Executor threads for monitor calls (the language host's ``--parallel``)."""

Program = Path | str | Callable[[], object]

_RUN_LOCK = threading.Lock()
_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class _Entry:
    """What to run, and where."""

    run: Callable[[], object]
    label: str
    cwd: Path | None = None
    root: Path | None = None

    @classmethod
    def of(cls, program: Program) -> _Entry:
        if callable(program):
            return cls(run=program, label=getattr(program, "__qualname__", repr(program)))
        path = Path(program).resolve()
        if path.is_dir() and not (path / "__main__.py").is_file():
            raise PreviewError(f"no __main__.py in program directory {path}")
        if not path.exists():
            raise PreviewError(f"program {path} does not exist")
        cwd = path if path.is_dir() else path.parent
        root = next((d for d in (cwd, *cwd.parents) if (d / PROJECT_FILE).is_file()), cwd)
        run = partial(runpy.run_path, str(path), run_name="__main__")
        return cls(run=run, label=str(path), cwd=cwd, root=root)


def preview(
    program: Program,
    *,
    project: str,
    stack: str,
    config: Mapping[str, Any] | None = None,
    preview: bool = True,
    secret_keys: Iterable[str] = (),
    invokes: Mapping[str, InvokeHandler] | None = None,
) -> PlanDocument:
    """Run ``program`` under recording mocks and return every resource it registers.

    ``program`` is a directory holding ``__main__.py`` (run as ``pulumi preview`` runs
    ``main:``), a ``.py`` file, or a callable. ``config`` keys are ``namespace:key``; a key
    without a namespace belongs to ``project`` (``{"spec": ...}`` is read by
    ``pulumi.Config().require("spec")``). ``preview=False`` runs as ``pulumi up`` would (no
    unknowns). ``invokes`` adds answers for provider functions, keyed by token.
    Raises :class:`PreviewError` when the program fails.
    """
    return _preview(
        program,
        project,
        stack,
        namespaced(config or {}, project),
        preview,
        [k if ":" in k else f"{project}:{k}" for k in secret_keys],
        invokes,
    )


def preview_project(
    root: Path | str,
    stack: str,
    *,
    config: Mapping[str, Any] | None = None,
    preview: bool = True,
    invokes: Mapping[str, InvokeHandler] | None = None,
) -> PlanDocument:
    """Preview the project at ``root`` for ``stack``: reads ``Pulumi.yaml`` (``name``, ``main``,
    ``stackConfigDir``, ``config``) and ``Pulumi.<stack>.yaml``; ``config`` overrides both."""
    info = load_project(root)
    merged, secret_keys = stack_config(info, stack)
    merged.update(namespaced(config or {}, info.name))
    return _preview(info.program, info.name, stack, merged, preview, secret_keys, invokes)


def _preview(
    program: Program,
    project: str,
    stack: str,
    config: dict[str, str],
    dry_run: bool,
    secret_keys: list[str],
    invokes: Mapping[str, InvokeHandler] | None,
) -> PlanDocument:
    entry = _Entry.of(program)
    mocks = PreviewMocks(region=config.get("aws:region", DEFAULT_REGION), invokes=invokes)
    monitor = RecordingMonitor(mocks, base_dir=entry.cwd)
    engine = RecordingEngine()
    program_errors: list[BaseException] = []

    def run_program() -> object:
        try:
            return entry.run()
        except BaseException as exc:  # kept: wait_for_rpcs may raise an RPC error instead
            program_errors.append(exc)
            raise

    run = partial(
        _execute,
        run_program,
        entry.root,
        monitor,
        engine,
        project=project,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
        dry_run=dry_run,
    )
    with _RUN_LOCK, _process_state(entry):
        error = _in_fresh_thread(run)
    if isinstance(error, KeyboardInterrupt):
        raise error
    program_error = program_errors[0] if program_errors else error
    _raise_for_failures(program_error, monitor, engine, entry, f"preview of {project}/{stack}")
    return _document(project, stack, monitor, engine)


def _execute(
    program: Callable[[], object],
    root: Path | None,
    monitor: RecordingMonitor,
    engine: RecordingEngine,
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    dry_run: bool,
) -> None:
    """Configure a complete runtime in the current (fresh) context and run the program."""
    settings.ROOT.set(None)
    pulumi.runtime.set_all_config(dict(config), secret_keys)
    features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    settings.configure(
        MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=engine,
            project=project,
            stack=stack,
            organization="organization",
            root_directory=str(root or Path.cwd()),
            dry_run=dry_run,
            parallel=PARALLEL,
            legacy_apply_enabled=False,
            callbacks=None,
            outputs=set(),
            lock=threading.Lock(),
            package_refs={},
            base_providers_by_ref={},
        )
    )
    worker_loops: list[asyncio.AbstractEventLoop] = []

    def give_worker_a_loop() -> None:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(_ignore)
        asyncio.set_event_loop(loop)
        worker_loops.append(loop)

    executor = ThreadPoolExecutor(PARALLEL, "mlops-preview-rpc", initializer=give_worker_a_loop)
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(_ignore)
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(run_in_stack(program))  # type: ignore[arg-type]
    finally:
        _close(loop)
        executor.shutdown(wait=True)
        for worker_loop in worker_loops:
            worker_loop.close()
        asyncio.set_event_loop(None)


def _ignore(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Drop asyncio's "exception never retrieved" reports: a failed program leaves unobserved
    futures by design, and the failure itself is reported as a PreviewError (the language host
    silences the ``asyncio`` logger for the same reason)."""


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what a failed program left pending, then close the loop."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    with contextlib.suppress(BaseException):
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


def _in_fresh_thread(fn: Callable[[], None]) -> BaseException | None:
    """Run ``fn`` in a new thread and empty context; return what it raised."""
    raised: list[BaseException] = []

    def target() -> None:
        try:
            contextvars.Context().run(fn)
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=target, name="mlops-preview", daemon=True)
    thread.start()
    thread.join()
    return raised[0] if raised else None


@contextlib.contextmanager
def _process_state(entry: _Entry) -> Iterator[None]:
    """Set cwd and argv like the language host; hide ambient PULUMI_CONFIG*; restore after."""
    cwd, argv = os.getcwd(), list(sys.argv)
    hidden = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("PULUMI_CONFIG")}
    modules_before = set(sys.modules)
    try:
        if entry.cwd is not None:
            os.chdir(entry.cwd)
            sys.argv = [entry.label]
        yield
    finally:
        os.chdir(cwd)
        sys.argv = argv
        os.environ.update(hidden)
        if entry.root is not None:
            _forget_modules(set(sys.modules) - modules_before, entry.root)


def _forget_modules(names: set[str], root: Path) -> None:
    """Drop modules the program imported from the project tree (not from installed packages)."""
    for name in names:
        file = getattr(sys.modules.get(name), "__file__", None)
        if not file:
            continue
        path = Path(file).resolve()
        if path.is_relative_to(root) and not {"site-packages", "dist-packages"} & set(path.parts):
            del sys.modules[name]
            parent, _, child = name.rpartition(".")
            if parent in sys.modules and getattr(sys.modules[parent], child, None) is not None:
                delattr(sys.modules[parent], child)


def _document(
    project: str, stack: str, monitor: RecordingMonitor, engine: RecordingEngine
) -> PlanDocument:
    resources = tuple(
        PlannedResource(
            urn=r.urn,
            type=r.type,
            name=r.name,
            parent=r.parent,
            custom=r.custom,
            inputs=r.inputs,
            outputs=r.outputs,
            protect=r.protect,
            retain_on_delete=r.retain_on_delete,
            depends_on=tuple(r.dependencies),
            property_dependencies={k: tuple(v) for k, v in r.property_dependencies.items()},
            ignore_changes=tuple(r.ignore_changes),
            replace_on_changes=tuple(r.replace_on_changes),
            delete_before_replace=r.delete_before_replace,
            aliases=tuple(r.aliases),
            provider=r.provider,
        )
        for r in monitor.registrations.values()
    )
    return PlanDocument(
        project=project,
        stack=stack,
        resources=resources,
        outputs=monitor.stack_outputs,
        warnings=tuple(sorted(set(engine.warnings))),
    )


def _raise_for_failures(
    error: BaseException | None,
    monitor: RecordingMonitor,
    engine: RecordingEngine,
    entry: _Entry,
    what: str,
) -> None:
    failure: RegistrationError | None = monitor.failures[0] if monitor.failures else None
    resource = f"{failure.type} {failure.name!r}" if failure else None
    if failure is not None:
        message = str(failure)
    elif monitor.invoke_failures:
        message = monitor.invoke_failures[0]
    elif error is not None:
        message = f"{type(error).__name__}: {error}{_import_hint(error, entry)}"
    elif engine.errors:
        message = f"the program logged an error: {engine.errors[0]}"
    else:
        return
    if failure is not None and failure.location:
        location: str | None = _shown(failure.location, entry)
    else:
        location = _user_location(error, entry) if error is not None else None
    raise PreviewError(f"{what} failed: {message}", resource=resource, location=location) from error


def _import_hint(error: BaseException, entry: _Entry) -> str:
    if not isinstance(error, ModuleNotFoundError) or entry.root is None or not error.name:
        return ""
    top = error.name.split(".")[0]
    if (entry.root / top).is_dir() or (entry.root / f"{top}.py").is_file():
        return (
            f" ({top!r} lives in the project root, which Pulumi does not put on sys.path: "
            "install the project into the virtualenv, e.g. `pip install -e .`)"
        )
    return ""


def _user_location(error: BaseException, entry: _Entry) -> str | None:
    """``file:line`` of the innermost user frame in the exception chain."""
    excluded = {sysconfig.get_paths()["stdlib"], str(_PACKAGE_DIR)}
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for frame in reversed(traceback.extract_tb(current.__traceback__)):
            if _is_user_file(frame.filename, excluded):
                return f"{_shown(frame.filename, entry)}:{frame.lineno}"
        current = current.__cause__ or current.__context__
    return None


def _is_user_file(filename: str, excluded: set[str]) -> bool:
    if filename.startswith("<"):
        return False
    parts = set(Path(filename).parts)
    if {"site-packages", "dist-packages"} & parts:
        return False
    return not any(filename.startswith(prefix) for prefix in excluded)


def _shown(filename: str, entry: _Entry) -> str:
    path = Path(filename).resolve()
    if entry.root is not None and path.is_relative_to(entry.root):
        return str(path.relative_to(entry.root))
    return filename
