"""The references intake gives the rows that have none (`pipeline.reference` derives each).

Each valid row without a `creditor_reference` gets the one derived from its content and its
occurrence among identical rows of the file, on the column, for dry runs and imports alike.

With `--allow-repeats` (`dedupe.repeats: allow`) they are salted with the file's bytes, so
the rows are new credits even where they repeat credited ones. The journal refuses the same
bytes a second time ("already imported"); with the journal lost, the API is the record: when
it already holds every row the file would credit under the row's plain (unsalted)
reference, the file was credited before, and a deliberate repeat it is not. Its references
are then left plain, so the look-up before sending finds each row as what it is, nothing is
credited again, and the import carries the `imported_before` warning — which `rerun --fix`
reads too, so a row corrected later gets a plain reference like the rest
(`reference.reimport_salt`). `--force` credits the file again anyway, as with the journal.
A dry run asks the same question through this same code, with its own client
(`pipeline.prediction`), so it predicts what the run does."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import compress

from importer.api.queries import PAGE_SIZE
from importer.config import Config
from importer.errors import LookupRefused, QueryRefused
from importer.outcomes import ImportWarning
from importer.pipeline.api_lookup import Find
from importer.pipeline.file_rows import Block, FileRows
from importer.pipeline.reference import (
    CONTENT_FIELDS,
    IMPORTED_BEFORE,
    FileOccurrences,
    key_digests,
    keys_of_columns,
    occurrences_of_keys,
    reference_of,
    reimport_salt,
)
from importer.validation import CheckedColumns

Known = Callable[[str, Sequence[str]], bool]
"""(creditor, references) -> whether this journal sent and credited one of them
(`DedupeStore.sent_references`)."""


Ask = tuple[Find, Known]
"""The API look-up and the journal's answer a run asks whether a repeat was imported before."""


def file_references(
    config: Config,
    checked: CheckedColumns,
    sha256: str | None,
    ask: Ask | None,
    warnings: list[ImportWarning],
) -> CheckedColumns:
    """The rows with their generated references, salted for a deliberate repeat
    (`dedupe.repeats: allow`, `reference.reimport_salt`) — unless the API, asked through
    `ask` (None: a forced run, or no API to ask), holds every one of them under its plain reference
    and this journal sent none of them: then plain, and the `imported_before` warning is
    added to `warnings`."""
    salt = reimport_salt(sha256, repeats_allowed=config.dedupe.repeats == "allow")
    if salt is None or ask is None:
        return with_generated_references(checked, salt)
    find, known = ask
    plain = with_generated_references(checked, None)
    generated = _generated(checked)
    creditors, references = plain.fields["creditor"], plain.fields["creditor_reference"]
    required = config.dedupe.require_api_lookup
    if credited_before(creditors, references, generated, find, known, required):
        warnings.append(imported_before_warning(sum(generated)))
        return plain
    return with_generated_references(checked, salt)


def block_salt(
    config: Config,
    sha256: str | None,
    ask: Ask | None,
    warnings: list[ImportWarning],
    blocks: Callable[[], Iterable[CheckedColumns]],
    occurrences: FileOccurrences | None,
) -> str | None:
    """`file_references`' salt for a file read a block at a time (`pipeline.file_rows`):
    the API asked, through `ask`, of the plain references of all its blocks (`blocks()`, in
    file order, is read only when it is asked) a block at a time, as `credited_before` asks
    them, so they are never all held: first whether the API holds every one (stopping at
    the first missing), then — read again — whether this journal sent one. `occurrences`
    counts its identical rows (None when every row has its own reference: none is
    generated)."""
    salt = reimport_salt(sha256, repeats_allowed=config.dedupe.repeats == "allow")
    if salt is None or ask is None or occurrences is None:
        return salt
    find, known = ask
    required = config.dedupe.require_api_lookup
    rows = 0
    for wanted in _wanted_blocks(blocks(), occurrences):
        if wanted is None or not _held_at_api(wanted, find, required):
            return salt
        rows += sum(map(len, wanted.values()))
    if not rows:
        return salt
    for wanted in _wanted_blocks(blocks(), occurrences):
        if any(known(c, references) for c, references in (wanted or {}).items()):
            return salt
    warnings.append(imported_before_warning(rows))
    return None


