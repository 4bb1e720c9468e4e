"""Playing the robot's voice, being interrupted, and not listening to ourselves.

- `Player` plays one utterance at a time through a sink and keeps what it plays as the
  *reference signal* (16 kHz mono) on its own clock, so the microphone side can tell
  how loud the robot's own voice should be right now.
- Sinks: `SoundDeviceSink` (loudspeaker, sounddevice imported lazily), `WavFileSink`
  (no output device: writes WAV files and keeps real-time timing), `LoopbackSink`
  (mixes the played audio into a `ScriptedSource`, i.e. a simulated echo path: what
  tests and the voice evaluation use).
- `EchoGate` sits in the speech pipeline. While the robot speaks (and `tail_s` after),
  microphone audio is *not* treated as the person's speech, except for a barge-in:
  speech-like audio (VAD) whose level is `barge_factor` above the echo expected from the
  reference signal, for `barge_min_s`. Then playback stops at once and the gate opens;
  the held-back audio is kept as pre-roll so the interrupting words are transcribed.

Trade-off (documented, measured in tests/test_speech_playback.py): this is gating, not
acoustic echo cancellation. It never transcribes the robot's own voice and costs no CPU,
but a person speaking over the robot must be clearly louder at the microphone than the
robot's echo (about 8 dB with the default `barge_factor=2.5`); a quiet interruption of
a loud loudspeaker is missed until the robot finishes. The echo coupling is learned
while the robot talks alone, so a loud speaker close to the mic raises the bar
automatically. Real AEC (subtracting the adaptively filtered reference) would lift that
limit and is the natural next step.
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from .audio import SAMPLE_RATE, rms, to_16k_mono
from .endpoint import FRAME_S
from .gate import GateState
from .sources import ScriptedSource, Turn, import_sounddevice, write_wav
from .tts import TTS

log = logging.getLogger(__name__)


class AudioSink(Protocol):
    def play(self, pcm: np.ndarray, rate: int) -> None:
        """Start playing (non-blocking)."""
        ...

    def stop(self) -> None:
        """Stop now."""
        ...


class SoundDeviceSink:
    """The default output device (or `device`) through PortAudio."""

    def __init__(self, device: int | str | None = None) -> None:
        self._sd = import_sounddevice()
        self.device = device
        try:
            self._sd.query_devices(device, "output")
        except Exception as e:  # noqa: BLE001
            raise RuntimeError(
                f"no audio output device ({e}); speech will be written to WAV files instead "
                "if you pass a WavFileSink, or choose a device with --speaker-device"
            ) from e

    def play(self, pcm: np.ndarray, rate: int) -> None:
        self._sd.play(pcm, rate, device=self.device, blocking=False)

    def stop(self) -> None:
        self._sd.stop()


class WavFileSink:
    """Writes each utterance to `folder/say-NNN.wav` (for machines without a speaker)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._n = 0
        self.files: list[Path] = []

    def play(self, pcm: np.ndarray, rate: int) -> None:
        self._n += 1
        path = self.folder / f"say-{self._n:03d}.wav"
        write_wav(path, pcm, rate)
        self.files.append(path)

    def stop(self) -> None:
        return None


class LoopbackSink:
    """Plays into a ScriptedSource at `gain`: the robot hears itself as a real microphone
    would. `stop()` cuts the sound from the next audio chunk on."""

    def __init__(self, source: ScriptedSource, gain: float = 0.3) -> None:
        self.source = source
        self.gain = gain
        self.turn: Turn | None = None

    def play(self, pcm: np.ndarray, rate: int) -> None:
        self.turn = self.source.say(to_16k_mono(pcm, rate), label="robot", gain=self.gain)

    def stop(self) -> None:
        if self.turn is not None:
            self.turn.cancel()


@dataclass(eq=False)
class Playback:
    """One utterance being played: times on the player's clock."""

    text: str
    reference: np.ndarray  # 16 kHz mono
    start: float
    end: float
    stopped_at: float | None = None
    stop_reason: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def interrupted(self) -> bool:
        return self.stopped_at is not None and self.stopped_at < self.end


