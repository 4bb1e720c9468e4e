"""The tower grammar: items joined by any word of the lexicon's tables, copulas dropped, order
phrases obeyed, "on" chains read top first; malformed lists are no tower."""

from __future__ import annotations

import pytest

from agent.planners.rules import lexicon as lx
from agent.planners.rules.parse import _CONNECTORS
from agent.planners.rules.towers import parse_tower


def colours(sentence: str) -> list[str] | None:
    items = parse_tower(sentence, _CONNECTORS)
    return None if items is None else [it.colors[0] if it.colors else "?" for it in items]


@pytest.mark.parametrize("joiner", [j for j in lx.TOWER_SEPARATORS if j != "and"])
def test_items_joined_by_any_separator_of_the_table(joiner):
    assert colours(f"build a tower: red {joiner} green {joiner} blue") == ["red", "green", "blue"]


@pytest.mark.parametrize("order", lx.TOWER_ORDER_TOP_FIRST)
def test_a_list_said_from_the_top_is_stacked_from_its_end(order):
    assert colours(f"make a tower with red, green and blue {order}") == ["blue", "green", "red"]


def test_copulas_and_positions():
    assert colours("build a tower: the red one is on top, the green one goes in the middle, "
                   "the blue one sits at the bottom") == ["blue", "green", "red"]


def test_an_on_chain_names_the_top_first():
    assert colours("make a tower: red on green on blue") == ["blue", "green", "red"]
    # "and" inside a chain's part makes it no chain: the parts are read as a list.
    assert colours("make a tower: red, green and blue") == ["red", "green", "blue"]


@pytest.mark.parametrize("sentence", ["build a tower: , ; ,", "build a tower", "build a tower: red",
                                      "put the red block on the green block"])
def test_what_is_no_tower_list_is_no_tower(sentence):
    assert colours(sentence) is None


def test_stray_symbols_do_not_break_the_list():
    assert colours("build a tower: red (then) green; then \"blue\"") == ["red", "green", "blue"]
