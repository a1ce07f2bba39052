"""Row validation (importer.validation): every rule with its stable code, the contract model,
the JSON body, and the fast column-wise path agreeing with the strict model."""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from importer.api.request import FIELDS, CreditingRequest, amount_to_json
from importer.config import Config, DefaultsConfig, InputConfig
from importer.errors import ConfigError
from importer.outcomes import RowError
from importer.validation import ERROR_CODES, RowValidation, Validator
from importer.validation.fast_amounts import plain_amounts

CREDITOR = "5f1a2b3c4d5e6f7a8b9c0d1e"
CASE = "64b0c0ffee00000000000001"
ABSENT = object()  # a key the mapping did not produce at all


def row(**cells: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "creditor": CREDITOR,
        "invoice_number": "1001",
        "amount": "100.00",
        "currency": "SEK",
        "origin": "creditor_system",
    }
    base.update(cells)
    return {k: v for k, v in base.items() if v is not ABSENT}


def config(**input_options: Any) -> Config:
    return Config(input=InputConfig(**input_options))


def check(*rows: dict[str, Any], cfg: Config | None = None, **kw: Any) -> list[RowValidation]:
    return Validator(cfg or Config(), **kw).validate(list(rows))


def codes(result: RowValidation) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in result.errors]


def request(**cells: Any) -> CreditingRequest:
    (result,) = check(row(**cells))
    assert list(result.errors) == []
    assert result.request is not None
    return result.request


# ------------------------------------------------------------------ every code


CODE_CASES: list[tuple[dict[str, Any], dict[str, Any], tuple[str, str]]] = [
    # (row overrides, Config(...) input options or {"defaults": ...}, (field, code))
    ({"creditor": None}, {}, ("creditor", "creditor_missing")),
    ({"creditor": ABSENT}, {}, ("creditor", "creditor_missing")),
    ({"creditor": "  "}, {}, ("creditor", "creditor_missing")),
    ({"creditor": "5f1a2b3c4d5e6f7a8b9c0d1"}, {}, ("creditor", "creditor_invalid")),
    ({"creditor": "5f1a2b3c4d5e6f7a8b9c0d1g"}, {}, ("creditor", "creditor_invalid")),
    ({"creditor": 12345.0}, {}, ("creditor", "creditor_invalid")),
    ({"case": "not-an-id", "invoice_number": None}, {}, ("case", "case_invalid")),
    ({"account": "ACC-1"}, {}, ("account", "account_invalid")),
    ({"case": CASE}, {}, ("case", "case_and_invoice_number")),
    ({"invoice_number": None}, {}, ("case", "case_or_invoice_number_missing")),
    ({"invoice_number": "   "}, {}, ("case", "case_or_invoice_number_missing")),
    ({"invoice_number": 1001.5}, {}, ("invoice_number", "invoice_number_invalid")),
    ({"invoice_number": "x" * 101}, {}, ("invoice_number", "invoice_number_too_long")),
    ({"amount": None}, {}, ("amount", "amount_missing")),
    ({"amount": "  "}, {}, ("amount", "amount_missing")),
    ({"amount": "abc"}, {}, ("amount", "amount_not_a_number")),
    ({"amount": math.nan}, {}, ("amount", "amount_not_a_number")),
    ({"amount": "1,234"}, {}, ("amount", "amount_ambiguous")),
    ({"amount": "12,345"}, {"decimal_separator": ","}, ("amount", "amount_too_many_decimals")),
    ({"amount": "-100.00"}, {}, ("amount", "amount_negative")),
    ({"amount": "0,00"}, {}, ("amount", "amount_zero")),
    ({"amount": "100000000.01"}, {}, ("amount", "amount_too_large")),
    ({"amount": "501"}, {"max_amount": "500"}, ("amount", "amount_too_large")),
    ({"currency": None}, {"defaults": {"currency": ""}}, ("currency", "currency_missing")),
    ({"currency": "EUR"}, {}, ("currency", "currency_not_supported")),
    ({"currency": "SEKK"}, {}, ("currency", "currency_not_supported")),
    ({"currency": 752}, {}, ("currency", "currency_not_supported")),
    ({"origin": "manual"}, {}, ("origin", "origin_invalid")),
    ({"credit_invoice": True}, {}, ("credit_invoice", "credit_invoice_invalid")),
    ({"credit_invoice": "c" * 101}, {}, ("credit_invoice", "credit_invoice_too_long")),
    ({"client_registration_date": "04/07/2025"}, {}, ("client_registration_date", "date_invalid")),
    ({"client_registration_date": "2025-02-30"}, {}, ("client_registration_date", "date_invalid")),
    ({"client_registration_date": 45842}, {}, ("client_registration_date", "date_invalid")),
    (
        {"creditor_reference": dt.date(2025, 7, 4)},
        {},
        ("creditor_reference", "creditor_reference_invalid"),
    ),
    (
        {"creditor_reference": "r" * 101},
        {},
        ("creditor_reference", "creditor_reference_too_long"),
    ),
    ({"credit_invoice": "9.87654E+11"}, {}, ("credit_invoice", "excel_number_format")),
    ({"invoice_number": " 1,23457E+15 "}, {}, ("invoice_number", "excel_number_format")),
    ({"case": "1.23457E+23", "invoice_number": None}, {}, ("case", "excel_number_format")),
    ({"creditor_reference": "4E+10"}, {}, ("creditor_reference", "excel_number_format")),
]


