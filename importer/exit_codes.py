"""The process exit codes: the one place a scheduler's contract lives (docs/reports.md)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Every row credited with status `completed` (or nothing to do)."""
    ATTENTION = 1
    """The import finished but rows need attention (invalid, rejected, warning, error)."""
    USAGE = 2
    """Usage or configuration error, or the file was rejected as a whole (nothing posted)."""
    INCOMPLETE = 3
    """The run could not finish (API unreachable, auth failed, interrupted); a rerun resumes it."""
