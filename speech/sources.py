"""Where audio comes from: a microphone, a WAV file, or a scripted timeline of synthesized
turns. Every source yields `AudioChunk`s of 16 kHz mono float32 on its own audio clock.

`chunks()` is a generator the pipeline drains from one thread; `close()` may be called
from any thread and makes the generator end soon (within about one chunk).
"""

from __future__ import annotations

import collections
import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .audio import SAMPLE_RATE, AudioChunk, StreamResampler, to_16k_mono, to_float32, to_mono

log = logging.getLogger(__name__)

DEFAULT_CHUNK_S = 0.032  # one silero VAD frame (512 samples): the smallest useful step


class AudioSource(ABC):
    """A stream of 16 kHz mono chunks on an audio clock."""

    name: str = "audio"

    def __init__(self) -> None:
        self.dropped_chunks = 0  # chunks lost because the consumer was too slow
        self.error: str | None = None  # why the stream ended early, if it did
        self._closed = threading.Event()

    @abstractmethod
    def chunks(self) -> Iterator[AudioChunk]: ...

    def close(self) -> None:
        self._closed.set()

    @property
    def closed(self) -> bool:
        return self._closed.is_set()


# --------------------------------------------------------------------------- files


def read_audio_file(path: str | Path) -> tuple[np.ndarray, int]:
    """Read a sound file as (frames[, channels]) float32 plus its rate. soundfile reads most
    formats; the stdlib `wave` module is the fallback for plain PCM WAV."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"audio file not found: {p}")
    try:
        import soundfile as sf

        data, rate = sf.read(str(p), dtype="float32", always_2d=False)
        return np.asarray(data, dtype=np.float32), int(rate)
    except ImportError:
        pass
    import wave

    with wave.open(str(p), "rb") as w:
        n_ch, width, rate, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        raw = w.readframes(n)
    dtype = {1: np.uint8, 2: np.int16, 4: np.int32}.get(width)
    if dtype is None:
        raise ValueError(f"{p}: {8 * width}-bit WAV is not supported; convert it to 16-bit PCM")
    a = np.frombuffer(raw, dtype=dtype).reshape(-1, n_ch)
    return to_float32(a), rate


def write_wav(path: str | Path, pcm: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write mono float32 as 16-bit PCM WAV (stdlib only)."""
    import wave

    a = np.clip(np.asarray(pcm, dtype=np.float32), -1.0, 1.0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes((a * 32767.0).astype("<i2").tobytes())


class ArraySource(AudioSource):
    """Plays a numpy array (already 16 kHz mono) as a stream, optionally in real time."""

    name = "array"

    def __init__(self, pcm: np.ndarray, chunk_s: float = DEFAULT_CHUNK_S, speed: float = 0.0) -> None:
        super().__init__()
        self.pcm = np.asarray(pcm, dtype=np.float32)
        self.chunk = max(1, int(round(chunk_s * SAMPLE_RATE)))
        self.speed = speed  # 1.0 = real time, 0 = as fast as the consumer takes it

    def chunks(self) -> Iterator[AudioChunk]:
        t0 = time.monotonic()
        for i in range(0, len(self.pcm), self.chunk):
            if self.closed:
                return
            t = i / SAMPLE_RATE
            if self.speed > 0:
                _sleep_until(t0 + (t + self.chunk / SAMPLE_RATE) / self.speed, self._closed)
            yield AudioChunk(self.pcm[i : i + self.chunk], t)


class WavFileSource(ArraySource):
    """A sound file of any rate and channel count, converted to 16 kHz mono up front.
    Samples beyond full scale are clipped (a clipped recording is still speech)."""

    name = "wav"

    def __init__(self, path: str | Path, chunk_s: float = DEFAULT_CHUNK_S, speed: float = 0.0) -> None:
        data, rate = read_audio_file(path)
        if rate != SAMPLE_RATE:
            log.info("%s: converting %d Hz to %d Hz", path, rate, SAMPLE_RATE)
        self.path = Path(path)
        self.original_rate = rate
        super().__init__(to_16k_mono(data, rate), chunk_s=chunk_s, speed=speed)


def _sleep_until(deadline: float, stop: threading.Event) -> None:
    delay = deadline - time.monotonic()
    if delay > 0:
        stop.wait(delay)


# --------------------------------------------------------------------------- scripted


@dataclass(eq=False)  # identity: turns hold arrays, and two equal clips are two turns
class Turn:
    """A piece of audio the scripted source plays; its times are filled in as it plays."""

    pcm: np.ndarray
    label: str = ""
    gain: float = 1.0
    started_at: float | None = None  # audio clock
    ended_at: float | None = None  # audio clock
    started_wall: float | None = None  # time.monotonic() when its first chunk was emitted
    ended_wall: float | None = None
    done: threading.Event = field(default_factory=threading.Event)
    _pos: int = 0

    @property
    def duration(self) -> float:
        return len(self.pcm) / SAMPLE_RATE

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the whole turn has been emitted."""
        return self.done.wait(timeout)

    def cancel(self) -> None:
        """Stop playing this turn from the next chunk on (a loudspeaker cut off)."""
        self._pos = len(self.pcm)


class ScriptedSource(AudioSource):
    """A microphone stand-in: silence (or low noise) with turns mixed in on a timeline.

    - `turns` given up front are played one after another, `gap_s` apart, after `lead_s`.
    - `say(pcm)` (any thread) mixes a turn in from the next chunk on: the caller picks the
      moment (when the robot asks, 1 s after motion starts, ...). The returned `Turn`
      tells when it started and ended on the audio clock and has `wait()`.
      Several turns may overlap (mixed additively); this is also how a test leaks the
      robot's own voice into the "microphone".
    - `speed=1.0` paces chunks in real time; `speed=4.0` runs four times faster;
      `speed=0` does not wait at all.
    - The stream ends after the scripted turns and `tail_s` of silence, unless
      `keep_open=True`, in which case it runs until `close()`.
    """

    name = "scripted"

    def __init__(
        self,
        turns: list[np.ndarray] | None = None,
        *,
        gap_s: float = 1.5,
        lead_s: float = 0.5,
        tail_s: float = 1.5,
        speed: float = 1.0,
        keep_open: bool = False,
        noise_level: float = 0.0,
        chunk_s: float = DEFAULT_CHUNK_S,
        seed: int = 0,
        on_turn_end: Callable[[Turn], None] | None = None,
        background: np.ndarray | None = None,
        microphone: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> None:
        super().__init__()
        # A room's noise, looped under everything (between turns too), and the microphone
        # the mix goes through (band, gain, clipping): see speech.room.
        self.background = None if background is None or not len(background) else np.asarray(background, np.float32)
        self.microphone = microphone
        self._bg_pos = 0
        self.chunk = max(1, int(round(chunk_s * SAMPLE_RATE)))
        self.speed = speed
        self.keep_open = keep_open
        self.noise_level = noise_level
        self.tail_s = tail_s
        self.on_turn_end = on_turn_end
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._pending: collections.deque[Turn] = collections.deque()
        self._active: list[Turn] = []
        self._script: list[tuple[float, Turn]] = []  # (audio start time, turn)
        t = lead_s
        for pcm in turns or []:
            turn = Turn(np.asarray(pcm, dtype=np.float32))
            self._script.append((t, turn))
            t += turn.duration + gap_s
        self.scripted_turns = [tr for _, tr in self._script]
        self.position = 0.0  # audio clock of the next chunk
        # hold() / advance(n) / release(): while held, the stream gives only the chunks it was
        # let through. A faster-than-real-time run holds it while the listener catches up, so
        # the audio it hears (how much room noise lies between two turns) does not depend on
        # how fast the machine is.
        self._flow = threading.Condition()
        self._budget: int | None = None  # chunks the stream may still give while held; None: not held

    def say(self, pcm: np.ndarray, label: str = "", gain: float = 1.0) -> Turn:
        """Mix `pcm` (16 kHz mono) into the stream starting with the next chunk."""
        turn = Turn(np.asarray(pcm, dtype=np.float32), label=label, gain=gain)
        with self._lock:
            self._pending.append(turn)
        return turn

    @property
    def busy(self) -> bool:
        """True while any turn is still playing or waiting to start."""
        with self._lock:
            return bool(self._active or self._pending or self._script)

    def hold(self) -> None:
        """Stop the stream after the current chunk, until `release()` (or `close()`)."""
        with self._flow:
            self._budget = 0

    def advance(self, chunks: int = 1) -> None:
        """While held: let exactly this many more chunks through."""
        with self._flow:
            self._budget = (self._budget or 0) + chunks
            self._flow.notify_all()

    def release(self) -> None:
        with self._flow:
            self._budget = None
            self._flow.notify_all()

    def _wait_to_flow(self) -> bool:
        """False when the stream was closed while held."""
        with self._flow:
            while self._budget == 0:
                if self.closed:
                    return False
                self._flow.wait(0.05)
            if self._budget is not None:
                self._budget -= 1
        return True

    def chunks(self) -> Iterator[AudioChunk]:
        t0 = time.monotonic()
        n = 0
        idle_since: float | None = None
        while not self.closed:
            if not self._wait_to_flow():
                return
            t = n * self.chunk / SAMPLE_RATE
            end_t = t + self.chunk / SAMPLE_RATE
            if self.speed > 0:
                _sleep_until(t0 + end_t / self.speed, self._closed)
                if self.closed:
                    return
            buf = self._mix(t, end_t)
            self.position = end_t
            n += 1
            yield AudioChunk(buf, t)
            if not self.keep_open:
                if self.busy:
                    idle_since = None
                elif idle_since is None:
                    idle_since = end_t
                elif end_t - idle_since >= self.tail_s:
                    return

    def _mix(self, t: float, end_t: float) -> np.ndarray:
        n = self.chunk
        if self.noise_level > 0:
            buf = (self._rng.standard_normal(n) * self.noise_level).astype(np.float32)
        else:
            buf = np.zeros(n, dtype=np.float32)
        now = time.monotonic()
        finished: list[Turn] = []
        with self._lock:
            while self._script and self._script[0][0] < end_t:
                self._active.append(self._script.pop(0)[1])
            while self._pending:
                self._active.append(self._pending.popleft())
            for turn in self._active:
                if turn.started_at is None:
                    turn.started_at, turn.started_wall = t, now
                take = turn.pcm[turn._pos : turn._pos + n]
                buf[: len(take)] += take * turn.gain
                turn._pos += len(take)
                if turn._pos >= len(turn.pcm):
                    turn.ended_at = t + len(take) / SAMPLE_RATE
                    turn.ended_wall = now
                    finished.append(turn)
            self._active = [tr for tr in self._active if tr not in finished]
        for turn in finished:
            turn.done.set()
            if self.on_turn_end is not None:
                self.on_turn_end(turn)
        if self.background is not None:
            bg = self.background
            idx = (self._bg_pos + np.arange(n)) % len(bg)
            buf += bg[idx]
            self._bg_pos = (self._bg_pos + n) % len(bg)
        if self.microphone is not None:
            buf = self.microphone(buf)
        return np.clip(buf, -1.0, 1.0)

    def close(self) -> None:
        super().close()
        with self._lock:
            for turn in [*self._active, *self._pending]:
                turn.done.set()


# --------------------------------------------------------------------------- microphone


class MicrophoneError(RuntimeError):
    """The microphone cannot be used; the message says what to do."""


def import_sounddevice() -> Any:
    """Import sounddevice lazily: it needs the PortAudio shared library, which headless
    machines and CI often lack, and nothing but the microphone and speaker need it."""
    try:
        import sounddevice  # noqa: PLC0415

        return sounddevice
    except OSError as e:  # raised when libportaudio is missing
        raise MicrophoneError(
            "PortAudio is not installed, so there is no audio device access: "
            "install libportaudio2 (apt-get install libportaudio2). "
            f"({e})"
        ) from e
    except ImportError as e:
        raise MicrophoneError(
            "the sounddevice package is missing: pip install 'hirobot[voice]' "
            f"(or pip install sounddevice). ({e})"
        ) from e


def list_input_devices(sd: Any | None = None) -> list[str]:
    """Human-readable list of input devices: 'index: name (channels, rate)'."""
    sd = sd or import_sounddevice()
    out = []
    for i, d in enumerate(sd.query_devices()):
        if d.get("max_input_channels", 0) > 0:
            out.append(f"{i}: {d['name']} ({d['max_input_channels']} ch, {int(d['default_samplerate'])} Hz)")
    return out


def _no_device_message(sd: Any, detail: str = "") -> str:
    try:
        devices = list_input_devices(sd)
    except Exception:  # noqa: BLE001 - listing is best effort inside an error message
        devices = []
    listing = "\n  ".join(devices) if devices else "(none found)"
    return (
        f"no usable audio input device{': ' + detail if detail else ''}.\n"
        f"Input devices:\n  {listing}\n"
        "Choose one with --device INDEX or --device NAME, plug in a microphone, "
        "or use a WAV file / scripted source instead."
    )


class MicrophoneSource(AudioSource):
    """Live microphone through PortAudio (sounddevice).

    The PortAudio callback only copies the block into a bounded queue; when the queue is
    full the oldest block is dropped and counted (`dropped_chunks`): a slow consumer
    loses old audio rather than stalling the audio thread or growing memory. Mixing to
    mono and resampling to 16 kHz happen on the consuming thread.

    If the device disappears mid-session (unplugged, PortAudio error, no data for
    `stall_s`), the stream ends cleanly and `error` says why.
    """

    name = "microphone"

    def __init__(
        self,
        device: int | str | None = None,
        block_s: float = DEFAULT_CHUNK_S,
        queue_blocks: int = 64,
        stall_s: float = 2.0,
    ) -> None:
        super().__init__()
        self.device = device
        self.block_s = block_s
        self.stall_s = stall_s
        self._q: queue.Queue[np.ndarray] = queue.Queue(maxsize=queue_blocks)
        self._status_errors: list[str] = []
        self._sd = import_sounddevice()
        self.device_info = self._pick_device()
        self.rate = int(self.device_info["default_samplerate"])
        self.channels = max(1, min(int(self.device_info["max_input_channels"]), 2))

    def _pick_device(self) -> dict[str, Any]:
        sd = self._sd
        try:
            info = sd.query_devices(self.device, "input")
        except Exception as e:  # noqa: BLE001 - sounddevice raises ValueError/PortAudioError
            raise MicrophoneError(_no_device_message(sd, f"{self.device!r}: {e}" if self.device is not None else str(e))) from e
        if not info or int(info.get("max_input_channels", 0)) <= 0:
            raise MicrophoneError(_no_device_message(sd, f"{info.get('name', self.device)!r} has no input channels"))
        return dict(info)

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        # Runs on PortAudio's thread: never block, never allocate more than one copy.
        if status and (getattr(status, "input_overflow", False) or str(status)):
            self._status_errors.append(str(status))
            del self._status_errors[:-8]
        block = indata.copy()
        while True:
            try:
                self._q.put_nowait(block)
                return
            except queue.Full:
                try:
                    self._q.get_nowait()
                    self.dropped_chunks += 1
                except queue.Empty:
                    pass

    def chunks(self) -> Iterator[AudioChunk]:
        sd = self._sd
        resampler = StreamResampler(self.rate, SAMPLE_RATE)
        try:
            stream = sd.InputStream(
                device=self.device,
                samplerate=self.rate,
                channels=self.channels,
                dtype="float32",
                blocksize=max(1, int(self.rate * self.block_s)),
                callback=self._callback,
            )
            stream.start()
        except Exception as e:  # noqa: BLE001
            raise MicrophoneError(_no_device_message(sd, f"cannot open {self.device_info.get('name')!r}: {e}")) from e
        produced = 0
        last_data = time.monotonic()
        try:
            while not self.closed:
                try:
                    block = self._q.get(timeout=0.25)
                except queue.Empty:
                    if not stream.active or time.monotonic() - last_data > self.stall_s:
                        self.error = (
                            f"the input device {self.device_info.get('name')!r} stopped delivering audio "
                            "(unplugged or taken by another program?); the voice session ends here. "
                            "Reconnect it and start again, or pick another with --device."
                        )
                        log.error(self.error)
                        return
                    continue
                last_data = time.monotonic()
                pcm = np.clip(resampler.process(to_mono(block)), -1.0, 1.0)
                if len(pcm) == 0:
                    continue
                yield AudioChunk(pcm.astype(np.float32), produced / SAMPLE_RATE, last_data)
                produced += len(pcm)
        finally:
            try:
                stream.stop()
                stream.close()
            except Exception as e:  # noqa: BLE001 - a vanished device may fail to close
                log.debug("closing the input stream failed: %s", e)