def _config_for(options: dict[str, Any]) -> Config:
    options = dict(options)
    defaults = options.pop("defaults", None)
    cfg = config(**options)
    if defaults is not None:
        cfg = Config(input=cfg.input, defaults=DefaultsConfig(**defaults))
    return cfg


@pytest.mark.parametrize(("overrides", "options", "expected"), CODE_CASES)
def test_each_rule_has_its_code(
    overrides: dict[str, Any], options: dict[str, Any], expected: tuple[str, str]
) -> None:
    (result,) = check(row(**overrides), cfg=_config_for(options))
    assert result.request is None
    assert codes(result) == [expected]
    message = result.errors[0].message
    assert message.endswith(".")
    assert len(message) > 20
    shown = overrides.get(expected[0])
    if isinstance(shown, str) and shown.strip() and len(shown) < 40:
        assert shown.strip() in message  # the offending value is named


def test_every_documented_code_is_tested() -> None:
    # field_count: tests/test_row_shape.py; creditor_conflict: tests/test_creditor.py
    tested = {code for _, _, (_, code) in CODE_CASES} | {
        "creditor_reference_duplicate",
        "field_count",
        "creditor_conflict",
        "merged_cell",  # tests/sources/test_workbook_fidelity.py
        "formula_uncomputed",  # tests/sources/test_uncomputed_formulas.py
        "unterminated_row",  # tests/test_unterminated_row.py
    }
    assert tested == set(ERROR_CODES)


def test_a_number_excel_wrote_in_exponent_form_is_never_a_key() -> None:
    """Two credit notes Excel shortened to the same 9.87654E+11 would make the second row a
    duplicate of the first: the digits are gone, so neither row can be sent."""
    rows = [
        row(credit_invoice="9.87654E+11", client_registration_date="2025-11-03"),
        row(credit_invoice="9.87654E+11", client_registration_date="2025-12-03"),
        row(credit_invoice="KF-9.8E+11", invoice_number="1E5"),  # not Excel's form: text
    ]
    first, second, third = Validator(Config()).validate(rows)
    for result in (first, second):
        assert result.request is None
        (error,) = result.errors
        assert (error.field, error.code) == ("credit_invoice", "excel_number_format")
        assert error.message == (
            "Credit invoice: Excel turned this number into 9.87654E+11; format the column "
            "as text and export again."
        )
    assert third.is_valid


def test_the_same_cell_in_a_valid_row_passes() -> None:
    # Guards the table above: the base row itself is valid, so each case fails by its cell.
    assert request().amount == Decimal("100.00")


# ------------------------------------------------------------------ ids


