"""Row validation: mapped cells → a `CreditingRequest`, or row errors a finance person can act on.

`importer.api.request.CreditingRequest` is the single source of truth for a request body
(docs/api.md, docs/pipeline.md): its field types and constraints are the API contract.
`Validator` turns the mapping stage's rows (API field → raw cell) into requests, enforcing
every documented rule and wording each failure as a `RowError(field, code, message)` with
a stable code (see `ERROR_CODES`).

Why the Validator does not simply call `CreditingRequest.model_validate` per row: a nightly
file has hundreds of thousands of rows and pydantic's per-row validation alone costs more than
the whole import may spend per row. So the Validator works *column by column* with C-level
fast paths (one regex pass over all amounts, each distinct date converted once), checks every
constraint of the model itself (the tests prove it accepts nothing the model would refuse), and
then hands the checked values on column-wise; a row-wise caller gets models built by
`model_construct` (the values are already what the model holds). Messages are built only for
failing rows.

Decisions worth knowing:

- **Ids** (`creditor`, `case`) are trimmed and lower-cased before the 24-hex check: Mongo
  ObjectIds are case-insensitive hex, so `5F1A…` and `5f1a…` are the same id and lower-casing
  is safe; the API wants lower case.
- **Text fields** (`invoice_number`, `credit_invoice`, `creditor_reference`) are trimmed; an
  empty text is "absent". At most 100 characters. A spreadsheet number in a text column is the
  text Excel shows: `1001.0` → `"1001"`; a fractional or over-long (>= 2**53, digits already
  lost) number, a boolean or a date there is `{field}_invalid`.
- **Defaults** (`defaults.creditor`, `.currency`, `.origin`) fill absent or empty cells here,
  and only here (the mapping keeps cells as read).
- **creditor_reference** must be unique within one `validate()` call (= one import); the later
  row(s) get `creditor_reference_duplicate` naming the first row, whether or not that first
  row is valid (it may be fixed and posted later, and two rows sharing a reference would make
  reconciliation ambiguous). References compare exactly (case-sensitive, after trimming), as
  the API's lookup does.
- **One call per file**: the decimal separator is detected per `validate()` call and
  references are unique per call; call it once with all rows of a file.

The package: `rules` (the Validator: the entry point and the cross-field rules), `cells`
(per-cell rules), `amounts` and `dates` (each rule with its reason), `problems` (the one
cell-problem class and the error codes), `checked` (verdicts column-wise, request
models of checked values).
"""

from importer.validation.cells import creditor_option
from importer.validation.checked import CheckedColumns, RowValidation
from importer.validation.problems import ERROR_CODES
from importer.validation.rules import Validator

__all__ = ["ERROR_CODES", "CheckedColumns", "RowValidation", "Validator", "creditor_option"]
