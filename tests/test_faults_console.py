"""Text from a person, a planner or a scene file is shown as text: never markup, never a
format string, and never so long that the terminal stalls."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from typer.testing import CliRunner

from agent import events as ev
from agent.cli import app
from agent.config import SessionConfig
from agent.console import ConsoleView
from agent.schema import PlannerTurn
from agent.session import Session
from sim.scenario import SceneSpec
from tests.graph_doubles import FixedPerception, ScriptedPlanner, registry
from tests.kinematic_arm import KinematicArm

runner = CliRunner()
HOSTILE = ["[/]", "[bold red]not ours[/]", "[link=file:///etc/passwd]x[/link]", "{0} %s {__class__}", "\x1b[2J"]


def _view():
    out = io.StringIO()
    return ConsoleView(Console(file=out, width=120, force_terminal=False)), out


@pytest.mark.parametrize("text", HOSTILE)
def test_every_event_shows_untrusted_text_literally(text):
    view, out = _view()
    step = {"skill": text, "args": {"object": text}, "instruction": text}
    for e in [ev.Utterance(text=text), ev.Spoken(text=text), ev.QuestionAsked(text=text), ev.Note(text=text),
              ev.PlanMade(planner=text, utterance=text, say=text, steps=[step]),
              ev.StepStarted(index=1, skill=text, instruction=text),
              ev.StepFinished(index=1, skill=text, status="failure", reason=text),
              ev.Cue(source="vision", kind=text, detail={"object": text}, action=text),
              ev.ErrorEvent(message=text, where=text)]:
        view(e)
    printed = out.getvalue()
    if text.isprintable():
        assert printed.count(text) >= 8
    assert "\x1b" not in printed


def test_a_megabyte_reply_is_shown_cut_short():
    view, out = _view()
    view(ev.Spoken(text="word " * 200_000))
    assert len(out.getvalue()) < 5_000
    assert "more characters" in out.getvalue()


def test_do_with_markup_in_the_instruction_and_the_object_names(home, tmp_path):
    scene = tmp_path / "scene.json"
    scene.write_text(json.dumps({"objects": [{"name": "red [/] cup", "kind": "cup", "color": "red"},
                                             {"name": "bin", "kind": "bin", "at": "right"}]}))
    r = runner.invoke(app, ["do", "put the red cup in the bin [/]", "--scene", str(scene)])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "red [/] cup" in r.output


def test_resume_of_a_session_with_markup_in_its_question(home):
    def killed(question):
        raise KeyboardInterrupt  # the process ends while the question is open

    s = Session(SceneSpec(objects=[]), SessionConfig(home=home), session_id="markup", robot=KinematicArm(),
                planner=ScriptedPlanner(lambda inp: PlannerTurn(question="which [/] one? [bold]")),
                registry=registry(), perception=FixedPerception())
    with pytest.raises(KeyboardInterrupt):
        s.say("move it [/]", answer=killed)
    s.close()
    r = runner.invoke(app, ["resume", "markup", "--no-input"])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "which [/] one? [bold]" in r.output
    assert r.exit_code == 1, "the question went unanswered: the job is not done"
