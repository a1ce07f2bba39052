"""The report's words in English and Swedish: one catalogue for every outcome, status, error
code, API reason key (`status_reason_locale`), Summary label and next-step sentence.

Why one catalogue: a text defined beside the code that uses it is only ever written in one
language, and a second language added later forgets half the keys. Here every key holds both
texts as one tuple, so a missing translation is a missing tuple element that a test (and the
module itself, at import) catches. Keys are namespaced: `outcome.`, `status.`, `error.`,
`reason.` (the API's locale keys, verbatim after the prefix), `label.`, `next.`, `sheet.`.

The CLI stays English; only the report files (`report.language`) use this catalogue.
"""

from __future__ import annotations

import re
from typing import Literal

Language = Literal["en", "sv"]
LANGUAGES: tuple[Language, ...] = ("en", "sv")

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

CATALOGUE: dict[str, tuple[str, str]] = {
    # ---- outcomes (DESIGN.md §3)
    "outcome.credited": ("Credited", "Krediterad"),
    "outcome.invalid": ("Invalid, not sent", "Ogiltig, ej skickad"),
    "outcome.rejected": ("Rejected by the API", "Avvisad av API:et"),
    "outcome.duplicate": ("Duplicate, not sent", "Dubblett, ej skickad"),
    "outcome.not_sent": ("Not sent", "Ej skickad"),
    "outcome.unknown": ("Unknown: no answer", "Okänt: inget svar"),
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
        "Beloppet är större än ärendets kvarvarande kapital; bara resten reglerades.",
    ),
    # ---- row error codes (validation, dedupe, the client, reconciliation)
    "error.creditor_missing": (
        "No creditor id in the row and no default creditor.",
        "Borgenärs-id saknas i raden och inget standardvärde finns.",
    ),
    "error.creditor_conflict": (
        "The row names another creditor than the one given with --creditor.",
        "Raden anger en annan borgenär än den som angavs med --creditor.",
    ),
    "error.field_count": (
        "The row has more or fewer fields than the header: an unquoted delimiter or decimal comma?",
        "Raden har fler eller färre fält än rubrikraden: ett avgränsningstecken eller "
        "decimalkomma utan citattecken?",
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
        "Kreditfakturan har setts förut med ett annat belopp eller ärende.",
    ),
    "error.row_already_credited": (
        "This row was already credited by an earlier import; not sent again.",
        "Raden är redan krediterad av en tidigare import; skickades inte igen.",
    ),
    "error.credited_twice": (
        "The API holds this row's crediting more than once: reverse all but one.",
        "API:et har radens kreditering mer än en gång: återför alla utom en.",
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
    # ---- Summary and page labels
    "label.title": ("File import report", "Rapport över filimport"),
    "label.import": ("Import", "Import"),
    "label.file": ("File", "Fil"),
    "label.sha256": ("SHA-256", "SHA-256"),
    "label.format": ("Format", "Format"),
    "label.creditor": ("Creditor", "Borgenär"),
    "label.api": ("API", "API"),
    "label.sandbox": ("Sandbox", "Sandlåda"),
    "label.sandbox_yes": (
        "Yes: no real credits were issued",
        "Ja: inga riktiga krediteringar gjordes",
    ),
    "label.sandbox_no": ("No: real credits", "Nej: riktiga krediteringar"),
    "label.dry_run": ("Dry run: nothing was sent", "Provkörning: inget skickades"),
    "label.started": ("Started (local time)", "Startad (lokal tid)"),
    "label.finished": ("Finished (local time)", "Klar (lokal tid)"),
    "label.not_finished": ("not finished", "inte klar"),
    "label.exit_code": ("Exit code", "Slutkod"),
    "label.timezone": ("Time zone", "Tidszon"),
    "label.control_totals": ("Control totals", "Kontrollsummor"),
    "label.rows_read": ("Rows read", "Lästa rader"),
    "label.amount_read": ("Amount read", "Läst belopp"),
    "label.rows_without_amount": ("Rows without a readable amount", "Rader utan läsbart belopp"),
    "label.left_out.total_rows": (
        "Total rows left out (not credits)",
        "Summarader som utelämnats (inte krediteringar)",
    ),
    "label.left_out.hidden_rows": ("Hidden rows left out", "Dolda rader som utelämnats"),
    "label.outcome": ("Outcome", "Utfall"),
    "label.rows": ("Rows", "Rader"),
    "label.amount": ("Amount", "Belopp"),
    "label.status": ("Status", "Status"),
    "label.settled": ("Settled", "Reglerat"),
    "label.amount_requested": ("Amount credited (requested)", "Krediterat belopp (begärt)"),
    "label.amount_settled": ("Amount settled", "Reglerat belopp"),
    "label.next_step": ("What to do next", "Nästa steg"),
    "label.file_errors": ("File errors", "Fel i filen"),
    "label.warnings": ("Warnings", "Varningar"),
    "label.row": ("Row", "Rad"),
    "label.reason": ("Reason", "Orsak"),
    "label.field": ("Field", "Fält"),
    "label.code": ("Code", "Kod"),
    "label.message": ("Message", "Meddelande"),
    "label.report_column": (" (report)", " (rapport)"),
    "label.needs_attention": ("Rows needing attention", "Rader som behöver åtgärdas"),
    "label.more_rows": (
        "… and {count} more rows: see report.csv or report.json.",
        "… och {count} rader till: se report.csv eller report.json.",
    ),
    "label.all_rows_elsewhere": (
        "The import has {count} rows, more than {limit}: the full list is in report.csv and "
        "report.json.",
        "Importen har {count} rader, fler än {limit}: hela listan finns i report.csv och "
        "report.json.",
    ),
    "label.xlsx_rows_cut": (
        "Excel holds at most {limit} rows on a sheet: {count} rows are left out of sheet "
        "'{sheet}'; report.csv and report.json are complete.",
        "Excel rymmer högst {limit} rader på ett blad: {count} rader är utelämnade från bladet "
        "'{sheet}'; report.csv och report.json är fullständiga.",
    ),
    "label.xlsx_columns_cut": (
        "Excel holds at most {limit} columns: {count} of the file's columns are left out of "
        "the workbook; report.csv and report.json are complete.",
        "Excel rymmer högst {limit} kolumner: {count} av filens kolumner är utelämnade ur "
        "arbetsboken; report.csv och report.json är fullständiga.",
    ),
    "label.nothing_needs_attention": (
        "No row needs attention.",
        "Ingen rad behöver åtgärdas.",
    ),
    # ---- sheet names (at most 31 characters, none of []:*?/\)
    "sheet.summary": ("Summary", "Sammanfattning"),
    "sheet.attention": ("Needs attention", "Behöver åtgärd"),
    "sheet.all_rows": ("All rows", "Alla rader"),
    # ---- next steps: one per reason a row needs a person, and per import
    "next.invalid": (
        "Correct the row in report.csv, then run: importer rerun {id} --fix {csv}",
        "Rätta raden i report.csv och kör sedan: importer rerun {id} --fix {csv}",
    ),
    "next.invalid_above": (
        "Correct the row in report.csv, then run the command above.",
        "Rätta raden i report.csv och kör sedan kommandot ovan.",
    ),
    "next.invalid_dry_run": (
        "Correct the row in the file, then validate or run the file again.",
        "Rätta raden i filen och validera eller kör sedan filen igen.",
    ),
    "next.rejected": (
        "Check the case or amount named in the reason, correct the row in report.csv, then "
        "rerun with --fix.",
        "Kontrollera ärendet eller beloppet som orsaken nämner, rätta raden i report.csv och "
        "kör om med --fix.",
    ),
    "next.warning": (
        "Credited, but not fully settled: check the case and whether the rest must be handled.",
        "Krediterad men inte helt reglerad: kontrollera ärendet och om resten måste hanteras.",
    ),
    "next.error": (
        "Credited, but nothing was settled: check the case with Amili.",
        "Krediterad men inget reglerades: kontrollera ärendet med Amili.",
    ),
    "next.not_sent": (
        "Not sent yet: run importer rerun {id} once the API is reachable.",
        "Inte skickad än: kör importer rerun {id} när API:et går att nå.",
    ),
    "next.answer_unusable": (
        "Credited, but the API's answer held a value that cannot be used: check this crediting "
        "in Amili (the answer is kept in the journal).",
        "Krediterad, men API:ets svar innehöll ett värde som inte går att använda: kontrollera "
        "krediteringen i Amili (svaret sparas i journalen).",
    ),
    "next.unknown": (
        "Sent without an answer: importer rerun {id} looks it up before anything is resent; "
        "if it stays unknown, look the reference up in Amili.",
        "Skickad utan svar: importer rerun {id} slår upp den innan något skickas igen; "
        "förblir den okänd, sök referensen i Amili.",
    ),
    "next.credited_twice": (
        "Credited more than once: reverse all but one of the creditings the message names, "
        "in Amili.",
        "Krediterad mer än en gång: återför i Amili alla utom en av krediteringarna som "
        "meddelandet nämner.",
    ),
    "next.conflict": (
        "A person decides: the credit note was seen with another amount or case.",
        "En person avgör: kreditfakturan har setts med ett annat belopp eller ärende.",
    ),
    "next.import_fix": (
        "Fix the rows in 'Needs attention' in report.csv, then run: "
        "importer rerun {id} --fix {csv}",
        "Rätta raderna under 'Behöver åtgärd' i report.csv och kör sedan: "
        "importer rerun {id} --fix {csv}",
    ),
    "next.import_outage": (
        "Rows were not sent or got no answer: once the API is reachable, run: importer rerun {id}",
        "Rader skickades inte eller fick inget svar: när API:et går att nå, kör: "
        "importer rerun {id}",
    ),
    "next.import_check": (
        "Check the credited rows with status warning or error in 'Needs attention'.",
        "Kontrollera de krediterade raderna med status varning eller fel under 'Behöver åtgärd'.",
    ),
    "next.import_dry_run": (
        "Nothing was sent. Fix the invalid rows, or run the same file with importer run.",
        "Inget skickades. Rätta de ogiltiga raderna, eller kör samma fil med importer run.",
    ),
    "next.import_file": (
        "The file was rejected as a whole: fix what the file errors say and import it again.",
        "Hela filen avvisades: rätta det som felen i filen säger och importera den igen.",
    ),
    "next.import_done": (
        "Nothing to do: every row is in order.",
        "Inget att göra: alla rader är klara.",
    ),
}

