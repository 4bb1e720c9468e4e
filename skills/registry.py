"""The skill registry: built-in skills plus every installed package's `hirobot.skills` entry points.

A plugin that fails to import is reported (see `SkillRegistry.problems`) and skipped; it never
stops the others from loading.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from importlib.metadata import entry_points

from pydantic import BaseModel

from skills.api import Skill

ENTRY_POINT_GROUP = "hirobot.skills"

# name -> "module:Class" of the skills that ship with hirobot.
BUILTIN_SKILLS: dict[str, str] = {
    "place": "skills.builtin.place:PlaceSkill",
    "put_back": "skills.builtin.put_back:PutBackSkill",
    "home": "skills.builtin.home:HomeSkill",
    "policy": "skills.policies.skill:PolicySkill",
}


class UnknownSkill(KeyError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown skill {self.name!r}; known skills: {', '.join(self.known) or '(none)'}"


@dataclass
class SkillRegistry:
    skills: dict[str, type[Skill]] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)  # name -> "builtin" or the distribution
    problems: list[str] = field(default_factory=list)  # plugins that could not be loaded, and why

    # name -> (the skill class, its catalogue entry): built once per class, not every turn.
    entries: dict[str, tuple[type, dict]] = field(default_factory=dict)

    def add(self, skill: type[Skill], origin: str = "code") -> None:
        """Add a skill that checks out (see `skill_problems`); raise TypeError naming what does not."""
        problems = skill_problems(skill)
        if problems:
            raise TypeError(f"{getattr(skill, '__name__', skill)!r} is not a usable skill: " + "; ".join(problems))
        if skill.name in self.skills and self.origins.get(skill.name) != origin:
            self.problems.append(
                f"skill {skill.name!r} from {origin} ignored: the name is taken by {self.origins[skill.name]}"
            )
            return
        self.skills[skill.name] = skill
        self.origins[skill.name] = origin
        self.entries[skill.name] = (skill, skill.catalogue_entry())

    def get(self, name: str) -> type[Skill]:
        try:
            return self.skills[name]
        except KeyError:
            raise UnknownSkill(name, sorted(self.skills)) from None

    def __contains__(self, name: object) -> bool:
        return name in self.skills

    def names(self) -> list[str]:
        return sorted(self.skills)

    def catalogue(self) -> list[dict]:
        return [self._entry(n) for n in self.names()]

    def _entry(self, name: str) -> dict:
        skill = self.skills[name]
        cached = self.entries.get(name)
        if cached is None or cached[0] is not skill:  # replaced in place (a configured variant)
            cached = self.entries[name] = (skill, skill.catalogue_entry())
        return cached[1]


SKILL_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")


def skill_problems(skill: object) -> list[str]:
    """What makes `skill` unusable: the planner, the catalogue and the executor rely on each of
    these, so a plugin is checked once when it is loaded rather than failing on every turn."""
    if not isinstance(skill, type) or not issubclass(skill, Skill):
        return [f"it is not a subclass of skills.api.Skill (got {type(skill).__name__})"]
    problems = []
    name = getattr(skill, "name", None)
    if not isinstance(name, str) or not SKILL_NAME.fullmatch(name):
        problems.append(f"its name must be a lowercase identifier like 'push_block' (got {name!r})")
    if not isinstance(getattr(skill, "description", None), str):
        problems.append("its description must be a string")
    args = getattr(skill, "Args", None)
    if not (isinstance(args, type) and issubclass(args, BaseModel)):
        problems.append(f"its Args must be a pydantic model class (got {type(args).__name__})")
    else:
        try:
            json.dumps(args.model_json_schema())
        except Exception as e:
            problems.append(f"its Args have no JSON schema ({type(e).__name__}: {e})")
    for attr, top in (("rate_hz", 1000.0), ("time_limit_s", 3600.0)):
        value = getattr(skill, attr, None)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= top:
            problems.append(f"its {attr} must be a number in (0, {top:g}] (got {value!r})")
    if not callable(getattr(skill, "run", None)):
        problems.append("it has no run method")
    return problems


def _load_ref(ref: str) -> type[Skill]:
    module, _, attr = ref.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]


def load_registry(include_plugins: bool = True) -> SkillRegistry:
    """Built-ins, then plugins. Broken plugins land in `problems` with the reason."""
    reg = SkillRegistry()
    for name, ref in BUILTIN_SKILLS.items():
        reg.add(_load_ref(ref), origin="builtin")
    if include_plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else "unknown package"
            try:
                skill = ep.load()
                reg.add(skill, origin=dist)
            except Exception as e:  # a plugin's bug must not take the robot down: reported once, skipped
                reg.problems.append(f"plugin skill {ep.name!r} from {dist} skipped: {type(e).__name__}: {e}")
    return reg
