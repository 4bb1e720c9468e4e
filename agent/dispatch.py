"""Running one step of the plan: start its skill, listen while it runs, verify what it did.

While a skill runs, the job takes what happens off the session's timeline (`converse`):
control words act at once, with no planner call; anything else said goes to a planner task
in the background, with the running step in view, and its answer (an item on the same
queue) may pause, resume or stop the arm, preempt the step with a correction, or rewrite
the steps after it. The step never waits for the planner; the next step waits for an answer
in flight, since that answer may change what the next step is. Between steps the same
happens before the next step starts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable

from agent import events as ev
from agent.effects import expected_effect, objects_of
from agent.runtime import Runtime
from agent.timeline import THINKING_ACK, Answered, Heard, Item, PlannerTask, StepEnded, whole_request
from agent.schema import DialogueTurn, Note, PlannerTurn, PlanStep, StepRecord
from agent.turns import ask_planner, before_request, dialogue_after, merge_notes, planner_input, speak
from agent.validate import step_problems
from skills.api import Outcome, SimulatorHooks, Status
from skills.executor import StepHandle


CORRECTED = "corrected by the person"


class _Job:
    """The mutable view of the graph state while one dispatch node runs."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state
        self.pending: list[PlanStep] = list(state.get("pending", []))
        self.done: list[StepRecord] = list(state.get("done", []))
        self.notes: list[Note] = list(state.get("notes", []))
        self.dialogue: list[DialogueTurn] = list(state.get("dialogue", []))
        self.question: str | None = None
        self.outcome: str | None = None
        self.attempts = int(state.get("attempts", 0))
        self.replanned = bool(state.get("replanned", False))
        self.request: str | None = state.get("request")

    def view(self) -> dict[str, Any]:
        return {**self.state, "notes": self.notes, "dialogue": self.dialogue, "done": self.done,
                "pending": self.pending}

    def updates(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pending": self.pending, "done": self.done, "notes": self.notes,
                               "dialogue": self.dialogue, "attempts": self.attempts, "replanned": self.replanned}
        if self.request != self.state.get("request"):
            out["request"] = self.request
        if self.question:
            out["question"] = self.question
            out["questions_asked"] = int(self.state.get("questions_asked", 0)) + 1
        if self.outcome:
            out["outcome"] = self.outcome
        return out


def _after_running(job: _Job, running: PlanStep | None) -> list[PlanStep]:
    """The job keeps the running step at the head of `pending` until it ends; the planner is
    told what runs now and, apart from it, what has not started yet."""
    return job.pending[1:] if running is not None and job.pending[:1] == [running] else list(job.pending)


def think(rt: Runtime, state: dict[str, Any], heard: list[Heard], running: PlanStep | None = None,
          pending: list[PlanStep] | None = None, answering: str | None = None,
          on_step: Callable[[PlanStep], None] | None = None, restarts: bool = False) -> PlannerTask:
    """Start a planner task on what was heard (several things said, merged, in order). With
    `restarts`, what was heard is the whole request again: planned as if nothing ran yet."""
    text = " ".join(h.text.strip() for h in heard)
    if restarts:
        running, pending = None, []
    inp = planner_input(state, rt, text, running=running, pending=pending, answering=answering)
    ask = partial(ask_planner, rt)
    task = PlannerTask(ask, inp, heard, rt.timeline, rt.executor.clock, running=running, on_step=on_step)
    task.restarts = restarts
    said_at = heard[-1].at
    rt.publish(ev.PlannerAsked(utterance=text, merged=len(heard),
                               waited_s=None if said_at is None else round(task.started_at - said_at, 4)))
    return task.start()


def control_reply(control: str, left: list[PlanStep]) -> str:
    """What the robot says when a control word was acted on without the planner."""
    if control == "stop":
        return ("Stopped. Left undone: " + "; ".join(s.instruction or s.skill for s in left) + "."
                if left else "Okay, I've stopped.")
    if control == "pause":
        return "Okay, I'm waiting. Tell me when to go on."
    return "Going on." if left else "There's nothing left for me to do."


def _control(job: _Job, rt: Runtime, heard: Heard, running: PlanStep | None) -> str:
    """A control word, whole: the executor acts (again: the reflex that heard it already did,
    and asking twice is harmless) and the plan follows, with no planner call."""
    control = heard.control
    left = ([running] if running else []) + _after_running(job, running)
    fate = "keep"
    if control == "stop":
        rt.executor.cancel("stopped by the person")
        drop_thinking(rt)  # a stop also drops what was being thought about
        job.pending = []
        job.outcome = "stopped"
        fate = "stop"
    elif control == "pause":
        rt.executor.pause()
    else:
        rt.executor.resume()
    say = control_reply(control or "resume", left)
    job.dialogue = dialogue_after(job.view(), heard.text, PlannerTurn(say=say, control=control or "none"), None)
    speak(rt, say)
    return fate