def test_account_is_sent_only_when_the_mapping_passes_it() -> None:
    # The mapping drops `account` unless api.send_account is true; when it reaches the model it
    # is an id like any other, lower-cased, and part of the JSON body.
    made = request(account="70A1B2C3D4E5F60718293A4B")
    assert made.to_json_body()["account"] == "70a1b2c3d4e5f60718293a4b"
    assert "account" not in request().to_json_body()


def test_ids_are_trimmed_and_lower_cased() -> None:
    made = request(creditor=f"  {CREDITOR.upper()} ", case=f"\t{CASE.upper()}", invoice_number=None)
    assert made.creditor == CREDITOR
    assert made.case == CASE


def test_the_default_creditor_fills_a_missing_one() -> None:
    cfg = Config(defaults=DefaultsConfig(creditor=CREDITOR.upper()))
    (result,) = check(row(creditor=None), cfg=cfg)
    assert result.request is not None
    assert result.request.creditor == CREDITOR
    (result,) = check(row(creditor=ABSENT), cfg=cfg)
    assert result.request is not None
    assert result.request.creditor == CREDITOR


def test_a_creditor_default_that_is_not_an_id_is_a_row_error() -> None:
    (result,) = check(row(creditor=None), cfg=Config(defaults=DefaultsConfig(creditor="acme")))
    assert codes(result) == [("creditor", "creditor_invalid")]


def test_an_invalid_case_still_counts_as_given() -> None:
    (result,) = check(row(case="bad", invoice_number="1001"))
    assert codes(result) == [("case", "case_invalid"), ("case", "case_and_invoice_number")]


def test_case_alone_is_enough() -> None:
    made = request(case=CASE, invoice_number=None)
    assert made.invoice_number is None
    assert "invoice_number" not in made.to_json_body()


# ------------------------------------------------------------------ text fields


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("  INV-1 ", "INV-1"),
        (1001.0, "1001"),
        (1001, "1001"),
        (-5.0, "-5"),
        ("x" * 100, "x" * 100),
        ("ÅÄÖ-1", "ÅÄÖ-1"),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_text_fields_are_trimmed_and_number_cells_become_their_text(
    cell: object, expected: str | None
) -> None:
    made = request(credit_invoice=cell, creditor_reference=cell)
    assert made.credit_invoice == expected
    assert made.creditor_reference == expected


@pytest.mark.parametrize("cell", [1001.5, math.inf, float(2**53), True, dt.date(2025, 7, 4)])
def test_number_cells_that_cannot_be_the_text_are_refused(cell: object) -> None:
    (result,) = check(row(credit_invoice=cell))
    assert codes(result) == [("credit_invoice", "credit_invoice_invalid")]


def test_mixed_text_columns_keep_their_rows_apart() -> None:
    results = check(
        row(credit_invoice="A", creditor_reference=" r1 "),
        row(credit_invoice=None, creditor_reference=7.0),
        row(credit_invoice="", creditor_reference="r" * 101),
        row(credit_invoice=" B ", creditor_reference=None),
    )
    assert [r.request.credit_invoice if r.request else "-" for r in results] == [
        "A",
        None,
        "-",
        "B",
    ]
    assert results[0].request is not None
    assert results[0].request.creditor_reference == "r1"
    assert results[1].request is not None
    assert results[1].request.creditor_reference == "7"
    assert codes(results[2]) == [("creditor_reference", "creditor_reference_too_long")]


# ------------------------------------------------------------------ currency, origin


@pytest.mark.parametrize("cell", ["SEK", "sek", " Sek ", None, "", ABSENT])
def test_currency_is_sek_case_insensitively_or_by_default(cell: object) -> None:
    assert request(currency=cell).currency == "SEK"


@pytest.mark.parametrize("cell", ["creditor_system", " Creditor_System ", None, ABSENT])
def test_origin_is_creditor_system(cell: object) -> None:
    assert request(origin=cell).origin == "creditor_system"


