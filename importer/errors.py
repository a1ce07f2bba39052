"""The exception hierarchy. Every user-facing error carries the one line the CLI prints and
the exit code it maps to, so the CLI never has to interpret an exception itself."""

from __future__ import annotations

from importer.exit_codes import ExitCode


class ImporterError(Exception):
    """Root of everything the importer raises on purpose. `str(err)` is what a person reads."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(ImporterError):
    """The configuration file or a command-line option is wrong."""

    exit_code = ExitCode.USAGE


class FileRejected(ImporterError):
    """The whole file cannot be imported (unreadable, unknown format, no matching header, a
    required column missing). Nothing of it is posted."""

    exit_code = ExitCode.USAGE

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class ApiUnavailable(ImporterError):
    """The API could not be reached or kept refusing; the run stops and can be resumed."""

    exit_code = ExitCode.INCOMPLETE


class AuthenticationFailed(ImporterError):
    """The API refused the key (401/403); nothing more is sent."""

    exit_code = ExitCode.INCOMPLETE


class ImportLocked(ImporterError):
    """Another importer process is working on the same import."""

    exit_code = ExitCode.INCOMPLETE


class Interrupted(ImporterError):
    """SIGINT/SIGTERM: stopped after the row in flight; a rerun resumes."""

    exit_code = ExitCode.INCOMPLETE


class SandboxError(ImporterError):
    """The embedded sandbox could not be started."""

    exit_code = ExitCode.USAGE
