"""What the agent needs from perception: the scene as the planner sees it, and checks of
predicates against the world as it is now."""

from __future__ import annotations

from typing import Protocol

from agent.schema import SceneObject


class Perception(Protocol):
    name: str

    def scene(self) -> list[SceneObject]:
        """The objects on the table now."""

    def holds(self, predicate: str) -> bool:
        """Whether a predicate of the scenario format holds now (raises ValueError if malformed)."""
