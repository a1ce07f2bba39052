"""Problems posting finds to be the import's own, not its rows': noted once on the import (a
warning of `importer.attention.FILE_PROBLEMS`), so the summary, `importer show`, the report's
head and the night's drop summary tell the problem and its fix once, instead of a row problem
on every row.

- The API refused the key (HTTP 401/403): every row would be refused alike, so the run stops;
  the fix is the key, in the environment variable `api.api_key_env` names — not an outage.
- Every row sent was refused for one and the same reason (twelve rows, each "value '65a1…' must
  exist in resource 'creditors'"): the cause is the creditor or a setting, not twelve rows to
  correct in report.csv. The rows stay `rejected` (the report's contract); only the words about
  them change. A creditor the API does not know is named as such, with where it came from.

A problem holds for the import as its last run left it: each run clears the notes first and
notes again what it finds (a rerun after the key was fixed no longer says the key was refused).
"""

from __future__ import annotations

from importer.attention import CREDITOR_UNKNOWN, FILE_PROBLEMS, KEY_REFUSED, SAME_REASON
from importer.config import Config
from importer.errors import AuthenticationFailed, ImporterError
from importer.journal import ImportRecord, Journal
from importer.outcomes import ImportWarning, Outcome
from importer.words import text

_SHARED_AT_LEAST = 2
"""Rows refused alike before one reason counts as the file's (a creditor unknown counts at one:
whatever the rows, that creditor is refused)."""


def clear(journal: Journal, import_id: str) -> None:
    """Forget what the last run noted: this run finds out again."""
    journal.imports.remove_warnings(import_id, FILE_PROBLEMS)


def stopped(journal: Journal, record: ImportRecord, stop: ImporterError, config: Config) -> str:
    """The one line for a run that stopped: a refused key is noted on the import and told
    with its fix (the variable `api.api_key_env` names); anything else is said as it was."""
    if not isinstance(stop, AuthenticationFailed):
        return stop.message
    base_url, env, import_id = record.base_url, config.api.api_key_env, record.id
    journal.imports.add_warning(
        import_id,
        ImportWarning(
            code=KEY_REFUSED, message=text("warning.api_key_refused", "en", url=base_url, env=env)
        ),
    )
    return (
        f"the API at {base_url} refused the API key; put the right key in the environment "
        f"variable {env} (api.api_key_env), then run: importer rerun {import_id}"
    )


def note_shared_rejection(journal: Journal, import_id: str) -> None:
    """After posting: when every row sent was refused with the same errors, note it once."""
    counts = journal.imports.outcome_counts(import_id)
    if counts[Outcome.CREDITED] or counts[Outcome.UNKNOWN] or counts[Outcome.NOT_SENT]:
        return
    first = None
    rows: list[int] = []
    creditor = ""
    for row in journal.rows.pending(import_id, [Outcome.REJECTED]):
        reason = tuple((e.field, e.code, e.message) for e in row.errors)
        if first is None:
            first = reason
            creditor = str((row.request or {}).get("creditor") or "")
        elif reason != first:
            return
        rows.append(row.row)
    if first is None:
        return
    unknown_creditor = any(field == "creditor" for field, _, _ in first) and bool(creditor)
    if not unknown_creditor and len(rows) < _SHARED_AT_LEAST:
        return
    code = CREDITOR_UNKNOWN if unknown_creditor else SAME_REASON
    message = text(f"warning.{code}", "en", creditor=creditor, count=len(rows))
    journal.imports.add_warning(import_id, ImportWarning(code=code, message=message, rows=rows))
