"""The session graph: plan, ask, dispatch, finish; checkpointed so a killed job resumes.

    START -> plan -> (question) ask -> plan
                  -> (steps)    dispatch -> dispatch ... -> finish -> END
                  -> (nothing)  finish -> END

Each invocation handles one thing the person said while the robot was idle. The state is
typed (the planner contract's own models: dialogue turns, notes, plan steps, step records),
so nodes read it as it is, never re-validating dicts; LangGraph's SQLite checkpointer saves
it after every node (those four models, and nothing else of ours, are allowed back in when a
checkpoint is read), so a process killed mid-step resumes at that step.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime as GraphRuntime
from langgraph.types import interrupt

from agent import events as ev
from agent.control import control_of
from agent.dispatch import CORRECTED, await_turn, control_reply, dispatch_one, settle_early, start_early, think
from agent.runtime import Runtime
from agent.schema import DialogueTurn, Note, PlannerTurn, PlanStep, StepRecord
from agent.timeline import Heard, rest_of_request, whole_request
from agent.turns import before_request, dialogue_after, merge_notes, planner_failed, speak


class JobState(TypedDict, total=False):
    session: str
    utterance: str | None
    answering: str | None  # the question `utterance` answers
    utterance_source: str  # "typed" or "voice" (heard speech is logged by the speech pipeline)
    request: str | None  # the last thing asked of the robot (what a replan re-reads)
    dialogue: list[DialogueTurn]
    notes: list[Note]
    pending: list[PlanStep]  # the rest of the plan; while a step runs, it is the first
    done: list[StepRecord]
    question: str | None
    questions_asked: int
    attempts: int
    replanned: bool
    outcome: str | None  # how the last job ended: done, refused, stopped, asked, gave_up
    job_start: int  # index into `done` where the current job began


def plan_node(state: JobState, runtime: GraphRuntime[Runtime]) -> dict[str, Any]:
    rt = runtime.context
    utterance = (state.get("utterance") or "").strip()
    answering = state.get("answering")
    if not utterance:
        return {"utterance": None, "answering": None, "outcome": "nothing said"}
    if state.get("utterance_source") != "voice":
        rt.publish(ev.Utterance(text=utterance))
    index = len(state.get("done", [])) + 1
    seen: list = []

    def on_step(step) -> None:
        # A streaming planner hands over each step as soon as it is written: the first one
        # starts moving the arm while the rest of the plan is still being generated.
        seen.append(step)
        if len(seen) == 1:
            start_early(rt, step, index)

    if not answering and (state.get("pending") or rt.executor.paused):
        # A control word with a plan to act on (one paused, or left when the last job ended)
        # acts through the executor without a planner; with nothing to act on, the planner
        # hears it like anything else ("go" may be the start of a request).
        control = control_of(utterance)
        if control is not None:
            return _control_only(state, rt, utterance, control)
    while True:
        heard = Heard(text=utterance, source=state.get("utterance_source") or "typed", at=rt.executor.clock.now())
        task = think(rt, dict(state), [heard],
                     answering=answering, on_step=on_step)
        answered = await_turn(rt, task, dict(state))
        if answered is None or answered.turn is None:  # stopped before the planner answered
            settle_early(rt, None)
            return {"utterance": None, "utterance_source": "typed", "answering": None, "pending": [],
                    "outcome": "stopped", "question": None}
        turn = answered.turn
        utterance = " ".join(answered.texts)
        for h in answered.heard:
            h.handled.set()
        # A question about a spoken request waits until the person has stopped: "Clean up."
        # may be the title of what they are still saying, and its rest is planned with it.
        rest = rest_of_request(rt) if turn.question and not answering else None
        if rest is None:
            break
        rest.handled.set()
        utterance = whole_request(utterance, rest.text)
    settle_early(rt, turn.steps[0] if turn.steps and not (turn.question or turn.refused
                                                          or turn.control == "stop") else None)
    speak(rt, turn.say)
    out: dict[str, Any] = {
        "utterance": None,
        "utterance_source": "typed",
        "answering": None,
        "notes": merge_notes(dict(state), turn, rt),
        "dialogue": dialogue_after(dict(state), utterance, turn, answering),
        "question": None,
        "attempts": 0,
        "replanned": False,
        "outcome": None,
    }
    # Questions are counted per request: a new request starts again from none.
    asked = int(state.get("questions_asked", 0)) if answering else 0
    if not answering:
        out["request"] = utterance
        out["job_start"] = len(state.get("done", []))
        out["questions_asked"] = 0
    if turn.control == "resume":
        rt.executor.resume()
    elif turn.control == "pause":
        rt.executor.pause()
    if turn.control == "stop":
        out["pending"] = []
        out["outcome"] = "stopped"
        rt.executor.cancel("stopped by the person")
    elif turn.question and asked >= rt.limits.questions_per_job:
        # A planner that never stops asking must not hold the job (or a script) forever.
        rt.publish(ev.ErrorEvent(message=f"the planner asked more than {rt.limits.questions_per_job} questions "
                                         "about one request (limits.questions_per_job)", where="limits"))
        speak(rt, "I have asked too many questions about this; please say the whole request again.")
        out["pending"] = []
        out["outcome"] = "refused"
    elif turn.question:
        rt.publish(ev.QuestionAsked(text=turn.question))
        out["question"] = turn.question
        out["questions_asked"] = asked + 1
    elif turn.refused:
        out["pending"] = []
        out["outcome"] = "planner failed" if planner_failed(turn) else "refused"
    elif turn.steps or turn.control == "none":
        out["pending"] = list(turn.steps)
    return out


def _control_only(state: JobState, rt: Runtime, utterance: str, control: str) -> dict[str, Any]:
    """A control word said while nothing runs: the executor acts, no planner is asked. A pause
    holds the plan that is left (its next step waits), "go on" lets it continue."""
    pending = list(state.get("pending", []))
    if control == "stop":
        rt.executor.cancel("stopped by the person")
    elif control == "pause":
        rt.executor.pause()
    else:
        rt.executor.resume()
    say = control_reply(control, pending)
    speak(rt, say)
    out: dict[str, Any] = {"utterance": None, "utterance_source": "typed", "answering": None, "question": None,
                           "dialogue": dialogue_after(dict(state), utterance, PlannerTurn(say=say, control=control), None),
                           "attempts": 0, "replanned": False, "outcome": None}
    if control == "stop":
        out.update(pending=[], outcome="stopped")
    return out


def ask_node(state: JobState, runtime: GraphRuntime[Runtime]) -> dict[str, Any]:
    question = state["question"]
    answer = interrupt({"question": question})
    rt = runtime.context
    if rt.answer_continues:
        # Said on the heels of the request, before the question could be heard: the request
        # was longer than its first sentence, and is planned again whole.
        rt.answer_continues = False
        whole = whole_request(state.get("request"), str(answer or ""))
        return {"utterance": whole, "answering": None, "question": None, "utterance_source": "voice",
                "dialogue": before_request(state.get("dialogue", []), state.get("request"))}
    return {"utterance": str(answer or ""), "answering": question, "question": None, "utterance_source": "typed"}


def dispatch_node(state: JobState, runtime: GraphRuntime[Runtime]) -> dict[str, Any]:
    return dispatch_one(dict(state), runtime.context)


def finish_node(state: JobState, runtime: GraphRuntime[Runtime]) -> dict[str, Any]:
    rt = runtime.context
    job = state.get("done", [])[state.get("job_start", 0):]
    done, not_done = _tally(job, state.get("pending", []))
    outcome = state.get("outcome") or ("done" if not not_done else "partly done")
    if job or outcome not in ("refused", "nothing said"):
        summary = _summary(done, not_done)
        if job:
            speak(rt, summary)
    else:
        summary = ""
    rt.publish(ev.JobEnded(done=done, not_done=not_done, summary=summary))
    return {"outcome": outcome, "pending": [] if outcome == "stopped" else state.get("pending", [])}


def _tally(records: list[StepRecord], pending: list[PlanStep]) -> tuple[list[str], list[str]]:
    """Each planned step once: done if any attempt at it succeeded, else not done."""
    def label(step: PlanStep) -> str:
        return step.instruction or step.skill

    def key(step: PlanStep) -> str:
        return json.dumps([step.skill, step.args], sort_keys=True)

    final: dict[str, tuple[str, bool]] = {}
    for r in records:
        if r.status == "cancelled" and r.reason == CORRECTED:
            continue  # the person replaced it: neither done nor owed
        k = key(r.step)
        ok = r.status == "success" or final.get(k, ("", False))[1]
        final[k] = (label(r.step), ok)
    for p in pending:
        final.setdefault(key(p), (label(p), False))
    done = [lbl for lbl, ok in final.values() if ok]
    not_done = [lbl for lbl, ok in final.values() if not ok]
    return done, not_done


def _summary(done: list[str], not_done: list[str]) -> str:
    parts = []
    if done:
        parts.append("Done: " + "; ".join(done) + ".")
    if not_done:
        parts.append("Not done: " + "; ".join(not_done) + ".")
    return " ".join(parts) or "Nothing to do."


def _after_plan(state: JobState) -> str:
    if state.get("question"):
        return "ask"
    if state.get("pending") and state.get("outcome") is None:
        return "dispatch"
    return "finish"


def _after_dispatch(state: JobState) -> str:
    if state.get("question"):
        return "ask"
    if state.get("outcome") == "stopped":
        return "finish"
    return "dispatch" if state.get("pending") else "finish"


def build_graph(checkpointer: Any | None = None):
    g = StateGraph(JobState, context_schema=Runtime)
    g.add_node("plan", plan_node)
    g.add_node("ask", ask_node)
    g.add_node("dispatch", dispatch_node)
    g.add_node("finish", finish_node)
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", _after_plan, ["ask", "dispatch", "finish"])
    g.add_edge("ask", "plan")
    g.add_conditional_edges("dispatch", _after_dispatch, ["ask", "dispatch", "finish"])
    g.add_edge("finish", END)
    return g.compile(checkpointer=checkpointer)


def sqlite_checkpointer(path: str | Path) -> SqliteSaver:
    from agent.checkpoints import sqlite_checkpointer as pruned

    # The typed state's four models, and nothing else of ours, may come back from a checkpoint.
    allowed = [(m.__module__, m.__name__) for m in (DialogueTurn, Note, PlanStep, StepRecord)]
    # Keeps the latest states only: the file does not grow per step.
    return pruned(path, serde=JsonPlusSerializer(allowed_msgpack_modules=allowed))