def drop_thinking(rt: Runtime, handled: bool = True) -> None:
    """Cancel the planner task in flight; unless it is asked again, what it was asked is done with."""
    task = rt.thinking
    rt.thinking = None
    if task is None:
        return
    task.stop()
    if handled:
        for h in task.heard:
            h.handled.set()


def _hear(job: _Job, rt: Runtime, heard: Heard, running: PlanStep | None) -> str:
    """Take up one thing said. Control acts now; anything else goes to a planner task, merged
    into the one in flight (cancelled and asked again with both) when there is one."""
    if heard.source == "typed":  # heard speech is already in the log, with its timing; cues log themselves
        rt.publish(ev.Utterance(text=heard.text))
    if heard.control is not None:
        fate = _control(job, rt, heard, running)
        heard.handled.set()
        return fate
    together = [heard]
    restarts = rt.thinking is not None and rt.thinking.restarts  # more of the whole request, merged as said
    if heard.continues and rt.thinking is None and job.request and \
            len(job.done) == int(job.state.get("job_start", 0)):
        # The rest of the request the job began with, said before any of it was done: the
        # whole request is planned again, and that plan replaces the one begun on its start.
        together = [replace(heard, text=whole_request(job.request, heard.text))]
        job.dialogue = before_request(job.dialogue, job.request)
        restarts = True
    if rt.thinking is not None:
        together = rt.thinking.heard + together
        drop_thinking(rt, handled=False)
        speak(rt, "Got that too.")  # the person hears it was heard, not lost in the thinking
    rt.thinking = think(rt, job.view(), together, running=running, pending=_after_running(job, running),
                        restarts=restarts)
    return "keep"


def _apply(job: _Job, rt: Runtime, task: PlannerTask, turn: PlannerTurn, running: PlanStep | None,
           handle: StepHandle | None) -> str:
    """A planner's answer to what was said. Returns what became of the running step:
    'keep', 'preempt' or 'stop'."""
    rt.thinking = None
    after = _after_running(job, running)
    if task.restarts:
        job.request = " ".join(task.texts)
    job.notes = merge_notes(job.view(), turn, rt)
    job.dialogue = dialogue_after(job.view(), " ".join(task.texts), turn, None)
    speak(rt, turn.say)
    fate = "keep"
    if turn.control == "pause":
        rt.executor.pause()
    elif turn.control == "resume":
        rt.executor.resume()
    elif turn.control == "stop":
        rt.executor.cancel("stopped by the person")
        left = [s.instruction or s.skill for s in ([running] if running else []) + after]
        job.pending = []
        job.outcome = "stopped"
        fate = "stop"
        if left and "undone" not in turn.say.lower() and "left" not in turn.say.lower():
            speak(rt, "Stopped. Left undone: " + "; ".join(left) + ".")
    elif turn.question:
        # Never act on a guess: bring the arm to rest and ask.
        if handle is not None and not handle.done:
            rt.executor.cancel("asking a question")
        rt.publish(ev.QuestionAsked(text=turn.question))
        job.question = turn.question
        job.pending = list(turn.steps) or ([running] if running else []) + after
        fate = "preempt"
    elif turn.refused:
        pass  # the refusal was said; the plan goes on as it was
    elif task.restarts:
        # The plan for the whole request replaces the one begun on its first words. A running
        # step that the new plan also begins with goes on; any other is stopped.
        if running is not None and turn.steps and _same_step(turn.steps[0], running):
            job.pending = list(turn.steps)
        else:
            if handle is not None and not handle.done:
                rt.executor.cancel(CORRECTED)
            fate = "preempt" if running is not None else "keep"
            job.pending = list(turn.steps)
        rt.executor.resume()
    else:
        if turn.preempt and handle is not None:
            if not handle.done:
                rt.executor.cancel(CORRECTED)
            fate = "preempt"
        # `steps` is the whole remaining plan (the planner contract): an empty list from a
        # turn that plans ("leave the blue one" when that was all that was left) empties it.
        if turn.preempt:
            job.pending = list(turn.steps)
        else:
            job.pending = ([running] if running else []) + list(turn.steps)  # the running step goes on
        if turn.preempt or turn.steps:
            rt.executor.resume()  # a "wait, ..." that the turn answered with a plan goes on
    for h in task.heard:
        h.handled.set()
    return fate


