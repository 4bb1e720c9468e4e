"""A session: one robot in one scene, talked to over many turns.

It composes the pieces (robot, executor, planner, perception, event log, checkpointed graph)
and offers the three ways in: `say` for something said while idle (runs the job it asks for),
`interject` for something said while the robot works, `reflex` for the fast stop/pause path.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from langgraph.types import Command
from pydantic import BaseModel

from agent import events as ev
from agent.config import SessionConfig
from agent.control import Control, control_at_start, control_of
from agent.eventlog import EventLog
from agent.graph import build_graph, sqlite_checkpointer
from agent.memory import MemoryStore
from agent.planners.base import Planner
from agent.runtime import Runtime
from agent.schema import Note
from agent.storage import storage_problem
from agent.timeline import Heard
from agent.validate import note_problems
from sim.scenario import SceneSpec
from skills.api import Cameras
from skills.executor import Executor, LockstepClock, RealtimeClock
from skills.registry import SkillRegistry, load_registry

# Given the robot's question, return the person's answer, or None when there is none.
AnswerFn = Callable[[str], "str | None"]


@dataclass
class JobResult:
    outcome: str
    said: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)  # StepRecords of this job
    pending: list[dict] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # planned steps that got done, each once
    not_done: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what went wrong, as logged (planner, validation, disk)

    def then(self, later: "JobResult") -> "JobResult":
        """This job followed by the one that took up what was said as it ended."""
        return JobResult(outcome=later.outcome, said=self.said + later.said, questions=self.questions + later.questions,
                         steps=self.steps + later.steps, pending=later.pending, done=self.done + later.done,
                         not_done=later.not_done)


def make_planner(config: SessionConfig, registry: SkillRegistry) -> Planner:
    from agent.planners.factory import make_planner as build

    return build(config, registry)


def make_perception(config: SessionConfig, robot: Any):
    if config.perception == "vision":
        from perception.vision import VisionPerception

        return VisionPerception(robot)
    from perception.state import StatePerception

    return StatePerception(robot)


def camera_data_urls(robot: Any, cameras: tuple[str, ...] = ("front", "wrist"), quality: int = 85) -> dict[str, str]:
    """The robot's cameras as JPEG data URLs: what a vision-language planner looks at."""
    import base64
    import io

    from PIL import Image

    out = {}
    for cam in cameras:
        buf = io.BytesIO()
        Image.fromarray(robot.render(cam)).save(buf, format="JPEG", quality=quality)
        out[cam] = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    return out


