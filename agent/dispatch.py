"""Running one step of the plan: start its skill, listen while it runs, verify what it did.

While a skill runs, whatever the person says goes to the planner with the running step in
view; the answer may pause, resume or stop the arm, preempt the step with a correction, or
rewrite the steps after it. Between steps the same happens before the next step starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from agent import events as ev
from agent.effects import expected_effect, objects_of
from agent.runtime import Runtime, Said
from agent.schema import PlannerTurn, PlanStep, StepRecord
from agent.turns import ask_planner, dialogue_after, merge_notes, planner_input, speak
from agent.validate import step_problems
from skills.api import Outcome, Status
from skills.executor import StepHandle


CORRECTED = "corrected by the person"


def _steps(raw: list[dict]) -> list[PlanStep]:
    return [PlanStep.model_validate(s) for s in raw]


def _dump(steps: list[PlanStep]) -> list[dict]:
    return [s.model_dump() for s in steps]


class _Job:
    """The mutable view of the graph state while one dispatch node runs."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.pending = _steps(state.get("pending", []))
        self.done: list[dict] = list(state.get("done", []))
        self.notes: list[dict] = list(state.get("notes", []))
        self.dialogue: list[dict] = list(state.get("dialogue", []))
        self.question: str | None = None
        self.outcome: str | None = None
        self.attempts = int(state.get("attempts", 0))
        self.replanned = bool(state.get("replanned", False))

    def view(self) -> dict[str, Any]:
        return {**self.state, "notes": self.notes, "dialogue": self.dialogue, "done": self.done,
                "pending": _dump(self.pending)}

    def updates(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pending": _dump(self.pending), "done": self.done, "notes": self.notes,
                               "dialogue": self.dialogue, "attempts": self.attempts, "replanned": self.replanned}
        if self.question:
            out["question"] = self.question
            out["questions_asked"] = int(self.state.get("questions_asked", 0)) + 1
        if self.outcome:
            out["outcome"] = self.outcome
        return out


def _hear(job: _Job, rt: Runtime, said: Said, running: PlanStep | None, handle: StepHandle | None) -> str:
    """Act on one thing said. Returns what became of the running step: 'keep', 'preempt' or 'stop'."""
    if said.source == "typed":  # heard speech is already in the log, with its timing; cues log themselves
        rt.publish(ev.Utterance(text=said.text))
    # The job keeps the running step at the head of `pending` until it ends; the planner is
    # told what runs now and, apart from it, what has not started yet.
    after = job.pending[1:] if running is not None and job.pending[:1] == [running] else list(job.pending)
    inp = planner_input(job.view(), rt, said.text, running=running, pending=after)
    turn: PlannerTurn = ask_planner(rt, inp)
    job.notes = merge_notes(job.view(), turn, rt)
    job.dialogue = dialogue_after(job.view(), said.text, turn, None)
    speak(rt, turn.say)
    fate = "keep"
    if turn.control == "pause":
        rt.paused.set()
        if handle is not None:
            handle.pause()
    elif turn.control == "resume":
        rt.paused.clear()
        if handle is not None:
            handle.resume()
    elif turn.control == "stop":
        rt.paused.clear()
        if handle is not None:
            handle.cancel("stopped by the person")
        left = [s.instruction or s.skill for s in ([running] if running else []) + after]
        job.pending = []
        job.outcome = "stopped"
        fate = "stop"
        if left and "undone" not in turn.say.lower() and "left" not in turn.say.lower():
            speak(rt, "Stopped. Left undone: " + "; ".join(left) + ".")
    elif turn.question:
        # Never act on a guess: bring the arm to rest and ask.
        if handle is not None:
            handle.cancel("asking a question")
        rt.publish(ev.QuestionAsked(text=turn.question))
        job.question = turn.question
        job.pending = list(turn.steps) or ([running] if running else []) + after
        fate = "preempt"
    elif turn.refused:
        pass  # the refusal was said; the plan goes on as it was
    else:
        if turn.preempt and handle is not None:
            handle.cancel(CORRECTED)
            fate = "preempt"
        # `steps` is the whole remaining plan (the planner contract): an empty list from a
        # turn that plans ("leave the blue one" when that was all that was left) empties it.
        if turn.preempt:
            job.pending = list(turn.steps)
        else:
            job.pending = ([running] if running else []) + list(turn.steps)  # the running step goes on
        if turn.preempt or turn.steps:
            rt.paused.clear()
    said.handled.set()
    return fate


