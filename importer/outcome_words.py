"""The words of a row's fate (the `outcome.`, `status.`, `reason.` and `error.` keys of
`importer.words`, merged into its one catalogue): its outcome, the processing status of its
crediting, the API's reason key (`status_reason_locale`, verbatim after `reason.`) and every
row error code — the words of each row's Outcome column wherever a person reads it.

The field-templated codes (`<field>_invalid`, `<field>_too_long`) are generated here for every
field validation checks, in both languages, from the field names below. Same rule as every
section: each key holds its English and Swedish text, with the same placeholders."""

from __future__ import annotations

_FIELDS_EN = {
    "creditor": "Creditor id",
    "case": "Case id",
    "invoice_number": "Invoice number",
    "credit_invoice": "Credit note",
    "creditor_reference": "Reference",
    "account": "Account",
    "origin": "Origin",
    "currency": "Currency",
}
_FIELDS_SV = {
    "creditor": "Borgenärs-id",
    "case": "Ärende-id",
    "invoice_number": "Fakturanummer",
    "credit_invoice": "Kreditfaktura",
    "creditor_reference": "Referens",
    "account": "Konto",
    "origin": "Ursprung",
    "currency": "Valuta",
}

OUTCOMES: dict[str, tuple[str, str]] = {
    # ---- outcomes (docs/outcomes.md)
    "outcome.credited": ("Credited", "Krediterad"),
    "outcome.invalid": ("Invalid, not sent", "Ogiltig, ej skickad"),
    "outcome.rejected": ("Rejected by the API", "Avvisad av API:et"),
    "outcome.duplicate": ("Duplicate, not sent", "Dubblett, ej skickad"),
    "outcome.not_sent": ("Not sent", "Ej skickad"),
    "outcome.unknown": ("Unknown: no answer", "Okänd: inget svar"),
    "label.would_be_sent": ("Valid: would be sent", "Giltig: skulle skickas"),
    # ---- processing statuses of a crediting
    "status.completed": ("Completed", "Genomförd"),
    "status.warning": ("Warning", "Varning"),
    "status.error": ("Error", "Fel"),
    # ---- the API's status_reason_locale keys (the sandbox's, and Amili's as documented)
    "reason.crediting.case_closed": (
        "The case is closed or has nothing left to credit; nothing was settled.",
        "Ärendet är avslutat eller har inget kvar att kreditera; inget reglerades.",
    ),
    "reason.crediting.amount_exceeds_remaining": (
        "The amount is more than the case's remaining capital; only the remainder was settled.",
        "Beloppet är större än ärendets kvarvarande kapital; bara det kvarvarande beloppet "
        "reglerades.",
    ),
    # ---- row error codes (validation, dedupe, the client, reconciliation)
    "error.creditor_missing": (
        "No creditor id in the row and no default creditor.",
        "Borgenärs-id saknas på raden och inget standardvärde är angivet.",
    ),
    "error.creditor_conflict": (
        "The row names another creditor than the one given with --creditor.",
        "Raden anger en annan borgenär än den som angavs med --creditor.",
    ),
    "error.field_count": (
        "The row has more or fewer fields than the header: an unquoted delimiter or decimal comma?",
        "Raden har fler eller färre fält än rubrikraden: kanske ett avgränsningstecken eller "
        "decimalkomma utan citattecken?",
    ),
    "error.unterminated_row": (
        "The file's last line has no line break: the file may have been cut off in this row.",
        "Filens sista rad saknar radbrytning: filen kan ha klippts av i den här raden.",
    ),
    "error.excel_number_format": (
        "Excel turned this number into exponent form (9.87654E+11): format the column as text "
        "and export again.",
        "Excel har gjort om talet till exponentform (9,87654E+11): formatera kolumnen som text "
        "och exportera igen.",
    ),
    "error.merged_cell": (
        "The cell is empty because it is part of merged cells; only the first holds the value.",
        "Cellen är tom eftersom den ingår i sammanfogade celler; bara den första har värdet.",
    ),
    "error.formula_uncomputed": (
        "The cell is a formula without a computed value: open and save the file in Excel or "
        "LibreOffice.",
        "Cellen är en formel utan beräknat värde: öppna och spara filen i Excel eller LibreOffice.",
    ),
    "error.case_and_invoice_number": (
        "Both a case id and an invoice number: give exactly one.",
        "Både ärende-id och fakturanummer: ange bara det ena.",
    ),
    "error.case_or_invoice_number_missing": (
        "Neither a case id nor an invoice number.",
        "Varken ärende-id eller fakturanummer.",
    ),
    "error.amount_missing": ("The amount is empty.", "Beloppet är tomt."),
    "error.amount_not_a_number": ("The amount is not a number.", "Beloppet är inte ett tal."),
    "error.amount_ambiguous": (
        "The amount could be read two ways (1,234): write it with its decimals.",
        "Beloppet kan läsas på två sätt (1,234): skriv det med decimaler.",
    ),
    "error.amount_too_many_decimals": (
        "The amount has more than two decimals (öre).",
        "Beloppet har fler än två decimaler (öre).",
    ),
    "error.amount_negative": (
        "The amount is negative; a credit amount must be positive.",
        "Beloppet är negativt; ett krediteringsbelopp måste vara positivt.",
    ),
    "error.amount_zero": (
        "The amount is zero; there is nothing to credit.",
        "Beloppet är noll; det finns inget att kreditera.",
    ),
    "error.amount_too_large": (
        "The amount is above the configured maximum.",
        "Beloppet är större än det inställda maxbeloppet.",
    ),
    "error.currency_missing": ("The currency is empty.", "Valutan är tom."),
    "error.currency_not_supported": (
        "Only SEK can be credited.",
        "Bara SEK kan krediteras.",
    ),
    "error.origin_invalid": (
        "The origin must be creditor_system.",
        "Ursprunget måste vara creditor_system.",
    ),
    "error.date_invalid": (
        "The date cannot be read, is ambiguous or does not exist.",
        "Datumet går inte att läsa, är tvetydigt eller finns inte.",
    ),
    "error.creditor_reference_duplicate": (
        "The reference is already used by an earlier row of this import.",
        "Referensen används redan av en tidigare rad i importen.",
    ),
    "error.credit_invoice_already_credited": (
        "This credit note was already credited; not sent again.",
        "Kreditfakturan är redan krediterad; skickades inte igen.",
    ),
    "error.credit_invoice_conflict": (
        "This credit note was seen before with another amount or case.",
        "Kreditfakturan finns redan med ett annat belopp eller ärende.",
    ),
    "error.row_already_credited": (
        "This row was already credited by an earlier import; not sent again.",
        "Raden är redan krediterad av en tidigare import; skickades inte igen.",
    ),
    "error.credited_by_another_importer": (
        "Another importer credited this row while this import was being sent; not sent again.",
        "En annan importör krediterade raden medan importen skickades; skickades inte igen.",
    ),
    "error.crediting_found_unclear": (
        "A crediting found at the API may be this row's: check it before sending the row.",
        "En kreditering i Amili kan vara radens: kontrollera den innan raden skickas.",
    ),
    "error.credited_twice": (
        "The API holds this row's crediting more than once: reverse all but one.",
        "Raden har krediterats mer än en gång: återför alla krediteringar utom en.",
    ),
    "error.crediting_unproven": (
        "The API answered without naming a crediting; it was looked up by its reference.",
        "API:et svarade utan att ange någon kreditering; den söktes upp via referensen.",
    ),
    "error.api_rejected": (
        "The API refused the row.",
        "API:et avvisade raden.",
    ),
    "error.api_http": (
        "The API refused the row (HTTP error).",
        "API:et avvisade raden (HTTP-fel).",
    ),
    "error.outcome_unknown": (
        "The request was sent but no answer came.",
        "Begäran skickades men inget svar kom.",
    ),
    "error.api_answer_unusable": (
        "The API's answer held a value that cannot be used; it is kept in the journal.",
        "API:ets svar innehöll ett värde som inte går att använda; det sparas i journalen.",
    ),
    "error.reconcile_ambiguous": (
        "The crediting could not be identified at the API.",
        "Krediteringen gick inte att identifiera i API:et.",
    ),
    "error.file_rejected": (
        "The whole file was rejected; nothing was sent.",
        "Hela filen avvisades; inget skickades.",
    ),
}

# Field-templated error codes (`<field>_invalid`, `<field>_too_long`, `<field>_invalid` for ids):
# generated for every field validation checks, in both languages, from the field names above.
for _field, _en in _FIELDS_EN.items():
    _sv = _FIELDS_SV[_field]
    OUTCOMES.setdefault(
        f"error.{_field}_invalid",
        (f"{_en}: the cell cannot be used as it is.", f"{_sv}: cellen går inte att använda."),
    )
    OUTCOMES.setdefault(
        f"error.{_field}_too_long",
        (f"{_en} is too long.", f"{_sv}: värdet är för långt."),
    )