# ------------------------------------------------------------------ amounts in rows


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["1234.5", "1 234,50"], None),  # mixed conventions: never silently misread
        (["1 234,50", "12,5", "7"], ["1234.50", "12.50", "7.00"]),
        (["1.234,56", "1,5"], ["1234.56", "1.50"]),
        (["1,234.56", "1,234"], ["1234.56", "1234.00"]),
        ([1234.5, "1,5", 0.30000000000000004], ["1234.50", "1.50", "0.30"]),
    ],
)
def test_the_decimal_separator_is_detected_per_file(
    cells: list[object], expected: list[str] | None
) -> None:
    results = check(*(row(amount=c, invoice_number=f"i{i}") for i, c in enumerate(cells)))
    if expected is None:
        assert any(r.request is None for r in results)
    else:
        assert [r.request.amount if r.request else r.errors for r in results] == [
            Decimal(e) for e in expected
        ]


def test_detection_is_per_call_not_per_validator() -> None:
    validator = Validator(Config())
    (comma,) = validator.validate([row(amount="1,50")])
    (dot,) = validator.validate([row(amount="1.50")])
    assert comma.request is not None
    assert comma.request.amount == Decimal("1.50")
    assert dot.request is not None
    assert dot.request.amount == Decimal("1.50")


def test_a_pinned_separator_wins_over_detection() -> None:
    (by_config,) = check(row(amount="1.500"), cfg=config(decimal_separator=","))
    assert by_config.request is not None
    assert by_config.request.amount == Decimal("1500.00")
    (by_argument,) = check(row(amount="1.500"), decimal_separator=",")
    assert by_argument.request is not None
    assert by_argument.request.amount == Decimal("1500.00")
    (dot_in_comma_file,) = check(row(amount="1234.50"), decimal_separator=",")
    assert codes(dot_in_comma_file) == [("amount", "amount_not_a_number")]


def test_detect_decimal_separator_api() -> None:
    assert Validator(Config()).detect_decimal_separator(["1 234,50", "3"]) == ","
    assert Validator(Config()).detect_decimal_separator(["1234.50"]) == "."
    assert Validator(config(decimal_separator=",")).detect_decimal_separator(["1.5"]) == ","


def test_negative_amounts_absolute_by_configuration() -> None:
    (result,) = check(row(amount="-1 234,50"), cfg=config(negative_amounts="absolute"))
    assert result.request is not None
    assert result.request.amount == Decimal("1234.50")


# ------------------------------------------------------------------ dates in rows


def test_dates_in_rows() -> None:
    results = check(
        row(client_registration_date="2025-07-04", invoice_number="a"),
        row(client_registration_date=dt.date(2025, 7, 4), invoice_number="b"),
        row(client_registration_date="2025-07-04 14:35", invoice_number="c"),
        row(client_registration_date=dt.datetime(2025, 1, 15, 14, 35), invoice_number="d"),
        row(client_registration_date=None, invoice_number="e"),
    )
    assert [r.request.client_registration_date for r in results if r.request] == [
        "Fri, 04 Jul 2025 00:00:00 GMT",
        "Fri, 04 Jul 2025 00:00:00 GMT",
        "Fri, 04 Jul 2025 12:35:00 GMT",
        "Wed, 15 Jan 2025 13:35:00 GMT",
        None,
    ]


def test_the_timezone_comes_from_the_configuration() -> None:
    (result,) = check(
        row(client_registration_date="2025-07-04 14:35"), cfg=config(timezone="America/New_York")
    )
    assert result.request is not None
    assert result.request.client_registration_date == "Fri, 04 Jul 2025 18:35:00 GMT"


# ------------------------------------------------------------------ creditor_reference


def test_a_repeated_reference_fails_the_later_rows_naming_the_first() -> None:
    results = Validator(Config()).validate(
        [
            row(creditor_reference="A", invoice_number="1"),
            row(creditor_reference="B", invoice_number="2"),
            row(creditor_reference=" A ", invoice_number="3"),
            row(creditor_reference="A", invoice_number="4"),
            row(creditor_reference="a", invoice_number="5"),  # references are case-sensitive
            row(creditor_reference=None, invoice_number="6"),
            row(creditor_reference=None, invoice_number="7"),  # absent twice is fine
        ],
        row_numbers=[5, 6, 8, 9, 10, 11, 12],
    )
    assert [r.request is not None for r in results] == [True, True, False, False, True, True, True]
    for later in (results[2], results[3]):
        assert codes(later) == [("creditor_reference", "creditor_reference_duplicate")]
        assert "row 5" in later.errors[0].message
        assert "A" in later.errors[0].message


