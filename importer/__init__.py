"""importer — credit Amili cases from the CSV and Excel files creditors' systems export.

A Python caller can do everything the command line does (the CLI is a thin adapter over
these functions):

    from pathlib import Path
    import importer

    config = importer.load_config("config.yaml")
    for result in importer.run(config, [Path("credits.csv")]):  # a list, work done
        print(result.import_id, result.exit_code, result.report_paths)
    for result in importer.iter_run(config, paths):  # each result as its file is done
        ...
    importer.validate(config, [Path("credits.csv")])  # run with dry_run: nothing is sent
    importer.rerun(config, "20261124-204500-3fa2c1d9", importer.RunOptions(fix=Path("fixed.csv")))
    importer.render(config, "20261124-204500-3fa2c1d9")
    for record, counts in importer.imports(config): ...
    frame = importer.load_report("20261124-204500-3fa2c1d9")  # a pandas DataFrame
    for record, counts in importer.imports(config, since=date(2026, 11, 1), status="open"): ...
    importer.show(config, "20261124-204500-3fa2c1d9").attention  # rows needing a person
    code = importer.Drop(Path("/srv/inbox"), config, importer.DropOptions()).run()

`run`, `iter_run`, `validate` and `rerun` take one options type, `RunOptions(dry_run=...,
all_or_nothing=..., force=..., creditor=..., fix=..., by=...)`; an option the command does not
take (`fix` for a run, `force` for a rerun) is refused with `ConfigError`. `run` and `rerun`
stop when the `StopFlag` passed as `stop` is set, `Drop` when its `DropStop`'s flags are;
errors are the tree drawn in `importer.errors`, exported here too (catch
`importer.UsageError`, `importer.FileRejected`, `importer.RunStopped`,
`importer.InternalError`).

The names are loaded on first use (PEP 562): `python -m importer.sandbox` and `--help` need
none of the pipeline, whose imports (pydantic models, orjson, structlog) cost start-up time.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "run": "importer.pipeline.facade",
    "iter_run": "importer.pipeline.facade",
    "validate": "importer.pipeline.facade",
    "resolve": "importer.pipeline.facade",
    "rerun": "importer.pipeline.facade",
    "render": "importer.pipeline.facade",
    "imports": "importer.pipeline.facade",
    "show": "importer.pipeline.facade",
    "Drop": "importer.drop",
    "DropOptions": "importer.drop",
    "DropStop": "importer.drop",
    "StopFlag": "importer.stopping",
    "RunOptions": "importer.pipeline.results",
    "ImportResult": "importer.pipeline.results",
    "Config": "importer.config",
    "load_config": "importer.config_load",
    "ExitCode": "importer.exit_codes",
    "Outcome": "importer.outcomes",
    "load_report": "importer.report.frame",
    # the exception tree (drawn in importer/errors.py): the middle layer callers catch and
    # the leaves they may want to tell apart
    "ImporterError": "importer.errors",
    "UsageError": "importer.errors",
    "ConfigError": "importer.errors",
    "FileRejected": "importer.errors",
    "RunStopped": "importer.errors",
    "ApiUnavailable": "importer.errors",
    "AuthenticationFailed": "importer.errors",
    "Interrupted": "importer.errors",
    "InternalError": "importer.errors",
    "NotificationFailed": "importer.errors",
    "ImportNotFound": "importer.errors",
    "RerunRefused": "importer.errors",
    "LookupRefused": "importer.errors",
    "ResolveRefused": "importer.errors",
    "JournalDamaged": "importer.errors",
    "JournalTooNew": "importer.errors",
}

__all__ = [  # noqa: RUF022 - grouped as _PUBLIC is
    "__version__",
    "run",
    "iter_run",
    "validate",
    "rerun",
    "resolve",
    "render",
    "imports",
    "show",
    "Drop",
    "DropOptions",
    "DropStop",
    "StopFlag",
    "RunOptions",
    "ImportResult",
    "Config",
    "load_config",
    "ExitCode",
    "Outcome",
    "load_report",
    "ImporterError",
    "UsageError",
    "ConfigError",
    "FileRejected",
    "RunStopped",
    "ApiUnavailable",
    "AuthenticationFailed",
    "Interrupted",
    "InternalError",
    "NotificationFailed",
    "ImportNotFound",
    "RerunRefused",
    "LookupRefused",
    "ResolveRefused",
    "JournalDamaged",
    "JournalTooNew",
]

if TYPE_CHECKING:
    from importer.config import Config
    from importer.config_load import load_config
    from importer.drop import Drop, DropOptions, DropStop
    from importer.errors import (
        ApiUnavailable,
        AuthenticationFailed,
        ConfigError,
        FileRejected,
        ImporterError,
        ImportNotFound,
        InternalError,
        Interrupted,
        JournalDamaged,
        JournalTooNew,
        LookupRefused,
        NotificationFailed,
        RerunRefused,
        ResolveRefused,
        RunStopped,
        UsageError,
    )
    from importer.exit_codes import ExitCode
    from importer.outcomes import Outcome
    from importer.pipeline.facade import (
        imports,
        iter_run,
        render,
        rerun,
        resolve,
        run,
        show,
        validate,
    )
    from importer.pipeline.results import ImportResult, RunOptions
    from importer.report.frame import load_report
    from importer.stopping import StopFlag


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'importer' has no attribute {name!r}")
    return getattr(import_module(module), name)
