"""The noun-phrase grammar: every word of the lexicon's tables is read as what its table says,
lists are cut at any joiner of the table, ordinals count from a side, and a word the lexicon
does not know stays unknown."""

from __future__ import annotations

import pytest

from agent.planners.rules import lexicon as lx
from agent.planners.rules.phrases import parse_np


@pytest.mark.parametrize("phrase", sorted(lx.KIND_WORDS))
def test_every_kind_word_names_its_kind(phrase):
    kind, plural = lx.KIND_WORDS[phrase]
    np = parse_np(f"the {phrase}")
    assert np.kinds == {kind} and not np.unknown
    assert np.plural == (plural or phrase in lx.MASS_NOUNS)


def test_a_kind_name_of_two_words_is_one_kind_each_time_it_is_said():
    np = parse_np("the trash can and the trash can")
    assert [p.kinds for p in np.parts] == [{"bin"}, {"bin"}]


@pytest.mark.parametrize("joiner", lx.NP_JOINERS)
def test_a_list_is_cut_at_any_joiner_of_the_table(joiner):
    np = parse_np(f"the red cup {joiner} the blue bowl")
    assert [(p.kinds, p.colors) for p in np.parts] == [({"cup"}, ("red",)), ({"bowl"}, ("blue",))]


@pytest.mark.parametrize("opener", lx.LIST_OPENERS)
def test_both_or_either_before_a_list_is_left_to_the_list(opener):
    np = parse_np(f"{opener} the red block and the yellow block")
    assert [(p.colors, p.plural, p.unknown) for p in np.parts] == [(("red",), False, ()), (("yellow",), False, ())]


def test_both_without_a_list_means_two():
    np = parse_np("both cups")
    assert np.kinds == {"cup"} and np.count == 2 and np.plural


@pytest.mark.parametrize("quantifier", sorted(lx.QUANTIFIERS))
def test_every_quantifier_means_all_of_them(quantifier):
    np = parse_np(f"{quantifier} blocks")
    assert np.kinds == {"block"} and np.plural and not np.unknown


@pytest.mark.parametrize("number", [w for w in lx.NUMBER_WORDS if w != "one"])
def test_a_number_word_counts(number):
    np = parse_np(f"the {number} green cups")
    assert np.count == lx.NUMBER_WORDS[number] and np.colors == ("green",) and not np.unknown


@pytest.mark.parametrize("ordinal", [o for o, n in lx.ORDINALS.items() if n > 0])
def test_an_ordinal_counts_from_the_side_it_is_said_with(ordinal):
    np = parse_np(f"the {ordinal} cup from the left")
    assert (np.ordinal, np.side, np.kinds, np.unknown) == (lx.ORDINALS[ordinal], "left", {"cup"}, ())


def test_an_ordinal_with_no_side_is_not_a_count():
    assert parse_np("the second cup").ordinal is None


@pytest.mark.parametrize("phrase,side", lx.SIDE_PHRASES)
def test_every_side_phrase_says_its_side(phrase, side):
    np = parse_np(f"the cup {phrase}")
    assert (np.side, np.kinds, np.unknown) == (side, {"cup"}, ())


@pytest.mark.parametrize("word", lx.REMAINING_WORDS)
def test_remaining_words_mean_what_the_job_has_not_moved(word):
    np = parse_np(f"the {word} cups")
    assert np.remaining and np.kinds == {"cup"} and np.side is None and not np.unknown


def test_the_one_on_the_left_takes_the_kind_it_is_said_of():
    np = parse_np("the one on the left", frozenset({"cup"}))
    assert np.one and np.side == "left" and np.kinds == {"cup"}


def test_a_word_the_lexicon_does_not_know_stays_unknown():
    np = parse_np("the red banana")
    assert np.unknown == ("banana",) and np.colors == ("red",) and not np.kinds
