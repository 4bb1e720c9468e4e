"""Scenarios spoken, not typed: each turn is synthesized (the bundled Piper voice by default,
an espeak-ng voice by name) and played into the speech pipeline in real time, exactly as a
microphone's audio would be: voice activity, end of turn, recognition, reflexes. The world
runs in real time too, so a `moving` turn lands while the arm really moves.

Latencies are measured on one monotonic clock: end of speech (when the turn's last voiced
sound was played) to the final transcript, to the first motion of the arm (from the turn it
answers: the last one said before it), and, for stop turns, to the arm at rest.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from agent import events as ev
from agent.config import SessionConfig
from agent.planners.report import turn_record
from agent.evaluate import _WAIT_FOR_NOTHING_S, MOVING_DELAY_S, ScenarioResult, _judge, _Turns
from agent.session import Session
from agent.voice import VoiceLink, open_voice
from sim.scenario import Scenario

# Words whose turns are about halting the arm (the report times them to the arm at rest).
HALT_WORDS = ("stop", "wait", "hold on", "pause", "freeze")


@dataclass
class SpeechKit:
    """Models loaded once for a whole evaluation: synthesis voices and the two recognizers."""

    voice: str = "piper"
    pipeline: Any = None  # speech.pipeline.PipelineConfig; None: the defaults
    synth: Any = None
    asr: Any = None
    spotter: Any = None
    vad: Any = None
    audio_dir: Any = None  # a folder of recorded turns (speech.recorded) instead of a voice
    room: str | None = None  # a speech.room preset the turns are heard through
    room_seed: int = 0

    def load(self) -> "SpeechKit":
        from speech.asr import WhisperASR
        from speech.pipeline import PipelineConfig
        from speech.synth_turns import TurnSynth

        cfg = self.pipeline = self.pipeline or PipelineConfig()
        if self.audio_dir is not None and self.synth is None:
            from speech.recorded import RecordedTurns

            self.synth = RecordedTurns(self.audio_dir)
        self.synth = self.synth or TurnSynth(self.voice)
        if self.room is not None:
            from speech.room import preset

            preset(self.room)  # an unknown name fails here, before any scenario runs
        self.asr = self.asr or WhisperASR(cfg.asr)
        # A separate spotter: a "stop" must never wait behind a transcription in progress.
        self.spotter = self.spotter or WhisperASR(cfg.spotter_asr())
        return self

    def close(self) -> None:
        """Free the models now, while every thread that used them is known to be done, rather
        than in the interpreter's last teardown."""
        import gc

        self.asr = self.spotter = self.synth = self.vad = None
        gc.collect()


@dataclass
class _Clock:
    """perf_counter readings (the executor's clock) as monotonic ones (the audio source's)."""

    offset: float = field(default_factory=lambda: time.monotonic() - time.perf_counter())

    def mono(self, perf: float | None) -> float | None:
        return None if perf is None else perf + self.offset


def _halt_word_end_s(text: str, pcm: Any) -> float:
    """Where the halt word ends in its synthesized turn, found in the audio: the end of the
    first word group when the turn opens with it ("Stop!", "Wait, ..."), else the end of the
    last voiced sound (a conservative bound for "Okay, stop.")."""
    from speech.synth_turns import first_word_end_s, last_voiced_end_s

    first_group = re.split(r"[,.!?;:]", text.lower(), maxsplit=1)[0]
    if any(w in first_group for w in HALT_WORDS):
        return first_word_end_s(pcm)
    return last_voiced_end_s(pcm)


