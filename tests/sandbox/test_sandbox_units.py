"""Properties of the pieces every answer depends on: exact money and RFC 1123 dates."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from importer.sandbox.crediting import CreditingStatus, settle
from importer.sandbox.eve import http_date, parse_http_date
from importer.sandbox.money import has_at_most_two_decimals, ore_to_number, to_ore

two_decimals = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("999999999999.99"), places=2
)


@given(two_decimals)
def test_amounts_round_trip_exactly_through_ore_and_json(amount):
    ore = to_ore(amount)
    assert Decimal(ore) / 100 == amount
    assert Decimal(json.dumps(ore_to_number(ore))) == amount


@given(two_decimals, st.integers(min_value=1, max_value=9))
def test_a_third_decimal_is_detected(amount, digit):
    assert has_at_most_two_decimals(amount)
    assert not has_at_most_two_decimals(amount + Decimal(digit) / 1000)


@given(st.integers(min_value=0, max_value=253402300799))
def test_http_dates_round_trip(epoch):
    assert parse_http_date(http_date(epoch)) == epoch


@given(
    st.integers(min_value=1, max_value=10**9),
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["open", "closed"]),
)
def test_settlement_never_creates_or_loses_money(amount, remaining, state):
    result = settle(amount_ore=amount, remaining_ore=remaining, state=state)
    assert 0 <= result.settled_ore <= amount
    assert result.remaining_ore == remaining - result.settled_ore
    if result.settled_ore:  # what settled something closes the case exactly when it hits 0
        assert (result.state == "closed") == (result.remaining_ore == 0)
    else:  # a crediting that settled nothing leaves the case as it was
        assert result.state == state
        assert result.status is CreditingStatus.ERROR
    if result.status is CreditingStatus.COMPLETED:
        assert result.settled_ore == amount
