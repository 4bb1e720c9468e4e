"""Turn segmentation: from per-frame speech probabilities to utterances.

A small state machine over 32 ms VAD frames:

- onset: `start_frames` consecutive frames with p >= `start_threshold`; the `pre_roll_s`
  of audio before the onset is kept, because the VAD reacts late to soft onsets (a
  breathy "s" in "stop" scores low) and Whisper needs the first syllable;
- inside speech, a frame counts as silence only below `end_threshold` (hysteresis: lower
  than the start threshold so a soft vowel in mid-word does not open a pause);
- a pause of `phrase_gap_s` marks a phrase boundary (the reflex spotter looks at the
  start of each phrase: "put the cup... wait");
- end of turn after `end_silence_s` of continuous silence;
- a turn longer than `max_utterance_s` is cut there (a monologue becomes several
  utterances; memory per turn is bounded by that length);
- turns with less than `min_speech_s` of voiced frames are dropped as clicks/noise.

Choosing `end_silence_s` (measured with `python -m bench.bench_speech --skip-accuracy
--skip-latency`, 2-core machine): the longest silent gap *inside* a turn (silero p below
the 0.35 end threshold, between the first and last voiced frame), over the 38 distinct
turns of the public scenarios:

    Piper joe       longest 0.45 s  p95 0.36 s  ("Clean up: trash and cans ...": the colon)
    espeak-ng en-us longest 0.38 s  p95 0.29 s
    espeak-ng en-gb longest 0.35 s  p95 0.27 s

Commas, colons and sentence breaks make the longest pauses. The end-of-turn silence must
exceed all of them, or "Clean up:" would reach the planner alone; every extra 0.1 s is
added to end-of-speech -> transcript latency (partly hidden by the speculative
transcription that starts after `spec_silence_s`). 0.55 s is the longest measured pause
plus 0.1 s (three VAD frames) for jitter. People pause longer than these voices when
they hesitate; raise it for slow speakers ([speech.endpoint] end_silence_s in the config file).
"""

from __future__ import annotations

import collections
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from .audio import SAMPLE_RATE
from .vad import FRAME

FRAME_S = FRAME / SAMPLE_RATE

# Longest pause inside a turn measured over the public turns: 0.45 s (Piper), 0.38 s
# (espeak-ng en-us), 0.35 s (en-gb); +0.1 s margin. See the module docstring.
DEFAULT_END_SILENCE_S = 0.55


class EndpointConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt [speech] setting is an error, not ignored

    start_threshold: float = Field(0.5, ge=0, le=1)
    end_threshold: float = Field(0.35, ge=0, le=1)
    start_frames: int = Field(2, ge=1, description="consecutive speech frames that open a turn")
    pre_roll_s: float = Field(0.3, ge=0)
    end_silence_s: float = Field(DEFAULT_END_SILENCE_S, gt=0)
    phrase_gap_s: float = Field(0.18, gt=0, description="pause that starts a new phrase inside a turn")
    # Equal to tail_s, so the speculative read hears exactly the audio the final one would (the
    # last voiced frame plus tail_s) and can stand in for it. Started after 0.064 s instead, it
    # read a shorter tail, and the public scenarios in a 20 dB room (festival slt) went from
    # 29/29 to 27/29 on recognition slips, one a last word cut short ("Put the cup in again."
    # for "... in the bin."), for about 0.1 s less wait.
    spec_silence_s: float = Field(0.15, gt=0, description="pause after which a speculative final transcription starts")
    tail_s: float = Field(0.15, ge=0, description="silence kept after the last voiced frame")
    # 0.3 s. Smart Turn calls many pauses inside a sentence complete (47-100 % on the public
    # turns in five synthesized voices, half of them shorter than 0.3 s), so a sentence can
    # end at a comma; what catches that: a transcript that stops mid-sentence is held for the
    # rest (SpeechPipeline), and speech begun within 0.8 s of a request continues it
    # (agent.timeline.CONTINUE_PAUSE_S). Asked at 0.2 s instead, the public scenarios spoken
    # by Piper in a clean room fell from 29/29 to 26/29: its pauses at commas are 0.2-0.3 s,
    # and a preference said in two parts ("From now on, cups go on the tray. | Not in the
    # bin.") or a job's last clause ("| And don't touch the plate.") became requests of their
    # own, after a job that had already ended, for about 0.05 s less wait.
    semantic_silence_s: float = Field(
        0.3, gt=0, description="with an end-of-turn model: the silence after which it is asked whether the turn is "
        "complete; a complete turn ends right there")
    incomplete_silence_s: float = Field(
        1.0, gt=0, description="with an end-of-turn model: the silence that ends a turn it judged unfinished")
    min_speech_s: float = Field(0.12, ge=0)
    max_utterance_s: float = Field(15.0, gt=1)


