"""The planner's symbolic picture of the table: what each object is, what it rests in or on,
and what the steps planned so far will change. Used to ground, to refuse impossible
placements, and to skip steps whose effect already holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.planners.rules.lexicon import FIXED_KINDS
from agent.schema import PlanStep, SceneObject
from sim.kinds import is_container, is_surface

# Surfaces people also talk about as if things went "in" them.
_FLAT_HOLDERS = frozenset({"tray", "plate"})

RELATION_WORDS = {
    "in": "in", "on": "on", "left_of": "to the left of", "right_of": "to the right of", "near": "next to",
}


def the(obj: SceneObject) -> str:
    return f"the {obj.name}"


def is_fixed(obj: SceneObject) -> bool:
    """The gripper never lifts it (bins, baskets, trays, or anything perception says is not graspable)."""
    return obj.kind in FIXED_KINDS or not obj.graspable


def holds_inside(obj: SceneObject) -> bool:
    return is_container(obj.kind)


def holds_on_top(obj: SceneObject) -> bool:
    return is_surface(obj.kind)


def concrete_relation(relation: str, target: SceneObject) -> str:
    """The relation the place skill understands: "to the bowl" means in it, "in the tray" means on it."""
    if relation in ("to", "in", "on"):
        if holds_inside(target):
            return "in"
        # "in the tray" means on it; "in the block" stays impossible and is refused.
        if holds_on_top(target) and (relation != "in" or target.kind in _FLAT_HOLDERS):
            return "on"
        return relation if relation in ("in", "on") else "near"
    return relation


def placement_problem(obj: SceneObject, relation: str, target: SceneObject) -> str | None:
    """Why `obj relation target` cannot be done, or None."""
    if obj.name.lower() == target.name.lower():
        word = "into" if relation == "in" else "on" if relation == "on" else "next to"
        return f"I can't put {the(obj)} {word} itself."
    if is_fixed(obj):
        return f"I can't pick up {the(obj)}: it stays where it is."
    if relation == "in" and not holds_inside(target):
        return f"I can't put {the(obj)} inside {the(target)}: {the(target)} is not a container."
    if relation == "on" and not holds_on_top(target):
        return f"I can't put {the(obj)} on {the(target)}: nothing can rest on top of a {target.kind}."
    return None


@dataclass
class PlanWorld:
    """The scene as it will be after the steps planned so far."""

    scene: list[SceneObject]
    start_positions: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    inside: dict[str, str | None] = field(default_factory=dict)
    beside: dict[str, tuple[str, str]] = field(default_factory=dict)  # obj -> (relation, target)
    touched: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for o in self.scene:
            self.inside.setdefault(o.name.lower(), o.inside.lower() if o.inside else None)

    def get(self, name: str) -> SceneObject | None:
        for o in self.scene:
            if o.name.lower() == name.lower():
                return o
        return None

    def already_holds(self, obj: SceneObject, relation: str, target: SceneObject) -> bool:
        key, tgt = obj.name.lower(), target.name.lower()
        if relation in ("in", "on"):
            return self.inside.get(key) == tgt
        if self.beside.get(key) == (relation, tgt):
            return True
        if key in self.touched or tgt in self.touched:
            return False
        # Judge side relations from the positions seen, with a margin so borderline cases get done.
        dx, dy = obj.pos[0] - target.pos[0], obj.pos[1] - target.pos[1]
        dist = (dx * dx + dy * dy) ** 0.5
        if relation == "left_of":
            return dy > 0.05 and abs(dx) < 0.08 and dist < 0.2
        if relation == "right_of":
            return dy < -0.05 and abs(dx) < 0.08 and dist < 0.2
        if relation == "near":
            return dist < 0.08
        return False

    def at_start(self, obj: SceneObject) -> bool:
        start = self.start_positions.get(obj.name) or self.start_positions.get(obj.name.lower())
        if obj.name.lower() in self.touched:
            return False
        if start is None:
            return not obj.moved
        d = sum((a - b) ** 2 for a, b in zip(obj.pos[:2], start[:2])) ** 0.5
        return d < 0.03

    def apply(self, step: PlanStep) -> None:
        obj = str(step.args.get("object", "")).lower()
        if not obj:
            return
        self.touched.add(obj)
        if step.skill == "place":
            rel, tgt = step.args.get("relation"), str(step.args.get("target", "")).lower()
            if rel in ("in", "on"):
                self.inside[obj] = tgt
                self.beside.pop(obj, None)
            else:
                self.inside[obj] = None
                self.beside[obj] = (rel, tgt)
        elif step.skill == "put_back":
            self.inside[obj] = None
            self.beside.pop(obj, None)

    def resting_in_fixed(self, obj: SceneObject) -> bool:
        """Already put away: it rests in or on a bin, basket or tray."""
        where = self.inside.get(obj.name.lower())
        holder = self.get(where) if where else None
        return holder is not None and is_fixed(holder)

    def objects_on(self, obj: SceneObject) -> list[SceneObject]:
        return [o for o in self.scene if self.inside.get(o.name.lower()) == obj.name.lower()]
