"""Argument models of the built-in skills (the planner reads their JSON schemas)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Relation = Literal["in", "on", "left_of", "right_of", "near"]


class PlaceArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: str = Field(description="name of the object to pick up")
    relation: Relation = Field(description="where it goes relative to the target: in a container, on a surface or "
                               "object (stacking), left_of / right_of (robot's view) or near it")
    target: str = Field(description="name of the reference object")


class PutBackArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: str = Field(description="name of the object to return to where it stood when the session began")


class HomeArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")
