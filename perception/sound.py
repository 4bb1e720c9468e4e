"""Sound events from the microphone: crashes, breaking glass, alarms, screams -> `Cue`s.

Audio (16 kHz mono float32) is cut into 0.96 s patches every 0.48 s and classified by YAMNet
(`perception.yamnet`). Each of our kinds is a set of AudioSet classes; a kind is detected
in a patch when its best class reaches the kind's threshold. Consecutive patches of one kind
are one event. Speech classes are not ours: the speech pipeline hears words.

Thresholds were chosen by measurement (bench/bench_perception.py): synthesized alarms and
glass score 0.5-0.98 on their classes, espeak-ng speech and pink/brown room noise stay at or
below 0.05 on every mapped class. Synthesized screams (a source-filter voice model) that are
heard as screams score 0.5-0.95, mostly on "Screaming"; speech, espeak-ng and the Piper voice, also
saying "No, stop that!" loudly, stays below 0.01 on the scream classes. The model's scores
are coarse (8-bit logits: 0.5, 0.68, 0.82, 0.91, ...), so thresholds sit on those steps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from agent.events import Cue

SR = 16000
log = logging.getLogger(__name__)

# Our kinds and the AudioSet classes (YAMNet display names) that mean them.
SOUND_CLASSES: dict[str, tuple[str, ...]] = {
    "glass_breaking": ("Glass", "Shatter", "Chink, clink"),
    "crash": ("Smash, crash", "Breaking", "Bang", "Slam", "Thump, thud", "Clatter", "Explosion",
              "Burst, pop", "Gunshot, gunfire", "Cap gun"),
    "alarm": ("Smoke detector, smoke alarm", "Fire alarm", "Alarm", "Siren", "Buzzer", "Civil defense siren",
              "Car alarm", "Alarm clock"),
    "scream": ("Screaming", "Yell", "Shout", "Bellow", "Children shouting", "Wail, moan", "Crying, sobbing"),
}
DEFAULT_THRESHOLDS: dict[str, float] = {"glass_breaking": 0.5, "crash": 0.3, "alarm": 0.6, "scream": 0.5}
SEVERITY: dict[str, str] = {"glass_breaking": "critical", "crash": "critical", "scream": "critical", "alarm": "warning"}
# A shout in the middle of normal speech is a raised voice, not a scream: when the patch is
# mostly speech, the scream classes must be much stronger to count. (Measured: synthesized
# screams score at most 0.32 on "Speech", so this rule costs no scream detections.)
_SPEECH = "Speech"
_SCREAM_OVER_SPEECH = 0.9
# An overdriven microphone turns steady noise into a square-ish wave that YAMNet hears as an
# explosion or a crash (measured: pink noise clipped on 27-91 % of its samples scores 0.32-0.95
# on "Explosion"). In a patch with this share of samples at full scale, a crash, breaking glass
# or scream counts only with evidence the clipping cannot make: a sudden onset, its loudest
# 10 ms at least ONSET_RATIO above the 100 ms just before it. Steady noise, clipped or not,
# has no such jump; a dropped pan does.
CLIPPED_PATCH = 0.005
ONSET_RATIO = 4.0  # 12 dB
_IMPULSIVE = ("crash", "glass_breaking", "scream")
# A room's own sounds score as events too: keyboard clicks as "Chink, clink" and "Glass" (up to
# 0.68), ambient loops as "Explosion" and "Gunshot" (up to 0.68), for as long as they go on.
# Something breaking or falling is sudden and louder than the room was: in the live stream a
# crash or breaking glass counts only when the window's loudest 20 ms is at least
# LOUDER_THAN_ROOM_DB above the loudest 20 ms of the ROOM_MEMORY_S before it. Measured in
# simulated rooms (speech.room, reverb+20db, six seeds, 60 s each): keyboard, ambient loops
# and babble never reach 6 dB over their own last 6 s (music once in 672 windows); synthesized
# glass and crashes as loud as speech reach 7.7-28 dB, at 10 dB below speech 3.9-17.9 dB.
LOUDER_THAN_ROOM_DB = 6.0
ROOM_MEMORY_S = 6.0
_SUDDEN = ("crash", "glass_breaking")
_LEVEL_FRAME = SR // 50
_WINDOW = int(0.96 * SR)  # what YAMNet classifies at once
_HOP = int(0.48 * SR)  # how often the stream classifies


def clipped_share(x: np.ndarray, level: float = 0.99) -> float:
    x = np.asarray(x)
    return float(np.mean(np.abs(x) >= level)) if len(x) else 0.0


def loudest_frame(x: np.ndarray, frame: int = _LEVEL_FRAME) -> float:
    """The RMS of the loudest `frame`-sample stretch of `x` (0 for less than one frame)."""
    x = np.asarray(x, np.float64)
    n = len(x) // frame
    if n == 0:
        return 0.0
    return float(np.sqrt((x[: n * frame].reshape(n, frame) ** 2).mean(axis=1)).max())


def onset_ratio(x: np.ndarray, frame: int = SR // 100, before: int = 10) -> float:
    """The largest rise of a 10 ms frame's RMS over the median of the `before` frames
    preceding it: about 1 for steady sound, 10 or more for a bang out of quiet."""
    x = np.asarray(x, np.float64)
    n = len(x) // frame
    if n <= before:
        return 1.0
    e = np.sqrt((x[: n * frame].reshape(n, frame) ** 2).mean(axis=1)) + 1e-6
    return float(max(e[i] / np.median(e[i - before:i]) for i in range(before, n)))


@dataclass
class SoundEvent:
    kind: str
    cls: str  # the AudioSet class that scored highest
    confidence: float
    start_s: float  # from the start of the audio given
    end_s: float

    def cue(self) -> Cue:
        return Cue(source="sound", kind=self.kind, severity=SEVERITY.get(self.kind, "warning"),  # type: ignore[arg-type]
                   detail={"class": self.cls, "confidence": round(self.confidence, 3),
                           "start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2)})


@dataclass
class SoundEventDetector:
    """`detect(audio) -> [SoundEvent]`; `cues(audio) -> [Cue]`. The model loads on first use."""

    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    classes: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(SOUND_CLASSES))
    model: object | None = None
    suppressed_by_clipping: int = 0  # patches of the last `detect` whose only evidence was clipping

    def _model(self):
        if self.model is None:
            from perception.yamnet import YamNet

            self.model = YamNet()
        return self.model

    def scores(self, audio: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, list[int]]]:
        """Per-patch probabilities [N, 521], per-kind best score [N], and the class ids per kind."""
        m = self._model()
        probs = m.probs(np.asarray(audio, np.float32))  # type: ignore[attr-defined]
        names = m.names  # type: ignore[attr-defined]
        ids = {k: [names.index(c) for c in cs if c in names] for k, cs in self.classes.items()}
        per_kind = {k: probs[:, i].max(axis=1) if i else np.zeros(len(probs)) for k, i in ids.items()}
        return probs, per_kind, ids

    def clipped_patches(self, audio: np.ndarray, n: int, hop: float = 0.48) -> np.ndarray:
        """Per patch: clipped, and without an onset that clipping could not have made."""
        audio = np.asarray(audio, np.float32)
        out = np.zeros(n, bool)
        for i in range(n):
            patch = audio[int(i * hop * SR): int(i * hop * SR) + int(0.96 * SR)]
            out[i] = clipped_share(patch) >= CLIPPED_PATCH and onset_ratio(patch) < ONSET_RATIO
        return out

    def detect(self, audio: np.ndarray) -> list[SoundEvent]:
        probs, per_kind, ids = self.scores(audio)
        names = self._model().names  # type: ignore[attr-defined]
        speech = probs[:, names.index(_SPEECH)]
        events: list[SoundEvent] = []
        hop = 0.48
        only_clipping = self.clipped_patches(audio, len(probs), hop)
        self.suppressed_by_clipping = 0
        for kind, s in per_kind.items():
            thr = self.thresholds.get(kind, 1.1)
            hit = s >= thr
            if kind in _IMPULSIVE:
                self.suppressed_by_clipping += int(np.sum(hit & only_clipping))
                hit &= ~only_clipping
            if kind == "scream":
                hit &= (speech < 0.5) | (s >= _SCREAM_OVER_SPEECH)
            i = 0
            while i < len(hit):
                if not hit[i]:
                    i += 1
                    continue
                j = i
                while j + 1 < len(hit) and hit[j + 1]:
                    j += 1
                seg = probs[i:j + 1][:, ids[kind]]
                best = np.unravel_index(int(np.argmax(seg)), seg.shape)
                events.append(SoundEvent(kind=kind, cls=names[ids[kind][best[1]]], confidence=float(seg[best]),
                                         start_s=i * hop, end_s=j * hop + 0.96))
                i = j + 1
        events.sort(key=lambda e: e.start_s)
        return events

    def cues(self, audio: np.ndarray) -> list[Cue]:
        return [e.cue() for e in self.detect(audio)]


class SoundEventStream:
    """Feeds a detector from a live source in chunks: keeps the last 0.96 s, classifies every
    0.48 s, and calls `on_cue` once per event (a kind re-fires only after it was quiet)."""

    def __init__(self, detector: SoundEventDetector, on_cue: Callable[[Cue], None]) -> None:
        self.detector = detector
        self.on_cue = on_cue
        # The last window and, before it, ROOM_MEMORY_S of the room (see LOUDER_THAN_ROOM_DB).
        # Chunks wait in `_pending` and are joined once a hop, not on every chunk.
        self._audio = np.zeros(0, np.float32)
        self._pending: list[np.ndarray] = []
        self._heard = 0  # samples fed in all
        self._since = 0
        self._active: set[str] = set()
        self.clipping = False
        self.clipped_patches = 0
        self.room_sounds = 0  # crashes and breaking glass not louder than the room had been

    def feed(self, chunk: np.ndarray) -> None:
        chunk = np.asarray(chunk, np.float32).reshape(-1)
        self._pending.append(chunk)
        self._heard += len(chunk)
        self._since += len(chunk)
        if self._heard < _WINDOW or self._since < _HOP:
            return
        self._since = 0
        self._audio = np.concatenate([self._audio, *self._pending])[-(_WINDOW + int(ROOM_MEMORY_S * SR)):]
        self._pending = []
        window, before = self._audio[-_WINDOW:], self._audio[:-_WINDOW]
        if clipped_share(window) >= CLIPPED_PATCH:
            # reported, not acted on: an overdriven microphone is the operator's to fix
            if not self.clipping:
                log.warning("the microphone is clipping (%.1f %% of samples at full scale): lower its gain",
                            100 * clipped_share(window))
            self.clipping = True
            self.clipped_patches += 1
        else:
            self.clipping = False
        found = {e.kind: e for e in self.detector.detect(window)}
        if found.keys() & set(_SUDDEN) and not _louder_than_room(window, before):
            self.room_sounds += sum(k in found for k in _SUDDEN)
            found = {k: e for k, e in found.items() if k not in _SUDDEN}
        for kind, e in found.items():
            if kind not in self._active:
                self.on_cue(e.cue())
        self._active = set(found)


def _louder_than_room(window: np.ndarray, before: np.ndarray) -> bool:
    """The window's loudest 20 ms against the room's loudest in the seconds before it. Until
    the stream has heard the room for one hop, nothing sudden counts: a stream that opens on
    typing would otherwise take its first click for glass."""
    if len(before) < _HOP:
        return False
    room = loudest_frame(before)
    if room <= 0:  # digital silence before: anything audible is sudden
        return True
    return 20 * np.log10(loudest_frame(window) / room) >= LOUDER_THAN_ROOM_DB
