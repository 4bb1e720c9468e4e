"""The exclusion grammar: every phrase of the lexicon's EXCLUDE_* tables keeps its noun phrase
out of the job, tail words end the phrase only where a tail may stand, and other clauses are no
exclusion."""

from __future__ import annotations

import pytest

from agent.planners.rules import lexicon as lx
from agent.planners.rules.exclusions import read_exclusion


@pytest.mark.parametrize("text, form, np", [
    *[(f"{neg} {verb} the red cup", "handling", "the red cup") for neg in lx.EXCLUDE_NEGATIONS
      for verb in lx.EXCLUDE_HANDLING_VERBS[:3]],
    *[(f"leave the red cup {tail}", "leave", "the red cup") for tail in lx.EXCLUDE_LEAVE_TAILS],
    *[(f"keep the red cup {tail}", "keep", "the red cup") for tail in lx.EXCLUDE_KEEP_TAILS],
    *[(f"{word} the red cup", "except_", "the red cup") for word in lx.EXCLUDE_EXCEPT_WORDS],
    *[(f"{verb} the red cup", "skip", "the red cup") for verb in lx.EXCLUDE_SKIP_VERBS],
    *[(f"the red cup {verb}", "stays", "the red cup") for verb in lx.EXCLUDE_STAY_VERBS],
])
def test_every_phrase_of_the_tables(text, form, np):
    e = read_exclusion(text)
    assert e is not None and (e.form, e.np) == (form, np), e


def test_tail_words_are_noun_phrase_words_where_no_tail_stands():
    assert read_exclusion("except the cup there").np == "the cup there"
    assert read_exclusion("leave the cup there").np == "the cup"
    assert read_exclusion("skip the fork for now").np == "the fork"


def test_a_clause_of_its_own_only_with_a_handling_verb_or_a_tail():
    assert read_exclusion("do not touch the plate").starts_clause
    assert read_exclusion("leave the plate where it is").starts_clause
    assert not read_exclusion("leave the plate").starts_clause


@pytest.mark.parametrize("text", ["put the cup in the bin", "the cup", "leave", "stays", ""])
def test_other_clauses_are_no_exclusion(text):
    assert read_exclusion(text) is None
