"""The skill catalogue as the rules planner reads it: which verbs call which plugin skill, what
their arguments are, and whether a step is valid before it is handed on.

The catalogue comes in the planner input (names, descriptions, JSON schemas); when it is
missing, the built-in skills' own argument models stand in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.schema import PlanStep, SceneObject, SkillInfo
from skills.builtin.args import HomeArgs, PlaceArgs, PutBackArgs

BUILTIN_NAMES = ("place", "put_back", "home")

_BUILTIN_DESCRIPTIONS = {
    "place": ("Pick up an object and place it in, on, left of, right of or near another object.", PlaceArgs),
    "put_back": ("Return an object to where it stood when the session began.", PutBackArgs),
    "home": ("Move the arm to its home pose.", HomeArgs),
}

# Words a person may use for an enum value of a plugin's argument.
VALUE_SYNONYMS: dict[str, list[str]] = {
    "forward": ["forwards", "ahead", "away", "away from me", "further", "farther", "to the back"],
    "back": ["backward", "backwards", "towards me", "toward me", "closer", "back", "to the front"],
    "backward": ["backwards", "back", "towards me", "toward me", "closer"],
    "left": ["to the left", "leftward", "leftwards", "left"],
    "right": ["to the right", "rightward", "rightwards", "right"],
    "up": ["upward", "upwards", "higher"],
    "down": ["downward", "downwards", "lower"],
    "clockwise": ["clockwise"],
    "counterclockwise": ["counterclockwise", "anticlockwise", "counter clockwise", "anti clockwise"],
}

_DESCRIPTION_STOPWORDS = frozenset({
    "a", "an", "the", "it", "its", "of", "to", "in", "on", "and", "or", "with", "by", "for", "from", "at",
    "object", "objects", "arm", "robot", "gripper", "table", "one", "direction", "given", "that", "this",
    "hand", "small", "short", "distance", "along", "is", "are", "be", "into", "onto", "then", "side", "way",
    "place", "put", "move", "pick", "up", "down", "home", "pose", "back", "where", "stood", "when", "session",
    "began", "another", "other", "near", "left", "right", "something",
})


@dataclass
class Catalogue:
    skills: dict[str, SkillInfo]

    @classmethod
    def from_input(cls, infos: list[SkillInfo]) -> "Catalogue":
        if not infos:
            infos = [SkillInfo(name=n, description=d, args=m.model_json_schema())
                     for n, (d, m) in _BUILTIN_DESCRIPTIONS.items()]
        return cls({s.name: s for s in infos})

    def has(self, name: str) -> bool:
        return name in self.skills

    def plugin_verbs(self) -> dict[str, str]:
        """Spoken verb -> plugin skill: its name ("push", "wave hello") and its description's verbs."""
        verbs: dict[str, str] = {}
        for name, info in self.skills.items():
            if name in BUILTIN_NAMES:
                continue
            spoken = name.replace("_", " ").replace("-", " ").lower()
            verbs.setdefault(spoken, name)
            for w in re.findall(r"[a-z]+", (info.description or "").lower())[:3]:
                if w not in _DESCRIPTION_STOPWORDS and len(w) > 2:
                    verbs.setdefault(w, name)
                    break
        # Inflections ("pushes", "waved") map to the same skill.
        for verb, name in list(verbs.items()):
            if " " not in verb:
                for form in (verb + "s", verb + "es", verb + "ing", verb + "ed"):
                    verbs.setdefault(form, name)
        return verbs

    def properties(self, name: str) -> tuple[dict[str, dict[str, Any]], list[str]]:
        schema = self.skills[name].args or {}
        props = {k: _resolve(v, schema) for k, v in (schema.get("properties") or {}).items()}
        return props, list(schema.get("required") or [])

    def step_problem(self, step: PlanStep, scene: list[SceneObject]) -> str | None:
        """A reason the step would be rejected, checked the way agent.validate checks it."""
        if step.skill not in self.skills:
            return f"I don't have a skill called {step.skill}."
        props, required = self.properties(step.skill)
        for r in required:
            if r not in step.args:
                return f"{step.skill} needs {r}."
        names = {o.name.lower() for o in scene}
        for key, value in step.args.items():
            spec = props.get(key)
            if spec is None and props:
                return f"{step.skill} has no argument {key}."
            enum = (spec or {}).get("enum")
            if enum and value not in enum:
                return f"{step.skill}: {key} must be one of {', '.join(map(str, enum))}."
            if key in ("object", "target", "objects"):
                for v in value if isinstance(value, list) else [value]:
                    if isinstance(v, str) and v.lower() not in names:
                        return f"I can't see {v} on the table."
        return None


def _resolve(spec: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with $ref and single-branch anyOf/allOf flattened."""
    if "$ref" in spec:
        ref = spec["$ref"].split("/")[-1]
        target = (root.get("$defs") or root.get("definitions") or {}).get(ref, {})
        merged = {**target, **{k: v for k, v in spec.items() if k != "$ref"}}
        return _resolve(merged, root)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in spec:
            branches = [_resolve(b, root) for b in spec[key] if b.get("type") != "null"]
            if branches:
                merged = {**branches[0], **{k: v for k, v in spec.items() if k != key}}
                return merged
    if "const" in spec and "enum" not in spec:
        return {**spec, "enum": [spec["const"]]}
    return spec