def test_duplicate_row_numbers_default_to_a_header_on_row_one() -> None:
    results = check(row(creditor_reference="X"), row(creditor_reference="X", invoice_number="2"))
    assert "row 2" in results[1].errors[0].message


def test_a_duplicate_of_an_invalid_row_is_still_a_duplicate() -> None:
    results = check(
        row(creditor_reference="X", amount="abc"),
        row(creditor_reference="X", invoice_number="2"),
    )
    assert codes(results[1]) == [("creditor_reference", "creditor_reference_duplicate")]


def test_row_numbers_must_match_the_rows() -> None:
    with pytest.raises(ValueError, match="2 row numbers for 1 rows"):
        Validator(Config()).validate([row()], row_numbers=[2, 3])


# ------------------------------------------------------------------ results and errors


def test_results_keep_length_and_order_and_list_errors_in_field_order() -> None:
    results = check(
        row(invoice_number="first"),
        row(
            creditor="bad",
            case=CASE,
            amount="0",
            currency="EUR",
            origin="x",
            client_registration_date="04/07/2025",
        ),
        row(invoice_number="third"),
    )
    assert len(results) == 3
    assert results[0].request is not None
    assert results[0].request.invoice_number == "first"
    assert results[2].request is not None
    assert results[2].request.invoice_number == "third"
    assert list(results[0].errors) == []
    assert results[0].is_valid
    assert not results[1].is_valid
    assert codes(results[1]) == [
        ("creditor", "creditor_invalid"),
        ("case", "case_and_invoice_number"),
        ("currency", "currency_not_supported"),
        ("amount", "amount_zero"),
        ("origin", "origin_invalid"),
        ("client_registration_date", "date_invalid"),
    ]
    assert all(isinstance(e, RowError) for e in results[1].errors)


def test_no_rows() -> None:
    assert Validator(Config()).validate([]) == []


def test_one_valid_rows_errors_cannot_leak_into_another() -> None:
    # Valid rows share one empty, immutable error sequence (11 MB saved on 200,000 rows):
    # nothing can be added to one row's errors that would then show on another.
    first, second = check(row(), row(invoice_number="2"))
    assert first.errors == second.errors == ()
    with pytest.raises(AttributeError):
        first.errors.append("x")  # type: ignore[attr-defined]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_state_is_restored(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        check(row())
        assert gc.isenabled() is enabled
        with pytest.raises(TypeError):  # fails inside the paused section
            Validator(Config()).validate([row(), "not a row"])  # type: ignore[list-item]
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


# ------------------------------------------------------------------ configuration errors


@pytest.mark.parametrize(
    "cfg",
    [
        lambda: config(max_amount="lots"),
        lambda: config(max_amount="0"),
        lambda: config(max_amount="-5"),
        lambda: config(max_amount="NaN"),
        lambda: config(max_amount="99999999999999.00"),  # beyond what JSON carries exactly
        lambda: config(timezone="Mars/Olympus_Mons"),
        lambda: config(timezone="../etc/passwd"),
    ],
)
def test_bad_settings_are_config_errors(cfg: Any) -> None:
    with pytest.raises(ConfigError):
        Validator(cfg())


def test_a_bad_separator_argument_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Validator(Config(), decimal_separator=";")


# ------------------------------------------------------------------ the contract model


def valid_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "creditor": CREDITOR,
        "invoice_number": "1001",
        "currency": "SEK",
        "amount": Decimal("100.00"),
        "origin": "creditor_system",
    }
    body.update(changes)
    return body


