"""Hearing in a real room: no words invented in noise, an overdriven microphone is not a
crash, the end-of-turn model ends a finished sentence early and waits on an unfinished one,
an unsure request that would move something is confirmed before the arm moves, and talk not
addressed to the robot gets no replies and does not swallow the command said right after it.

Real models throughout (silero VAD, Smart Turn, Whisper, YAMNet, the simulated arm and the
rules planner); sources run faster than real time in lockstep, so results do not depend on
the machine's load.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

pytest.importorskip("faster_whisper")
pytest.importorskip("pyroomacoustics")
pytestmark = pytest.mark.skipif(shutil.which("flite") is None, reason="needs flite (apt-get install flite)")

from agent import events as ev  # noqa: E402
from speech.asr import ASRConfig, WhisperASR, scene_vocabulary  # noqa: E402
from speech.audio import SAMPLE_RATE  # noqa: E402
from speech.endpoint import DEFAULT_END_SILENCE_S  # noqa: E402
from speech.pipeline import PipelineConfig, SpeechPipeline  # noqa: E402
from speech.room import Room  # noqa: E402
from speech.sources import ArraySource, ScriptedSource  # noqa: E402
from speech.synth_turns import TurnSynth  # noqa: E402
from speech.turn_end import SmartTurn, looks_unfinished  # noqa: E402
from speech.vad import SileroVAD  # noqa: E402
from speech.wer import word_error_rate  # noqa: E402

OBJECTS = [{"name": "red cup", "kind": "cup", "color": "red"}, {"name": "bin", "kind": "bin", "at": "right"}]
VOCAB = scene_vocabulary(OBJECTS)


@pytest.fixture(scope="module")
def models():
    asr = WhisperASR(ASRConfig())
    spotter = WhisperASR(PipelineConfig().spotter_asr())
    return asr, spotter, SmartTurn()


@pytest.fixture(scope="module")
def synth():
    return TurnSynth("flite:kal16")


def hear(pcm: np.ndarray, models, **cfg):
    asr, spotter, turn = models
    finals: list[ev.Utterance] = []
    reflexes: list[ev.Reflex] = []
    # One chunk at a time, each heard through before the next (SpeechPipeline.step): a
    # free-running stream raced the recognizer, and how a turn was cut and joined then
    # depended on the machine's speed.
    src = ScriptedSource([pcm], speed=0.0, lead_s=0.0, tail_s=0.0, keep_open=True)
    src.hold()
    p = SpeechPipeline(src, on_utterance=lambda u: finals.append(u) if u.final else None,
                       on_reflex=reflexes.append, vocabulary=VOCAB,
                       config=PipelineConfig(**{"lockstep": True, "partials": False, **cfg}),
                       asr=asr, spotter=spotter, vad=SileroVAD(), turn_model=turn)
    p.start()
    try:
        while src.position < len(pcm) / SAMPLE_RATE or p.in_speech or p.holding_sentence:
            p.step()
        src.close()
        assert p.wait_done(180)
    finally:
        p.stop()
    assert not p.stats.errors, p.stats.errors
    return finals, reflexes, p


def z(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * SAMPLE_RATE), np.float32)


# ------------------------------------------------------------------ noise only


@pytest.mark.parametrize("kind", ["pink", "music", "ambient", "keyboard"])
def test_no_words_are_invented_in_room_noise(kind, models):
    room = Room("reverb+10db", 2)
    noise = room.noise(20.0, key="noise-only", kind=kind)
    # the room's noise 10 dB louder still: as loud as the speech itself would be
    finals, reflexes, _ = hear(room.mic().process(noise * 3.16), models)
    assert finals == [] and reflexes == [], [(u.text, u.confidence) for u in finals]


def test_background_talk_fires_no_reflex_and_nothing_of_it_is_for_the_robot(models):
    """Babble is voices: fragments of it may be transcribed, some with fair confidence (one
    came out at 0.51 when other modules were loaded first), but none may stop the arm or
    reach the planner."""
    from speech.addressee import Hearing

    room = Room("reverb+10db", 2)
    finals, reflexes, _ = hear(room.mic().process(room.noise(20.0, key="noise-only", kind="babble")), models)
    assert reflexes == []
    hearing = Hearing.for_objects(OBJECTS)  # as a session with these objects routes
    assert all(hearing.route(u.text, u.confidence).action == "ignore" for u in finals), [u.text for u in finals]


# ------------------------------------------------------------------ clipping


def test_clipped_noise_is_not_a_crash_but_a_clipped_crash_still_is():
    from perception import soundsynth as S
    from perception.sound import SoundEventDetector, SoundEventStream
    from speech.room import pink_noise

    det = SoundEventDetector()
    rng = np.random.default_rng(0)
    for gain in (3, 10, 30):  # 27-91 % of samples at full scale: YAMNet hears "Explosion"
        noise = np.clip(pink_noise(SAMPLE_RATE * 6, rng) * 0.3 * gain, -1, 1)
        assert det.detect(noise) == []
        assert det.suppressed_by_clipping > 0, "the clipping was what looked like a crash"
    crashes = 0
    for seed in range(6):
        bang = np.clip(np.concatenate([z(0.5), S.crash(np.random.default_rng(seed))]) * 4, -1, 1)
        crashes += any(e.kind == "crash" for e in det.detect(bang))
    assert crashes >= 5, "a real crash through the same overdriven microphone is still heard"
    cues: list = []
    stream = SoundEventStream(det, cues.append)
    for i in range(0, SAMPLE_RATE * 4, 512):
        stream.feed(np.clip(pink_noise(512, rng) * 3, -1, 1))
    assert cues == [] and stream.clipping and stream.clipped_patches > 0


def test_clipping_is_reported_with_the_utterance(models, synth):
    pcm = np.clip(synth.synth("Put the red cup in the bin.") * 6, -1, 1)
    finals, _, p = hear(np.concatenate([z(0.5), pcm, z(1.5)]), models)
    assert len(finals) == 1 and finals[0].clipped > 0.001
    assert p.stats.clipped_turns == 1


# ------------------------------------------------------------------ end of turn


def _word_ends(asr: WhisperASR, pcm: np.ndarray) -> dict[str, float]:
    segs, _ = asr.model.transcribe(pcm, word_timestamps=True, language="en")
    return {w.word.strip(" ,.").lower(): w.end for s in segs for w in s.words}


# Smart Turn's verdict on one pause swings with a few tens of milliseconds of silence (on a
# sentence cut after "then": 0.06, 0.47, 0.11, 0.82 at 0.2, 0.25, 0.3, 0.4 s in flite kal16),
# so it is judged over seven voices rather than on one: what a wrong verdict costs is caught
# further on (a transcript that stops mid-sentence is held; the agent joins a request said in
# two breaths). None of them is a voice the room evaluation reports as unused by the tests
# (festival slt, flite rms, Pico en-GB, flite awb). Measured: every voice but flite slt ends
# the finished sentence early; the cut one is kept whole in four (in flite kal16, Pico en-US
# and festival kal the pause after "then" is taken as the end; in the first two the
# recognizer also hears "then" with the second half, so no words are left hanging).
END_OF_TURN_VOICES = ["piper:steady", "piper", "flite:kal16", "flite:kal", "flite:slt", "nanotts:en-US", "festival:kal"]


def test_end_of_turn_model_ends_a_finished_sentence_early_and_waits_on_an_unfinished_one(models, synth):
    pytest.importorskip("piper")
    asr = models[0]
    early = whole_kept = 0
    for voice in END_OF_TURN_VOICES:
        finished = synth.synth("Put the red cup in the bin.", voice)
        finals, _, p = hear(np.concatenate([z(0.5), finished, z(1.5)]), models)
        assert [u.text for u in finals] and word_error_rate("Put the red cup in the bin.", finals[0].text) <= 0.15
        reason, waited = p.stats.turn_ends[0]
        # ended by the model, before the fixed end-of-turn silence would have ended it
        early += reason == "complete" and waited < DEFAULT_END_SILENCE_S - 0.15

        # "Put the red cup in the bin, then ... put the blue cup on the tray.": a 0.8 s pause
        # after "then", longer than the fixed end-of-turn silence (0.55 s)
        whole = "Put the red cup in the bin, then put the blue cup on the tray."
        pcm = synth.synth(whole, voice)
        cut = int(_word_ends(asr, pcm)["then"] * SAMPLE_RATE)
        paused = np.concatenate([z(0.5), pcm[:cut], z(0.8), pcm[cut:], z(1.5)])
        finals, _, p = hear(paused, models)
        whole_kept += len(finals) == 1 and word_error_rate(whole, finals[0].text) <= 0.15
    assert early >= 6 and whole_kept >= 4, (early, whole_kept)
    # without the model the same pause splits the sentence in two
    finals, _, _ = hear(paused, models, end_of_turn_model=False)
    assert len(finals) == 2, [u.text for u in finals]


def test_a_sentence_cut_mid_way_is_recognised_as_unfinished():
    assert looks_unfinished("Clean up:") and looks_unfinished("Put the cup into the")
    assert looks_unfinished("Put the red cup in the bin, then")
    assert not looks_unfinished("Put the red cup in the bin.") and not looks_unfinished("Stop!")
    # a clause that waits for another, with Whisper's full stop at the speaker's pause
    assert looks_unfinished("When I say set the table.") and looks_unfinished("If you see a spoon.")
    assert not looks_unfinished("When I say set the table, the fork goes left of the plate.")
    assert not looks_unfinished("Once the cup is in, then do the bowl.")


# ------------------------------------------------------------------ confirming


def _session(tmp_path):
    from agent.config import SessionConfig
    from agent.session import Session
    from sim.scenario import SceneSpec

    events: list = []
    s = Session(SceneSpec.model_validate({"objects": OBJECTS, "seed": 1}), SessionConfig(home=tmp_path),
                on_event=events.append)
    return s, events


def test_an_unsure_request_is_confirmed_before_the_arm_moves(tmp_path):
    from agent.voice import VoiceLink

    s, events = _session(tmp_path)
    link = VoiceLink(s)
    link.on_utterance(ev.Utterance(text="Put the red cup in the bin.", final=True, start=1.0, end=2.5,
                                   source="voice", confidence=0.3))
    deadline = time.monotonic() + 10
    while link.confirming is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert link.confirming == "Put the red cup in the bin."
    time.sleep(0.5)
    assert [e.text for e in events if isinstance(e, ev.Spoken)] == ['Did you say "Put the red cup in the bin."?']
    assert not any(isinstance(e, (ev.PlanMade, ev.StepStarted)) for e in events), "nothing moved before the answer"
    link.on_utterance(ev.Utterance(text="Yes.", final=True, start=4.0, end=4.4, source="voice", confidence=0.9))
    assert link.wait_idle(60)
    s.close()
    assert link.results and link.results[-1].outcome == "done"
    assert any(isinstance(e, ev.StepStarted) for e in events)


def test_a_no_drops_the_unsure_request_and_a_sure_one_is_not_questioned(tmp_path):
    from agent.voice import VoiceLink

    s, events = _session(tmp_path / "a")
    link = VoiceLink(s)
    link.on_utterance(ev.Utterance(text="Put the red cup in the bin.", final=True, source="voice", confidence=0.3))
    deadline = time.monotonic() + 10
    while link.confirming is None and time.monotonic() < deadline:
        time.sleep(0.02)
    link.on_utterance(ev.Utterance(text="No.", final=True, source="voice", confidence=0.9))
    assert link.wait_idle(20)
    s.close()
    assert not any(isinstance(e, ev.StepStarted) for e in events)

    s, events = _session(tmp_path / "b")
    link = VoiceLink(s)
    link.on_utterance(ev.Utterance(text="Put the red cup in the bin.", final=True, source="voice", confidence=0.8))
    assert link.wait_idle(60)
    s.close()
    assert not any(isinstance(e, ev.Spoken) and e.text.startswith("Did you say") for e in events)
    assert link.results[-1].outcome == "done"


def test_clean_speech_is_recognised_with_confidence_above_the_confirmation_bar(models, synth):
    from speech.addressee import Hearing

    bar = Hearing().confirm_below
    for text in ("Put the red cup in the bin.", "Throw the trash away.", "Stop!"):
        finals, _, _ = hear(np.concatenate([z(0.5), synth.synth(text), z(1.5)]), models)
        assert finals and finals[0].confidence is not None and finals[0].confidence >= bar, (text, finals)


# ------------------------------------------------------------------ talk not addressed to the robot

# Talk between two people in the room; written for this test, not taken from the benchmark.
TALK = [
    "Are you coming to the barbecue on Saturday?",
    "I can't, my brother is moving house and I promised to help.",
    "That's a shame. Maybe next time then.",
    "Did you finish the budget spreadsheet?",
    "Almost. The travel costs are still missing.",
    "I'll ask accounting about them after lunch.",
    "By the way, the heating in the meeting room is broken again.",
    "Somebody should call the landlord about it.",
    "I think Maria already did, this morning.",
    "Good. Let's hope they fix it before winter.",
]


def test_talk_not_addressed_to_the_robot_gets_no_reply_and_does_not_swallow_the_command(tmp_path, models, synth):
    from agent.voice import VoiceLink

    voices = ["flite:kal16", "nanotts:en-US"]
    pytest.importorskip("py_nanotts")
    parts = [z(0.5)]
    for i, line in enumerate(TALK * 2):
        parts += [synth.synth(line, voices[i % 2]), z(0.25)]
    # the command follows the talk with no more pause than between two sentences of it
    parts += [synth.synth("Put the red cup in the bin.", "flite:kal16"), z(2.0)]
    audio = np.concatenate(parts)
    assert len(audio) / SAMPLE_RATE > 60

    s, events = _session(tmp_path)
    link = VoiceLink(s)
    p = SpeechPipeline(ArraySource(audio), on_utterance=link.on_utterance, on_reflex=link.on_reflex,
                       vocabulary=VOCAB, config=PipelineConfig(lockstep=True, partials=False),
                       asr=models[0], spotter=models[1], vad=SileroVAD(), turn_model=models[2])
    p.start()
    try:
        assert p.wait_done(300)
    finally:
        p.stop()
    assert link.wait_idle(60)
    s.close()
    replies = [e for e in events if isinstance(e, (ev.PlanMade, ev.QuestionAsked))]
    assert len(replies) == 1, [(type(e).__name__, getattr(e, "say", getattr(e, "text", ""))) for e in replies]
    assert len(link.ignored) >= len(TALK), [u.text for u in link.ignored]
    assert link.results and link.results[-1].outcome == "done", link.results
    assert any(isinstance(e, ev.StepStarted) for e in events)


@pytest.mark.parametrize("said", ["All right, back to it.", "Okay, off you go.", "Alright, as you were."])
def test_a_control_phrase_while_the_robot_works_or_waits_is_for_the_robot(said):
    """The whole-utterance control phrases of agent.control reach the planner while the robot
    is busy (paused after "Freeze!" included); a lone "okay" between people does not."""
    from speech.addressee import Hearing

    hearing = Hearing.for_objects(OBJECTS)
    assert hearing.route(said, 0.9, busy=True).action == "act"
    assert hearing.route("Okay.", 0.9, busy=True).action == "ignore"
    assert hearing.route("Thanks, that's fine.", 0.9, busy=True).action == "ignore"


@pytest.mark.parametrize("said", ["Do the same with the green one.", "Now do that again for the blue one.",
                                  "Same for those."])
def test_the_last_request_again_is_for_the_robot_even_when_it_is_idle(said):
    from speech.addressee import Hearing

    assert Hearing.for_objects(OBJECTS).route(said, 0.9, busy=False).action == "act"


def test_what_about_something_not_on_the_table_is_not_for_the_robot():
    from speech.addressee import Hearing

    assert Hearing.for_objects(OBJECTS).route("What about lunch?", 0.9, busy=False).action == "ignore"


def test_a_job_title_that_names_what_the_robot_builds_is_heard_with_its_body():
    """"Build a tower." names nothing on the table, but a tower is what the robot makes of it:
    when a pause turns the title into a sentence of its own, it still reaches the planner with
    the body. Talk about a tower elsewhere does not."""
    from speech.addressee import Hearing

    blocks = [{"name": f"{c} block", "kind": "block", "color": c} for c in ("red", "green", "blue")]
    hearing = Hearing.for_objects(blocks)
    heard = "Build a tower. Blue block at the bottom, then the green one, then the red one on top."
    routed = hearing.route(heard, 0.9, busy=False)
    assert routed.action == "act" and routed.text == heard and routed.dropped == ""
    assert hearing.route("We went up the tower yesterday.", 0.9, busy=False).action == "ignore"


def test_a_things_name_used_as_a_verb_names_nothing():
    """Background talk heard as "Don't waste your hands." named the bin ("waste") and went to
    the planner; a name just before the opening of an object ("your", "the") is a verb there.
    The same verbs said to the robot still reach it: what they act on is named, or pointed at."""
    from speech.addressee import Hearing

    hearing = Hearing.for_objects(OBJECTS)
    for talk in ("Don't waste your time.", "Let's not waste the afternoon."):
        assert hearing.route(talk, 0.9, busy=False).action == "ignore", talk
    for request in ("Bin the red cup.", "Trash it.", "Put the cup in the waste.", "Waste the cup, please."):
        assert hearing.route(request, 0.9, busy=False).action == "act", request