def _wanted_blocks(
    blocks: Iterable[CheckedColumns], occurrences: FileOccurrences
) -> Iterator[dict[str, list[str]] | None]:
    """`_wanted` of each block: the plain references of its generated rows, by creditor,
    counted among identical rows across the blocks."""
    numbers = occurrences.numbers()
    for checked in blocks:
        plain = with_generated_references(checked, None, numbers)
        generated = _generated(checked)
        yield _wanted(plain.fields["creditor"], plain.fields["creditor_reference"], generated)


def _generated(checked: CheckedColumns) -> list[bool]:
    """Which rows get a generated reference: the valid ones without one of their own."""
    valid = checked.valid
    return [
        reference is None and (valid is None or valid[i])
        for i, reference in enumerate(checked.fields["creditor_reference"])
    ]


def with_generated_references(
    checked: CheckedColumns, salt: str | None, occurrences: Iterator[int] | None = None
) -> CheckedColumns:
    """Each valid row without a creditor_reference gets the generated one, derived from its
    content and its occurrence among identical rows of the file (`pipeline.reference`), on
    the column — for dry runs and imports alike. An invalid row's values are no request, so
    it gets none (a correction that makes it valid gets its own, `pipeline.corrections`).
    For one block of a file read a block at a time, `occurrences` gives its valid rows'
    occurrences, counted across the file (`reference.FileOccurrences.numbers`)."""
    references = checked.fields["creditor_reference"]
    valid = checked.valid
    if occurrences is None and None not in (
        references if valid is None else compress(references, valid)
    ):
        return checked  # the file supplies every valid row's reference
    keys = keys_of_columns([checked.fields[name] for name in CONTENT_FIELDS])
    if occurrences is None:
        occurrences = iter(occurrences_of_keys(keys if valid is None else compress(keys, valid)))
    counted = occurrences
    filled: list[str | None] = []
    for index, reference in enumerate(references):
        if valid is not None and not valid[index]:
            filled.append(reference)
            continue
        occurrence = next(counted)  # counted among valid rows, whatever they supply
        filled.append(
            reference_of(keys[index], occurrence, salt) if reference is None else reference
        )
    return replace(
        checked,
        fields={**checked.fields, "creditor_reference": filled},
        constant=checked.constant - {"creditor_reference"},
    )


def credited_before(
    creditors: Sequence[str | None],
    plain: Sequence[str | None],
    generated: Sequence[bool],
    find: Find,
    known: Known,
    lookup_required: bool = True,
) -> bool:
    """Whether the API holds every generated row's plain reference (`generated`: the rows
    that would get a salted one) and this journal sent none of them. Asked 100 references
    at a time, per creditor, stopping at the first that is missing: a file not imported
    before costs one request. A journal that sent and credited one of them is not lost: it
    refused these bytes had it imported them ("already imported"), so the file is another
    one repeating credited rows — from one earlier file or several — a deliberate repeat.
    Rows it only found at the API (recorded credited after a lost journal, never sent) say
    nothing of which file sent them.

    The API refusing the look-up's filter stops the import before anything is journaled
    (`LookupRefused`, exit 2) where `lookup_required` (`dedupe.require_api_lookup`): an
    import journaled with salted references would be credited again by the same command
    once the API answers. Where the journal alone may decide, the file is a repeat and the
    look-up before sending names the weakened guarantee."""
    wanted = _wanted(creditors, plain, generated)
    if not wanted or not _held_at_api(wanted, find, lookup_required):
        return False
    # Asked last: the journal's rows have no index by reference, and a file the API does not
    # hold whole (a deliberate repeat with a new row, the usual one) never needs the answer.
    return not any(known(c, references) for c, references in wanted.items())