# Field-templated error codes (`<field>_invalid`, `<field>_too_long`, `<field>_invalid` for ids):
# generated for every field validation checks, in both languages, from the field names above.
for _field, _en in _FIELDS_EN.items():
    _sv = _FIELDS_SV[_field]
    CATALOGUE.setdefault(
        f"error.{_field}_invalid",
        (f"{_en}: the cell cannot be used as it is.", f"{_sv}: cellen går inte att använda."),
    )
    CATALOGUE.setdefault(
        f"error.{_field}_too_long",
        (f"{_en} is too long.", f"{_sv} är för lång."),
    )

for _key, _texts in CATALOGUE.items():  # a key with an empty text is a bug, found at import
    if len(_texts) != len(LANGUAGES) or not all(t.strip() for t in _texts):
        raise RuntimeError(f"words: {_key} lacks a text in one of {LANGUAGES}")  # pragma: no cover

_HTTP_CODE = re.compile(r"api_http_\d{3}\Z")


def text(key: str, language: Language, **values: object) -> str:
    """The text of `key` in `language`, with `{name}` filled from `values`.

    An unknown key is returned as it is: an API may send a reason key this version has never
    seen, and showing the key is better than showing nothing (the report keeps the key anyway).
    """
    texts = CATALOGUE.get(key)
    if texts is None:
        return key.split(".", 1)[-1]
    chosen = texts[LANGUAGES.index(language)]
    return chosen.format(**values) if values else chosen


def error_key(code: str) -> str:
    """The catalogue key of a row error code (`api_http_404` shares `error.api_http`)."""
    if _HTTP_CODE.match(code):
        return "error.api_http"
    return f"error.{code}"


def error_text(code: str, language: Language) -> str:
    return text(error_key(code), language)


def reason_text(reason: str | None, language: Language) -> str | None:
    """The words for an API `status_reason_locale` key (None stays None)."""
    if reason is None:
        return None
    return text(f"reason.{reason}", language)


def outcome_text(outcome: str, status: str | None, language: Language) -> str:
    """ "Credited" or "Credited: Warning" and so on: the outcome a person reads."""
    shown = text(f"outcome.{outcome}", language)
    if status:
        shown += ": " + text(f"status.{status}", language).lower()
    return shown