class Session:
    def __init__(self, scene: SceneSpec, config: SessionConfig | None = None, *, session_id: str | None = None,
                 robot: Any | None = None, planner: Planner | None = None, registry: SkillRegistry | None = None,
                 perception: Any | None = None, perturbation: str | None = None, on_event: Callable[[Any], None] | None = None,
                 on_tick: Callable | None = None, answer: AnswerFn | None = None, video: Path | None = None,
                 record_dataset: Path | None = None, fresh: bool = True) -> None:
        self.config = config or SessionConfig()
        self.scene = scene
        self.id = session_id or uuid.uuid4().hex[:12]
        self.dir = self.config.home / "sessions" / self.id
        self.dir.mkdir(parents=True, exist_ok=True)
        self.bus = ev.Bus()
        self.storage_error: str | None = None  # set when the disk filled up: the session stops
        self.log = EventLog(self.dir / "events.jsonl", session=self.id, on_failure=self._storage_failed)
        self.bus.subscribe(self.log.append)
        if on_event is not None:
            self.bus.subscribe(on_event)
        self.registry = registry or load_registry()
        from skills.policies.skill import install_policies

        self.policies = install_policies(self.registry, self.config.policies, device=self.config.policy_device)
        for problem in self.registry.problems:
            self.bus.publish(ev.ErrorEvent(message=problem, where="skills"))
        if robot is None:
            from sim.robot import SimRobot

            robot = SimRobot.from_scene(scene, perturbation=perturbation)
        self.robot = robot
        self.video = video
        self.recorder = None
        if video is not None and hasattr(robot, "recorder"):
            from sim.video import FrameRecorder

            self.recorder = FrameRecorder(every=2)
            robot.recorder = self.recorder
        self.dataset = None
        if record_dataset is not None:
            robot = self._record_into(Path(record_dataset), robot)
        self.robot = robot
        clock = RealtimeClock() if self.config.realtime else LockstepClock()
        self.executor = Executor(robot, clock=clock, render=self.config.render, on_tick=on_tick)
        self.planner = planner or make_planner(self.config, self.registry)
        self.perception = perception or make_perception(self.config, robot)
        start_positions = {name: tuple(float(v) for v in pos)
                           for name, pos in getattr(robot, "start_poses", {}).items()}
        self.runtime = Runtime(robot=robot, executor=self.executor, planner=self.planner, registry=self.registry,
                               perception=self.perception, publish=self.bus.publish,
                               start_positions=start_positions, snapshot=self._snapshot,
                               control_hz=self.config.control_hz, limits=self.config.limits)
        from agent.planners.factory import wants_images

        if wants_images(self.config) and isinstance(robot, Cameras):
            self.runtime.camera_frames = lambda: camera_data_urls(self.robot)
        from perception.changes import ChangeWatcher

        self.runtime.watcher = ChangeWatcher()
        self.runtime.watcher.reset(self.perception.scene())
        self.checkpointer = sqlite_checkpointer(self.dir / "checkpoints.sqlite")
        self.graph = build_graph(self.checkpointer)
        self.answer_fn = answer
        self.memory = MemoryStore(self.config.home / "memory.sqlite")
        self.bus.subscribe(self._remember)
        self._lock = threading.Lock()
        if fresh:
            self._write_meta(perturbation)

    # -- recording -----------------------------------------------------------------------------
    def _record_into(self, path: Path, robot: Any) -> Any:
        """Write the session as a LeRobot dataset: an episode per step, each frame's task the
        step's instruction, and the conversation beside it."""
        from skills.api import Outcome, Status
        from skills.recording import DatasetRecorder

        # Frames are recorded at the control rate: the configured one, else the built-in skills' 20 Hz.
        rec = DatasetRecorder.create(path, fps=int(self.config.control_hz or 20), joint_names=list(robot.joint_names))
        self.dataset = rec

        def on_event(e: Any) -> None:
            if isinstance(e, ev.StepStarted):
                rec.begin_episode(e.instruction or e.skill)
            elif isinstance(e, ev.StepFinished):
                rec.end_episode(Outcome(status=Status(e.status), reason=e.reason))
            elif isinstance(e, ev.Utterance) and e.final:
                rec.note_dialogue("utterance", e.text)
            elif isinstance(e, ev.QuestionAsked):
                rec.note_dialogue("question", e.text)
            elif isinstance(e, ev.PlanMade) and e.preempt:
                rec.note_dialogue("correction", e.utterance, steps=e.steps)
            elif isinstance(e, ev.Note):
                rec.note_dialogue("note", e.text, scope=e.scope)
            elif isinstance(e, ev.Spoken):
                rec.note_dialogue("reply", e.text)

        self.bus.subscribe(on_event)
        return rec.wrap(robot)

    # -- persistence ---------------------------------------------------------------------------
    @property
    def _thread(self) -> dict:
        return {"configurable": {"thread_id": self.id}}

    def _write_meta(self, perturbation: str | None) -> None:
        meta = {"session": self.id, "scene": self.scene.model_dump(), "perturbation": perturbation,
                "config": json.loads(self.config.model_dump_json())}
        (self.dir / "session.json").write_text(json.dumps(meta, indent=2))

    def _snapshot(self, steps_done: int) -> None:
        """Save the simulated world at a step boundary so a resumed job starts from it. Each
        snapshot is keyed by the number of steps done, so a resume loads the one that matches
        its checkpoint whichever side of the checkpoint's write the process died on."""
        if hasattr(self.robot, "model") and hasattr(self.robot, "data"):
            from sim.persist import prune_worlds, save_world, world_path

            save_world(self.robot, world_path(self.dir, steps_done))
            prune_worlds(self.dir, keep_from=steps_done - 1)

    @classmethod
    def resume(cls, session_id: str, config: SessionConfig | None = None, **kw: Any) -> "Session":
        config = config or SessionConfig()
        d = config.home / "sessions" / session_id
        meta_path = d / "session.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"no session {session_id!r} under {config.home / 'sessions'}")
        meta = json.loads(meta_path.read_text())
        saved = SessionConfig.model_validate({**meta["config"], "home": str(config.home)})
        s = cls(SceneSpec.model_validate(meta["scene"]), saved, session_id=session_id,
                perturbation=None, fresh=False, **kw)
        if hasattr(s.robot, "model"):
            from sim.persist import latest_world, load_world

            world = latest_world(d, len(s._state().get("done", []))) or (d / "world.npz")  # older sessions
            if world.exists():
                load_world(s.robot, world)
        # Changes are noticed against the world as restored, not as the scene file laid it out.
        s.runtime.watcher.reset(s.perception.scene())
        return s

    def _remember(self, e: Any) -> None:
        """User-scoped notes outlive the session: they go to the per-user memory."""
        if isinstance(e, ev.Note) and e.scope == "user":
            try:
                if e.forgotten:
                    self.memory.forget(self.config.user, e.text)
                else:
                    self.memory.add(self.config.user, e.text)
            except sqlite3.OperationalError as err:
                if storage_problem(err) is None:
                    raise
                self._storage_failed(err)

    def _storage_failed(self, e: BaseException) -> None:
        """The disk is full (or failing): stop the arm, end the job, keep what was saved so a
        resume after freeing space continues from the last checkpoint."""
        if self.storage_error is None:
            self.storage_error = storage_problem(e) or str(e)
        runtime, executor = getattr(self, "runtime", None), getattr(self, "executor", None)
        checkpointer = getattr(self, "checkpointer", None)
        if checkpointer is not None:
            checkpointer.refuse_writes = True
        if runtime is not None:
            runtime.closing.set()
        h = executor.current if executor is not None else None
        if h is not None and not h.done:
            h.cancel("the disk is full")

    def _first_input(self, text: str, source: str) -> dict:
        st = self._state()
        inp: dict[str, Any] = {"utterance": text, "utterance_source": source}
        if not st.get("session"):
            # A new session starts knowing what this user taught the robot before.
            have = {n.text for n in st.get("notes", [])}
            remembered = [Note(text=m.text, scope="user") for m in self.memory.list(self.config.user)
                          if m.text not in have and not note_problems(Note(text=m.text), self.config.limits)]
            inp.update(session=self.id, notes=list(st.get("notes", [])) + remembered)
        return inp

    def _state(self) -> dict[str, Any]:
        """The graph's state as the nodes hold it (typed)."""
        return dict(self.graph.get_state(self._thread).values or {})

    def state(self) -> dict[str, Any]:
        """The graph's state as plain data (what a caller can print, compare or store)."""
        return {k: [x.model_dump() if isinstance(x, BaseModel) else x for x in v] if isinstance(v, list) else v
                for k, v in self._state().items()}

    def unfinished(self) -> bool:
        return bool(self.graph.get_state(self._thread).next)

    # -- ways in -------------------------------------------------------------------------------
    def say(self, text: str, answer: AnswerFn | None = None, source: str = "typed") -> JobResult:
        """Something said while the robot is idle: plan it, ask what must be asked, run it.
        `source` "voice" means the speech pipeline already logged what it heard."""
        with self._lock:
            full = self._state_too_big()
            if full:
                self.bus.publish(ev.ErrorEvent(message=full, where="limits"))
                self.bus.publish(ev.Spoken(text="This session has saved as much as it may; please start a new one."))
                return JobResult(outcome="refused", errors=[f"limits: {full}"])
            try:
                first = self._first_input(text, source)
            except Exception as e:  # the checkpoint store could not even be opened
                if storage_problem(e) is None:
                    raise
                self._storage_failed(e)
                return self._disk_full([], [], [])
            result = self._drive(first, answer or self.answer_fn)
            # Said while the job ended (after a stop, during its last step): the next job.
            while (heard := self._left_over()) is not None:
                more = self._drive(self._first_input(heard.text, heard.source), answer or self.answer_fn)
                heard.handled.set()
                result = result.then(more)
            return result

    def _left_over(self) -> Heard | None:
        """The first thing said that no job took up; stale items (answers nobody waits for,
        control words the executor already acted on) are dropped."""
        while (item := self.runtime.timeline.get()) is not None:
            if isinstance(item, Heard):
                if item.control is None:
                    return item
                item.handled.set()
        return None

    def _state_too_big(self) -> str:
        from agent.checkpoints import checkpoint_bytes

        size = checkpoint_bytes(self.dir / "checkpoints.sqlite")
        cap = self.config.limits.checkpoint_mb * 1e6
        if size <= cap:
            return ""
        return (f"the session's saved state is {size / 1e6:.1f} MB, more than the {self.config.limits.checkpoint_mb:g} MB "
                "allowed (limits.checkpoint_mb): start a new session")

    def continue_job(self, answer: AnswerFn | None = None) -> JobResult:
        """Continue a job whose process was killed (after `Session.resume`)."""
        with self._lock:
            snap = self.graph.get_state(self._thread)
            if not snap.next:
                return JobResult(outcome="nothing to resume")
            if "ask" in snap.next and snap.interrupts:
                return self._drive(None, answer or self.answer_fn, pending_question=snap.interrupts[0].value)
            return self._drive(None, answer or self.answer_fn)

    @property
    def busy(self) -> bool:
        """A job is being planned or run."""
        return self._lock.locked()

    def interject(self, text: str, source: str = "typed", continues: bool = False) -> Heard:
        """Something said while the robot works. A typed control word acts here and now, in the
        typist's thread, as a spoken one does in the speech thread (the speech pipeline fires
        its reflexes itself); then the job takes it up from the timeline."""
        start = control_at_start(text)
        if start is not None and source == "typed":
            self.reflex(start.command, word=start.word)
        heard = Heard(text=text, source=source, control=control_of(text), at=self.executor.clock.now(),
                      continues=continues)
        return self.runtime.timeline.put(heard)  # type: ignore[return-value]

    def reflex(self, command: Control, word: str = "") -> None:
        """The fast path: act on stop/pause/resume now, through the executor; the job (and,
        for more than a control word, the planner) hears of it afterwards."""
        if command == "pause":
            self.executor.pause()
        elif command == "resume":
            self.executor.resume()
        elif command == "stop":
            self.executor.cancel("stopped by the person")
        self.bus.publish(ev.Reflex(command=command, word=word))

    def _drive(self, first: Any, answer: AnswerFn | None, pending_question: dict | None = None) -> JobResult:
        start_done = len(self._state().get("done", []))
        said: list[str] = []
        questions: list[str] = []
        ended: list[ev.JobEnded] = []
        errors: list[str] = []

        def collect(e: Any) -> None:
            if isinstance(e, ev.Spoken):
                said.append(e.text)
            elif isinstance(e, ev.JobEnded):
                ended.append(e)
            elif isinstance(e, ev.ErrorEvent):
                errors.append(f"{e.where}: {e.message}")

        unsub = self.bus.subscribe(collect)
        try:
            if pending_question is not None:
                first = Command(resume=self._ask(pending_question["question"], answer, questions))
            result = self.graph.invoke(first, self._thread, context=self.runtime, durability="sync")
            while isinstance(result, dict) and result.get("__interrupt__"):
                q = result["__interrupt__"][0].value["question"]
                reply = self._ask(q, answer, questions)
                result = self.graph.invoke(Command(resume=reply), self._thread, context=self.runtime,
                                           durability="sync")
        except Exception as e:  # a checkpoint or snapshot that could not be written
            if storage_problem(e) is None:
                raise
            self._storage_failed(e)
        finally:
            unsub()
        if self.storage_error is not None:
            return self._disk_full(said, questions, errors)
        st = self.state()
        return JobResult(outcome=st.get("outcome") or "done", said=said, questions=questions,
                         steps=st.get("done", [])[start_done:], pending=st.get("pending", []),
                         done=ended[-1].done if ended else [], not_done=ended[-1].not_done if ended else [],
                         errors=errors)

    def _ask(self, question: str, answer: AnswerFn | None, questions: list[str]) -> str:
        questions.append(question)
        reply = answer(question) if answer is not None else None
        return reply or ""

    def _disk_full(self, said: list[str], questions: list[str], errors: list[str]) -> JobResult:
        """End a job the disk could not hold: the arm at rest, and what to do about it."""
        from agent.dispatch import abandon_early

        if self.runtime.early is not None:
            abandon_early(self.runtime)  # a step started mid-plan ends (and says so) like any other
        h = self.executor.current
        if h is not None and not h.done:
            h.cancel("the disk is full")
            h.wait(5.0)
        try:
            resumable = self.unfinished()
        except Exception:
            resumable = False
        then = f"continue with: hirobot resume {self.id}" if resumable else "give the instruction again"
        message = (f"the disk holding {self.dir} is full or failing ({self.storage_error}); the arm was stopped "
                   f"at rest. Free some space, then {then}")
        return JobResult(outcome="disk full", said=said, questions=questions, errors=errors + [f"storage: {message}"])

    # -- ending --------------------------------------------------------------------------------
    def write_video(self, path: Path | None = None) -> Path | None:
        path = path or self.video
        if path is None or self.recorder is None or not self.recorder.frames:
            return None
        return self.recorder.save(path)

    def close(self, timeout_s: float = 10.0) -> None:
        """End the session: stop the arm, let a running job wind down, then close the stores."""
        self.runtime.closing.set()
        h = self.executor.cancel("session closed")
        if h is not None:
            h.wait(2.0)
        if self._lock.acquire(timeout=timeout_s):  # the job's last checkpoint is written first
            self._lock.release()
        if self.dataset is not None:
            self.dataset.close()
        self.log.close()
        try:
            self.memory.close()
        except sqlite3.Error:
            pass
        try:
            self.checkpointer.conn.close()
        except Exception:
            pass

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
