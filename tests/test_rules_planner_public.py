"""Every public scenario, played through the rules planner against a symbolic table: the plan
must make the expected predicates hold, with exactly the expected questions and refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Scenario, load_scenarios
from tests.test_rules_planner_support import play

# The public scenarios live beside the checkout (../shared), wherever it was cloned.
PUBLIC = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "public.jsonl"
SCENARIOS = load_scenarios(PUBLIC) if PUBLIC.exists() else []


@pytest.mark.skipif(not SCENARIOS, reason="no public scenario file")
@pytest.mark.parametrize("sc", SCENARIOS, ids=[sc.id for sc in SCENARIOS])
def test_public_scenario(sc: Scenario) -> None:
    s = play(sc)
    failed = [p for p in sc.expect.holds if not s.holds(p)]
    assert not failed, f"{sc.id}: {failed}; said: {[t.say for t in s.turns]}"
    assert s.questions == sc.expect.asks, [t.say for t in s.turns]
    assert (s.refusals > 0) == sc.expect.refuses, [t.say for t in s.turns]
    if sc.expect.refuses:
        assert not s.done