class Player:
    """Plays one utterance at a time and remembers it as the echo reference.

    `clock` must be the clock the microphone frames are processed on: `time.monotonic`
    for a real microphone, the scripted source's position for a loopback.
    """

    def __init__(self, sink: AudioSink, clock: Callable[[], float] = time.monotonic, tail_s: float = 0.3) -> None:
        self.sink = sink
        self.clock = clock
        self.tail_s = tail_s
        self._lock = threading.Lock()
        self.current: Playback | None = None
        self.history: collections.deque[Playback] = collections.deque(maxlen=32)
        self.on_stopped: list[Callable[[Playback], None]] = []

    def play(self, pcm: np.ndarray, rate: int, text: str = "") -> Playback:
        self.stop("replaced")
        ref = to_16k_mono(pcm, rate)
        now = self.clock()
        pb = Playback(text, ref, now, now + len(ref) / SAMPLE_RATE)
        with self._lock:
            self.current = pb
            self.history.append(pb)
        self.sink.play(pcm, rate)
        return pb

    def stop(self, reason: str = "stop") -> Playback | None:
        with self._lock:
            pb = self.current
            if pb is None or pb.stopped_at is not None:
                return None
            now = self.clock()
            if now >= pb.end:
                return None
            pb.stopped_at, pb.stop_reason = now, reason
        self.sink.stop()
        pb.done.set()
        for fn in self.on_stopped:
            fn(pb)
        return pb

    def playing(self, now: float | None = None) -> bool:
        pb = self.current
        if pb is None:
            return False
        now = self.clock() if now is None else now
        end = pb.stopped_at if pb.stopped_at is not None else pb.end
        if now >= end and not pb.done.is_set():
            pb.done.set()
        return pb.start <= now < end

    def speaking(self, now: float | None = None) -> bool:
        """Playing, or within the tail after it (room echo, device latency)."""
        pb = self.current
        if pb is None:
            return False
        now = self.clock() if now is None else now
        end = pb.stopped_at if pb.stopped_at is not None else pb.end
        return pb.start <= now < end + self.tail_s

    def reference_rms(self, now: float, before_s: float = 0.15, after_s: float = 0.15) -> float:
        """Loudest 32 ms RMS of the reference within [now - before_s, now + after_s]
        (the margin tolerates the unknown output+input latency between playing a sample
        and hearing it)."""
        pb = self.current
        if pb is None:
            return 0.0
        end = pb.stopped_at if pb.stopped_at is not None else pb.end
        if now - before_s > end:
            return 0.0
        a = int(max(0.0, now - pb.start - before_s) * SAMPLE_RATE)
        b = int(max(0.0, min(now + after_s, end) - pb.start) * SAMPLE_RATE)
        seg = pb.reference[a:b]
        if len(seg) == 0:
            return 0.0
        n = 512
        k = len(seg) // n
        if k == 0:
            return rms(seg)
        frames = seg[: k * n].reshape(k, n)
        return float(np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1)).max())


class EchoGate:
    """Pipeline gate: closed while the robot speaks, unless the person barges in."""

    def __init__(
        self,
        player: Player,
        barge_factor: float = 2.5,
        barge_min_s: float = 0.1,
        vad_threshold: float = 0.6,
        coupling: float = 1.0,
        noise_floor: float = 0.003,
    ) -> None:
        self.player = player
        self.barge_factor = barge_factor
        self.barge_frames = max(1, int(round(barge_min_s / FRAME_S)))
        self.vad_threshold = vad_threshold
        # Start pessimistic (echo as loud as the reference) and learn the real coupling
        # while the robot talks alone; a quiet speaker far from the mic lowers it.
        self.coupling = coupling
        self.noise_floor = noise_floor
        self.min_coupling = 0.05
        self._recent: collections.deque[float] = collections.deque(maxlen=int(round(0.3 / FRAME_S)))
        self._run = 0
        self.barge_ins = 0
        self.held_frames = 0
        self.on_barge_in: list[Callable[[], None]] = []

    def process(self, frame: np.ndarray, prob: float, t: float) -> GateState:
        player = self.player
        now = player.clock()
        pb = player.current
        if not player.speaking(now) or (pb is not None and pb.stop_reason == "barge-in"):
            # after a barge-in the person has the floor: no tail, no second barge-in
            self._run = 0
            self._recent.clear()
            return "open"
        ref = player.reference_rms(now)
        mic = rms(frame)
        self._recent.append(mic)
        expected = self.coupling * ref + self.noise_floor
        loud = prob >= self.vad_threshold and mic > self.barge_factor * expected
        if loud:
            self._run += 1
            if self._run >= self.barge_frames:
                self._run = 0
                self.barge_ins += 1
                player.stop("barge-in")
                for fn in self.on_barge_in:
                    fn()
                return "open"
        else:
            self._run = 0
            past_ref = player.reference_rms(now, before_s=0.3, after_s=0.0)
            if past_ref > 0.02 and len(self._recent) == self._recent.maxlen:
                # Learn the echo path from frames that are probably echo alone: the
                # loudest microphone frame of the last 0.3 s against the loudest
                # reference frame of the same span (one frame alone may fall between
                # two syllables). Rise fast, fall slowly: an
                # underestimate would turn the robot's own loud syllables into barge-ins.
                ratio = max(self._recent) / past_ref
                rate = 0.3 if ratio > self.coupling else 0.05
                self.coupling = max(self.min_coupling, (1 - rate) * self.coupling + rate * ratio)
        self.held_frames += 1
        return "closed"

    def turn_ended(self) -> None:
        return None


