"""The speech pipeline: audio source -> VAD -> turns -> Whisper -> Utterance / Reflex events.

Threads (all daemon, all ended by `stop()` within its timeout):

- capture: drains the source, runs silero VAD and the endpointer per 32 ms frame (about
  1 ms of work), applies gates (echo, wake word, push-to-talk), and hands work on. It
  never waits on Whisper except when the final-transcript queue is full, which only
  happens with a faster-than-real-time source (a microphone source then drops its
  oldest audio, counted, rather than grow).
- asr: final transcripts first, then speculative finals, then partials. When the person
  pauses for `spec_silence_s`, the turn so far is transcribed speculatively; if the
  pause becomes the end of the turn, that result is published at once, so the
  end-of-turn silence and the recognition overlap instead of adding up.
- spotter: while a phrase's first `spot_window_s` are being spoken, re-reads them every
  `spot_hop_s` with a fast Whisper pass (tiny.en, short encoder window) and fires a
  Reflex as soon as the phrase starts with a reflex word, long before the utterance
  ends. The final transcript does not fire the same reflex again.

Times: `Utterance.start/end` and `Reflex.heard_at` are on the source's audio clock;
`Utterance.latency_s` is wall time from the arrival of the last voiced frame to the
transcript.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.events import Reflex, Utterance

from .asr import ASRConfig, REFLEX_WORDS, WhisperASR, build_prompt
from .audio import SAMPLE_RATE, clipped_fraction
from .endpoint import FRAME_S, Endpointer, EndpointConfig, Segment
from .gate import AudioGate
from .reflexes import ReflexDeduper, match_reflex
from .sources import AudioSource
from .level_gate import LevelGate
from .turn_end import looks_unfinished
from .vad import Framer, SileroVAD

# A turn with this share of its samples at full scale was heard through an overdriven
# microphone: reported (log, `PipelineStats.clipped_turns`, `Utterance.clipped`).
CLIPPED_WARN = 0.001

log = logging.getLogger(__name__)

# Quick reads run without a prompt: with one, Whisper "hears" the prompt's words in
# half-spoken syllables ("Put the" -> "Hold on"). The confirming read of a finished
# phrase uses a short prompt, which fixes soft onsets ("top" / "star" for "stop").
SPOT_PROMPT: str | None = None
CONFIRM_PROMPT = "Stop. Wait. Go on."
# A confirming read fires on its own only this sure of itself; below, a quick read must
# agree. Measured (tiny.en, 6 voices, clean / reverb+20 dB / reverb+10 dB rooms): "Stop."
# reads at 0.66-0.96, "Freeze." 0.54-0.95; the prompt's own words read from 0.6 s of loud
# ambient music at 0.30-0.54.
CONFIRM_SURE = 0.55


# Fast speech is 6-8 syllables a second; the quickest voices here say the public turns at
# up to 6 words a second. A transcript with more words than the voiced stretch it came from
# could hold was made up by the decoder (Whisper reading whole sentences into a click).
WORDS_PER_S = 8.0


def too_many_words(text: str, voiced_span_s: float) -> bool:
    return len(text.split()) > 1 + WORDS_PER_S * max(0.0, voiced_span_s)


def implausible(text: str, span_s: float, voiced_s: float, confidence: float) -> bool:
    """A transcript that cannot be what was said:
    - more words than the voiced stretch could hold (see WORDS_PER_S);
    - unsure (below 0.5) and either one word said again and again ("No, no, no, no.", the
      decoder looping on talk it cannot make out) or far fewer words than the voiced time
      holds (under one per 3 s: a few words read out of many seconds of background talk);
    - read with hardly any confidence (below 0.3) out of 3 s or more of voice: a long
      stretch nobody in particular said clearly. (A short request heard that badly is not
      dropped here; the session asks about it.)
    """
    words = [w.strip(".,!?;:").lower() for w in text.split()]
    if too_many_words(text, span_s):
        return True
    if confidence >= 0.5:
        return False
    looping = len(words) >= 3 and len(set(words)) == 1
    sparse = voiced_s >= 3.0 and (len(words) < voiced_s / 3.0 or confidence < 0.3)
    return looping or sparse


class PipelineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt [speech] setting is an error, not ignored

    endpoint: EndpointConfig = Field(default_factory=EndpointConfig)
    asr: ASRConfig = Field(default_factory=ASRConfig)
    spotter_model: str = "tiny.en"
    spotter_threads: int = Field(2, ge=1)
    confirm_max_s: float = Field(1.2, gt=0, description="phrases with more voiced audio than this get no confirming read")
    # Two VAD frames: measured on the reflex turns of three voices (bench_speech), 0.064 s
    # instead of 0.1 s brought the stop word -> Reflex median from 0.27 to 0.20 s, with no
    # false fire on the 114 public turns.
    confirm_silence_s: float = Field(0.064, gt=0, description="silence after a phrase's first words that starts its confirming read")
    reflexes: bool = True
    spot_window_s: float = Field(1.6, gt=0.2, description="how much of a phrase's start the spotter reads")
    spot_hop_s: float = Field(0.2, gt=0.02, description="new audio between two spotter reads")
    level_margin_db: float | None = Field(
        6.0, description="a frame counts as speech only this far above the room's level (speech.level_gate); "
        "None: the VAD alone. Measured on the public turns in reverb rooms: 6 dB keeps 0.90 of the speech frames "
        "at 20 dB SNR and lets through 1 % of background-talk frames (the VAD alone: 91-98 %)")
    end_of_turn_model: bool = Field(
        True, description="ask Smart Turn (speech.turn_end) after a short pause whether the turn is complete; "
        "off: every turn ends after endpoint.end_silence_s")
    end_of_turn_threshold: float = Field(0.5, ge=0, le=1, description="Smart Turn probability that counts as complete")
    speculative: bool = True
    # Off: a partial read in flight when the person stops holds up the final one (measured
    # 0.2-0.35 s on 2 cores: Whisper cannot be interrupted), and only the event log reads them.
    # Turn on for live captions on a machine with cores to spare.
    partials: bool = False
    partial_interval_s: float = Field(1.0, gt=0.2)
    min_partial_s: float = Field(1.5, ge=0)
    max_pending_finals: int = Field(8, ge=1)
    lockstep: bool = Field(
        False,
        description="offline runs with a faster-than-real-time source: the capture thread reads the "
        "spotter windows itself, so reflex results do not depend on CPU speed or load",
    )
    session: str = ""

    def spotter_asr(self) -> ASRConfig:
        """The reflex spotter's model: small and greedy, since it races the arm."""
        return self.asr.model_copy(update={"model": self.spotter_model, "cpu_threads": self.spotter_threads,
                                           "beam_size": 1, "echo_confidence": 0.0})


