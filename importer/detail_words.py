"""The words of a row error's detail (the `detail.` keys of `importer.words`, merged into its
one catalogue): the sentence a validation rule or the API client writes on a row, with the
facts it names (the cell as the file holds it, a limit, a row number) as placeholders.

Why the English text is here too: report.json keeps each rule's English sentence as its
stable `message`, and a report in another language words the same facts from it. The English
template is the exact shape of the rule's sentence — `importer.row_detail` reads the facts
back out of a stored message with it — so a rule's sentence and its template are held equal by
a test that runs the rule.
"""

from __future__ import annotations

DETAILS: dict[str, tuple[str, str]] = {
    # ---- amounts (validation/amounts.py)
    "detail.amount_empty": (
        "Amount is empty; every row needs the amount to credit.",
        "Beloppet är tomt; varje rad behöver ett belopp att kreditera.",
    ),
    "detail.amount_not_a_number_hint": (
        "Amount {amount} is not a number (this file uses {separator_name}: '{separator}').",
        "Beloppet {amount} är inte ett tal (filen använder {separator_name}: '{separator}').",
    ),
    "detail.amount_not_a_number": (
        "Amount {amount} is not a number.",
        "Beloppet {amount} är inte ett tal.",
    ),
    "detail.amount_cell_kind": (
        "Amount cell holds {kind} {amount}, not a number.",
        "Beloppscellen innehåller {kind} {amount}, inte ett tal.",
    ),
    "detail.amount_ambiguous": (
        "Amount {amount} is ambiguous: it could mean {thousands} or {decimals} — nothing else "
        "in the file shows which decimal separator it uses. Write it without a thousands "
        "separator, or set input.decimal_separator in the configuration.",
        "Beloppet {amount} är tvetydigt: det kan betyda {thousands} eller {decimals} — inget "
        "annat i filen visar vilket decimaltecken den använder. Skriv det utan "
        "tusentalsavgränsare, eller ange input.decimal_separator i konfigurationen.",
    ),
    "detail.amount_decimals": (
        "Amount {amount} has more than two decimals (öre).",
        "Beloppet {amount} har fler än två decimaler (öre).",
    ),
    "detail.amount_negative": (
        "Amount {amount} is negative; a credit amount must be positive (set "
        "input.negative_amounts: absolute if your export signs credits).",
        "Beloppet {amount} är negativt; ett krediteringsbelopp måste vara positivt (ange "
        "input.negative_amounts: absolute om exporten skriver krediteringar med minustecken).",
    ),
    "detail.amount_zero": (
        "Amount {amount} is zero; there is nothing to credit.",
        "Beloppet {amount} är noll; det finns inget att kreditera.",
    ),
    "detail.amount_too_large": (
        "Amount {amount} is larger than the maximum {maximum} (input.max_amount in the "
        "configuration).",
        "Beloppet {amount} är större än maxbeloppet {maximum} (input.max_amount i "
        "konfigurationen).",
    ),
    # ---- dates (validation/dates.py)
    "detail.date_not_a_date": (
        "Date {date} is not a date; write it as YYYY-MM-DD.",
        "Datumet {date} är inget datum; skriv det som ÅÅÅÅ-MM-DD.",
    ),
    "detail.date_number": (
        "Date cell holds the number {number}, not a date; format the column as a date or write "
        "the date as YYYY-MM-DD.",
        "Datumcellen innehåller talet {number}, inte ett datum; formatera kolumnen som datum "
        "eller skriv datumet som ÅÅÅÅ-MM-DD.",
    ),
    "detail.date_ambiguous": (
        "Date {date} is ambiguous (is the day or the month first?): {hint}; write dates as "
        "YYYY-MM-DD, e.g. 2025-07-04, or set input.date_format.",
        "Datumet {date} är tvetydigt (kommer dagen eller månaden först?): {hint}; skriv datum "
        "som ÅÅÅÅ-MM-DD, t.ex. 2025-07-04, eller ange input.date_format.",
    ),
    "detail.date_offset": (
        "Date {date} has an impossible UTC offset.",
        "Datumet {date} har en omöjlig UTC-förskjutning.",
    ),
    "detail.date_month_name": (
        "Date {date} has an unknown month name.",
        "Datumet {date} har ett okänt månadsnamn.",
    ),
    "detail.date_two_digit_year": (
        "Date {date} has a two-digit year (or an unreadable time); write dates as YYYY-MM-DD, "
        "e.g. 2025-07-04.",
        "Datumet {date} har ett tvåsiffrigt år (eller en oläslig tid); skriv datum som "
        "ÅÅÅÅ-MM-DD, t.ex. 2025-07-04.",
    ),
    "detail.date_unreadable": (
        "Date {date} is not a date this importer reads; write it as YYYY-MM-DD (optionally "
        "with a time: YYYY-MM-DD HH:MM).",
        "Datumet {date} är inget datum som importen kan läsa; skriv det som ÅÅÅÅ-MM-DD "
        "(eventuellt med tid: ÅÅÅÅ-MM-DD TT:MM).",
    ),
    "detail.date_format_mismatch": (
        "Date {date} does not match input.date_format {pattern} (nor YYYY-MM-DD); check the "
        "cell or the setting.",
        "Datumet {date} stämmer inte med input.date_format {pattern} (och inte heller med "
        "ÅÅÅÅ-MM-DD); kontrollera cellen eller inställningen.",
    ),
    "detail.date_years": (
        "Date {date} is outside the years {first}-{last}.",
        "Datumet {date} ligger utanför åren {first}–{last}.",
    ),
    "detail.date_impossible": (
        "Date {date} does not exist (check the day, month and time).",
        "Datumet {date} finns inte (kontrollera dag, månad och tid).",
    ),
    # ---- the row's cells together (validation/rules.py)
    "detail.case_and_invoice_given": (
        "The row has both a case id and an invoice number ({case} and {invoice}); give only "
        "one of them (the invoice number is only for finding the case).",
        "Raden har både ärende-id och fakturanummer ({case} och {invoice}); ange bara det ena "
        "(fakturanumret används bara för att hitta ärendet).",
    ),
    "detail.case_and_invoice": (
        "The row has both a case id and an invoice number; give only one of them (the invoice "
        "number is only for finding the case).",
        "Raden har både ärende-id och fakturanummer; ange bara det ena (fakturanumret används "
        "bara för att hitta ärendet).",
    ),
    "detail.case_or_invoice_missing": (
        "The row has neither a case id nor an invoice number; one of them is needed to know "
        "which case to credit.",
        "Raden har varken ärende-id eller fakturanummer; ett av dem behövs för att veta vilket "
        "ärende som ska krediteras.",
    ),
    "detail.currency_empty": (
        "Currency is empty; it must be SEK.",
        "Valutan är tom; den måste vara SEK.",
    ),
    "detail.currency_other": (
        "Currency {currency} is not supported; only SEK can be credited.",
        "Valutan {currency} stöds inte; bara SEK kan krediteras.",
    ),
    "detail.reference_used": (
        "Creditor reference {reference} is already used on row {row}; every row needs its own "
        "reference.",
        "Referensen {reference} används redan på rad {row}; varje rad behöver en egen referens.",
    ),
    # ---- ids and texts (validation/cells.py)
    "detail.id_length": (
        "{label} {value} is not a valid id: it must be 24 characters 0-9 and a-f ({length} "
        "characters).",
        "{label} {value} är inget giltigt id: det ska vara 24 tecken 0-9 och a-f ({length} "
        "tecken).",
    ),
    "detail.id_characters": (
        "{label} {value} is not a valid id: it must be 24 characters 0-9 and a-f (not only 0-9 "
        "and a-f).",
        "{label} {value} är inget giltigt id: det ska vara 24 tecken 0-9 och a-f (andra tecken "
        "än 0-9 och a-f).",
    ),
    "detail.text_too_long": (
        "{label} {value} is {length} characters long; at most {limit} are allowed.",
        "{label} {value} har {length} tecken; högst {limit} tecken är tillåtna.",
    ),
    # ---- the file's shape (row_shape.py, sheet_view.py, validation/excel_numbers.py)
    "detail.field_count": (
        "row has {count} fields, the header {named} — {hint} The row reads: {cells}. Not sent.",
        "raden har {count} fält, rubrikraden {named} — {hint} Raden lyder: {cells}. "
        "Skickades inte.",
    ),
    "detail.unterminated": (
        "the file's last line has no line break: the file may have been cut off in this row. "
        "The row reads: {cells}. Send the whole file again (or set "
        "input.require_final_newline: false if this sender's files always end so). Not sent.",
        "filens sista rad saknar radbrytning: filen kan ha klippts av i den här raden. Raden "
        "lyder: {cells}. Skicka hela filen igen (eller ange input.require_final_newline: false "
        "om avsändarens filer alltid slutar så). Skickades inte.",
    ),
    "detail.merged": (
        "{header} is empty: {cell} is part of the merged cells {cells}, whose value only the "
        "first cell holds; unmerge the cells and fill in every row. Not sent.",
        "Cellen i {header} är tom: {cell} ingår i de sammanfogade cellerna {cells}, vars "
        "värde bara den första cellen har; dela upp cellerna och fyll i varje rad. Skickades "
        "inte.",
    ),
    "detail.exponent": (
        "{label}: Excel turned this number into {shown}; format the column as text and export "
        "again.",
        "{label}: Excel har gjort om talet till {shown}; formatera kolumnen som text och "
        "exportera igen.",
    ),
    # ---- the API's refusal (api/client.py): its own words stay its own
    "detail.api_refused": (
        "The API refused it: {reply}",
        "API:et avvisade raden: {reply}",
    ),
    "detail.api_refused_http": (
        "The API refused it (HTTP {status}): {reply}",
        "API:et avvisade raden (HTTP {status}): {reply}",
    ),
}

