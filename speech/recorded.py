"""Pre-recorded turns: a folder of sound files and a manifest saying which sentence each holds.

    DIR/manifest.jsonl     one JSON object a line: {"say": "Put the red cup in the bin.", "wav": "001.wav"}
    DIR/001.wav            any rate, any channel count (resampled to 16 kHz mono)

`wav` is relative to DIR. `hirobot eval --voice --audio-dir DIR` plays, for every turn of a
scenario, the recording whose `say` is that turn's text (compared without case, spaces and
punctuation differences), so one recording serves every scenario that says the sentence.
`write_audio_dir` makes such a folder from any voice, as a starting point for recording one's own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterable

import numpy as np
from pydantic import BaseModel, ValidationError

from .audio import to_16k_mono
from .sources import read_audio_file, write_wav

MANIFEST = "manifest.jsonl"


class RecordingError(ValueError):
    """A bad or incomplete audio folder; the message names the file and the fix."""


class ManifestEntry(BaseModel):
    say: str
    wav: str


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split())


class RecordedTurns:
    """The sentences of one audio folder. `synth(text)` has `TurnSynth.synth`'s shape, so a
    folder stands in for a voice."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        manifest = self.folder / MANIFEST
        if not self.folder.is_dir():
            raise RecordingError(f"{self.folder}: not a folder; --audio-dir needs a folder holding {MANIFEST} and the WAV files")
        if not manifest.exists():
            raise RecordingError(f"{manifest}: missing; write one line per turn: "
                                 '{"say": "Put the red cup in the bin.", "wav": "001.wav"}')
        self._files: dict[str, Path] = {}
        for i, line in enumerate(manifest.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = ManifestEntry.model_validate_json(line)
            except (ValidationError, json.JSONDecodeError) as e:
                first = str(e).splitlines()[0]
                raise RecordingError(f"{manifest}:{i}: not a {{\"say\": ..., \"wav\": ...}} line ({first})") from e
            path = (self.folder / entry.wav).resolve()
            if not path.is_relative_to(self.folder.resolve()):
                raise RecordingError(f"{manifest}:{i}: {entry.wav!r} is outside {self.folder}")
            if not path.is_file():
                raise RecordingError(f"{manifest}:{i}: {entry.wav!r} does not exist in {self.folder}")
            self._files[_key(entry.say)] = path
        self._cache: dict[str, np.ndarray] = {}
        self.name = f"recordings:{self.folder}"

    def __contains__(self, text: str) -> bool:
        return _key(text) in self._files

    def missing(self, texts: Iterable[str]) -> list[str]:
        return [t for t in dict.fromkeys(texts) if t not in self]

    def synth(self, text: str, voice: str | None = None) -> np.ndarray:
        key = _key(text)
        if key not in self._files:
            raise RecordingError(f"{self.folder / MANIFEST}: no recording of {text!r}")
        if key not in self._cache:
            try:
                data, rate = read_audio_file(self._files[key])
            except Exception as e:  # noqa: BLE001 - soundfile/wave raise several kinds
                raise RecordingError(f"{self._files[key]}: cannot be read as audio ({e})") from e
            self._cache[key] = to_16k_mono(data, rate)
        return self._cache[key]


def write_audio_dir(folder: str | Path, texts: Iterable[str], synth, voice: str | None = None,
                    rate: int = 16000) -> Path:
    """Speak `texts` with `synth` (a TurnSynth) into `folder`, with a manifest. `rate` other
    than 16 kHz writes resampled files (to check that reading them converts back)."""
    from scipy.signal import resample_poly

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for i, text in enumerate(dict.fromkeys(texts), 1):
        pcm = synth.synth(text, voice)
        if rate != 16000:
            pcm = resample_poly(pcm, rate, 16000).astype(np.float32)
        name = f"{i:03d}.wav"
        write_wav(folder / name, pcm, rate)
        lines.append(json.dumps({"say": text, "wav": name}))
    (folder / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
