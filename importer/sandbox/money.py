"""Money in the sandbox: integer öre inside, a JSON number only at the wire.

Balances are debited concurrently and compared against amounts to the öre, so they are kept as
integers; a float never takes part in arithmetic. The conversion to a JSON number happens in
exactly one place (`ore_to_number`), which is what Amili's wire format carries.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

ORE_PER_KRONA = 100
TWO_PLACES = Decimal("0.01")

MAX_AMOUNT = Decimal("999999999999.99")
"""The largest amount the sandbox accepts. Well inside SQLite's 64-bit integers as öre, and far
above any real crediting; Amili's reference names no limit, so this is a sandbox choice."""


def has_at_most_two_decimals(value: Decimal) -> bool:
    """True for 300, 300.5, 300.50 and 300.500; False for 0.30000000000000004.

    Trailing zeros are not decimals of the value, so `1.500` is accepted. Values whose exponent
    is too large to quantize are reported as not fitting (the caller rejects them anyway)."""
    if not value.is_finite():
        return False
    try:
        return value == value.quantize(TWO_PLACES)
    except InvalidOperation:
        return False


def to_ore(value: Decimal | int) -> int:
    """Exact conversion of a validated amount (at most two decimals) to integer öre."""
    ore = Decimal(value) * ORE_PER_KRONA
    if ore != ore.to_integral_value():
        raise ValueError(f"{value} has more than two decimals")
    return int(ore)


def ore_to_number(ore: int) -> float:
    """The JSON number for an amount in öre: 30050 → 300.5, 0 → 0.0.

    Float only at the JSON boundary: true division of an integer by 100 yields the float nearest
    to the exact decimal, so `json.dumps` prints the two-decimal value a person expects."""
    return round(ore / ORE_PER_KRONA, 2)
