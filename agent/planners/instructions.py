"""A step's instruction (the sentence a language-conditioned policy is given), written from the
step itself when the planner left it out.

A small local model writes the least it can (every token costs it about 40 ms on this CPU), so
its turns carry no instructions; a served model may leave them out too. The sentence is made
from the skill and its arguments the same way every time, so a step started early from a
streamed turn and the same step in the finished turn are equal.
"""

from __future__ import annotations

from agent.planners.rules.world import RELATION_WORDS
from agent.schema import PlannerTurn, PlanStep


def instruction_for(step: PlanStep) -> str:
    a = step.args
    obj = a.get("object")
    if step.skill == "home":
        return "go back to the home position"
    if step.skill == "put_back" and obj:
        return f"put the {obj} back where it was"
    if isinstance(a.get("instruction"), str) and a["instruction"].strip():
        return a["instruction"].strip()
    if obj and a.get("relation") in RELATION_WORDS and a.get("target"):
        return f"put the {obj} {RELATION_WORDS[a['relation']]} the {a['target']}"
    rest = " ".join(str(v) for k, v in a.items() if k != "object" and v is not None and not isinstance(v, (dict, list)))
    words = [step.skill.replace("_", " ")] + ([f"the {obj}"] if obj else []) + ([rest] if rest else [])
    return " ".join(words)


def with_instruction(step: PlanStep) -> PlanStep:
    return step if step.instruction else step.model_copy(update={"instruction": instruction_for(step)})


def with_instructions(turn: PlannerTurn) -> PlannerTurn:
    if all(s.instruction for s in turn.steps):
        return turn
    out = turn.model_copy(update={"steps": [with_instruction(s) for s in turn.steps]})
    out._planner_failed = turn._planner_failed
    return out
