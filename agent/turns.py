"""Asking the planner for a turn and checking it, shared by every node that consults it."""

from __future__ import annotations

import threading
import time
from typing import Any

from agent import events as ev
from agent.planners.base import PlannerCancelled, StepCallback
from agent.runtime import Runtime
from agent.schema import DialogueTurn, Note, PlannerInput, PlannerTurn, PlanStep
from agent.validate import note_problems, turn_problems


def planner_input(state: dict[str, Any], rt: Runtime, utterance: str, running: PlanStep | None = None,
                  pending: list[PlanStep] | None = None, answering: str | None = None) -> PlannerInput:
    """What the planner is given: the job's state (typed already: nothing is re-read here),
    the scene as it is now, the skill catalogue."""
    return PlannerInput(
        utterance=utterance,
        dialogue=list(state.get("dialogue", [])),
        pending_question=answering,
        scene=rt.perception.scene(),
        skills=[c for c in _catalogue(rt)],
        notes=list(state.get("notes", [])),
        done=list(state.get("done", [])),
        running=running,
        pending=pending if pending is not None else list(state.get("pending", [])),
        start_positions=rt.start_positions,
        images=rt.camera_frames() if rt.camera_frames is not None else {},
    )


def _catalogue(rt: Runtime):
    from agent.schema import SkillInfo

    return [SkillInfo(name=c["name"], description=c["description"], args=c["args"]) for c in rt.registry.catalogue()]


def planner_failed(turn: PlannerTurn) -> bool:
    """The turn stands in for a planner that gave no answer (see `ask_planner`)."""
    return turn._planner_failed


def ask_planner(rt: Runtime, inp: PlannerInput, on_step: StepCallback | None = None,
                cancel: threading.Event | None = None) -> PlannerTurn | None:
    """A validated turn. A planner that fails or returns steps that do not check out yields a
    turn that says so and plans nothing: the robot never moves on an unchecked step. A failed
    planner's turn declines (the plan that runs goes on unchanged) and `planner_failed` tells it
    apart from a refusal, so the job can end as failed. None when `cancel` was set: whoever
    cancelled has decided what comes instead."""
    t0 = time.perf_counter()
    try:
        turn = rt.planner.plan(inp, on_step=on_step, cancel=cancel)
    except PlannerCancelled:
        return None
    except Exception as e:
        rt.publish(ev.ErrorEvent(message=f"the {rt.planner.name} planner failed: {type(e).__name__}: {e}", where="planner"))
        failed = PlannerTurn(say="Sorry, I could not work out a plan for that. Could you say it another way?",
                             refused=True)
        failed._planner_failed = True
        return failed
    if cancel is not None and cancel.is_set():
        return None
    problems = turn_problems(turn, rt.registry, inp.scene, rt.limits)
    metrics: dict[str, Any] = dict(getattr(rt.planner, "last_metrics", {}) or {})
    metrics.setdefault("total_s", round(time.perf_counter() - t0, 4))
    if problems:
        rt.publish(ev.ErrorEvent(message="planner output rejected: " + "; ".join(problems), where="validate"))
        turn = PlannerTurn(say="I can't do that safely: " + problems[0] + ".", refused=True)
    rt.publish(ev.PlanMade(planner=rt.planner.name, utterance=inp.utterance, say=turn.say, question=turn.question,
                           refused=turn.refused, steps=[s.model_dump() for s in turn.steps],
                           notes=[n.model_dump() for n in turn.notes], control=turn.control,
                           preempt=turn.preempt, metrics=metrics))
    return turn


def merge_notes(state: dict[str, Any], turn: PlannerTurn, rt: Runtime) -> list[Note]:
    forget = set(turn.forget)
    notes: list[Note] = []
    for n in state.get("notes", []):
        if n.text in forget:
            rt.publish(ev.Note(text=n.text, scope=n.scope, forgotten=True))
        else:
            notes.append(n)
    have = {n.text for n in notes}
    for n in turn.notes:
        if n.text in have:
            continue
        problems = note_problems(n, rt.limits)
        if not problems and len(notes) >= rt.limits.notes_per_session:
            problems = [f"the session already holds {len(notes)} notes (limits.notes_per_session)"]
        if problems:  # a note is a preference about objects and places, checked before it is kept
            rt.publish(ev.ErrorEvent(message=f"note not kept: {problems[0]}", where="validate"))
            continue
        notes.append(n)
        have.add(n.text)
        rt.publish(ev.Note(text=n.text, scope=n.scope))
    return notes


def dialogue_after(state: dict[str, Any], utterance: str, turn: PlannerTurn,
                   answering: str | None) -> list[DialogueTurn]:
    d = list(state.get("dialogue", []))
    d.append(DialogueTurn(role="user", text=utterance, kind="answer" if answering else "say"))
    if turn.say:
        d.append(DialogueTurn(role="robot", text=turn.say, kind="say"))
    if turn.question:
        d.append(DialogueTurn(role="robot", text=turn.question, kind="question"))
    return d


def before_request(dialogue: list[DialogueTurn], request: str | None) -> list[DialogueTurn]:
    """The dialogue as it was before `request` was said (its last saying and what followed
    dropped): for asking about the request again, whole, as if for the first time."""
    for i in range(len(dialogue) - 1, -1, -1):
        if dialogue[i].role == "user" and dialogue[i].kind == "say" and dialogue[i].text == request:
            return list(dialogue[:i])
    return list(dialogue)


def speak(rt: Runtime, text: str) -> None:
    if text:
        rt.publish(ev.Spoken(text=text))
