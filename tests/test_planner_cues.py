"""What the robot says about its own moves: a step a streaming planner started early is the
robot's own move, never reported as someone else's; "failed again" only after a retry."""

from __future__ import annotations

from agent import events as ev
from agent.config import SessionConfig
from agent.planners.openai_backend import OpenAIPlanner, OpenAIPlannerConfig
from agent.schema import PlanStep
from agent.session import Session
from skills.registry import load_registry
from sim.scenario import ObjectSpec, SceneSpec
from tests.openai_stub_server import StubServer, scripted
from tests.planner_fixtures import turn_json

SCENE = SceneSpec(seed=5, objects=[ObjectSpec(name="red cup", kind="cup", color="red"),
                                   ObjectSpec(name="blue cup", kind="cup", color="blue"),
                                   ObjectSpec(name="tray", kind="tray", at="left"),
                                   ObjectSpec(name="bin", kind="bin", at="right")])


def place(obj: str, rel: str, target: str, instruction: str | None = None) -> PlanStep:
    return PlanStep(skill="place", args={"object": obj, "relation": rel, "target": target},
                    instruction=instruction or f"put the {obj} {rel} the {target}")


def test_an_early_step_is_not_reported_as_someone_moving_the_object(tmp_path):
    # The second step's long instruction keeps the stream going well after step 1 has run.
    slow_tail = "carefully " * 60 + "put the blue cup in the bin"
    reply = turn_json([place("red cup", "on", "tray"), place("blue cup", "in", "bin", slow_tail)], say="On it.")
    stub = StubServer(scripted(reply), token_rate=25).start()
    events: list = []
    try:
        reg = load_registry()
        planner = OpenAIPlanner(OpenAIPlannerConfig(base_url=stub.base_url, model="stub", fallback="none",
                                                    images=False), registry=reg)
        s = Session(SCENE, SessionConfig(home=tmp_path, planner="openai"), planner=planner, registry=reg,
                    on_event=events.append)
        r = s.say("Put the red cup on the tray, then the blue cup in the bin.")
        s.close()
    finally:
        stub.stop()
    assert r.outcome == "done"
    early = [e for e in events if isinstance(e, (ev.StepStarted, ev.StepFinished, ev.PlanMade))]
    kinds = [type(e).__name__ for e in early]
    assert kinds.index("StepStarted") < kinds.index("PlanMade"), "step 1 must start while the answer streams"
    moved = [e for e in events if isinstance(e, ev.Cue) and e.kind == "object_moved"]
    assert not [c for c in moved if c.detail.get("object") in ("red cup", "blue cup")], moved


class _Rt:
    """Just what the failure path reads: the retry budget and where speech and events go."""

    max_retries = 1

    def __init__(self) -> None:
        self.events: list = []

    def publish(self, e) -> None:
        self.events.append(e)


def _said_after_failures(monkeypatch, moved: list[bool]) -> list[str]:
    import agent.dispatch as d
    from agent.schema import PlannerTurn
    from skills.api import Outcome

    # The replan itself (a background planner task) is tested in test_timeline; here only what
    # is said around it.
    monkeypatch.setattr(d, "_replan", lambda job, rt, request: PlannerTurn(say="", steps=[]))
    rt = _Rt()
    step = place("red cup", "on", "tray")
    job = d._Job({"pending": [step.model_dump()], "request": "Put the red cup on the tray."})
    for m in moved:
        d._after_failure(job, rt, step, Outcome.failure("no grasp", moved=m))
    return [e.text for e in rt.events if isinstance(e, ev.Spoken)]


def test_a_first_failure_is_not_called_failing_again(monkeypatch):
    # A skill that gave up before moving is replanned at once: that is its first failure.
    said = _said_after_failures(monkeypatch, [False])
    assert any(s.startswith("That failed (no grasp)") for s in said), said
    assert not any("failed again" in s for s in said), said


def test_failing_after_a_retry_is_failing_again(monkeypatch):
    said = _said_after_failures(monkeypatch, [True, True])
    assert said[0].startswith("That did not work") and said[1].startswith("That failed again"), said
