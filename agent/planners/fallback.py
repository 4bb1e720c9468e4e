"""What a model-backed planner does when the model cannot give a valid turn.

- "rules": ask the embedded rules planner (imported only when needed, so a model backend
  works even where the rules planner is not installed or is broken),
- "ask": ask the person to say it another way,
- "none": raise PlannerError and let the caller decide.
Whatever the fallback returns is checked like a model's answer: only valid steps, and only
up to the first invalid one, reach the robot.
"""

from __future__ import annotations

import inspect
import logging
from typing import Literal

from agent.planners.base import Planner
from agent.planners.turn_check import check_turn
from agent.schema import PlannerInput, PlannerTurn, SceneObject
from agent.validate import step_problems
from skills.registry import SkillRegistry

log = logging.getLogger(__name__)

FallbackMode = Literal["rules", "ask", "none"]
ASK_TEXT = "I couldn't plan that; could you say it another way?"


def ask_turn() -> PlannerTurn:
    return PlannerTurn(question=ASK_TEXT)


def load_rules_planner(registry: SkillRegistry) -> Planner | None:
    """The rules planner, or None when it cannot be imported or built."""
    try:
        from agent.planners.rules import RulesPlanner  # noqa: PLC0415 - optional, imported on demand
    except Exception as e:  # ImportError, or a bug in a module being written concurrently
        log.warning("rules fallback unavailable: %s: %s", type(e).__name__, e)
        return None
    try:
        params = inspect.signature(RulesPlanner).parameters
        if "registry" in params:
            return RulesPlanner(registry=registry)
        return RulesPlanner()
    except Exception as e:
        log.warning("rules fallback could not be built: %s: %s", type(e).__name__, e)
        return None


def only_valid(turn: PlannerTurn, registry: SkillRegistry, scene: list[SceneObject]) -> PlannerTurn:
    """`turn` cut at its first invalid step."""
    keep = []
    for step in turn.steps:
        if step_problems(step, registry, scene):
            break
        keep.append(step)
    cut = turn.model_copy(update={"steps": keep})
    if check_turn(cut, registry, scene):  # e.g. a question together with steps
        return cut.model_copy(update={"steps": []})
    return cut


def fallback_turn(
    mode: FallbackMode,
    inp: PlannerInput,
    planner: Planner | None,
    registry: SkillRegistry,
) -> tuple[PlannerTurn, str]:
    """The turn to use instead of the model's, and which fallback produced it ("rules" or
    "ask"). Raises nothing for "rules" and "ask"; the caller handles "none"."""
    if mode == "rules":
        if planner is not None:
            try:
                return only_valid(planner.plan(inp), registry, inp.scene), "rules"
            except Exception as e:  # the fallback failing must still leave the person an answer
                log.warning("rules fallback failed: %s: %s", type(e).__name__, e)
    return ask_turn(), "ask"
