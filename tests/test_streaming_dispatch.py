"""With a streaming planner the arm starts the first step while the rest of the plan is still
being written, and a later step that fails its checks does not undo the one already running."""

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


def place(obj: str, rel: str, target: str) -> PlanStep:
    return PlanStep(skill="place", args={"object": obj, "relation": rel, "target": target},
                    instruction=f"put the {obj} {rel} the {target}")


def _session(tmp_path, stub, events: list, stream: bool = True, images: bool = False) -> Session:
    """A session whose openai planner talks to `stub`; no fallback, so every turn comes from it."""
    reg = load_registry()
    planner = OpenAIPlanner(OpenAIPlannerConfig(base_url=stub.base_url, model="stub", stream=stream,
                                                fallback="none", images=images), registry=reg)
    return Session(SCENE, SessionConfig(home=tmp_path, planner="openai"), planner=planner, registry=reg,
                   on_event=events.append)


def test_first_step_moves_the_arm_before_the_plan_is_complete(tmp_path):
    reply = turn_json([place("red cup", "on", "tray"), place("blue cup", "in", "bin")], say="On it.")
    stub = StubServer(scripted(reply), token_rate=40).start()
    events: list = []
    try:
        s = _session(tmp_path, stub, events)
        r = s.say("Put the red cup on the tray, then the blue cup in the bin.")
        s.close()
    finally:
        stub.stop()
    assert r.outcome == "done" and [x["status"] for x in r.steps] == ["success", "success"]
    started = next(e for e in events if isinstance(e, ev.StepStarted))
    plan = next(e for e in events if isinstance(e, ev.PlanMade))
    assert started.index == 1 and started.args["object"] == "red cup"
    # The reply streams for well over a second at 40 tokens/s; step 1 began before it ended.
    assert started.t < plan.t - 0.3, (started.t, plan.t)


def test_a_bad_later_step_does_not_undo_the_running_one(tmp_path):
    bad = turn_json([place("red cup", "on", "tray"), place("green cup", "in", "bin")])
    good = turn_json([place("red cup", "on", "tray"), place("blue cup", "in", "bin")])
    stub = StubServer(scripted(bad, good), token_rate=40).start()
    events: list = []
    try:
        s = _session(tmp_path, stub, events)
        r = s.say("Put the red cup on the tray, then the blue cup in the bin.")
        state = s.robot.state()
        s.close()
    finally:
        stub.stop()
    assert r.outcome == "done"
    starts = [e for e in events if isinstance(e, ev.StepStarted)]
    finishes = [e for e in events if isinstance(e, ev.StepFinished)]
    assert [e.args["object"] for e in starts] == ["red cup", "blue cup"], "the red cup step ran once, never restarted"
    assert all(f.status == "success" for f in finishes)
    assert len(stub.requests) == 2, "the bad step was re-asked"
    from sim.predicates import check_all

    ok, failed = check_all(["on(red cup, tray)", "in(blue cup, bin)"], state)
    assert ok, failed


def test_the_planner_sees_both_cameras_as_jpeg(tmp_path):
    reply = turn_json([place("red cup", "on", "tray")])
    stub = StubServer(scripted(reply)).start()
    try:
        s = _session(tmp_path, stub, [], stream=False, images=True)
        s.say("Put the red cup on the tray.")
        s.close()
    finally:
        stub.stop()
    content = [m for m in stub.requests[0]["messages"] if m["role"] == "user"][-1]["content"]
    urls = [part["image_url"]["url"] for part in content if isinstance(part, dict) and part.get("type") == "image_url"]
    assert len(urls) == 2 and all(u.startswith("data:image/jpeg;base64,") for u in urls)
    import base64
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(base64.b64decode(urls[0].split(",", 1)[1])))
    assert img.size == (224, 224)


def test_a_wait_said_while_the_plan_still_streams_pauses_the_early_step(tmp_path):
    """The first step is moving before the planner's turn ends; a "wait" said in that window
    must reach that step (it is the one moving), not be heard as if the arm were idle."""
    import threading

    plan = turn_json([place("red cup", "on", "tray"), place("blue cup", "in", "bin")], say="On it.")
    pause = turn_json([], say="Waiting.", control="pause")
    resume = turn_json([], say="Going on.", control="resume")
    stub = StubServer(scripted(plan, pause, resume), token_rate=40).start()
    events: list = []
    seen_paused = threading.Event()
    box: dict = {}

    def on_tick(handle, obs) -> None:
        # Simulated time runs faster than the planner streams: hold the world still until
        # the "wait" has been acted on, as a person's words would arrive mid-motion.
        if "said" in box or handle.motion_started_at is None:
            return
        box["said"] = True
        said = box["s"].interject("Wait.")
        threading.Thread(target=watch, daemon=True).start()
        said.handled.wait(30.0)

    def watch() -> None:
        s = box["s"]
        for _ in range(1500):  # up to 30 s of wall time
            h = s.executor.current
            if h is not None and not h.done and h.paused and h.rest_at is not None:
                seen_paused.set()
                break
            threading.Event().wait(0.02)
        s.interject("Go on.")

    try:
        reg = load_registry()
        planner = OpenAIPlanner(OpenAIPlannerConfig(base_url=stub.base_url, model="stub", stream=True,
                                                    fallback="none"), registry=reg)
        s = Session(SCENE, SessionConfig(home=tmp_path, planner="openai"), planner=planner, registry=reg,
                    on_event=events.append, on_tick=on_tick)
        box["s"] = s
        r = s.say("Put the red cup on the tray, then the blue cup in the bin.")
        s.close()
    finally:
        stub.stop()
    started = next(e for e in events if isinstance(e, ev.StepStarted))
    first_plan = next(e for e in events if isinstance(e, ev.PlanMade))
    assert started.t < first_plan.t, "the step did not start before the turn was complete"
    assert seen_paused.is_set(), "the moving step was never paused by the 'wait'"
    assert r.outcome == "done" and [x["status"] for x in r.steps] == ["success", "success"]