def _same_step(a: PlanStep, b: PlanStep) -> bool:
    return a.skill == b.skill and a.args == b.args


def await_turn(rt: Runtime, task: PlannerTask, state: dict[str, Any]) -> PlannerTask | None:
    """Wait for a planner task's answer while nothing runs yet (a new request, an answer to a
    question), the timeline going on meanwhile: control acts, more said is merged into the
    task (asked again with all of it), a stop drops it. Returns the task that answered
    (`task.turn` holds the answer), or None when a stop (or the session closing) ended it."""
    rt.thinking = task
    while True:
        item = _next_item(rt)
        if item is None:
            return None
        if isinstance(item, Heard):
            if item.source == "typed":
                rt.publish(ev.Utterance(text=item.text))
            if item.control == "stop":
                rt.executor.cancel("stopped by the person")
                drop_thinking(rt)
                speak(rt, control_reply("stop", []))
                item.handled.set()
                return None
            if item.control is not None:
                if item.control == "pause":
                    rt.executor.pause()
                else:
                    rt.executor.resume()
                speak(rt, control_reply(item.control, [task.inp.running] if item.control == "pause" else []))
                item.handled.set()
                continue
            heard = rt.thinking.heard + [item]
            drop_thinking(rt, handled=False)
            speak(rt, "Got that too.")
            rt.thinking = think(rt, state, heard, answering=task.inp.pending_question, on_step=task.on_step)
        elif isinstance(item, Answered) and item.task is rt.thinking:
            rt.thinking = None
            item.task.turn = item.turn
            return item.task


def _next_item(rt: Runtime) -> Item | None:
    """The next item off the timeline while a planner task is awaited with nothing running:
    meanwhile a slow planner is acknowledged and simulated time passes. None when the session
    closes (the task in flight is dropped)."""
    while True:
        item = rt.timeline.get(timeout=0.02)
        _acknowledge(rt)
        if item is not None:
            return item
        if rt.closing.is_set():
            drop_thinking(rt)
            return None
        _let_time_pass(rt)


def _acknowledge(rt: Runtime) -> None:
    """A planner that has not answered within THINKING_ACK_S: the person hears it is thinking."""
    task = rt.thinking
    if task is not None and task.ack_due is not None and rt.executor.clock.now() >= task.ack_due:
        task.acknowledged = True
        speak(rt, THINKING_ACK)


def _let_time_pass(rt: Runtime) -> None:
    """Nothing moves the world; on a simulated clock, time jumps to the next moment anything
    waits for (the planner's answer, the acknowledgement), once the planner waits on it."""
    task = rt.thinking
    rt.executor.clock.idle(busy=1 if task is not None else 0, wake_at=task.ack_due if task is not None else None)


def _world_still(handle: StepHandle | None) -> bool:
    """Nothing moves the world: no step runs, or the one running is held at rest."""
    return handle is None or handle.done or (handle.paused and handle.rest_at is not None)


def converse(job: _Job, rt: Runtime, running: PlanStep | None = None, handle: StepHandle | None = None,
             until_step_ends: bool = False, poll_s: float = 0.02) -> str:
    """The job's side of the timeline: take what happens off the queue, control first, until
    the running step (if any) has ended, no planner turn is in flight (unless
    `until_step_ends`), nothing said waits, and the robot is not paused between steps.
    Returns what became of the running step: 'keep', 'preempt' or 'stop'."""
    later: list[Heard] = []  # said after this job ended or asked: the next turn takes it up
    try:
        return _converse(job, rt, running, handle, until_step_ends, poll_s, later)
    finally:
        for h in later:
            rt.timeline.put(h)