def _wanted(
    creditors: Sequence[str | None], plain: Sequence[str | None], generated: Sequence[bool]
) -> dict[str, list[str]] | None:
    """Creditor -> the plain references of its generated rows; None when one of those rows
    has no creditor or reference (the file cannot have been credited before)."""
    wanted: dict[str, list[str]] = {}
    for creditor, reference in compress(zip(creditors, plain, strict=True), generated):
        if creditor is None or reference is None:
            return None
        wanted.setdefault(creditor, []).append(reference)
    return wanted


def _held_at_api(wanted: dict[str, list[str]], find: Find, lookup_required: bool) -> bool:
    """Whether the API holds every one of these references (`credited_before`), asked 100
    at a time, stopping at the first missing."""
    for creditor, references in wanted.items():
        for start in range(0, len(references), PAGE_SIZE):
            chunk = references[start : start + PAGE_SIZE]
            try:
                held = find(creditor, "creditor_reference", chunk)
            except QueryRefused as refused:
                if lookup_required:
                    raise LookupRefused(
                        f"{refused.message} while asking whether this file was imported "
                        "before; nothing was sent: without that look-up --allow-repeats "
                        "would credit again a file imported through a lost journal. Set "
                        "dedupe.require_api_lookup: false to import on this machine's journal "
                        "alone"
                    ) from None
                return False
            if not all(held.get(reference) for reference in chunk):
                return False
    return True


def imported_before_warning(rows: int) -> ImportWarning:
    return ImportWarning(
        code=IMPORTED_BEFORE,
        message=f"Amili already holds every one of the {rows} row(s) this file would credit, "
        "each under its own reference: the file was imported before (through a journal this "
        "one does not have), so --allow-repeats does not credit it again. To credit it again "
        "all the same, run it with --force.",
    )


class References:
    """The rows with their generated references (`file_references`), block by block: a
    one-block file's are made once, and its repeat question asked once. A larger file's
    identical rows are counted across its blocks first (`reference.FileOccurrences`, one pass
    over them, which also counts the rows: `FileRows.tally`), and its salt decided, before
    its rows are journaled or predicted."""

    def __init__(self, config: Config, rows: FileRows, sha256: str | None) -> None:
        self._config = config
        self._rows = rows
        self._sha256 = sha256
        self._generate = config.reference.generate
        self._whole: Block | None = None
        self._salt: str | None = None
        self._occurrences: FileOccurrences | None = None

    def decide(self, ask: Ask | None, warnings: list[ImportWarning]) -> None:
        """Decide the references (`file_references`: asking, through `ask`, whether a
        repeat was imported before; `warnings` gets `imported_before` if it was)."""
        rows, config, sha256 = self._rows, self._config, self._sha256
        if rows.whole:
            [block] = rows.blocks()
            if self._generate:
                checked = file_references(config, block.checked, sha256, ask, warnings)
                block = Block(block.numbers, block.sources, checked)
            self._whole = block
            return
        if not self._generate:
            return
        if not rows.references_given and self._occurrences is None:
            self._occurrences = FileOccurrences(
                b"".join(_content_digests(block.checked) for block in rows.blocks())
            )

        def every() -> Iterator[CheckedColumns]:
            return (block.checked for block in rows.blocks())

        self._salt = block_salt(config, sha256, ask, warnings, every, self._occurrences)

    def blocks(self) -> Iterator[Block]:
        """The file's blocks with their references (`decide` first)."""
        if self._whole is not None:
            yield self._whole
            return
        numbers = None if self._occurrences is None else self._occurrences.numbers()
        for block in self._rows.blocks():
            checked = block.checked
            if numbers is not None:
                checked = with_generated_references(checked, self._salt, numbers)
            yield Block(block.numbers, block.sources, checked)


def _content_digests(checked: CheckedColumns) -> bytes:
    """The `reference.key_digests` of a block's valid rows."""
    keys = keys_of_columns([checked.fields[name] for name in CONTENT_FIELDS])
    valid = checked.valid
    return key_digests(keys if valid is None else compress(keys, valid))
