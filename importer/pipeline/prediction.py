"""What a dry run (`importer validate`) predicts: the verdicts a run would record, without
recording or sending anything.

A run asks the API before any row is sent (`pipeline.api_lookup`); so does a dry run when it
can — an API key is set — each look-up tried once (a prediction waits for no backoff). A row
the API already holds as this row's is shown `duplicate` (a run would not send it). With
repeats allowed, a run first asks whether the file was imported before (its references
then stay plain, `pipeline.generated_references`); a dry run asks the same through the same
code, so it never predicts rows sent that the run would find credited. When the API cannot
be asked, the prediction rests on the journal alone — the rows of a repeat shown salted, to
send — and a `journal_alone` warning says so and why, once: the first look-up that fails
is the last tried (the embedded sandbox keeps its database beside the journal: they
agree)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any

from importer.api.target import Target
from importer.config import Config
from importer.errors import ApiUnavailable
from importer.journal import JournalRow
from importer.outcomes import ImportWarning, Outcome, RowError
from importer.pipeline.api_lookup import Find
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.dedupe_rules import Verdict
from importer.pipeline.generated_references import Known, file_references
from importer.report import RequestColumns
from importer.validation import CheckedColumns

if TYPE_CHECKING:
    from importer.api.client import ApiClient


class _Blind(Exception):
    """A dry run's look-up could not be made: its prediction rests on the journal alone."""


def dry_run_requests(
    config: Config,
    target: Target,
    dedupe: Dedupe,
    import_id: str,
    numbers: list[int],
    checked: CheckedColumns,
    outcomes: list[Outcome],
    warnings: list[ImportWarning],
    sha256: str | None,
    known: Known | None,
) -> tuple[CheckedColumns, RequestColumns]:
    """The rows with the references a run would give them, and what a dry run would send,
    column-wise, with the rows the dedupe rules hold back marked (duplicate, held, or a
    credit-note conflict) in `outcomes` and `checked.errors`. `known` is the journal's answer
    a run asks with whether a repeat was imported before (None: `--force`, which does not
    ask). `warnings` gets `imported_before` where the run would add it, and the one saying
    the prediction rests on the journal alone, if it does."""
    client = _client(config, target)
    try:
        find = None if client is None else client.find_in
        blind = None
        if config.reference.generate:
            checked, blind = _references(config, checked, sha256, find, known, warnings)
        valid = checked.valid  # before the verdicts: a row held back is still a request
        marked = mark_file(  # not asked again where the first look-up failed
            dedupe,
            import_id,
            numbers,
            checked.fields,
            valid,
            outcomes,
            checked.errors,
            find if blind is None else None,
        )
        blind = blind or marked
    finally:
        if client is not None:
            client.close()
    if client is None and not target.sandbox:
        blind = f"no API key in {config.api.api_key_env} to ask the API with"
    if blind is not None:
        message = (
            f"This prediction rests on this machine's journal alone ({blind}): a row "
            "credited through another journal is shown as one to send."
        )
        warnings.append(ImportWarning(code="journal_alone", message=message))
    return checked, RequestColumns(checked.fields, valid, len(numbers))


def _references(
    config: Config,
    checked: CheckedColumns,
    sha256: str | None,
    find: Find | None,
    known: Known | None,
    warnings: list[ImportWarning],
) -> tuple[CheckedColumns, str | None]:
    """The rows with the references a run would give them (`file_references`, asked through
    the dry run's client), and why the API could not be asked whether a repeat was imported
    before, if it could not: then salted, as a deliberate repeat the journal alone would
    send (a refused filter included, which stops a run: it is no answer to predict with)."""
    ask = None if find is None or known is None else (_answered(find), known)
    try:
        return file_references(config, checked, sha256, ask, warnings), None
    except _Blind as blind:
        why = f"{blind}, when asked whether this file was imported before"
        return file_references(config, checked, sha256, None, warnings), why


