"""The exception tree. Every error the importer raises on purpose carries the one line a person
reads (`str(err)`) and, as a class attribute, the exit code the CLI maps it to (docs/reports.md),
so the CLI's one handler never interprets an exception itself.

    ImporterError                 root: everything raised on purpose
    ├── UsageError           (2)  the command cannot be done as asked; nothing was sent
    │   ├── ConfigError           the configuration file or a command-line option is wrong
    │   ├── SandboxError          the embedded sandbox could not be started
    │   ├── JournalUnavailable    the journal file cannot be opened
    │   ├── JournalDamaged        SQLite calls the journal file damaged (malformed)
    │   ├── JournalTooNew         the journal was written by a newer importer
    │   ├── ImportNotFound        no such import in the journal
    │   ├── RerunRefused          that import cannot be rerun or rendered (dry run, rejected,
    │   │                         made against another API)
    │   ├── LookupRefused         the API refused the look-up before sending (its filter)
    │   ├── ResolveRefused        rows cannot be marked handled as asked (unknown, not open)
    │   ├── InboxUnsafe           a drop's processing/, done/ or failed/ links out of the inbox
    │   └── Unsupported           this system lacks what the command needs (no flock: drop)
    ├── FileRejected         (2)  the whole file cannot be imported; nothing of it is posted
    ├── RunStopped           (3)  the run stopped before the end; the same command resumes it
    │   ├── ApiUnavailable        the API could not be reached or kept refusing
    │   │   └── QueryRefused          it refused a lookup's filter itself (a 4xx)
    │   ├── LookupRefusedWhilePosting  the look-up right before sending was refused
    │   │                         after rows were sent: those stay credited, the rest wait
    │   ├── AuthenticationFailed  the API refused the key (401/403)
    │   ├── ImportLocked          another importer process works on the same import or file
    │   ├── Interrupted           SIGINT/SIGTERM: every wait ended, report written
    │   ├── JournalFailed         the journal could not be written mid-run (disk full, locked)
    │   ├── JournalUnreadable     the journal could not be read (locked past the timeout, I/O)
    │   └── ReportUnwritten       a report could not be written (a full disk); the
    │                             journal has every outcome: `importer report ID`
    ├── NotificationFailed   (3)  a mail or webhook could not be sent (the import's own exit
    │                             code is unchanged; the next drop pass sends what is owed)
    └── InternalError        (3)  a bug: "internal error: …", with its cause chained

A caller catches the middle layer: `UsageError` (fix the command or the configuration),
`FileRejected` (fix the file), `RunStopped` (run the same command again), `InternalError`
(report it). Foreign exceptions (requests, sqlite3, calamine, openpyxl, OSError, yaml,
pydantic) are translated where they enter, with the cause chained (`raise … from exc`) unless
the cause could carry a secret or is a traceback of no use to anyone (then `from None`, with
a comment saying which).
"""

from __future__ import annotations

from importer.exit_codes import ExitCode
from importer.refusal import Redaction, Refusal, more_characters, shown, worded
from importer.words import Language