HINTS: dict[str, str] = {
    "a cell missing, or a line broken in two?": "saknas en cell, eller är raden bruten i två?",
    "an unquoted decimal comma, or a comma inside an unquoted cell?": (
        "ett decimalkomma utan citattecken, eller ett kommatecken i en cell utan citattecken?"
    ),
    "the delimiter inside an unquoted cell?": ("avgränsningstecknet i en cell utan citattecken?"),
    "the file has dates written day-first and others month-first": (
        "filen har datum skrivna med dagen först och andra med månaden först"
    ),
    "no date in the file shows whether the day or the month comes first": (
        "inget datum i filen visar om dagen eller månaden kommer först"
    ),
    "a decimal point": "decimalpunkt",
    "datetime": "datum och tid",
    "date": "datumet",
    "time": "tiden",
    "timedelta": "tidsperioden",
    "a decimal comma": "decimalkomma",
}
"""The fixed phrases a rule puts inside its sentence (the field-count hint, the decimal
separator's name, the kind of cell an amount came in), in Swedish."""

LABELS_SV: dict[str, str] = {
    "Creditor id": "Borgenärs-id",
    "Case id": "Ärende-id",
    "Invoice number": "Fakturanummer",
    "Credit invoice": "Kreditfaktura",
    "Creditor reference": "Referens",
    "Account id": "Konto-id",
}
"""The field labels the rules name a cell by, in Swedish."""
