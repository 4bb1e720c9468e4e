"""The rules planner's work grows in proportion to what is said, and a turn past the length
bound is declined whole with a message, the plan left as it was."""

from __future__ import annotations

import pytest

from agent.planners.rules import phrases
from agent.planners.rules import parse as parse_module
from agent.planners.rules.planner import MAX_UTTERANCE_CHARS
from tests.test_rules_planner_support import Session, obj, scene


def _table() -> Session:
    return Session(scene(obj("red cup", "cup", "red"), obj("blue cup", "cup", "blue"), obj("bin", "bin", at="right")))


@pytest.mark.parametrize("size", [2_000, 100_000])
def test_a_turn_past_the_bound_is_declined_with_a_message(size):
    text = ("put the red cup in the bin and " * (size // 31 + 1))[:size]
    s = _table()
    turn = s.say(text)
    assert turn.refused and not turn.steps and turn.question is None
    assert "too long" in turn.say and f"{MAX_UTTERANCE_CHARS:,}" in turn.say


def test_a_decline_for_length_keeps_the_pending_plan():
    s = _table()
    s.say("Put the red cup in the bin, then the blue cup in the bin.")
    pending = list(s.pending)
    assert len(pending) == 2
    turn = s.say("x " * MAX_UTTERANCE_CHARS)
    assert turn.refused and turn.steps == pending


def test_a_turn_at_the_bound_is_still_read():
    text = "Put the red cup in the bin."
    text = " " * (MAX_UTTERANCE_CHARS - len(text)) + text
    s = _table()
    turn = s.say(text)
    assert not turn.refused and len(turn.steps) == 1


def _words_read(text: str, monkeypatch) -> int:
    """Characters handed to the noun-phrase reader while planning `text`: the parser's work."""
    seen = [0]
    real = phrases.parse_np

    def counting(t, *a, **k):
        seen[0] += len(t)
        return real(t, *a, **k)

    monkeypatch.setattr(parse_module, "parse_np", counting)
    _table().say(text)
    return seen[0]


@pytest.mark.parametrize("unit", [
    "put the red cup in the bin and ",      # clauses joined by "and"
    "the red cup and ",                     # one long list
    "Put the red cup in the bin. ",         # sentences
    "put the red cup in the bin, then ",    # a sequence
])
def test_work_grows_in_proportion_to_the_length(unit, monkeypatch):
    # Each turn ends unfinished ("put the red"), so every way of re-reading it is tried too.
    n = MAX_UTTERANCE_CHARS // (2 * len(unit))
    half = _words_read(unit * n + "put the red", monkeypatch)
    whole = _words_read(unit * 2 * n + "put the red", monkeypatch)
    assert whole <= 2.3 * half, (half, whole)
