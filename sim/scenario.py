"""The spoken tabletop scenario format (see the eval README): scenes, turns and expectations.

These models are the one parser of scenario files; the simulator builds scenes from
`SceneSpec`, the evaluation runs `Scenario`s, and the planner only ever sees the scene as
described by the perception layer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

Kind = Literal["cup", "bowl", "block", "plate", "fork", "can", "trash", "bin", "basket", "tray"]
Color = Literal["red", "green", "blue", "yellow", "white", "black", "orange", "purple"]
Region = Literal[
    "left", "right", "center", "front", "back", "front-left", "front-right", "back-left", "back-right"
]

KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
COLORS: tuple[str, ...] = Color.__args__  # type: ignore[attr-defined]
REGIONS: tuple[str, ...] = Region.__args__  # type: ignore[attr-defined]

# What each kind is (container, surface, graspable) lives in sim/kinds.py; re-exported here for
# the modules that read it from the scenario format.
from sim.kinds import CONTAINERS, FIXED_KINDS, SURFACES  # noqa: E402,F401


class ObjectSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Kind
    color: Color | None = None
    at: Region | None = None

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, v: str) -> str:
        v = v.strip()
        if not v:
            raise ValueError("object name must not be empty")
        return v


class SceneSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    objects: list[ObjectSpec]
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="layout seed: 0 to 4294967295")

    @model_validator(mode="after")
    def _unique_names(self) -> "SceneSpec":
        seen: set[str] = set()
        for o in self.objects:
            key = o.name.lower()
            if key in seen:
                raise ValueError(f"object name {o.name!r} appears twice; names must be unique")
            seen.add(key)
        return self


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    say: str
    when: str = "idle"

    @field_validator("when")
    @classmethod
    def _when_known(cls, v: str) -> str:
        if v in ("idle", "asked", "moving"):
            return v
        if v.startswith("after_step:") and v.split(":", 1)[1].isdigit():
            return v
        raise ValueError(f"unknown 'when' {v!r}: use idle, asked, moving or after_step:N")

    @property
    def after_step(self) -> int | None:
        return int(self.when.split(":", 1)[1]) if self.when.startswith("after_step:") else None


Perturbation = Literal["drop_first_grasp", "move_second_object_during_first_step"]


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holds: list[str] = Field(default_factory=list)
    asks: int = 0
    refuses: bool = False
    halted: bool = False
    perturb: Perturbation | None = None


class Scenario(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    tags: list[str] = Field(default_factory=list)
    scene: SceneSpec
    turns: list[Turn]
    expect: Expect = Field(default_factory=Expect)
    perturb: Perturbation | None = None

    @model_validator(mode="after")
    def _predicates_name_scene_objects(self) -> "Scenario":
        from sim.predicates import objects_named

        names = {o.name.lower() for o in self.scene.objects}
        for expr in self.expect.holds:
            for name in objects_named(expr):
                if name.lower() not in names:
                    raise ValueError(f"expect.holds {expr!r} names {name!r}, which is not in the scene "
                                     f"(objects: {', '.join(o.name for o in self.scene.objects)})")
        return self

    @property
    def perturbation(self) -> str | None:
        # The public file puts `perturb` inside `expect`; the README puts it at the top level.
        return self.perturb or self.expect.perturb


class ScenarioError(ValueError):
    """A scenario file or line that cannot be used, with where and why."""


def read_text_file(path: str | Path, what: str) -> str:
    """The text of a UTF-8 file, or a ScenarioError naming the file, the problem and the fix."""
    path = Path(path)
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder, not a {what} file: give the path of the file itself")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such {what} file") from None
    except OSError as e:
        raise ScenarioError(f"{path}: the {what} file cannot be read ({e.strerror or e}): check its permissions") from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ScenarioError(f"{path}: the {what} file is UTF-16 text: save it as UTF-8")
    if b"\x00" in raw:
        raise ScenarioError(f"{path}: holds binary data, not a {what} file: give a UTF-8 text file")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{path}: the {what} file is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset "
                            f"{e.start}): save it as UTF-8") from None


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Every scenario of a JSONL file; a bad line raises ScenarioError naming file, line and field."""
    path = Path(path)
    out: list[Scenario] = []
    for lineno, line in enumerate(read_text_file(path, "scenario").splitlines(), start=1):
        if not line.strip():
            continue
        out.append(parse_scenario_line(line, where=f"{path}:{lineno}"))
    return out


def parse_scenario_line(line: str, where: str = "<line>") -> Scenario:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(f"{where}: malformed scenario: {_problems(e)}") from None


def load_scene(path: str | Path) -> SceneSpec:
    """A scene from a JSON file: either a bare scene object or a whole scenario."""
    path = Path(path)
    try:
        data = json.loads(read_text_file(path, "scene"))
    except json.JSONDecodeError as e:
        raise ScenarioError(f"{path}: not valid JSON ({e.msg} at line {e.lineno})") from None
    if isinstance(data, dict) and "scene" in data:
        data = data["scene"]
    try:
        return SceneSpec.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(f"{path}: malformed scene: {_problems(e)}") from None


def _problems(e: ValidationError) -> str:
    """Each problem with where it is and what was given, so the fix is obvious."""
    out = []
    for err in e.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top)"
        given = err.get("input")
        shown = f" (got {given!r})" if isinstance(given, (str, int, float)) and err["type"] != "missing" else ""
        out.append(f"{where}: {err['msg']}{shown}")
    return "; ".join(out)
