"""Helpers for the rules planner tests: hand-built scenes and a symbolic table that carries out
plan steps and checks the scenario predicates (in, on, left_of, right_of, near, untouched)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

from agent.planners.rules import RulesPlanner
from agent.schema import DialogueTurn, Note, PlannerInput, PlannerTurn, PlanStep, SceneObject, StepRecord
from agent.validate import step_problems
from sim.kinds import FIXED_KINDS
from sim.scenario import Scenario
from skills.api import Skill
from skills.builtin.args import HomeArgs, PlaceArgs, PutBackArgs
from skills.registry import SkillRegistry

# Region centres on a table 0.8 m deep (x, away from the robot) and 1.0 m wide (+y to its left).
REGIONS = {
    "center": (0.45, 0.0), "left": (0.45, 0.3), "right": (0.45, -0.3), "front": (0.25, 0.0), "back": (0.65, 0.0),
    "front-left": (0.25, 0.3), "front-right": (0.25, -0.3), "back-left": (0.65, 0.3), "back-right": (0.65, -0.3),
}
# Free spots for objects without a region, used in order.
_SPOTS = [(0.35, 0.12), (0.55, -0.12), (0.35, -0.15), (0.55, 0.15), (0.3, 0.0), (0.6, 0.0), (0.45, 0.2),
          (0.45, -0.2), (0.25, 0.15), (0.65, -0.15), (0.25, -0.15), (0.65, 0.15)]


def obj(name: str, kind: str, color: str | None = None, at: str | None = None,
        pos: tuple[float, float] | None = None, **kw) -> dict:
    return {"name": name, "kind": kind, "color": color, "at": at, "pos": pos, **kw}


def scene(*specs: dict) -> list[SceneObject]:
    """SceneObjects with positions consistent with their regions."""
    taken: list[tuple[float, float]] = []
    out: list[SceneObject] = []
    spots = iter(_SPOTS)
    for s in specs:
        xy = s.get("pos") or (REGIONS[s["at"]] if s.get("at") else None)
        if xy is None:
            xy = next(p for p in spots if all(abs(p[0] - t[0]) + abs(p[1] - t[1]) > 0.1 for t in taken))
        taken.append(xy)
        out.append(SceneObject(name=s["name"], kind=s["kind"], color=s.get("color"), pos=(xy[0], xy[1], 0.02),
                               graspable=s.get("graspable", s["kind"] not in FIXED_KINDS),
                               inside=s.get("inside"), held=s.get("held", False), moved=s.get("moved", False)))
    return out


def _skill(skill_name: str, args_model: type[BaseModel], text: str) -> type[Skill]:
    return type(f"{skill_name.title()}Skill", (Skill,), {"name": skill_name, "description": text, "Args": args_model})


def registry(*extra: type[Skill]) -> SkillRegistry:
    reg = SkillRegistry()
    reg.add(_skill("place", PlaceArgs, "Pick up an object and place it relative to another."), origin="builtin")
    reg.add(_skill("put_back", PutBackArgs, "Return an object to where it stood at the start."), origin="builtin")
    reg.add(_skill("home", HomeArgs, "Move the arm home."), origin="builtin")
    for s in extra:
        reg.add(s, origin="test")
    return reg


def catalogue(reg: SkillRegistry):
    from agent.schema import SkillInfo
    return [SkillInfo(**entry) for entry in reg.catalogue()]


@dataclass
class Table:
    """The symbolic world: where things rest, what was moved, and the side relations made."""

    objects: list[SceneObject]
    inside: dict[str, str | None] = field(default_factory=dict)
    beside: dict[str, tuple[str, str]] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.start = {o.name.lower(): o.pos for o in self.objects}
        for o in self.objects:
            self.inside[o.name.lower()] = o.inside.lower() if o.inside else None

    def do(self, step: PlanStep) -> None:
        name = str(step.args.get("object", "")).lower()
        if step.skill == "place":
            self.touched.add(name)
            self.returned.discard(name)
            rel, tgt = step.args["relation"], step.args["target"].lower()
            if rel in ("in", "on"):
                self.inside[name] = tgt
                self.beside.pop(name, None)
            else:
                self.inside[name] = None
                self.beside[name] = (rel, tgt)
        elif step.skill == "put_back":
            self.touched.add(name)
            self.inside[name] = None
            self.beside.pop(name, None)
            self.returned.add(name)

    def scene_now(self) -> list[SceneObject]:
        out = []
        for o in self.objects:
            key = o.name.lower()
            holder = self.inside.get(key)
            pos = o.pos
            if holder:
                h = next(x for x in self.objects if x.name.lower() == holder)
                pos = (h.pos[0], h.pos[1], 0.08)
            elif key in self.beside:
                rel, tgt = self.beside[key]
                t = next(x for x in self.objects if x.name.lower() == tgt)
                dy = {"left_of": 0.12, "right_of": -0.12}.get(rel, 0.0)
                pos = (t.pos[0] + (0.08 if rel == "near" else 0.0), t.pos[1] + dy, 0.02)
            out.append(o.model_copy(update={"inside": self.objects_name(holder), "pos": pos,
                                            "moved": key in self.touched}))
        return out

    def objects_name(self, key: str | None) -> str | None:
        if key is None:
            return None
        return next(o.name for o in self.objects if o.name.lower() == key)

    def holds(self, predicate: str) -> bool:
        p = predicate.strip()
        if p.startswith("!"):
            return not self.holds(p[1:])
        m = re.match(r"(\w+)\((.*)\)$", p)
        assert m, p
        fn, args = m.group(1), [a.strip().lower() for a in m.group(2).split(",")]
        if fn == "untouched":
            return args[0] not in self.touched
        a, b = args
        if fn in ("in", "on"):
            return self.inside.get(a) == b
        if fn in ("left_of", "right_of"):
            return self.beside.get(a) == (fn, b) and b not in self.touched - self.returned
        if fn == "near":
            if b.endswith("@start"):
                return b[: -len("@start")] == a and (a not in self.touched or a in self.returned)
            return self.beside.get(a) == ("near", b)
        raise AssertionError(f"unknown predicate {p}")


@dataclass
class Session:
    """Drives the planner through a conversation the way the agent graph does."""

    objects: list[SceneObject]
    reg: SkillRegistry = field(default_factory=registry)
    notes: list[Note] = field(default_factory=list)
    planner: RulesPlanner = field(default_factory=RulesPlanner)

    def __post_init__(self) -> None:
        self.table = Table(self.objects)
        self.dialogue: list[DialogueTurn] = []
        self.done: list[StepRecord] = []
        self.pending: list[PlanStep] = []
        self.running: PlanStep | None = None
        self.pending_question: str | None = None
        self.questions = 0
        self.refusals = 0
        self.turns: list[PlannerTurn] = []

    def say(self, text: str) -> PlannerTurn:
        inp = PlannerInput(utterance=text, dialogue=list(self.dialogue), pending_question=self.pending_question,
                           scene=self.table.scene_now(), skills=catalogue(self.reg), notes=list(self.notes),
                           done=list(self.done), running=self.running, pending=list(self.pending),
                           start_positions=dict(self.table.start))
        turn = self.planner.plan(inp)
        for step in turn.steps:
            problems = step_problems(step, self.reg, inp.scene)
            assert not problems, (text, problems)
        assert not (turn.question and turn.steps)
        assert turn.say or turn.question, f"the planner said nothing to {text!r}"
        self.turns.append(turn)
        self.dialogue.append(DialogueTurn(role="user", text=text,
                                          kind="answer" if self.pending_question else "say"))
        self.notes = [n for n in self.notes if n.text not in turn.forget] + list(turn.notes)
        self.pending_question = turn.question
        if turn.question:
            self.questions += 1
            self.dialogue.append(DialogueTurn(role="robot", text=turn.question, kind="question"))
        else:
            self.dialogue.append(DialogueTurn(role="robot", text=turn.say))
        if turn.refused:
            self.refusals += 1
        if turn.control == "stop":
            self.running, self.pending = None, []
            return turn
        if turn.control == "pause":
            return turn
        if turn.preempt:
            self.running = None
        self.pending = list(turn.steps)
        return turn

    def start_step(self) -> None:
        """The robot begins the next step (the utterance that follows comes while it moves)."""
        if self.running is None and self.pending:
            self.running = self.pending.pop(0)

    def run(self, n: int | None = None) -> None:
        """Carry out steps to the end (or n of them)."""
        count = 0
        while (self.running is not None or self.pending) and (n is None or count < n):
            step = self.running or self.pending.pop(0)
            self.running = None
            self.table.do(step)
            self.done.append(StepRecord(step=step, status="success"))
            count += 1

    def holds(self, predicate: str) -> bool:
        return self.table.holds(predicate)


def play(sc: Scenario, planner: RulesPlanner | None = None) -> Session:
    """A scenario's turns said in order against the symbolic table, landing when the scenario
    says: an answer only when asked, a `moving` turn while the first pending step runs, an
    `after_step:N` turn after N steps."""
    objects = scene(*[obj(o.name, o.kind, o.color, o.at) for o in sc.scene.objects])
    s = Session(objects, planner=planner or RulesPlanner())
    turns = sc.turns
    for i, turn in enumerate(turns):
        if turn.when == "asked" and not s.pending_question:
            continue
        if turn.when != "asked" and s.pending_question:
            s.pending_question = None  # the person went on without answering
        result = s.say(turn.say)
        if result.question or result.control == "pause":
            continue
        nxt = turns[i + 1] if i + 1 < len(turns) else None
        if nxt is not None and nxt.when == "moving":
            s.start_step()
        elif nxt is not None and nxt.after_step is not None:
            s.run(max(0, nxt.after_step - len(s.done)))
        elif result.control != "stop":
            s.run()
    return s


def problems_of(sc: Scenario, s: Session) -> list[str]:
    """What the session got wrong against the scenario's expectation (empty when it succeeded)."""
    out = [f"not {p}" for p in sc.expect.holds if not s.holds(p)]
    if s.questions != sc.expect.asks:
        out.append(f"asked {s.questions} question(s), expected {sc.expect.asks}")
    if (s.refusals > 0) != sc.expect.refuses:
        out.append("refused" if s.refusals else "did not refuse")
    if sc.expect.refuses and s.done:
        out.append("acted although it should have refused")
    if sc.expect.halted and not any(t.control in ("stop", "pause") for t in s.turns):
        out.append("never halted")
    return out


@dataclass
class Outcome:
    """How a planner fared on one scenario: right, handed over (it said it did not understand,
    so another planner takes the turn), declined wrongly (refused or asked where it should have
    acted, changing nothing), or acted wrongly (steps that leave the table wrong)."""

    id: str
    verdict: str  # right | handed_over | declined | acted_wrongly
    detail: str = ""


def judge(sc: Scenario, planner_factory) -> Outcome:
    from agent.planners import base

    not_understood = getattr(base, "NotUnderstood", None)
    try:
        s = play(sc, planner_factory())
    except Exception as e:  # noqa: BLE001 - only the hand-over signal is a verdict; anything else is a bug
        if not_understood is not None and isinstance(e, not_understood):
            return Outcome(sc.id, "handed_over", str(e))
        raise
    problems = problems_of(sc, s)
    if not problems:
        return Outcome(sc.id, "right")
    said = " / ".join((t.question or t.say) for t in s.turns)
    verdict = "acted_wrongly" if s.done or s.table.touched else "declined"
    return Outcome(sc.id, verdict, f"{'; '.join(problems)} (said: {said})")
