"""The embedded `rules` planner: a grounded parser of imperative English (see planner.py)."""

from agent.planners.rules.planner import RulesPlanner

__all__ = ["RulesPlanner"]
