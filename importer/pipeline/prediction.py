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

from collections.abc import Callable, Iterable, Sequence
from itertools import compress
from typing import TYPE_CHECKING, Any

from importer.api.target import Target
from importer.config import Config
from importer.errors import ApiUnavailable
from importer.journal import JournalRow
from importer.outcomes import ImportWarning, Outcome, RowError
from importer.pipeline.api_lookup import Find
from importer.pipeline.dedupe import Dedupe
from importer.pipeline.dedupe_rules import Earlier, Verdict
from importer.pipeline.generated_references import Ask, Known
from importer.report import RequestColumns
from importer.validation import CheckedColumns
from importer.words import text

if TYPE_CHECKING:
    from importer.api.client import ApiClient


class _Blind(Exception):
    """A dry run's look-up could not be made: its prediction rests on the journal alone."""


class Prediction:
    """A dry run's prediction of one file, a block of rows at a time in file order (a file
    read whole is one block): the credit notes met in earlier blocks, and the earlier rows
    they repeat, carry over to the later blocks.

    `repeated_notes` (`hash()` of the credit notes found on two rows or more of the file,
    `validation.file_facts`), when given, is all the notes the blocks after need to
    remember."""

    def __init__(
        self,
        config: Config,
        target: Target,
        dedupe: Dedupe,
        import_id: str,
        repeated_notes: frozenset[int] | None = None,
    ) -> None:
        self._config = config
        self._target = target
        self._dedupe = dedupe
        self._import_id = import_id
        self._repeated = repeated_notes
        self._in_file: dict[tuple[str, str], Earlier] = {}
        self._blind: str | None = None
        self._answered = False
        self._client = _client(config, target)
        dedupe.lookup = None
        dedupe.taken = set()

    @property
    def answered_then_blind(self) -> bool:
        """Whether the API answered a block's look-ups and then failed a later block's: the
        blocks before were predicted with its answers, the later ones without. A file read
        whole, asked once, rests on the journal alone for every row then; so must a file
        read in blocks (`restart`)."""
        return self._answered and self._blind is not None

    def restart(self) -> None:
        """Predict the file again from its first block, on the journal alone (the API
        failed: `answered_then_blind`), forgetting what the blocks before told."""
        self._in_file = {}
        self._answered = False
        self._dedupe.lookup = None
        self._dedupe.taken = set()

    def references(self, decide: Callable[[Ask | None], None], known: Known | None) -> None:
        """`decide` the file's references with the run's question whether a repeat was
        imported before (`generated_references`), asked through this dry run's client, each
        look-up once (`known`: the journal's answer; None: `--force`, which does not ask).
        Where the API cannot be asked, decided without it — salted, as a deliberate repeat
        the journal alone would send (a refused filter included, which stops a run: it is
        no answer to predict with) — and the prediction rests on the journal alone from
        then on, no look-up tried again."""
        client = self._client
        ask = None if client is None or known is None else (_answered(client.find_in), known)
        try:
            decide(ask)
        except _Blind as blind:
            self._blind = f"{blind}, when asked whether this file was imported before"
            decide(None)

    def block(
        self, numbers: list[int], checked: CheckedColumns, outcomes: list[Outcome]
    ) -> RequestColumns:
        """One block's requests, its held-back rows marked in `outcomes` and
        `checked.errors`."""
        valid = checked.valid
        client = self._client
        lookup = client.find_in if client is not None and self._blind is None else None
        blind = mark_file(
            self._dedupe,
            self._import_id,
            numbers,
            checked.fields,
            valid,
            outcomes,
            checked.errors,
            lookup,
            self._in_file,
            self._repeated,
        )
        self._blind = self._blind or blind
        self._answered |= lookup is not None and blind is None
        return RequestColumns(checked.fields, valid, len(numbers))

    def close(self, warnings: list[ImportWarning]) -> None:
        """Done: `warnings` gets the one saying the prediction rests on the journal alone,
        if it does."""
        if self._client is not None:
            self._client.close()
        if self._client is None and not self._target.sandbox:
            env = self._config.api.api_key_env
            message = text("warning.journal_alone_no_key", "en", env=env)
        elif self._blind is not None:
            message = text("warning.journal_alone", "en", why=self._blind)
        else:
            return
        warnings.append(ImportWarning(code="journal_alone", message=message))


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
    lookup: Find | None,
    in_file: dict[tuple[str, str], Earlier],
    repeated_notes: frozenset[int] | None,
) -> str | None:
    """A dry run's file (or one block of it: `Prediction`), column-wise: the verdicts a run
    would record, set in `outcomes` and `errors` — asking the API as a run would when
    `lookup` is given. Returns why the API could not be asked when it was tried, else None.
    `in_file` holds the credit notes of the blocks before (`Dedupe.decide`)."""
    creditors, invoices = fields["creditor"], fields["credit_invoice"]
    if valid is not None:
        creditors, invoices = list(compress(creditors, valid)), list(compress(invoices, valid))
    notes = [n for n in invoices if n]
    unique = (
        len(set(notes)) == len(notes)
        if repeated_notes is None
        else repeated_notes.isdisjoint(map(hash, notes))
    )
    if not creditors or (
        lookup is None
        and len(set(creditors)) == 1
        and unique
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
            verdicts = _with_api(dedupe, import_id, rows, lookup, in_file, repeated_notes)
        except _Blind as exc:
            blind = str(exc)
            dedupe.lookup = None
    if lookup is None or blind is not None:
        verdicts = dedupe.decide(import_id, rows, in_file, repeated_notes)
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
    dedupe: Dedupe,
    import_id: str,
    rows: list[tuple[int, dict[str, Any]]],
    lookup: Find,
    in_file: dict[tuple[str, str], Earlier],
    repeated_notes: frozenset[int] | None,
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
        for v in dedupe.decide(
            import_id, [(n, r) for n, r in rows if n not in decided], in_file, repeated_notes
        )
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