def test_the_model_accepts_a_valid_body() -> None:
    assert CreditingRequest.model_validate(valid_body()).amount == Decimal("100.00")


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": Decimal("12.345")},
        {"amount": Decimal("0")},
        {"amount": Decimal("-1.00")},
        {"amount": Decimal("NaN")},
        {"amount": Decimal("12345678901234.00")},  # 16 digits: not exact as a JSON float
        {"creditor": CREDITOR.upper()},
        {"creditor": CREDITOR[:-1]},
        {"case": CASE},  # together with invoice_number
        {"invoice_number": None},  # neither
        {"currency": "EUR"},
        {"origin": "manual"},
        {"invoice_number": ""},
        {"invoice_number": "x" * 101},
        {"client_registration_date": "2025-07-04"},
        {"account": "70A1B2C3"},  # account, when sent at all (api.send_account), is an id
        {"file_import_report": "x"},
    ],
)
def test_the_model_refuses_what_the_api_would(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        CreditingRequest.model_validate(valid_body(**changes))


def test_the_model_is_frozen() -> None:
    made = request()
    with pytest.raises(ValidationError):
        made.amount = Decimal("1.00")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("0.30", "0.3"),
        ("0.01", "0.01"),
        ("1234.56", "1234.56"),
        ("100.00", "100.0"),
        ("99999999.99", "99999999.99"),
        ("9999999999999.99", "9999999999999.99"),
        ("1234567890123.45", "1234567890123.45"),
    ],
)
def test_the_json_body_carries_the_exact_amount_as_a_number(amount: str, text: str) -> None:
    body = CreditingRequest.model_validate(valid_body(amount=Decimal(amount))).to_json_body()
    rendered = json.dumps(body)
    assert f'"amount": {text},' in rendered
    assert Decimal(text) == Decimal(amount)


@given(st.integers(min_value=1, max_value=999_999_999_999_999))
def test_every_allowed_amount_survives_json_exactly(amount_cents: int) -> None:
    amount = Decimal(amount_cents).scaleb(-2)
    rendered = json.dumps({"amount": amount_to_json(amount)})
    number = json.loads(rendered, parse_float=Decimal)["amount"]
    assert number == amount
    assert "e" not in rendered.lower()


def test_amounts_beyond_float_precision_are_refused_not_rounded() -> None:
    with pytest.raises(ValueError, match="cannot be sent as an exact JSON number"):
        amount_to_json(Decimal("12345678901234567.89"))


def test_the_json_body_omits_absent_fields_and_never_sends_read_only_ones() -> None:
    body = request(
        client_registration_date="2025-07-04", creditor_reference=" R-1 ", file_import_report="x"
    ).to_json_body()
    assert body == {
        "creditor": CREDITOR,
        "invoice_number": "1001",
        "currency": "SEK",
        "amount": 100.0,
        "origin": "creditor_system",
        "client_registration_date": "Fri, 04 Jul 2025 00:00:00 GMT",
        "creditor_reference": "R-1",
    }


# ------------------------------------------------------------------ fast path == the model


ids = st.sampled_from([CREDITOR, CREDITOR.upper(), f" {CASE} ", "bad", "", None, 12.0])
amount_cells = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**9).map(lambda c: f"{Decimal(c).scaleb(-2):.2f}"),
    st.sampled_from(
        ["1 234,50", "1,5", "12,345", "0", "-5", "abc", "", None, 0.1 + 0.2, 12.345, 7, "1,234"]
    ),
)
text_cells = st.one_of(
    st.text(max_size=3),
    st.sampled_from(["", " ", None, 1001.0, 1.5, True, "x" * 101, "INV-1", " INV-1 "]),
)
date_cells = st.sampled_from(
    [None, "", "2025-07-04", "2025-07-04 14:35", "04/07/2025", dt.date(2025, 7, 4), 45842]
)
rows_strategy = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "creditor": ids,
            "case": ids,
            "invoice_number": text_cells,
            "amount": amount_cells,
            "currency": st.sampled_from(["SEK", "sek", "EUR", None]),
            "origin": st.sampled_from(["creditor_system", "x", None]),
            "credit_invoice": text_cells,
            "client_registration_date": date_cells,
            "creditor_reference": st.one_of(text_cells, st.sampled_from(["R1", "R2"])),
        },
    ),
    max_size=12,
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None)
@given(rows_strategy)
def test_whatever_the_validator_accepts_the_model_accepts_identically(
    rows: list[dict[str, Any]],
) -> None:
    results = Validator(Config()).validate(rows)
    assert len(results) == len(rows)
    for result in results:
        assert (result.request is None) == bool(result.errors)
        if result.request is not None:
            checked = CreditingRequest.model_validate(result.request.model_dump())
            assert checked == result.request
            assert checked.model_dump_json() == result.request.model_dump_json()
            assert repr(checked) == repr(result.request)
            json.dumps(result.request.to_json_body())  # serialisable, amount exact
            assert result.request.amount.as_tuple().exponent == -2