class ImporterError(Exception):
    """Root of everything the importer raises on purpose. `str(err)` is what a person reads.
    Abstract: raise a leaf (or a middle-layer class), never this one."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def said_in(self, language: Language) -> str:
        """The one line as a person reading `language` reads it: `message`, in English, but
        for an error that words itself (a file's refusal, `FileRejected`)."""
        return self.message


# ------------------------------------------------------------------------- usage (exit 2)


class UsageError(ImporterError):
    """The command cannot be done as asked (configuration, option, journal, import id);
    nothing was sent."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """The configuration file or a command-line option is wrong."""


class SandboxError(UsageError):
    """The embedded sandbox could not be started."""


class JournalUnavailable(UsageError):
    """The journal file cannot be opened or created (path, permissions, not a database)."""


class JournalDamaged(UsageError):
    """SQLite calls the journal file damaged (malformed, not a database): nothing in it can be
    trusted to say what was credited, so nothing is sent until a person restores it."""


class JournalTooNew(UsageError):
    """The journal's schema is newer than this program knows (a newer importer upgraded it):
    reading it could misread what was credited, so it is not read and nothing is sent."""


class ImportNotFound(UsageError):
    """No import with that id in the journal."""


class RerunRefused(UsageError):
    """The import exists but cannot be rerun or rendered as asked."""


class LookupRefused(UsageError):
    """The API refused the look-up made before sending (its filter): nothing is sent, since
    only the journal could say what is credited. A setting to decide, not a run to resume
    as it is (`dedupe.require_api_lookup: false` accepts the journal alone)."""


class ResolveRefused(UsageError):
    """Rows cannot be marked as handled (or reopened) as asked: a row not in the import, an
    `unknown` row not looked up yet, a row that needs no attention or is resolved already.
    Nothing is recorded."""


class InboxUnsafe(UsageError):
    """processing/, done/ or failed/ of a drop's inbox is a symbolic link: moving a file
    through it could carry a creditor's file out of the inbox, so nothing is moved."""


class Unsupported(UsageError):
    """The command needs something this system does not have (a drop's one-per-inbox lock
    needs flock, which Windows' Python lacks): said in one line, before anything is done."""


# ------------------------------------------------------------------------- file (exit 2)


class FileRejected(ImporterError):
    """The whole file cannot be imported (unreadable, unknown format, no matching header, a
    required column missing). Nothing of it is posted.

    `refusal` is why (`importer.refusal.Refusal`: a code and its facts), worded in English
    for `str(err)` and `problem`, and in any language by `said_in`, where a person reads it.
    Never a sentence: a sentence could be said in one language only. `file` is named as a
    refusal shows a text of the file (`refusal.shown`): its name is the sender's too."""

    exit_code = ExitCode.USAGE

    def __init__(self, file: str, refusal: Refusal) -> None:
        self.refusal = refusal
        self.problem = worded(refusal, "en")
        super().__init__(f"{shown(file, 'en')}: {self.problem}")
        self.file = file

    def problem_in(self, language: Language) -> str:
        """The problem as a person reading `language` reads it."""
        return self.problem if language == "en" else worded(self.refusal, language)

    def redacted(self, redact: Redaction) -> FileRejected:
        """The same refusal with `redact` applied to the file's name and every text of its
        refusal's facts (`Refusal.redacted`)."""
        return FileRejected(redact(self.file), self.refusal.redacted(redact))

    def said_in(self, language: Language) -> str:
        """`file: problem` as a person reading `language` reads it."""
        return f"{shown(self.file, language)}: {self.problem_in(language)}"  # the sender's name


# ---------------------------------------------------------------------- stopped (exit 3)


class RunStopped(ImporterError):
    """The run stopped before every row was settled; running the same command resumes it."""

    exit_code = ExitCode.INCOMPLETE


class ApiUnavailable(RunStopped):
    """The API could not be reached or kept refusing; the run stops and can be resumed."""


class QueryRefused(ApiUnavailable):
    """The API refused a lookup's filter itself (HTTP 400): it cannot answer that question,
    however often it is asked. Callers that can decide without the answer catch this."""


class LookupRefusedWhilePosting(RunStopped):
    """The API refused the look-up's filter once rows of the import had been sent (the
    look-up right before sending): unlike `LookupRefused` something was sent, so it is not
    a command to fix before anything happens but a run that could not finish — the rows
    credited stay credited, the rest wait for the same command (asked again before sent)."""


class AuthenticationFailed(RunStopped):
    """The API refused the key (401/403); nothing more is sent."""


class ImportLocked(RunStopped):
    """Another importer process is working on the same import."""


class Interrupted(RunStopped):
    """SIGINT/SIGTERM: every wait ended within about a second; a rerun resumes."""


class ReportUnwritten(RunStopped):
    """A report file could not be written after posting (a full disk): the journal keeps
    every outcome, and `importer report ID` writes the report once the cause is fixed."""


class JournalFailed(RunStopped):
    """The journal refused a write mid-run (disk full, locked past the timeout). The
    write that failed was rolled back: a row whose intent was not committed was not sent, and
    one sent but not recorded stays `unknown` and is looked up before anything is sent again."""


class JournalUnreadable(RunStopped):
    """SQLite refused a read of the journal for a reason that is not damage (locked past the
    timeout, an I/O error): nothing more is sent, and once that is fixed the same command
    carries on where the journal says it stopped."""


# ----------------------------------------------------------------- notification (exit 3)


class NotificationFailed(ImporterError):
    """A mail or webhook could not be sent. Its message names the channel and why, never a
    password or a webhook's URL. Raised only by `importer notify-failure`'s own send; a drop or
    an import catches it, says so in its summary and keeps its own exit code."""

    exit_code = ExitCode.INCOMPLETE


# --------------------------------------------------------------------- internal (exit 3)


class InternalError(ImporterError):
    """A bug, not a situation: exits 3 (the journal is consistent, so the same command
    resumes) with one line saying so; the cause is chained for `--debug`."""

    exit_code = ExitCode.INCOMPLETE

    def __init__(self, what: str) -> None:
        super().__init__(
            f"internal error ({what}); run again with --debug and report it. "
            "The journal is consistent: running the same command resumes."
        )
        self.what = what


QUOTE_LIMIT = 200
"""How many characters of a line or cell a message quotes: enough to recognise it, while a
20,000-column header or a 50 MB cell never turns one line of output into megabytes."""


def excerpt(text: str, limit: int = QUOTE_LIMIT) -> str:
    """`text` as a message quotes it: at most `limit` characters, with how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + more_characters(len(text) - limit, "en")