def run_scenario_voice(scenario: Scenario, config: SessionConfig, kit: SpeechKit,
                       on_event: Callable[[Any], None] | None = None, timeout_s: float = 150.0,
                       record_dataset: Any = None, planner: Any | None = None) -> ScenarioResult:
    from speech.addressee import confirmation_reply
    from speech.room import room_from_cli
    from speech.sources import ScriptedSource

    t_wall = time.perf_counter()
    clock = _Clock()
    config = config.model_copy(update={"realtime": True, "user": f"eval-voice-{scenario.id}-{id(kit):x}"})
    turns = _Turns(scenario)
    dry = {t.say: kit.synth.synth(t.say) for t in scenario.turns}  # synthesize before the clock runs
    room = room_from_cli(kit.room, kit.room_seed)
    # In a room, turns are heard reverberated over noise that never stops (between turns too).
    pcm = {k: room.speech(v, key=k) for k, v in dry.items()} if room else dry
    source = ScriptedSource(keep_open=True, lead_s=0.2, speed=1.0,
                            background=room.noise_bed(60.0, key=scenario.id)[0] if room else None,
                            microphone=room.mic().process if room else None)
    played: list[tuple[str, Any]] = []  # (text, speech.sources.Turn)
    m: dict[str, Any] = {"first_motion": None, "halt_turn": None, "halt_handle": None, "refused": False,
                         "steps": 0}
    box: dict[str, Any] = {}

    def play(text: str) -> Any:
        turn = source.say(pcm[text], label=text)
        played.append((text, turn))
        if any(w in text.lower() for w in HALT_WORDS) and m["halt_turn"] is None:
            m["halt_turn"] = turn
            h = box["s"].executor.current
            m["halt_handle"] = h if h is not None and not h.done else None
        return turn

    def on_tick(handle, obs) -> None:
        # A pause's rest time is cleared on resume: keep the first one after the halt word.
        if m["halt_handle"] is handle and m.get("rest_at") is None and handle.rest_at is not None:
            m["rest_at"] = handle.rest_at
        if m["first_motion"] is None and handle.motion_started_at is not None:
            m["first_motion"] = clock.mono(handle.motion_started_at)
        if handle.motion_started_at is None:
            return
        if time.perf_counter() - handle.motion_started_at < MOVING_DELAY_S:
            return
        turn = turns.take_if(lambda t: t.when == "moving")
        if turn is not None:
            play(turn.say)

    def on_step_finished(index: int, record: dict) -> None:
        m["steps"] = index
        turn = turns.take_if(lambda t: t.after_step == index)
        if turn is not None:
            play(turn.say)

    planner_turns: list[dict[str, Any]] = []

    def watch(e: Any) -> None:
        if isinstance(e, ev.PlanMade):
            planner_turns.append(turn_record(e.planner, e.utterance, e.metrics))
        if isinstance(e, ev.PlanMade) and e.refused:
            m["refused"] = True
        if isinstance(e, ev.QuestionAsked):
            turn = turns.take_if(lambda t: t.when == "asked")
            if turn is not None:
                play(turn.say)
        if on_event is not None:
            on_event(e)

    session = Session(scenario.scene, config, perturbation=scenario.perturbation, on_event=watch, on_tick=on_tick,
                      record_dataset=record_dataset, planner=planner)
    box["s"] = session
    session.runtime.on_step_finished = on_step_finished
    errors: list[str] = []
    voice = open_voice(session, source, speak=False, config=kit.pipeline, asr=kit.asr, spotter=kit.spotter,
                       on_error=errors.append)
    link, pipeline = voice.link, voice.pipeline
    error = None
    confirmations = 0
    try:
        voice.start()
        deadline = time.monotonic() + timeout_s
        left_waiting: float | None = None
        answered: set[str] = set()
        while time.monotonic() < deadline:
            if link.confirming is not None and link.confirming not in answered and \
                    _quiet(link, source, pipeline, played):
                # "Did you say ...?": the person answers as a person would (speech.addressee)
                answered.add(link.confirming)
                reply = confirmation_reply(link.confirming, played[-1][0] if played else "", kit.synth)
                if reply not in pcm:
                    pcm[reply] = room.speech(kit.synth.synth(reply), key=reply) if room else kit.synth.synth(reply)
                play(reply)
                confirmations += 1
            elif _quiet(link, source, pipeline, played) and _robot_waiting(session, link):
                turn = turns.take_if(lambda t: t.when == "idle")
                if turn is None:
                    turns.skip_unreachable()
                    turn = turns.take_if(lambda t: t.when == "idle")
                if turn is not None:
                    play(turn.say)
                    left_waiting = None
                elif not link.busy:
                    break
                elif not link.hearing:
                    # Paused with nothing left to say: the world is judged as it stands.
                    left_waiting = left_waiting or time.monotonic()
                    if time.monotonic() - left_waiting > _WAIT_FOR_NOTHING_S:
                        break
            else:
                left_waiting = None
            time.sleep(0.05)
        else:
            error = f"the scenario did not finish within {timeout_s:.0f} s"
        if left_waiting is None:
            link.wait_idle(10.0)
        if errors:
            error = "; ".join(errors)
    except Exception as e:
        error = f"{type(e).__name__}: {e}"
    finally:
        voice.stop()
        session.close()
    h = m["halt_handle"]
    halt = {"asked_at": 0.0 if m["halt_turn"] is not None else None, "rest": None}
    stop_to_rest = None
    rest_at = m.get("rest_at") or (h.rest_at if h is not None else None)
    if h is not None and rest_at is not None and m["halt_turn"].started_wall is not None:
        turn = m["halt_turn"]
        stop_to_rest = clock.mono(rest_at) - (turn.started_wall + _halt_word_end_s(turn.label, dry[turn.label]))
        halt["rest"] = stop_to_rest
    result = _judge(scenario, session, _questions(session), m["refused"], m["steps"], halt, error)
    result.wall_s = round(time.perf_counter() - t_wall, 2)
    result.planner_turns = planner_turns
    result.stop_to_rest_s = None if stop_to_rest is None else round(stop_to_rest, 3)
    # The turn the first motion answers: the last one said before it. A request answered with a
    # question moves after the answer, a rule ("From now on, ...") moves nothing: the time from
    # the first turn would be the person's own time to answer or to go on.
    moved_for = [t for _, t in played if t.started_wall is not None and m["first_motion"] is not None
                 and t.started_wall < m["first_motion"]]
    if moved_for:
        # end of speech: the last voiced sound of the dry turn, not its file's end (voices pad
        # their files with up to 0.5 s of silence; a room adds a reverberation tail)
        from speech.synth_turns import last_voiced_end_s

        turn = moved_for[-1]
        spoken_end = turn.started_wall + last_voiced_end_s(dry[turn.label])
        result.first_motion_s = round(m["first_motion"] - spoken_end, 3)
    result.transcripts = [{"said": text, "heard": _heard_for(turn, link.utterances)} for text, turn in played]
    result.confirmations = confirmations
    result.ignored = [u.text for u in link.ignored]
    result.final_transcript_s = [round(u.latency_s, 3) for u in link.utterances if u.latency_s is not None]
    return result