@dataclass
class Segment:
    """A finished turn: its audio (pre-roll included) and times on the audio clock."""

    turn_id: int
    audio: np.ndarray
    start: float  # first voiced frame
    end: float  # end of the last voiced frame
    end_wall: float  # monotonic time at which the last voiced frame arrived
    reason: str  # "silence", "max_length", "flush"
    voiced_s: float = 0.0


@dataclass
class EndpointEvents:
    """What one frame changed. Most frames change nothing."""

    started: int | None = None  # turn id that just started
    phrase_started: bool = False  # a new phrase began (turn start or after a pause)
    paused: bool = False  # spec_silence_s of silence just elapsed inside a turn
    resumed: bool = False  # speech came back after `paused`
    judge: bool = False  # semantic_silence_s of silence: ask the end-of-turn model (see Endpointer.judged)
    segments: list[Segment] = field(default_factory=list)


class Endpointer:
    """Not thread-safe; fed by the capture thread only."""

    def __init__(self, config: EndpointConfig | None = None, semantic: bool = False) -> None:
        self.cfg = config or EndpointConfig()
        # True when an end-of-turn model answers `judge` events (SpeechPipeline does that)
        self.semantic = semantic
        self._pre: collections.deque[np.ndarray] = collections.deque(
            maxlen=max(1, int(round(self.cfg.pre_roll_s / FRAME_S))) + self.cfg.start_frames
        )
        self._max_frames = int(self.cfg.max_utterance_s / FRAME_S)
        self.turn_id = 0
        self._audio_t0 = 0.0  # audio time of the current turn's first kept frame
        self._reset_turn()
        self._onset_run = 0

    def _reset_turn(self) -> None:
        self.in_turn = False
        self._frames: list[np.ndarray] = []
        self._silence_run = 0
        self._voiced = 0
        self._last_voiced_idx = -1  # index in _frames of the last voiced frame
        self._turn_start = 0.0
        self._last_voiced_end = 0.0
        self._last_voiced_wall = 0.0
        self._paused = False
        self._asked = False  # the end-of-turn model was asked during this pause
        self._hold = False  # ... and said the turn is unfinished: wait incomplete_silence_s
        self.phrase_start_idx = 0

    # -- views for the other threads (copied under the pipeline's lock) --------------

    def turn_audio(self, from_idx: int = 0, max_frames: int | None = None) -> np.ndarray:
        frames = self._frames[from_idx : None if max_frames is None else from_idx + max_frames]
        return np.concatenate(frames) if frames else np.zeros(0, dtype=np.float32)

    def frames_view(self, from_idx: int, count: int) -> list[np.ndarray]:
        """A shallow copy of some frames (the arrays themselves are never modified)."""
        return self._frames[from_idx : from_idx + count]

    @property
    def turn_frames(self) -> int:
        return len(self._frames)

    @property
    def turn_start(self) -> float:
        return self._turn_start

    @property
    def last_voiced_end(self) -> float:
        return self._last_voiced_end

    @property
    def last_voiced_wall(self) -> float:
        return self._last_voiced_wall

    @property
    def last_voiced_idx(self) -> int:
        return self._last_voiced_idx

    @property
    def silence_s(self) -> float:
        """Length of the silence run at the end of the current turn."""
        return self._silence_run * FRAME_S

    @property
    def voiced_frames(self) -> int:
        return self._voiced

    def frame_index_time(self, idx: int) -> float:
        """Audio-clock time of the start of frame `idx` of the current turn."""
        return self._audio_t0 + idx * FRAME_S

    # -- the state machine -------------------------------------------------------------

    def push(self, frame: np.ndarray, prob: float, t: float, wall: float) -> EndpointEvents:
        """Feed one 512-sample frame starting at audio time `t` with speech probability `prob`."""
        cfg = self.cfg
        ev = EndpointEvents()
        if not self.in_turn:
            self._onset_run = self._onset_run + 1 if prob >= cfg.start_threshold else 0
            self._pre.append(frame)
            if self._onset_run >= cfg.start_frames:
                self.turn_id += 1
                self._reset_turn()
                self.in_turn = True
                self._audio_t0 = t - (len(self._pre) - 1) * FRAME_S
                self._frames = list(self._pre)
                self._pre.clear()
                self._turn_start = t - (cfg.start_frames - 1) * FRAME_S
                self._voiced = cfg.start_frames
                self._last_voiced_idx = len(self._frames) - 1
                self._last_voiced_end = t + FRAME_S
                self._last_voiced_wall = wall
                self.phrase_start_idx = 0
                ev.started = self.turn_id
                ev.phrase_started = True
            return ev

        self._frames.append(frame)
        voiced = prob >= cfg.end_threshold
        if voiced:
            if self._silence_run * FRAME_S >= cfg.phrase_gap_s:
                # keep a little of the pause so the phrase's first consonant is not cut
                self.phrase_start_idx = max(0, len(self._frames) - 1 - int(0.1 / FRAME_S))
                ev.phrase_started = True
            if self._paused:
                ev.resumed = True
                self._paused = False
            self._silence_run = 0
            self._asked = self._hold = False
            self._voiced += 1
            self._last_voiced_idx = len(self._frames) - 1
            self._last_voiced_end = t + FRAME_S
            self._last_voiced_wall = wall
        else:
            self._silence_run += 1
            if not self._paused and self._silence_run * FRAME_S >= cfg.spec_silence_s:
                self._paused = True
                ev.paused = True
            if self.semantic and not self._asked and self._silence_run * FRAME_S >= cfg.semantic_silence_s:
                self._asked = True
                ev.judge = True

        end_after = cfg.incomplete_silence_s if self._hold else cfg.end_silence_s
        if self._silence_run * FRAME_S >= end_after:
            seg = self._finish("silence")
            if seg is not None:
                ev.segments.append(seg)
        elif len(self._frames) >= self._max_frames:
            seg = self._finish("max_length")
            if seg is not None:
                ev.segments.append(seg)
            if voiced:
                # the person is still talking: the next turn starts right away
                self.turn_id += 1
                self.in_turn = True
                self._audio_t0 = t + FRAME_S
                self._turn_start = t + FRAME_S
                self._last_voiced_end = t + FRAME_S
                self._last_voiced_wall = wall
                ev.started = self.turn_id
                ev.phrase_started = True
        return ev

    def judged(self, complete: bool) -> Segment | None:
        """The end-of-turn model's verdict on the pause that raised `judge`: a complete turn
        ends now (its segment is returned); an unfinished one waits `incomplete_silence_s`."""
        if not self.in_turn or not self._asked:
            return None
        if complete:
            return self._finish("complete")
        self._hold = True
        return None

    def prime(self, frame: np.ndarray) -> None:
        """Remember a frame as pre-roll without acting on it (audio a gate held back:
        if the gate opens, the turn still gets its first syllable)."""
        self._pre.append(frame)
        self._onset_run = 0

    def clear_preroll(self) -> None:
        self._pre.clear()

    def segment_until_last_voiced(self) -> np.ndarray:
        """The current turn's audio up to the last voiced frame plus the tail: what a
        speculative final transcription looks at when a pause begins."""
        n_tail = int(self.cfg.tail_s / FRAME_S)
        return self.turn_audio(0, self._last_voiced_idx + 1 + n_tail)

    def flush(self) -> Segment | None:
        """End the current turn now (source ended, gate closed)."""
        if not self.in_turn:
            return None
        return self._finish("flush")

    def _finish(self, reason: str) -> Segment | None:
        cfg = self.cfg
        n_tail = int(cfg.tail_s / FRAME_S)
        audio = self.turn_audio(0, self._last_voiced_idx + 1 + n_tail)
        seg = Segment(
            turn_id=self.turn_id,
            audio=audio,
            start=self._turn_start,
            end=self._last_voiced_end,
            end_wall=self._last_voiced_wall,
            reason=reason,
            voiced_s=self._voiced * FRAME_S,
        )
        self._reset_turn()
        self._onset_run = 0
        if seg.voiced_s < cfg.min_speech_s:
            return None
        return seg
