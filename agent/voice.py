"""Talking to a session: what the speech pipeline hears drives the session, and what the robot
says can be spoken back.

- A final utterance while the robot is idle starts a job (in its own thread).
- A final utterance while a job runs is an interjection (the planner sees the running step).
- A final utterance while the robot waits for an answer is that answer.
- A reflex (stop, wait, go on) goes straight to the executor; the utterance that carried it
  reaches the planner afterwards, which then decides what comes next.
- Talk not addressed to the robot is heard and logged, not acted on; a request heard with low
  confidence that would move something is confirmed first ("Did you say ...?"): see
  speech.addressee.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable, Literal, Sequence

from agent import events as ev
from agent.control import PLAIN, control_at_start, words_of
from agent.session import JobResult, Session
from agent.timeline import CONTINUE_PAUSE_S

SHORT_PHRASE_WORDS = 4


class VoiceLink:
    def __init__(self, session: Session, speak: Callable[[str], None] | None = None,
                 answer_timeout_s: float = 20.0) -> None:
        self.session = session
        self.speak = speak
        self.answer_timeout_s = answer_timeout_s
        self._answers: "queue.Queue[str]" = queue.Queue(maxsize=8)
        self._asking = threading.Event()
        self._job: threading.Thread | None = None
        self._lock = threading.Lock()
        self.on_new_job: Callable[[ev.Utterance], None] | None = None
        self.results: list[JobResult] = []
        self.errors: list[str] = []
        self.utterances: list[ev.Utterance] = []
        self.reflexes: list[ev.Reflex] = []
        self._interjected: list[Any] = []  # agent.timeline.Heard of the last interjections
        from speech.addressee import Hearing

        self.addressee = Hearing.for_objects(o.model_dump() for o in session.scene.objects)
        self.ignored: list[ev.Utterance] = []  # heard, but not said to the robot
        self.confirming: str | None = None  # the request a "Did you say ...?" waits on
        self._request_end: float | None = None  # end (stream seconds) of what the running job was asked
        if speak is not None:
            session.bus.subscribe(self._speak_event)

    # -- what the pipeline calls (its threads; must be quick) ---------------------------------
    def on_event(self, e: Any) -> None:
        """One entry for everything a speech pipeline publishes."""
        if isinstance(e, ev.Utterance):
            self.on_utterance(e)
        elif isinstance(e, ev.Reflex):
            self.on_reflex(e)

    def on_utterance(self, u: ev.Utterance) -> None:
        if not u.text.strip():
            return
        # Heard speech goes in the log as heard (with its latency); the planner gets the text.
        self.session.bus.publish(u.model_copy(update={"source": "voice"}))
        if not u.final:
            return
        text = self._planner_text(u)
        routed = self.addressee.route(text, u.confidence, asking=self._asking.is_set(), busy=self.busy)
        if routed.action == "ignore":
            self.ignored.append(u)
            self.utterances.append(u)
            return
        text = routed.text
        continues = self._continues(u, text)
        if continues or not self.busy:
            self._request_end = u.end
        # Route it before recording it as heard: whoever waits on `utterances` then finds the
        # job already running (or the answer already given).
        if self._asking.is_set():
            if continues:
                self.session.runtime.answer_continues = True
            try:
                self._answers.put_nowait(text)
            except queue.Full:
                pass
        else:
            with self._lock:
                if self.busy:
                    heard = self.session.interject(text, source="voice", continues=continues)
                    self._interjected = self._interjected[-3:] + [heard]
                else:
                    if self.on_new_job is not None:
                        self.on_new_job(u)
                    run = self._confirm_then_run if routed.action == "confirm" else self._run_job
                    self._job = threading.Thread(target=run, args=(text,), name="voice-job", daemon=True)
                    self._job.start()
        self.utterances.append(u)

    def _continues(self, u: ev.Utterance, text: str) -> bool:
        """Whether `u` is the rest of the request the running job was asked (see
        CONTINUE_PAUSE_S): begun right after it, and neither a control word nor a correction,
        which act on what was heard so far."""
        from speech.addressee import opens_with_correction

        if not self.busy or self.confirming is not None or self._request_end is None or u.start is None:
            return False
        if not 0.0 <= u.start - self._request_end <= CONTINUE_PAUSE_S:
            return False
        return control_at_start(text) is None and not opens_with_correction(text)

    def _planner_text(self, u: ev.Utterance) -> str:
        """The words the planner gets for a final transcript. Two recognizers heard a short
        phrase: the spotter, whose reflex two reads agreed on, and the transcriber. When the
        reflex fired inside this phrase but the transcript holds no reflex word ("Okay, the
        one." for "Okay, go on."), the phrase was that reflex and the transcript misheard it;
        the planner is told the reflex, not asked to make sense of the slip."""
        if control_at_start(u.text) is not None or len(words_of(u.text)) > SHORT_PHRASE_WORDS:
            return u.text
        if u.start is None or u.end is None:
            return u.text
        fired = [r for r in self.reflexes if r.heard_at is not None and u.start - 0.1 <= r.heard_at <= u.end + 0.5]
        return PLAIN[fired[-1].command] if fired else u.text

    def on_reflex(self, r: ev.Reflex) -> None:
        self.reflexes.append(r)
        self.session.reflex(r.command, word=r.word)

    # -- state ---------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None and self._job.is_alive()

    @property
    def hearing(self) -> bool:
        """Something said while the job ran has not been taken up by the planner yet."""
        return any(not s.handled.is_set() for s in self._interjected)

    @property
    def asking(self) -> bool:
        return self._asking.is_set()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.busy:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    # -- the job thread ------------------------------------------------------------------------
    def _run_job(self, text: str) -> None:
        try:
            self.results.append(self.session.say(text, answer=self._wait_answer, source="voice"))
        except Exception as e:  # the session reports its own errors; this keeps the link alive
            self.errors.append(f"{type(e).__name__}: {e}")
            self.session.bus.publish(ev.ErrorEvent(message=str(e), where="voice job"))

    def _confirm_then_run(self, text: str) -> None:
        """A request heard with low confidence: ask before anything moves. Yes runs it; a
        request said again runs that; anything else drops it."""
        from speech.addressee import is_yes

        self.confirming = text
        self.session.bus.publish(ev.Spoken(text=f'Did you say "{text}"?'))
        try:
            answer = self._wait_answer(text)
        finally:
            self.confirming = None
        if is_yes(answer):
            self._run_job(text)
        elif answer and self.addressee.route(answer).action != "ignore":
            self._run_job(answer)
        else:
            self.session.bus.publish(ev.Spoken(text="Okay, I'll leave it."))

    def _wait_answer(self, question: str) -> str | None:
        while not self._answers.empty():
            self._answers.get_nowait()
        self._asking.set()
        try:
            return self._answers.get(timeout=self.answer_timeout_s)
        except queue.Empty:
            return None
        finally:
            self._asking.clear()

    def _speak_event(self, e: Any) -> None:
        if isinstance(e, (ev.Spoken, ev.QuestionAsked)) and self.speak is not None:
            self.speak(e.text)


@dataclass
class VoiceSession:
    """A session wired to speech: what the pipeline hears drives the session (`link`), what the
    robot says is spoken (when there is a speaker), and sound events become cues (`tap`)."""

    session: Session
    link: VoiceLink
    io: Any  # speech.voice.VoiceIO
    tap: Any  # perception.sound_tap.SoundTap

    @property
    def pipeline(self) -> Any:
        return self.io.pipeline

    def start(self) -> "VoiceSession":
        self.io.start()
        return self

    def stop(self) -> None:
        self.io.stop()
        self.tap.stop()


def open_voice(session: Session, source: Literal["microphone", "scripted", "file"] | Any = "scripted", *,
               speak: bool = True, device: int | str | None = None, speaker_device: int | str | None = None,
               audio: Path | None = None, config: Any = None, gates: Sequence[Any] = (), asr: Any = None,
               spotter: Any = None, on_error: Callable[[str], None] | None = None) -> VoiceSession:
    """The one way a voice session is wired (`listen`, `listen --audio`, `demo --voice`,
    `eval --voice`).

    `source`: "microphone" (a live microphone, the robot's voice out of the loudspeaker),
    "file" (the sound file `audio` played in real time as a microphone would deliver it, the
    robot's voice to WAV files), "scripted" (a simulated microphone the robot's own voice
    echoes back into), or an audio source given (then the robot's voice goes nowhere).
    `asr`/`spotter` reuse recognizers already loaded; `gates` (a wake word) sit after the
    echo gate. `config`: the speech pipeline's settings; None: the session config's [speech] table."""
    from speech.asr import scene_vocabulary
    from speech.voice import VoiceIO, wait_until_quiet

    if config is None:
        from agent.config import speech_settings

        config = speech_settings(session.config)
    vocab = scene_vocabulary([o.model_dump() for o in session.scene.objects]) + session.registry.names()
    tap = sound_tap(session)
    link_box: list[VoiceLink] = []

    def heard(e: Any) -> None:  # the pipeline's threads; the link exists before start()
        link_box[0].on_event(e)

    kw: dict[str, Any] = dict(vocabulary=vocab, config=config, gates=gates, taps=[tap], on_error=on_error,
                              pipeline_kwargs={k: v for k, v in (("asr", asr), ("spotter", spotter)) if v is not None})
    try:
        if source == "microphone":
            io = VoiceIO.microphone(heard, device=device, speaker_device=speaker_device,
                                    wav_dir=session.dir / "speech", **kw)
        elif source == "file":
            io = VoiceIO.from_file(audio, heard, wav_dir=session.dir / "speech", **kw)
        elif source == "scripted":
            io = VoiceIO.scripted(heard, **kw)
        else:
            io = VoiceIO(heard, source, sink=None, **kw)
    except Exception:
        tap.stop()
        raise
    link_box.append(VoiceLink(session, speak=io.say if speak and io.speaker is not None else None))
    session.runtime.wait_for_quiet = partial(wait_until_quiet, io.pipeline)
    return VoiceSession(session=session, link=link_box[0], io=io, tap=tap)


def sound_tap(session: Session, policy: Any = None):
    """Sound events on the session's audio: each becomes a cue the session reacts to."""
    from agent.cues import react
    from perception.sound_tap import SoundTap

    return SoundTap(lambda cue: react(session, cue, policy)).start()
