"""What the robot does about a cue (a sound, something seen): stop, pause and ask, or note it
and carry on, as the cue policy says for its kind."""

from __future__ import annotations

from typing import Any

from agent import events as ev


def react(session: Any, cue: ev.Cue, policy: Any = None) -> str:
    """Act on `cue` for `session` and log it with what was done. Returns the reaction."""
    from perception.cue_policy import decide, question_for

    reaction = decide(cue, policy)
    what = cue.detail.get("class") or cue.kind.replace("_", " ")
    if reaction == "stop":
        session.reflex("stop", word=f"({what})")
        session.bus.publish(cue.model_copy(update={"action": "stopped the arm and the plan"}))
        session.bus.publish(ev.Spoken(text=f"I heard {what}. I've stopped."))
        if session.busy:  # the planner hears of it only while a job runs
            session.interject("stop", source="cue")
    elif reaction == "pause_and_ask":
        session.reflex("pause", word=f"({what})")
        session.bus.publish(cue.model_copy(update={"action": "paused; asked whether to go on"}))
        session.bus.publish(ev.Spoken(text=question_for(cue)))
        if session.busy:
            session.interject("wait", source="cue")
    else:
        session.bus.publish(cue.model_copy(update={"action": "noted; carrying on"}))
    return reaction