@dataclass
class _Job:
    kind: str  # "final" | "spec" | "partial"
    turn_id: int
    audio: np.ndarray
    end: float
    start: float = 0.0
    end_wall: float = 0.0
    segment: Segment | None = None


@dataclass
class PipelineStats:
    finals: int = 0
    partials: int = 0
    reflexes: int = 0
    spec_hits: int = 0
    spec_misses: int = 0
    spot_runs: int = 0
    dropped_segments: int = 0
    frames: int = 0
    gated_frames: int = 0
    errors: list[str] = field(default_factory=list)
    clipped_turns: int = 0
    implausible: int = 0  # transcripts dropped for holding more words than their voiced time allows
    held_turns: int = 0  # ended by the end-of-turn model, but the words stopped mid-sentence
    # (why a turn ended, silence heard after its last voiced frame when it did)
    turn_ends: collections.deque[tuple[str, float]] = field(default_factory=lambda: collections.deque(maxlen=200))
    turn_checks: collections.deque[bool] = field(default_factory=lambda: collections.deque(maxlen=200))
    spot_seconds: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=200))
    asr_seconds: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=200))


class SpeechPipeline:
    """Turns a source's audio into `Utterance` and `Reflex` events.

    `on_utterance` / `on_reflex` are called from the pipeline's threads and must be quick
    (e.g. `bus.publish`). Pass preloaded `asr` / `spotter` models to share them between
    pipelines (tests, benchmarks); otherwise they are loaded in `start()`.
    """

    def __init__(
        self,
        source: AudioSource,
        *,
        on_utterance: Callable[[Utterance], None],
        on_reflex: Callable[[Reflex], None] | None = None,
        vocabulary: Iterable[str] = (),
        config: PipelineConfig | None = None,
        asr: WhisperASR | None = None,
        spotter: WhisperASR | None = None,
        vad: SileroVAD | None = None,
        turn_model: Any = None,
        gates: Sequence[AudioGate] = (),
        on_speech_start: Callable[[int, float], None] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.cfg = config or PipelineConfig()
        self.source = source
        self.on_utterance = on_utterance
        self.on_reflex = on_reflex
        self.on_speech_start = on_speech_start
        self.on_error = on_error
        self.gates = list(gates)
        self._asr = asr
        self._spotter = spotter
        self._vad = vad
        self._turn_model = turn_model
        self._prompt = build_prompt(vocabulary)
        self.stats = PipelineStats()

        self._lock = threading.Lock()  # guards endpointer views and turn state
        self._cond = threading.Condition(self._lock)
        self._jobs: collections.deque[_Job] = collections.deque()
        self._partial: _Job | None = None
        self._job_cond = threading.Condition()
        self._spec: tuple[int, float, Any] | None = None  # (turn_id, end, Transcript)
        self._held: tuple[Utterance, float] | None = None  # an unfinished sentence, until (audio time)
        self._dedupe = ReflexDeduper()
        self._endpointer = Endpointer(self.cfg.endpoint, semantic=self.cfg.end_of_turn_model)
        self._phrase_id = 0
        self._capture_t = 0.0
        self._last_spot: tuple[int, int, int] = (-1, -1, 0)  # (turn, phrase, frames) last read
        self._stopping = threading.Event()
        self._capture_done = threading.Event()
        self._threads: list[threading.Thread] = []
        self._busy = 0  # jobs being processed
        self._spotting = False
        self._spot_seen: collections.deque[tuple[int, int, str]] = collections.deque(maxlen=64)
        self._confirmed: collections.deque[tuple[int, int]] = collections.deque(maxlen=64)

    # ------------------------------------------------------------------ public API

    def set_vocabulary(self, vocabulary: Iterable[str]) -> None:
        """Bias recognition toward a new scene's words (takes effect on the next turn)."""
        self._prompt = build_prompt(vocabulary)

    @property
    def prompt(self) -> str:
        return self._prompt

    def load(self) -> None:
        """Load the models (seconds); `start()` does it if not done."""
        if self._vad is None:
            self._vad = SileroVAD()
        if self._asr is None:
            self._asr = WhisperASR(self.cfg.asr)
        if self.cfg.end_of_turn_model and self._turn_model is None:
            from .turn_end import SmartTurn

            self._turn_model = SmartTurn()
            self._turn_model.warmup()
        if self.cfg.reflexes and self._spotter is None:
            # A model of its own, so a reflex never waits behind a final transcription.
            self._spotter = WhisperASR(self.cfg.spotter_asr())
        # The first CTranslate2 call allocates and is several times slower than the
        # next ones; pay it here rather than on the person's first sentence.
        warm = np.zeros(SAMPLE_RATE // 2, dtype=np.float32)
        self._asr.warmup(warm)
        if self._spotter is not None and self._spotter is not self._asr:
            self._spotter.warmup(warm)

    def start(self) -> "SpeechPipeline":
        self.load()
        self._stopping.clear()
        targets = [("speech-capture", self._capture_loop), ("speech-asr", self._asr_loop)]
        if self.cfg.reflexes and not self.cfg.lockstep:
            targets.append(("speech-spotter", self._spot_loop))
        for name, fn in targets:
            th = threading.Thread(target=self._guard(fn), name=name, daemon=True)
            self._threads.append(th)
            th.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop now: close the source, drop queued work, join the threads (bounded)."""
        self._stopping.set()
        self.source.close()
        with self._job_cond:
            self._job_cond.notify_all()
        with self._cond:
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for th in self._threads:
            th.join(max(0.0, deadline - time.monotonic()))
        alive = [th.name for th in self._threads if th.is_alive()]
        if alive:
            # a Whisper call cannot be interrupted; daemon threads end with the process
            log.warning("speech threads still finishing a transcription: %s", ", ".join(alive))

    def wait_done(self, timeout: float | None = None) -> bool:
        """For finite sources: wait until the source ended and every turn was transcribed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._capture_done.wait(timeout):
            return False
        with self._job_cond:
            while self._jobs or self._busy:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._job_cond.wait(0.05 if left is None else min(0.05, left))
        self._release_held()  # the source ended: nobody will go on with a held sentence
        return True

    def __enter__(self) -> "SpeechPipeline":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def audio_time(self) -> float:
        """Audio-clock time up to which the capture thread has processed."""
        return self._capture_t

    @property
    def in_speech(self) -> bool:
        return self._endpointer.in_turn

    @property
    def transcribing(self) -> bool:
        """A turn that has ended is still being read (queued or in Whisper), or its words stop
        mid-sentence and are held open for what comes next. Until then it has not been heard."""
        return self.reading or self.holding_sentence

    @property
    def reading(self) -> bool:
        """Whisper has work queued or in hand."""
        with self._job_cond:
            return any(j.kind == "final" for j in self._jobs) or self._busy > 0

    @property
    def holding_sentence(self) -> bool:
        """An unfinished sentence waits for its continuation (more audio ends the wait)."""
        return self._held is not None

    # -- stepping a held source (offline runs that must hear the same on any machine) ---------

    def settle(self, timeout_s: float = 60.0) -> None:
        """Wait until every whole frame the source gave has been through the capture thread and
        the recognizer has nothing queued or in hand."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and (self.audio_time <= self.source.position - FRAME_S or self.reading):
            time.sleep(0.001)

    def step(self) -> None:
        """Faster than real time, one chunk at a time, on a held ScriptedSource (`hold()`): the
        stream moves one chunk only once the pipeline has done all it will do with the last one,
        as if the recognizer were instant. What the pipeline hears, and when each read is ready,
        is then the same on a fast machine and a loaded one (free-running, a loaded machine
        heard more room noise between turns and saw fewer speculative reads in time)."""
        self.settle()
        before = self.source.position
        self.source.advance(1)
        deadline = time.monotonic() + 10.0
        while self.source.position == before and time.monotonic() < deadline:
            time.sleep(0.0005)
        self.settle()

    # ------------------------------------------------------------------ threads

    def _guard(self, fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - a thread must report, not vanish
                msg = f"speech pipeline {threading.current_thread().name} failed: {type(e).__name__}: {e}"
                log.exception(msg)
                self._error(msg)
                self._stopping.set()
                self._capture_done.set()
                with self._job_cond:
                    self._job_cond.notify_all()

        return run

    def _emit(self, fn: Callable[[Any], None] | None, event: Any) -> None:
        """Deliver an event; a failing subscriber is reported, not fatal to the pipeline."""
        if fn is None:
            return
        try:
            fn(event)
        except Exception as e:  # noqa: BLE001
            log.exception("speech event handler failed on %s", type(event).__name__)
            self.stats.errors.append(f"event handler failed: {type(e).__name__}: {e}")

    def _error(self, msg: str) -> None:
        self.stats.errors.append(msg)
        if self.on_error is not None:
            self.on_error(msg)

    def _capture_loop(self) -> None:
        assert self._vad is not None
        framer = Framer()
        ep = self._endpointer
        cfg = self.cfg
        level = LevelGate(cfg.level_margin_db) if cfg.level_margin_db is not None else None
        partial_frames = int(cfg.partial_interval_s / FRAME_S)
        try:
            for chunk in self.source.chunks():
                if self._stopping.is_set():
                    break
                t = chunk.t - (len(framer._rest) / SAMPLE_RATE)
                for frame in framer.push(chunk.samples):
                    prob = self._vad(frame)
                    if level is not None:
                        prob = level(frame, prob)
                    self.stats.frames += 1
                    state = "open"
                    for g in self.gates:
                        s = g.process(frame, prob, t)
                        if s == "closed":
                            state = "closed"
                            break
                        if s == "opened":
                            state = "opened"
                    flushed = None
                    turn_so_far = None
                    with self._cond:
                        if state == "closed":
                            self.stats.gated_frames += 1
                            if ep.in_turn:  # the gate closed mid-turn (push-to-talk released)
                                flushed = ep.flush()
                            ep.prime(frame)
                        else:
                            if state == "opened":
                                ep.clear_preroll()
                            ev = ep.push(frame, prob, t, chunk.wall)
                            if ev.phrase_started:
                                self._phrase_id += 1
                            self._capture_t = t + FRAME_S
                            self._cond.notify_all()
                            turn_so_far = ep.turn_audio() if ev.judge else None
                    if turn_so_far is not None:
                        # on this thread: 10-60 ms, and the verdict must come before the next frame
                        complete = self._turn_model.probability(turn_so_far) >= cfg.end_of_turn_threshold
                        pause = (ep.turn_id, ep.last_voiced_end)
                        if cfg.lockstep and complete:
                            self._wait_spec(pause)  # as on a machine that reads the pause in time
                        # Only this pause's read says where the words stop: one of an earlier
                        # pause in the turn ("Clean up:") would hold a finished sentence, and
                        # whether it was still the newest depended on the recognizer's speed.
                        spec = self._spec
                        if complete and spec is not None and self._spec_of(spec, pause) and \
                                looks_unfinished(spec[2].text):
                            complete = False  # the words so far stop mid-sentence ("Clean up:")
                        self.stats.turn_checks.append(complete)
                        with self._cond:
                            seg = ep.judged(complete)
                        if seg is not None:
                            ev.segments.append(seg)
                    if state == "closed":
                        if flushed is not None:
                            self._submit_final(flushed)
                        t += FRAME_S
                        self._capture_t = t
                        continue
                    if cfg.reflexes and cfg.lockstep:
                        with self._cond:
                            due = self._spot_due()
                        if due is not None:
                            self._spot_run(due)
                    if ev.started is not None and self.on_speech_start is not None:
                        try:
                            self.on_speech_start(ev.started, ep.turn_start)
                        except Exception:  # noqa: BLE001
                            log.exception("on_speech_start handler failed")
                    if ev.paused and cfg.speculative:
                        with self._cond:
                            audio = ep.segment_until_last_voiced()
                            job = _Job("spec", ep.turn_id, audio, ep.last_voiced_end)
                        self._put_job(job)
                    if (
                        cfg.partials
                        and ep.in_turn
                        and ep.turn_frames * FRAME_S >= cfg.min_partial_s
                        and ep.turn_frames % partial_frames == 0
                    ):
                        with self._cond:
                            job = _Job("partial", ep.turn_id, ep.turn_audio(), ep.last_voiced_end, ep.turn_start)
                        with self._job_cond:
                            self._partial = job  # only the newest partial matters
                            self._job_cond.notify_all()
                    for seg in ev.segments:
                        for g in self.gates:
                            g.turn_ended()
                        self.stats.turn_ends.append((seg.reason, round(self._capture_t - seg.end, 3)))
                        self._submit_final(seg)
                    if self._held is not None and not self._jobs:
                        self._release_held()
                    t += FRAME_S
        finally:
            if self.source.error:
                self._error(self.source.error)
            with self._cond:
                seg = ep.flush()
            if seg is not None and not self._stopping.is_set():
                self._submit_final(seg)
            self._capture_done.set()
            with self._job_cond:
                self._job_cond.notify_all()
            with self._cond:
                self._cond.notify_all()

    def _submit_final(self, seg: Segment) -> None:
        job = _Job("final", seg.turn_id, seg.audio, seg.end, seg.start, seg.end_wall, seg)
        with self._job_cond:
            # Back-pressure instead of unbounded growth: only a faster-than-real-time
            # source can get this far ahead of Whisper.
            while (
                sum(1 for j in self._jobs if j.kind == "final") >= self.cfg.max_pending_finals
                and not self._stopping.is_set()
            ):
                self._job_cond.wait(0.1)
            self._jobs.append(job)
            self._job_cond.notify_all()

    def _put_job(self, job: _Job) -> None:
        with self._job_cond:
            # at most one speculative job waits; a newer pause supersedes it
            self._jobs = collections.deque(j for j in self._jobs if j.kind != "spec")
            self._jobs.append(job)
            self._job_cond.notify_all()

    def _next_job(self) -> _Job | None:
        with self._job_cond:
            while True:
                if self._stopping.is_set():
                    return None
                finals = [j for j in self._jobs if j.kind == "final"]
                if finals:
                    job = finals[0]
                elif self._jobs:
                    job = self._jobs[0]
                elif self._partial is not None and not self._spotter_wants_cpu():
                    job, self._partial = self._partial, None
                    self._busy += 1
                    return job
                elif self._capture_done.is_set():
                    return None
                else:
                    self._job_cond.wait(0.1)
                    continue
                self._jobs.remove(job)
                self._busy += 1
                return job

    def _spotter_wants_cpu(self) -> bool:
        """True while the start of a phrase is being read for reflex words: partial
        transcripts are a nicety and must not slow the safety path on 2 cores."""
        ep = self._endpointer
        if not self.cfg.reflexes or not ep.in_turn:
            return self._spotting
        return self._spotting or (ep.turn_frames - ep.phrase_start_idx) * FRAME_S <= self.cfg.spot_window_s + 0.2

    def _asr_loop(self) -> None:
        assert self._asr is not None
        while True:
            job = self._next_job()
            if job is None:
                return
            try:
                self._run_job(job)
            finally:
                with self._job_cond:
                    self._busy -= 1
                    self._job_cond.notify_all()

    def _run_job(self, job: _Job) -> None:
        assert self._asr is not None
        if job.kind == "spec":
            if job.turn_id != self._endpointer.turn_id or not self._endpointer.in_turn:
                return  # the turn already ended; its final job does the work
            tr = self._asr.transcribe(job.audio, self._prompt)
            self.stats.asr_seconds.append(tr.seconds)
            self._spec = (job.turn_id, job.end, tr)
            return
        if job.kind == "partial":
            if job.turn_id != self._endpointer.turn_id or not self._endpointer.in_turn:
                return
            text = self._asr.transcribe(job.audio, self._prompt).text
            if text and job.turn_id == self._endpointer.turn_id and self._endpointer.in_turn:
                self.stats.partials += 1
                self._emit(
                    self.on_utterance,
                    Utterance(text=text, final=False, start=job.start, end=job.end, source="voice", session=self.cfg.session),
                )
            return
        spec = self._spec
        if spec is not None and self._spec_of(spec, (job.turn_id, job.end)):
            tr = spec[2]
            self.stats.spec_hits += 1
        else:
            if self.cfg.speculative:
                self.stats.spec_misses += 1
            tr = self._asr.transcribe(job.audio, self._prompt)
            self.stats.asr_seconds.append(tr.seconds)
        text = tr.text
        self._spec = None
        voiced = job.segment.voiced_s if job.segment is not None else job.end - job.start
        if text and implausible(text, job.end - job.start, voiced, tr.confidence):
            log.debug("dropped %r (confidence %.2f): not what %.2f s of voice sounds like", text, tr.confidence, voiced)
            self.stats.implausible += 1
            text = ""
        with self._lock:
            held, self._held = self._held, None
        if not text:
            self.stats.dropped_segments += 1
            if held is not None:
                self._emit(self.on_utterance, held[0])
            return
        latency = time.monotonic() - job.end_wall
        self.stats.finals += 1
        if clipped_fraction(job.audio) >= CLIPPED_WARN:
            self.stats.clipped_turns += 1
            log.warning("the microphone clipped %.1f %% of turn %d: lower its gain or move it away from the speaker",
                        100 * clipped_fraction(job.audio), job.turn_id)
        # A reflex the spotter missed (e.g. the phrase was too short to read in time)
        # still fires from the final transcript, once.
        m = match_reflex(text) if self.cfg.reflexes else None
        if m is not None and not self._dedupe.fired_in_turn(job.turn_id, m.command):
            self._fire(m.command, m.word, job.end, job.turn_id, 0)
        u = Utterance(
            text=text,
            final=True,
            start=job.start,
            end=job.end,
            source="voice",
            latency_s=round(latency, 4),
            confidence=round(tr.confidence, 3),
            clipped=round(clipped_fraction(job.audio), 4),
            session=self.cfg.session,
        )
        if held is not None:  # the first part of this sentence, held back below
            prev = held[0]
            u = u.model_copy(update={"text": f"{prev.text} {u.text}", "start": prev.start,
                                     "confidence": min(prev.confidence or 1.0, u.confidence or 1.0),
                                     "clipped": max(prev.clipped or 0.0, u.clipped or 0.0)})
        if job.segment is not None and job.segment.reason == "complete" and looks_unfinished(u.text) \
                and not self._capture_done.is_set():
            # The end-of-turn model ended the turn, but the words stop mid-sentence ("Clean
            # up:", "... into the"): hold it until the person goes on (the next turn is
            # joined to it) or the unfinished-turn silence passes.
            self.stats.held_turns += 1
            with self._lock:
                self._held = (u, job.end + self.cfg.endpoint.incomplete_silence_s)
            return
        self._emit(self.on_utterance, u)

    @staticmethod
    def _spec_of(spec: tuple[int, float, Any], pause: tuple[int, float]) -> bool:
        """Whether a speculative read is the one of this pause: (turn id, end of its last voiced frame)."""
        return spec[0] == pause[0] and abs(spec[1] - pause[1]) < 1e-6

    def _wait_spec(self, pause: tuple[int, float], timeout: float = 10.0) -> None:
        """Lockstep runs: wait for this pause's speculative transcript, so what the end of turn
        decides does not depend on how fast the recognizer ran."""
        deadline = time.monotonic() + timeout
        with self._job_cond:
            while time.monotonic() < deadline and not self._stopping.is_set() and \
                    (any(j.kind == "spec" for j in self._jobs) or self._busy):
                if self._spec is not None and self._spec_of(self._spec, pause):
                    return
                self._job_cond.wait(0.02)

    def _release_held(self) -> None:
        """Capture thread: publish a held sentence once nobody went on with it in time."""
        if self._held is None:
            return
        with self._lock:
            held = self._held
            if held is None or self._endpointer.in_turn or (self._capture_t < held[1] and not self._capture_done.is_set()):
                return
            self._held = None
        self._emit(self.on_utterance, held[0])

    def _fire(self, command: str, word: str, heard_at: float, turn_id: int, phrase: int) -> None:
        if not self._dedupe.should_fire(turn_id, phrase, command):  # type: ignore[arg-type]
            return
        self.stats.reflexes += 1
        self._emit(self.on_reflex, Reflex(command=command, word=word, heard_at=heard_at, session=self.cfg.session))  # type: ignore[arg-type]

    def _spot_due(self) -> tuple | None:
        """The phrase-start window the spotter should read now, if any (call under lock).

        Two kinds of read: "quick" every `spot_hop_s` while the phrase's start is spoken
        (short encoder window, ~20-80 ms), and one "confirm" read once the phrase's first
        words are followed by silence (a short-window read with a prompt, ~0.07 s; the full
        window, ~0.3 s, when that hears no reflex word).
        """
        ep = self._endpointer
        if not ep.in_turn:
            return None
        hop = max(1, int(round(self.cfg.spot_hop_s / FRAME_S)))
        window = int(round(self.cfg.spot_window_s / FRAME_S))
        turn, phrase = ep.turn_id, self._phrase_id
        n = ep.turn_frames - ep.phrase_start_idx  # frames of this phrase so far
        voiced_n = ep.last_voiced_idx - ep.phrase_start_idx + 1
        word_ended = ep.silence_s >= self.cfg.confirm_silence_s
        confirm_max = int(round(self.cfg.confirm_max_s / FRAME_S))
        if word_ended and voiced_n <= confirm_max and (turn, phrase) not in self._confirmed:
            self._confirmed.append((turn, phrase))
            frames = ep.frames_view(ep.phrase_start_idx, n)
            return ("confirm", turn, phrase, n, frames, self._capture_t)
        last_turn, last_phrase, last_n = self._last_spot
        fresh = (turn, phrase) != (last_turn, last_phrase)
        if not ((fresh and n >= hop) or (not fresh and last_n < window and n - last_n >= hop)):
            return None
        frames = ep.frames_view(ep.phrase_start_idx, min(n, window))
        self._last_spot = (turn, phrase, n)
        return ("quick", turn, phrase, n, frames, self._capture_t)

    def _spot_loop(self) -> None:
        while not self._stopping.is_set():
            with self._cond:
                job = self._spot_due()
                if job is None:
                    if self._capture_done.is_set():
                        return
                    self._cond.wait(0.05)
                    continue
            self._spot_run(job)

    def _spot_run(self, job: tuple) -> None:
        assert self._spotter is not None
        kind, turn, phrase, n, frames, heard_at = job
        self._spotting = True
        t0 = time.perf_counter()
        audio = np.concatenate(frames)
        sure = True
        try:
            if kind == "confirm":
                tr = self._spotter.transcribe(audio, CONFIRM_PROMPT)
                if match_reflex(tr.text) is None:
                    # A lone word read with the short window can lose a soft onset ("Tah."
                    # for "Stop."); the full window with the prompt reads it reliably, at
                    # ~0.3 s, and a stop heard late still beats the final transcript.
                    tr = self._spotter.transcribe(audio, CONFIRM_PROMPT, full_window=True)
                text = tr.text
                sure = tr.confidence >= CONFIRM_SURE
            else:
                text = self._spotter.transcribe_head(audio, SPOT_PROMPT, max_tokens=6)
        finally:
            self._spotting = False
        self.stats.spot_runs += 1
        self.stats.spot_seconds.append(time.perf_counter() - t0)
        m = match_reflex(text)
        log.debug("spotter %s read %r (turn %d phrase %d, %.2f s)", kind, text, turn, phrase, n * FRAME_S)
        if m is None:
            return
        # A clip that ends inside a word makes Whisper guess. Quick reads therefore fire
        # only when two of them agree; the confirming read of a finished phrase alone.
        key = (turn, phrase, m.command)
        if (kind == "confirm" and sure) or key in self._spot_seen:
            self._fire(m.command, m.word, heard_at, turn, phrase)
        self._spot_seen.append(key)


__all__ = ["SpeechPipeline", "PipelineConfig", "PipelineStats", "REFLEX_WORDS"]