def _client(config: Config, target: Target) -> ApiClient | None:
    """A client for a dry run's look-ups, trying each once; None when there is no API to
    ask (no key, or the embedded sandbox, which a dry run does not start)."""
    if target.url is None or target.api_key is None:
        return None
    from importer.api.client import ApiClient  # loaded only when the API is asked

    once = config.api.model_copy(update={"max_attempts": 1})
    return ApiClient(target.url, target.api_key, once)


def mark_file(
    dedupe: Dedupe,
    import_id: str,
    numbers: list[int],
    fields: dict[str, list[Any]],
    valid: list[bool] | None,
    outcomes: list[Outcome],
    errors: list[Sequence[RowError]],
    lookup: Find | None = None,
) -> str | None:
    """A dry run's whole file at once, column-wise: the verdicts a run would record, set in
    `outcomes` and `errors` — asking the API as a run would when `lookup` is given. Returns
    why the API could not be asked when it was tried, else None."""
    dedupe.lookup = None
    dedupe.taken = set()
    creditors, invoices = fields["creditor"], fields["credit_invoice"]
    if valid is not None:
        creditors, invoices = list(compress(creditors, valid)), list(compress(invoices, valid))
    notes = [n for n in invoices if n]
    if not creditors or (
        lookup is None
        and len(set(creditors)) == 1
        and len(set(notes)) == len(notes)
        and not dedupe.journal.dedupe.has_credited(
            creditors[0], base_url=dedupe.api, exclude_import=import_id
        )
    ):
        return None  # the usual file: settled without a loop over its rows
    names = [name for name, column in fields.items() if any(v is not None for v in column)]
    indices = {number: index for index, number in enumerate(numbers)}
    rows = [
        (number, {name: fields[name][i] for name in names if fields[name][i] is not None})
        for i, number in enumerate(numbers)
        if valid is None or valid[i]
    ]
    blind = None
    verdicts: list[Verdict] = []
    if lookup is not None:
        try:
            verdicts = _with_api(dedupe, import_id, rows, lookup)
        except _Blind as exc:
            blind = str(exc)
            dedupe.lookup, dedupe.taken = None, set()
    if lookup is None or blind is not None:
        verdicts = dedupe.decide(import_id, rows, {})
    for verdict in verdicts:
        outcomes[indices[verdict.row]] = verdict.outcome
        errors[indices[verdict.row]] = verdict.errors
    return blind


def _answered(lookup: Find) -> Find:
    """`lookup` raising `_Blind` where the API cannot answer it."""

    def asked(creditor: str, name: str, values: Iterable[str]) -> dict[str, Any]:
        try:
            return lookup(creditor, name, values)
        except ApiUnavailable as exc:  # a refused filter too: nothing decided on it
            raise _Blind(exc.message) from None

    return asked


def _with_api(
    dedupe: Dedupe, import_id: str, rows: list[tuple[int, dict[str, Any]]], lookup: Find
) -> list[Verdict]:
    """The verdicts with the API asked as a run asks it. Raises `_Blind` when it cannot be."""
    asked = _answered(lookup)
    dedupe.lookup = asked
    pending = [JournalRow(n, Outcome.NOT_SENT, (), r, []) for n, r in rows]
    found = dedupe.api_lookup.decide(import_id, pending, asked)
    dedupe.taken |= found.taken
    verdicts = list(found.verdicts)
    verdicts += [_held_at_api(row, crediting.get("_id")) for row, crediting in found.credited]
    decided = {v.row for v in verdicts}
    verdicts += [
        # A row whose note's crediting is its own: a run would record it credited with it.
        _held_at_api(v.row, v.crediting_id) if v.outcome is Outcome.CREDITED else v
        for v in dedupe.decide(import_id, [(n, r) for n, r in rows if n not in decided], {})
    ]
    return verdicts


def _held_at_api(row: int, crediting_id: Any) -> Verdict:
    """A row the API holds as credited by this very row (a run would record it `credited`
    with that crediting): shown as not to be sent."""
    message = (
        f"Amili already holds this row's credit as {crediting_id}, found by its "
        "reference; a run would not send it again."
    )
    error = RowError(field="creditor_reference", code="row_already_credited", message=message)
    return Verdict(row, Outcome.DUPLICATE, [error], None, "found at the API")
