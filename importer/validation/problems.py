"""Cell problems: why a cell (or a row's cells together) cannot make a request, as a stable
code and a sentence a finance person can act on. One class for every rule."""

from __future__ import annotations

from importer.api.request import MAX_TEXT_LENGTH

ERROR_CODES: dict[str, str] = {
    "creditor_missing": "no creditor id in the row, no --creditor and no defaults.creditor",
    "creditor_invalid": "creditor id is not 24 hex characters",
    "creditor_conflict": "the row names another creditor than the one given with --creditor",
    "field_count": "CSV row with more or fewer fields than its header (an unquoted delimiter?)",
    "unterminated_row": "the CSV's last line has no line break: the file may have been cut off",
    "merged_cell": "a mapped cell is empty because it lies inside merged cells",
    "formula_uncomputed": "a mapped cell is a formula no spreadsheet program has computed",
    "case_invalid": "case id is not 24 hex characters",
    "case_and_invoice_number": "both a case id and an invoice number (give exactly one)",
    "case_or_invoice_number_missing": "neither a case id nor an invoice number",
    "invoice_number_invalid": "invoice number cell is a fraction, boolean, date or lost digits",
    "invoice_number_too_long": f"invoice number longer than {MAX_TEXT_LENGTH} characters",
    "amount_missing": "amount is empty",
    "amount_not_a_number": "amount is not a number (text, NaN, infinity, date, boolean)",
    "amount_ambiguous": "1,234-like amount in a file that never shows its decimal separator",
    "amount_too_many_decimals": "amount has more than two decimals (öre)",
    "amount_negative": "amount is negative and input.negative_amounts is reject",
    "amount_zero": "amount is zero",
    "amount_too_large": "amount above input.max_amount",
    "currency_missing": "currency empty and no default currency",
    "currency_not_supported": "currency other than SEK",
    "origin_invalid": "origin other than creditor_system",
    "credit_invoice_invalid": "credit invoice cell is a fraction, boolean, date or lost digits",
    "credit_invoice_too_long": f"credit invoice longer than {MAX_TEXT_LENGTH} characters",
    "date_invalid": "client_registration_date unreadable, ambiguous (04/07/2025) or impossible",
    "creditor_reference_invalid": "reference cell is a fraction, boolean, date or lost digits",
    "creditor_reference_too_long": f"reference longer than {MAX_TEXT_LENGTH} characters",
    "creditor_reference_duplicate": "reference already used by an earlier row of the import",
    "excel_number_format": "a key cell Excel turned into exponent form (9.87654E+11)",
    "account_invalid": "account id is not 24 hex characters (only sent with api.send_account)",
}


class CellProblem(ValueError):
    """Why a cell (or a row's cells taken together) cannot make a request: a stable `code`
    (one of `ERROR_CODES`) and a sentence a finance person can act on. The one class every
    rule raises — amounts, dates, ids, texts and the cross-field rules — before it becomes
    a `RowError`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