class Speaker:
    """Says texts one after another on a worker thread: synthesis, then playback.

    `say()` returns at once; `wait_idle()` tells when the robot stopped talking (what an
    evaluation waits for before the next "idle" turn). `interrupt()` stops the current
    utterance and drops queued ones (a barge-in does the same through the player).
    """

    def __init__(self, tts: TTS, player: Player, max_queue: int = 16,
                 before_speaking: Callable[[], None] | None = None) -> None:
        self.tts = tts
        self.player = player
        # Blocks until the robot may take the floor (the person has stopped talking): what it
        # says over them is lost to both, since the echo gate does not hear them meanwhile.
        self.before_speaking = before_speaking
        self._q: queue.Queue[str | None] = queue.Queue(maxsize=max_queue)
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0  # said but not yet finished playing (or dropped)
        self._plock = threading.Lock()
        self._stop = threading.Event()
        self._generation = 0
        self._thread = threading.Thread(target=self._loop, name="speech-speaker", daemon=True)
        self._thread.start()
        player.on_stopped.append(self._on_player_stopped)

    def say(self, text: str) -> None:
        if not text.strip():
            return
        with self._plock:
            self._pending += 1
            self._idle.clear()
        try:
            self._q.put_nowait(text)
        except queue.Full:
            log.warning("too much queued speech; dropping %r", text[:40])
            self._finished()

    def _finished(self) -> None:
        with self._plock:
            self._pending = max(0, self._pending - 1)
            if self._pending == 0:
                self._idle.set()

    def interrupt(self) -> None:
        self._generation += 1
        self._drain()
        self.player.stop("interrupt")

    def _on_player_stopped(self, pb: Playback) -> None:
        if pb.stop_reason == "barge-in":
            self._generation += 1
            self._drain()

    def _drain(self) -> None:
        while True:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self._finished()

    def wait_idle(self, timeout: float | None = None) -> bool:
        return self._idle.wait(timeout)

    @property
    def idle(self) -> bool:
        return self._idle.is_set()

    def close(self) -> None:
        self._stop.set()
        self.interrupt()
        self._q.put(None)
        self._thread.join(2.0)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                text = self._q.get(timeout=0.1)
            except queue.Empty:
                continue
            if text is None:
                return
            try:
                self._speak(text)
            finally:
                self._finished()

    def _speak(self, text: str) -> None:
        gen = self._generation
        try:
            pcm, rate = self.tts.synthesize(text)
        except Exception as e:  # noqa: BLE001 - a failed voice must not end the session
            log.error("speech synthesis failed (%s); the text was: %s", e, text)
            return
        if gen != self._generation:
            return  # interrupted while synthesizing
        if self.before_speaking is not None:
            self.before_speaking()
            if gen != self._generation:
                return  # interrupted while waiting for the floor
        pb = self.player.play(pcm, rate, text)
        while not self._stop.is_set() and not pb.done.wait(0.02):
            self.player.playing()  # marks it done when its time is up