def _listen_between_steps(job: _Job, rt: Runtime) -> None:
    """Hear what was said since the last step; while paused, wait for more."""
    while True:
        if rt.closing.is_set():
            job.pending = []
            job.outcome = "stopped"
            return
        said = rt.inbox.get()
        if said is None:
            if not rt.paused.is_set():
                return
            rt.idle.set()
            said = rt.inbox.get(timeout=0.05)
            if said is None:
                continue
            rt.idle.clear()
        _hear(job, rt, said, None, None)
        if job.outcome == "stopped" or job.question:
            return


@dataclass
class EarlyStep:
    """A first step started from a streaming planner before its turn was complete."""

    step: PlanStep
    index: int
    handle: StepHandle
    t0: float


def begin_step(rt: Runtime, step: PlanStep, index: int) -> tuple[StepHandle, float]:
    """Start a checked step on the executor (snapshot first, so a killed job resumes here)."""
    skill_cls = rt.registry.get(step.skill)
    args = skill_cls.Args.model_validate(step.args)
    if rt.snapshot is not None:
        rt.snapshot(index - 1)
    begin = getattr(rt.robot, "begin_step", None)
    if begin is not None:
        begin(index - 1)  # the simulator keys its perturbations to step indices
    if rt.on_step_started is not None:
        rt.on_step_started(index, step)
    rt.publish(ev.StepStarted(index=index, skill=step.skill, args=step.args, instruction=step.instruction))
    t0 = time.perf_counter()
    handle = rt.executor.start(skill_cls(), args, instruction=step.instruction,
                               extras={"start_positions": rt.start_positions, **rt.skill_extras})
    return handle, t0


def start_early(rt: Runtime, step: PlanStep, index: int) -> bool:
    """Dispatch the first step of a plan the moment the planner has written and it checks out.
    Only when the arm is idle; anything doubtful waits for the whole turn."""
    cur = rt.executor.current
    if rt.early is not None or (cur is not None and not cur.done) or rt.paused.is_set():
        return False
    if step_problems(step, rt.registry, rt.perception.scene()):
        return False
    handle, t0 = begin_step(rt, step, index)
    rt.early = EarlyStep(step=step, index=index, handle=handle, t0=t0)
    return True


def _abandon(rt: Runtime, early: EarlyStep) -> None:
    """The finished turn did not keep the step started early: stop it, arm at rest, and log
    its end (every started step has a `step_finished`)."""
    early.handle.cancel("the plan changed")
    early.handle.wait(10.0)
    outcome = early.handle.outcome
    rt.publish(ev.StepFinished(index=early.index, skill=early.step.skill, args=early.step.args,
                               status=outcome.status.value if outcome else "cancelled",
                               reason=outcome.reason if outcome else "the plan changed",
                               ticks=early.handle.stats.ticks, overruns=early.handle.stats.overruns,
                               duration_s=round(time.perf_counter() - early.t0, 3)))


def abandon_early(rt: Runtime) -> None:
    """Stop a step started early whose plan will not be run (the job ended another way)."""
    if rt.early is not None:
        _abandon(rt, rt.early)
        rt.early = None


def settle_early(rt: Runtime, first: PlanStep | None) -> None:
    """After the turn: keep an early step the plan still starts with, stop any other."""
    if rt.early is not None and (first is None or rt.early.step != first):
        _abandon(rt, rt.early)
        rt.early = None


def _set_down_first(rt: Runtime, pending: list[PlanStep]) -> list[PlanStep]:
    """After a correction stopped the arm mid-carry: an object in the hand that the new plan
    does not carry on with goes back where it was before anything else happens."""
    nxt = set(objects_of(pending[0])) if pending else set()
    held = [o.name for o in rt.perception.scene() if o.held and o.name not in nxt]
    if not held or "put_back" not in rt.registry:
        return pending
    back = [PlanStep(skill="put_back", args={"object": n}, instruction=f"put the {n} back where it was")
            for n in held]
    return back + pending


def _notice_changes(rt: Runtime, scene, manipulated: set[str]) -> None:
    """Objects that moved while the robot was not handling them (a person reached in). Skills
    read where things are at every tick, so the plan simply uses where they are now."""
    if rt.watcher is None:
        return
    for cue in rt.watcher.update(scene, manipulated=manipulated):
        rt.publish(cue.model_copy(update={"action": "noted; the plan uses where it is now"}))


def _verify(rt: Runtime, step: PlanStep) -> tuple[bool, str]:
    failed = []
    for pred in expected_effect(step):
        try:
            if not rt.perception.holds(pred):
                failed.append(pred)
        except ValueError as e:
            failed.append(f"{pred} ({e})")
    return (not failed, ("expected " + ", ".join(failed) + " but it does not hold") if failed else "")


