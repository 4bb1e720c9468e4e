"""What the planner is told when speech drives a session: a short phrase the reflex spotter
caught but the transcriber misheard reaches the planner as that reflex."""

from __future__ import annotations

from agent import events as ev
from agent.schema import PlannerTurn
from agent.voice import VoiceLink
from tests.test_session_graph import make


def _heard(tmp_path, text: str, reflex: ev.Reflex | None, start: float = 1.0, end: float = 1.8, logged=None) -> list[str]:
    s, planner = make(tmp_path, lambda inp: PlannerTurn(say="Okay."))
    link = VoiceLink(s)
    if reflex is not None:
        link.on_reflex(reflex)
    link.on_utterance(ev.Utterance(text=text, final=True, start=start, end=end, source="voice"))
    assert link.wait_idle(20)
    s.close()
    if logged is not None:
        from agent.eventlog import read_events

        logged.extend(e.text for e in read_events(s.dir / "events.jsonl") if isinstance(e, ev.Utterance))
    return [i.utterance for i in planner.inputs]


def test_a_misheard_short_phrase_that_fired_a_reflex_reaches_the_planner_as_the_reflex(tmp_path):
    logged: list[str] = []
    heard = _heard(tmp_path, "Okay, the one.", ev.Reflex(command="resume", word="go on", heard_at=1.5), logged=logged)
    assert heard == ["Go on."]
    assert "Okay, the one." in logged, "the log keeps what was transcribed"


def test_a_transcript_that_carries_its_reflex_word_is_passed_as_heard(tmp_path):
    heard = _heard(tmp_path, "Okay, go on.", ev.Reflex(command="resume", word="go on", heard_at=1.5))
    assert heard == ["Okay, go on."]


def test_long_utterances_and_phrases_without_a_reflex_are_passed_as_heard(tmp_path):
    long = "Stop that and put the green block in the blue bowl instead."
    assert _heard(tmp_path / "a", long, ev.Reflex(command="stop", word="stop", heard_at=1.2), end=4.0) == [long]
    assert _heard(tmp_path / "b", "The blue one.", None) == ["The blue one."]
    # a reflex from an earlier phrase does not reach into a later one
    late = _heard(tmp_path / "c", "The blue one.", ev.Reflex(command="stop", word="stop", heard_at=0.2))
    assert late == ["The blue one."]
