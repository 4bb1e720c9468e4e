"""What the robot does about a cue: stop the arm, pause and ask, or note it and go on.

One small config, mapping cue kinds to reactions, with safe defaults: anything that sounds
like harm (breaking glass, a crash, a scream) stops the arm; an alarm pauses and asks; a
person moving an object is noted and the plan goes on with the object where it is now.
Unknown kinds pause and ask (the safe side of not knowing).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agent.events import Cue

Reaction = Literal["pause_and_ask", "stop", "note_and_continue"]

DEFAULT_REACTIONS: dict[str, Reaction] = {
    "glass_breaking": "stop",
    "crash": "stop",
    "scream": "stop",
    "alarm": "pause_and_ask",
    "object_moved": "note_and_continue",
}


class CuePolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reactions: dict[str, Reaction] = Field(default_factory=lambda: dict(DEFAULT_REACTIONS),
                                           description="cue kind -> what the robot does")
    default: Reaction = "pause_and_ask"
    # Cues below this confidence (detail["confidence"], when given) are only noted.
    min_confidence: float = 0.0

    def reaction(self, cue: Cue) -> Reaction:
        return decide(cue, self)


def decide(cue: Cue, policy: CuePolicy | None = None) -> Reaction:
    """The reaction to `cue` under `policy` (the defaults when None)."""
    p = policy or CuePolicy()
    conf = cue.detail.get("confidence") if isinstance(cue.detail, dict) else None
    if isinstance(conf, (int, float)) and conf < p.min_confidence:
        return "note_and_continue"
    return p.reactions.get(cue.kind, p.default)


def question_for(cue: Cue) -> str:
    """What to ask when the reaction is pause_and_ask."""
    what = {"alarm": "I hear an alarm", "object_moved": "Something on the table moved"}.get(
        cue.kind, f"I noticed {cue.kind.replace('_', ' ')}")
    return f"{what}. I've paused. Should I continue?"
