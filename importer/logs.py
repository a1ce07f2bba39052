"""The importer's event log: structlog, loaded only when an event is at or above the level.

Importing structlog (with asyncio, and rich where it is installed) takes 40–80 ms: a
twentieth of a 200,000-row `validate`, which logs nothing at the command line's default
level. So modules hold a `Log` (`get_logger`), the CLI sets the level and the renderer with
`configure`, and an event below the level returns before structlog is touched.

A Python caller who never calls `configure` gets plain structlog: every event goes to
`structlog.get_logger(name)`, configured (or captured, as `structlog.testing.capture_logs`
does) however the caller set it up."""

from __future__ import annotations

import logging
import sys
from typing import Any

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class _Settings:
    level: int | None = None
    """None: not configured by the CLI; structlog's own configuration decides."""
    json = False
    applied = False
    """Whether structlog has been configured with `level` and `json` yet."""
    made = False
    """Whether structlog has been configured here at all (`reset` undoes it)."""


def configure(level: int, *, json: bool) -> None:
    """Log events at `level` and above to stderr, as JSON lines or as readable text. structlog
    is configured when the first such event comes (see the module's docstring)."""
    _Settings.level, _Settings.json, _Settings.applied = level, json, False


def reset() -> None:
    """Forget `configure`, and structlog's configuration if `configure` made it: events go to
    plain structlog again (a test running the CLI in-process and then the library uses this)."""
    if _Settings.made:
        import structlog

        structlog.reset_defaults()
    _Settings.level, _Settings.json, _Settings.applied, _Settings.made = None, False, False, False


def _structlog_logger(name: str) -> Any:
    import structlog

    if _Settings.level is not None and not _Settings.applied:
        renderer: structlog.typing.Processor = (
            structlog.processors.JSONRenderer()
            if _Settings.json
            else structlog.dev.ConsoleRenderer(colors=False)
        )
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                renderer,
            ],
            wrapper_class=structlog.make_filtering_bound_logger(_Settings.level),
            logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
            cache_logger_on_first_use=False,
        )
        _Settings.applied = _Settings.made = True
    return structlog.get_logger(name)


class Log:
    """A named event log: `log.info("import.created", import_id=..., rows=...)`."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def _emit(self, method: str, event: str, values: dict[str, Any]) -> None:
        level = _Settings.level
        if level is not None and _LEVELS[method] < level:
            return
        getattr(_structlog_logger(self._name), method)(event, **values)

    def debug(self, event: str, **values: Any) -> None:
        self._emit("debug", event, values)

    def info(self, event: str, **values: Any) -> None:
        self._emit("info", event, values)

    def warning(self, event: str, **values: Any) -> None:
        self._emit("warning", event, values)

    def error(self, event: str, **values: Any) -> None:
        self._emit("error", event, values)


def get_logger(name: str) -> Log:
    return Log(name)