def dispatch_one(state: dict[str, Any], rt: Runtime) -> dict[str, Any]:
    """The dispatch node: run the next step (or hear what was said and replan)."""
    job = _Job(state)
    if rt.early is None:
        # With a step started early the arm is already moving: what was said since is heard
        # by the step loop below, which holds the handle a pause or stop must reach.
        _listen_between_steps(job, rt)
    if job.outcome == "stopped" or job.question or not job.pending:
        return job.updates()

    step = job.pending[0]
    scene = rt.perception.scene()
    # A step a streaming planner started early is already moving its objects: that is the
    # robot's own move, not someone reaching in.
    _notice_changes(rt, scene, set(objects_of(rt.early.step)) if rt.early is not None else set())
    problems = step_problems(step, rt.registry, scene)
    if problems:
        speak(rt, f"I can't run '{step.instruction or step.skill}': {problems[0]}.")
        job.done.append(StepRecord(step=step, status="failure", reason=problems[0]).model_dump())
        job.pending = job.pending[1:]
        return job.updates()

    index = len(job.done) + 1
    early = rt.early
    rt.early = None
    if early is not None and early.step == step and early.index == index:
        handle, t0 = early.handle, early.t0  # started while the planner was still writing
    else:
        if early is not None:
            _abandon(rt, early)
        handle, t0 = begin_step(rt, step, index)
    fate = "keep"
    while not handle.done:
        said = rt.inbox.get(timeout=0.02)
        if said is not None:
            f = _hear(job, rt, said, step, handle)
            fate = f if f != "keep" else fate
    outcome: Outcome = handle.outcome or Outcome.failure("the step ended without an outcome")
    mark = getattr(rt.perception, "mark_grasped", None)
    for name in objects_of(step):
        if mark is not None:
            mark(name)  # vision only looks between steps; the step itself handled these
    _notice_changes(rt, rt.perception.scene(), set(objects_of(step)))
    verified: bool | None = None
    reason = outcome.reason
    if outcome.ok:
        verified, why = _verify(rt, step)
        if not verified:
            outcome = Outcome.failure(why)
            reason = why
    if not outcome.ok and handle.motion_started_at is None:
        outcome = outcome.model_copy(update={"detail": {**outcome.detail, "moved": False}})
    rt.publish(ev.StepFinished(index=index, skill=step.skill, args=step.args, status=outcome.status.value,
                               reason=reason, verified=verified, ticks=handle.stats.ticks,
                               overruns=handle.stats.overruns, duration_s=round(time.perf_counter() - t0, 3)))
    record = StepRecord(step=step, status=outcome.status.value, reason=reason).model_dump()
    job.done.append(record)
    if rt.snapshot is not None:
        rt.snapshot(len(job.done))  # the world this step left, before the checkpoint marks it done

    if fate in ("preempt", "stop"):
        # The plan was already rewritten by what was said; the running step is not retried.
        if fate == "preempt" and job.pending and job.pending[0] == step and outcome.ok:
            job.pending = job.pending[1:]
        if fate == "preempt" and not outcome.ok:
            job.pending = _set_down_first(rt, job.pending)
        job.attempts = 0
    elif outcome.ok:
        job.pending = job.pending[1:]
        job.attempts = 0
    else:
        _after_failure(job, rt, step, outcome)
    if rt.on_step_finished is not None:
        rt.on_step_finished(index, record)
    return job.updates()


def _after_failure(job: _Job, rt: Runtime, step: PlanStep, outcome: Outcome) -> None:
    """Retry once; then replan the request from the world as it is; then give the step up."""
    rt.publish(ev.Cue(source="executor", kind="step_failed", severity="warning",
                      detail={"skill": step.skill, "args": step.args, "reason": outcome.reason},
                      action="retry" if job.attempts < rt.max_retries and outcome.detail.get("moved", True)
                      else "replan"))
    if outcome.status == Status.cancelled:
        job.pending = job.pending[1:]
        return
    # A skill that gave up before moving (no reachable spot, nothing to grasp) would only give
    # up again on the same world: go straight to replanning.
    moved = bool(outcome.detail.get("moved", True))
    if job.attempts < rt.max_retries and moved:
        job.attempts += 1
        speak(rt, f"That did not work ({outcome.reason}). Trying again.")
        return
    retried = job.attempts > 0
    job.attempts = 0
    request = job.state.get("request")
    if request and not job.replanned:
        job.replanned = True
        # "again" only after a retry: a skill that gave up before moving is replanned at once.
        speak(rt, f"That failed{' again' if retried else ''} ({outcome.reason}). Let me look at the table and plan again.")
        inp = planner_input(job.view(), rt, request, pending=[])
        turn = ask_planner(rt, inp)
        if turn.steps and not turn.question and not turn.refused:
            job.pending = list(turn.steps)
            return
    speak(rt, f"I could not {step.instruction or step.skill}: {outcome.reason}.")
    job.pending = job.pending[1:]
