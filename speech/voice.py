"""Voice input and output for one session, wired together: what the agent needs.

    voice = VoiceIO.microphone(bus.publish, vocabulary=words)     # a person at a mic
    voice = VoiceIO.scripted(bus.publish, vocabulary=words)       # evaluation, tests, demos
    bus.subscribe(voice.on_event)   # speaks every Spoken event aloud
    voice.start() ... voice.stop()

With `scripted`, turns are said by the caller at the moment it chooses:

    turn = voice.say_as_person("Put the red cup in the bin.")   # mixed into the "mic"
    turn.wait()                  # returns when the turn has been fully spoken
    voice.wait_robot_idle()      # the robot has finished talking

The robot's own voice goes back into the scripted microphone (LoopbackSink, echo gain
`echo_gain`), so the echo gate and barge-in are exercised as with a real loudspeaker.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from agent.events import Spoken
from agent.timeline import CONTINUE_PAUSE_S

from .gate import AudioGate
from .pipeline import PipelineConfig, SpeechPipeline
from .playback import AudioSink, EchoGate, LoopbackSink, Player, Speaker, SoundDeviceSink, WavFileSink
from .sources import AudioSource, MicrophoneSource, ScriptedSource, Turn, WavFileSource
from .synth_turns import TurnSynth
from .tts import make_tts

# The robot takes the floor once the person has been quiet this long: a request said in two
# breaths ("Clean up the table, ... on the tray." ... "Then put the fork ...") is not talked
# over, which the echo gate would turn into words lost. It is the pause that joins the two
# breaths into one request, so it is that constant, not a copy of it.
REPLY_AFTER_QUIET_S = CONTINUE_PAUSE_S

log = logging.getLogger(__name__)


class VoiceIO:
    def __init__(
        self,
        publish: Callable[[Any], None],
        source: AudioSource,
        *,
        sink: AudioSink | None,
        clock: Callable[[], float] = time.monotonic,
        vocabulary: Iterable[str] = (),
        config: PipelineConfig | None = None,
        voice: str = "piper",
        gates: Sequence[AudioGate] = (),
        taps: Sequence[AudioGate] = (),
        pipeline_kwargs: dict[str, Any] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.source = source
        self.player = Player(sink, clock=clock) if sink is not None else None
        self.echo_gate = EchoGate(self.player) if self.player is not None else None
        # Taps (sound events) come first: they must hear everything, even while the robot talks.
        all_gates: list[AudioGate] = list(taps) + ([self.echo_gate] if self.echo_gate else []) + list(gates)
        self.pipeline = SpeechPipeline(
            source,
            on_utterance=publish,
            on_reflex=publish,
            vocabulary=vocabulary,
            config=config,
            gates=all_gates,
            on_error=on_error or (lambda msg: log.error("%s", msg)),
            **(pipeline_kwargs or {}),
        )
        self.speaker = (Speaker(make_tts(voice), self.player,
                                before_speaking=lambda: wait_until_quiet(self.pipeline, REPLY_AFTER_QUIET_S))
                        if self.player is not None else None)
        self._synth: TurnSynth | None = None

    # ---- construction helpers ------------------------------------------------------

    @classmethod
    def microphone(
        cls,
        publish: Callable[[Any], None],
        *,
        device: int | str | None = None,
        speaker_device: int | str | None = None,
        wav_dir: str | Path | None = None,
        **kw: Any,
    ) -> "VoiceIO":
        """Live microphone; speech out through the loudspeaker, or to WAV files in
        `wav_dir` when there is no output device."""
        source = MicrophoneSource(device)
        sink: AudioSink
        try:
            sink = SoundDeviceSink(speaker_device)
        except Exception as e:  # noqa: BLE001
            folder = Path(wav_dir or "runs/speech")
            log.warning("%s; writing the robot's speech to %s", e, folder)
            sink = WavFileSink(folder)
        return cls(publish, source, sink=sink, **kw)

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        publish: Callable[[Any], None],
        *,
        wav_dir: str | Path | None = None,
        **kw: Any,
    ) -> "VoiceIO":
        """A sound file played into the pipeline in real time, as a microphone would deliver
        it (any rate or channel count); the robot's speech goes to WAV files in `wav_dir`."""
        source = WavFileSource(path, speed=1.0)
        return cls(publish, source, sink=WavFileSink(Path(wav_dir or "runs/speech")), **kw)

    def wait_played(self, wait_robot: Callable[[float], bool], timeout_s: float = 600.0) -> bool:
        """For a file source: wait until the file has been heard to its end, every turn in it
        transcribed, and what the robot started doing (`wait_robot`) finished."""
        deadline = time.monotonic() + timeout_s
        if not self.pipeline.wait_done(timeout_s):
            return False
        time.sleep(0.2)  # the last transcript's job is started from the pipeline's thread
        return wait_robot(max(0.0, deadline - time.monotonic())) and self.wait_robot_idle(30.0)

    @classmethod
    def scripted(
        cls,
        publish: Callable[[Any], None],
        *,
        speed: float = 1.0,
        echo_gain: float = 0.15,
        noise_level: float = 0.0,
        **kw: Any,
    ) -> "VoiceIO":
        """A simulated microphone the caller speaks into with `say_as_person`."""
        source = ScriptedSource([], speed=speed, keep_open=True, noise_level=noise_level)
        sink = LoopbackSink(source, gain=echo_gain)
        return cls(publish, source, sink=sink, clock=lambda: source.position, **kw)

    # ---- session ---------------------------------------------------------------------

    def start(self) -> "VoiceIO":
        self.pipeline.start()
        return self

    def stop(self) -> None:
        if self.speaker is not None:
            self.speaker.close()
        self.pipeline.stop()

    def set_vocabulary(self, vocabulary: Iterable[str]) -> None:
        self.pipeline.set_vocabulary(vocabulary)

    def on_event(self, event: Any) -> None:
        """Bus subscriber: speak what the robot says."""
        if isinstance(event, Spoken) and self.speaker is not None:
            self.speaker.say(event.text)

    def say(self, text: str) -> None:
        if self.speaker is not None:
            self.speaker.say(text)

    def wait_robot_idle(self, timeout: float | None = None) -> bool:
        return True if self.speaker is None else self.speaker.wait_idle(timeout)

    def say_as_person(self, text: str, voice: str = "piper") -> Turn:
        """Scripted sources only: speak `text` into the simulated microphone now."""
        if not isinstance(self.source, ScriptedSource):
            raise TypeError("say_as_person needs VoiceIO.scripted(...)")
        if self._synth is None:
            self._synth = TurnSynth(voice)
        return self.source.say(self._synth.synth(text, voice), label=text)


def wait_until_quiet(pipeline: Any, quiet_s: float, arrived: Callable[[], bool] = lambda: False,
                     timeout_s: float = 15.0, poll_s: float = 0.02) -> None:
    """Block until nobody has spoken (no voice in a turn, no turn being read) for `quiet_s`,
    until `arrived()`, or for at most `timeout_s`: a person talking on and on does not hold
    the robot back for ever."""
    start = time.monotonic()
    quiet_since = start
    while not arrived():
        now = time.monotonic()
        if pipeline.in_speech or pipeline.transcribing:
            quiet_since = now
        if now - quiet_since >= quiet_s or now - start >= timeout_s:
            return
        time.sleep(poll_s)