def _questions(session: Session) -> int:
    from agent.eventlog import read_events

    return sum(1 for e in read_events(session.dir / "events.jsonl") if isinstance(e, ev.QuestionAsked))


def _heard_for(turn: Any, utterances: list[ev.Utterance]) -> str:
    """The transcripts whose speech overlapped this turn's playing time."""
    if turn.started_at is None or turn.ended_at is None:
        return ""
    hits = [u.text for u in utterances
            if u.start is not None and u.end is not None and u.end >= turn.started_at - 0.3
            and u.start <= turn.ended_at + 0.3]
    return " ".join(hits)


def _quiet(link: VoiceLink, source: Any, pipeline: Any, played: list) -> bool:
    """Nothing is being said or still being recognized."""
    if source.busy or pipeline.in_speech or pipeline.transcribing:
        return False
    if played and not played[-1][1].done.is_set():
        return False
    # The last turn played must have been heard (or given up on) before the next is said.
    if played:
        last = played[-1][1]
        heard = any(u.end is not None and last.started_at is not None and u.end >= last.started_at - 0.3
                    for u in link.utterances)
        waited = last.ended_wall is not None and time.monotonic() - last.ended_wall > 4.0
        return heard or waited
    return True


def _robot_waiting(session: Session, link: VoiceLink) -> bool:
    """Idle, or paused with the arm at rest and waiting to be told to go on."""
    if not link.busy:
        return True
    if link.asking:
        return False
    h = session.executor.current
    if session.executor.paused:
        return h is None or h.done or (h.paused and h.rest_at is not None)
    return False
