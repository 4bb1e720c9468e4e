"""The skill registry: built-in skills plus every installed package's `hirobot.skills` entry points.

A plugin that fails to import is reported (see `SkillRegistry.problems`) and skipped; it never
stops the others from loading.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from importlib.metadata import entry_points

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

    def add(self, skill: type[Skill], origin: str = "code") -> None:
        for attr in ("name", "description", "Args"):
            if not hasattr(skill, attr):
                raise TypeError(f"{skill!r} is not a skill: it has no {attr!r}")
        if skill.name in self.skills and self.origins.get(skill.name) != origin:
            self.problems.append(
                f"skill {skill.name!r} from {origin} ignored: the name is taken by {self.origins[skill.name]}"
            )
            return
        self.skills[skill.name] = skill
        self.origins[skill.name] = origin

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
        return [self.skills[n].catalogue_entry() for n in self.names()]


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
            except Exception as e:  # a plugin's bug must not take the robot down
                reg.problems.append(f"plugin skill {ep.name!r} from {dist} could not be loaded: {type(e).__name__}: {e}")
    return reg
