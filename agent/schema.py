"""The planner contract: what every planner backend is given and what it must return.

One schema for the `rules`, `openai` and `transformers` backends. The turn's JSON schema is
what a served model is constrained to (`response_format`), so keep it small and explicit.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr


class PlanStep(BaseModel):
    """One skill run: which skill, its arguments, and a short instruction for a language policy."""

    model_config = ConfigDict(extra="forbid")

    skill: str = Field(description="name of a skill from the catalogue")
    args: dict[str, Any] = Field(default_factory=dict, description="arguments valid for that skill")
    instruction: str = Field(default="", description="short imperative sentence, e.g. 'put the red cup in the bin'")


class Note(BaseModel):
    """Something to remember. Session notes bind the rest of this session; user notes persist."""

    model_config = ConfigDict(extra="forbid")

    text: str
    scope: Literal["session", "user"] = "session"


class PlannerTurn(BaseModel):
    """The planner's answer to one turn of the dialogue."""

    model_config = ConfigDict(extra="forbid")

    say: str = Field(default="", description="what the robot says aloud now")
    question: str | None = Field(default=None, description="a clarifying question; no steps run until it is answered")
    refused: bool = Field(default=False, description="true when the request cannot be done; `say` gives the reason")
    notes: list[Note] = Field(default_factory=list, description="new things to remember")
    forget: list[str] = Field(default_factory=list, description="texts of notes that no longer hold")
    preempt: bool = Field(default=False, description="stop the step that is running now before the new steps")
    control: Literal["none", "pause", "resume", "stop"] = Field(
        default="none", description="pause, resume or abandon the current plan"
    )
    steps: list[PlanStep] = Field(default_factory=list, description="the whole remaining plan, in order")
    # Set on the turn that stands in for a planner that gave no answer; never part of the JSON.
    _planner_failed: bool = PrivateAttr(default=False)


class SceneObject(BaseModel):
    """An object as the planner sees it (from perception, never from privileged sim state)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str
    color: str | None = None
    pos: tuple[float, float, float] = Field(description="metres in the table frame: +x away from the robot, +y to its left")
    graspable: bool = Field(default=True, description="the gripper can pick it up")
    held: bool = False
    inside: str | None = Field(default=None, description="container or surface it rests in or on")
    moved: bool = Field(default=False, description="has been grasped or moved during this session")


class SkillInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    args: dict[str, Any] = Field(description="JSON schema of the arguments")


class DialogueTurn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "robot"]
    text: str
    kind: Literal["say", "question", "answer", "cue"] = "say"


class StepRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    step: PlanStep
    status: Literal["success", "failure", "cancelled"]
    reason: str = ""


class PlannerInput(BaseModel):
    """Everything a planner is given for one turn."""

    model_config = ConfigDict(extra="forbid")

    utterance: str = Field(description="what the person just said (or a cue's description)")
    dialogue: list[DialogueTurn] = Field(default_factory=list, description="the conversation before this utterance")
    pending_question: str | None = Field(default=None, description="the question this utterance may answer")
    scene: list[SceneObject] = Field(default_factory=list)
    skills: list[SkillInfo] = Field(default_factory=list)
    notes: list[Note] = Field(default_factory=list)
    done: list[StepRecord] = Field(default_factory=list)
    running: PlanStep | None = Field(default=None, description="the step executing while this was said")
    pending: list[PlanStep] = Field(default_factory=list, description="steps planned but not started yet")
    start_positions: dict[str, tuple[float, float, float]] = Field(
        default_factory=dict, description="where each object stood when the session began"
    )
    images: dict[str, str] = Field(default_factory=dict, description="camera name -> JPEG data URL (for VLMs)")


class PlannerError(Exception):
    """A planner could not produce a valid turn (after its own retries)."""