@pytest.mark.slow
@settings(max_examples=100, deadline=None)
@given(rows_strategy)
def test_the_fast_construction_equals_full_model_validation(rows: list[dict[str, Any]]) -> None:
    for result in Validator(Config()).validate(rows):
        if result.request is None:
            continue
        slow = CreditingRequest.model_validate(dict(result.request.__dict__))
        assert result.request == slow
        assert result.request.model_fields_set == slow.model_fields_set
        assert result.request.to_json_body() == slow.to_json_body()


@settings(max_examples=100, deadline=None)
@given(rows_strategy)
def test_a_batch_gives_each_row_the_verdict_it_gets_alone(rows: list[dict[str, Any]]) -> None:
    # Only references (unique per batch) and the detected separator depend on the batch.
    for r in rows:
        r.pop("creditor_reference", None)
    validator = Validator(Config(), decimal_separator=".")
    batch = validator.validate(rows)
    alone = [validator.validate([r])[0] for r in rows]
    assert batch == alone


def test_a_large_uniform_file_stays_exact() -> None:
    rows = [
        {
            "creditor": CREDITOR,
            "invoice_number": f"INV-{i}",
            "amount": f"{i % 9999 + 1}.{i % 100:02d}",
            "currency": "SEK",
            "origin": "creditor_system",
            "credit_invoice": f"CN-{i}",
            "client_registration_date": f"2025-07-{i % 28 + 1:02d}",
            "creditor_reference": f"REF-{i}",
        }
        for i in range(5000)
    ]
    assert plain_amounts([r["amount"] for r in rows], ".", Decimal("1e8")) is not None  # fast
    results = Validator(Config()).validate(rows)
    assert all(r.request is not None for r in results)
    made = results[1234].request
    assert made is not None
    assert made.amount == Decimal("1235.34")
    assert made.client_registration_date == "Thu, 03 Jul 2025 00:00:00 GMT"
    assert made.to_json_body()["creditor_reference"] == "REF-1234"
    assert list(made.__dict__) == list(FIELDS)


@settings(max_examples=60, deadline=None)
@given(rows_strategy, st.integers(min_value=1, max_value=7))
def test_requests_made_a_block_at_a_time_are_the_whole_files_requests(
    rows: list[dict[str, Any]], size: int
) -> None:
    # An import journals its rows a block at a time (only a block's request dicts alive at
    # once): block by block, every row gets exactly the request (or None) it gets in one go,
    # constant columns and invalid rows included.
    columns = {name: [r.get(name) for r in rows] for name in FIELDS}
    checked = Validator(Config()).check_columns(columns, len(rows))
    blocks = list(checked.request_blocks(size))
    assert all(0 < len(block) <= size for block in blocks)
    assert [request for block in blocks for request in block] == checked.requests()


def test_a_constant_column_fills_every_block_not_only_the_first() -> None:
    rows = [row(invoice_number=str(i), amount="abc" if i == 3 else "10.00") for i in range(7)]
    columns = {name: [r.get(name) for r in rows] for name in FIELDS}
    checked = Validator(Config()).check_columns(columns, len(rows))
    assert "currency" in checked.constant
    blocks = list(checked.request_blocks(2))
    assert [len(block) for block in blocks] == [2, 2, 2, 1]
    requests = [request for block in blocks for request in block]
    assert requests[3] is None  # the invalid row
    assert [r["currency"] for r in requests if r is not None] == ["SEK"] * 6
    assert [r["invoice_number"] for r in requests if r is not None] == [
        str(i) for i in range(7) if i != 3
    ]