def _converse(job: _Job, rt: Runtime, running: PlanStep | None, handle: StepHandle | None,
              until_step_ends: bool, poll_s: float, later: list[Heard]) -> str:
    fate = "keep"
    while True:
        item = rt.timeline.get(timeout=poll_s)
        _acknowledge(rt)
        if item is None:
            if rt.closing.is_set():
                drop_thinking(rt)
                if handle is not None:
                    rt.executor.cancel("session closed")
                    handle.wait(2.0)
                job.pending = []
                job.outcome = "stopped"
                return "stop" if handle is not None else fate
            if (handle is None or handle.done) and (rt.thinking is None or until_step_ends):
                if job.outcome == "stopped" or job.question or handle is not None or not rt.executor.paused:
                    rt.idle.clear()
                    return fate
                rt.idle.set()  # paused between steps: waiting to be told to go on
            if _world_still(handle):
                _let_time_pass(rt)
            continue
        if isinstance(item, Heard):
            rt.idle.clear()
            if item.control is None and (job.outcome == "stopped" or job.question):
                later.append(item)
                continue
            f = _hear(job, rt, item, running)
        elif isinstance(item, Answered):
            if item.task is not rt.thinking:
                continue  # an answer overtaken by what was said after it was asked
            f = _apply(job, rt, item.task, item.turn, running, handle)
        else:
            continue  # a step's end wakes the loop; its handle says the rest
        fate = f if f != "keep" else fate


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
    if isinstance(rt.robot, SimulatorHooks):
        rt.robot.begin_step(index - 1)  # the simulator keys its perturbations to step indices
    if rt.on_step_started is not None:
        rt.on_step_started(index, step)
    rt.publish(ev.StepStarted(index=index, skill=step.skill, args=step.args, instruction=step.instruction))
    t0 = time.perf_counter()
    handle = rt.executor.start(skill_cls(), args, instruction=step.instruction,
                               extras={"start_positions": rt.start_positions, **rt.skill_extras},
                               rate_hz=rt.control_hz, on_done=lambda h: rt.timeline.put(StepEnded(h)))
    return handle, t0


def start_early(rt: Runtime, step: PlanStep, index: int) -> bool:
    """Dispatch the first step of a plan the moment the planner has written and it checks out.
    Only when the arm is idle; anything doubtful waits for the whole turn."""
    cur = rt.executor.current
    if rt.early is not None or (cur is not None and not cur.done) or rt.executor.paused:
        return False
    if step_problems(step, rt.registry, rt.perception.scene()):
        return False
    handle, t0 = begin_step(rt, step, index)
    rt.early = EarlyStep(step=step, index=index, handle=handle, t0=t0)
    return True


def _abandon(rt: Runtime, early: EarlyStep) -> None:
    """The finished turn did not keep the step started early: stop it, arm at rest, and log
    its end (every started step has a `step_finished`)."""
    if rt.executor.current is early.handle:
        rt.executor.cancel("the plan changed")
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
        # while it runs, below.
        converse(job, rt)
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
        job.done.append(StepRecord(step=step, status="failure", reason=problems[0]))
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
    fate = converse(job, rt, step, handle, until_step_ends=True)
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
    record = StepRecord(step=step, status=outcome.status.value, reason=reason)
    job.done.append(record)
    if rt.snapshot is not None:
        rt.snapshot(len(job.done))  # the world this step left, before the checkpoint marks it done
    if rt.thinking is not None:
        # Something said while the step ran is still being thought about: its answer may
        # change what comes next, so the next step waits for it (the step itself never did).
        f = converse(job, rt, step, handle)
        fate = f if f != "keep" else fate

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
        rt.on_step_finished(index, record.model_dump())
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
        turn = _replan(job, rt, request)
        if job.outcome == "stopped":
            return
        if turn is not None and turn.steps and not turn.question and not turn.refused:
            job.pending = list(turn.steps)
            return
    speak(rt, f"I could not {step.instruction or step.skill}: {outcome.reason}.")
    job.pending = job.pending[1:]


def _replan(job: _Job, rt: Runtime, request: str) -> PlannerTurn | None:
    """Ask the planner again for the request, from the world as it is now, in the background:
    the timeline goes on meanwhile. Control acts at once (a stop drops the replan and ends the
    job); anything else said waits for the next dispatch, which takes it up before the next
    step starts. Returns the new turn, or None when it was dropped."""
    inp = planner_input(job.view(), rt, request, pending=[])
    task = PlannerTask(partial(ask_planner, rt), inp, [], rt.timeline, rt.executor.clock).start()
    rt.publish(ev.PlannerAsked(utterance=request, merged=0, waited_s=0.0))
    rt.thinking = task
    later: list[Heard] = []
    try:
        while True:
            item = _next_item(rt)
            if item is None:
                return None
            if isinstance(item, Heard):
                if item.control is None:
                    later.append(item)  # handled flag stays clear: the next dispatch hears it
                    continue
                if item.source == "typed":
                    rt.publish(ev.Utterance(text=item.text))
                _control(job, rt, item, None)
                item.handled.set()
                if job.outcome == "stopped":
                    return None
            elif isinstance(item, Answered) and item.task is task:
                rt.thinking = None
                return item.turn
    finally:
        for h in later:
            rt.timeline.put(h)
