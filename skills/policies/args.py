"""The argument model of the policy skill (the planner reads its JSON schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

Relation = Literal["in", "on", "left_of", "right_of", "near"]
_WORDS = {"in": "in", "on": "on", "left_of": "to the left of", "right_of": "to the right of", "near": "near"}


def _the(name: str) -> str:
    return name if name.lower().startswith("the ") else f"the {name}"


class PolicyArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: str | None = Field(None, description="name of the object the policy should act on")
    relation: Relation = Field("in", description="where the object should end up relative to the target")
    target: str | None = Field(None, description="name of the reference object (a container, a surface ...)")
    policy: str = Field("learned-place", description="which policy to run: one of the configured policy names")
    instruction: str | None = Field(None, description="language instruction for the policy; by default the "
                                    "step's instruction, else one made from object, relation and target")
    success: str | None = Field(None, description="task predicate that ends the step when it holds, e.g. "
                                "'in(red cup, bin)'; by default relation(object, target)")
    max_seconds: float = Field(40.0, gt=0, le=300, description="give up after this long")

    @field_validator("policy")
    @classmethod
    def _a_name(cls, v: Any) -> Any:
        # Where a policy runs is configuration's business: an address or a path is never a name.
        if isinstance(v, str) and any(c in v for c in ":/\\") or (isinstance(v, str) and v.startswith(".")):
            raise ValueError(f"{v!r} is not a policy name: a step names a configured policy, never an address or a path")
        return v

    @classmethod
    def for_names(cls, names: list[str], default: str = "learned-place") -> type["PolicyArgs"]:
        """These arguments with `policy` limited to `names`: the planner sees them as an enum and
        any other value is refused with the list."""
        choices = tuple(sorted(names))
        if not choices:
            return cls
        first = default if default in choices else choices[0]
        return create_model(cls.__name__, __base__=cls,
                            policy=(Literal[choices], Field(first, description="which policy to run: one of "  # type: ignore[valid-type]
                                                            + ", ".join(choices))))

    def default_instruction(self) -> str:
        if self.object and self.target:
            return f"put {_the(self.object)} {_WORDS[self.relation]} {_the(self.target)}"
        return self.object or ""

    def predicate(self) -> str | None:
        if self.success:
            return self.success
        if self.object and self.target:
            return f"{self.relation}({self.object}, {self.target})"
        return None
