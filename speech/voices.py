"""More voices: any text-to-speech program given as a shell command, and the offline voices
that Debian and PyPI packages carry (flite, festival, SVOX Pico through py-nanotts).

Every voice returns (float32 mono samples, sample rate) like `tts.PiperTTS`; the caller
resamples (`audio.to_16k_mono`), so a program may write any rate or channel count.

Names understood by `make_voice` (and so by `--voice-name`):

- ``cmd:COMMAND``: COMMAND is run by ``sh -c`` with ``{text}`` and ``{wav}`` replaced by the
  shell-quoted sentence and output path; it must write a WAV file there. Example:
  ``cmd:flite -voice slt -t {text} -o {wav}``.
- ``flite`` / ``flite:VOICE``: Debian's flite with a built-in voice (kal, kal16, awb, rms, slt).
- ``festival`` / ``festival:kal`` / ``festival:slt``: festival's text2wave with festvox-kallpc16k
  (diphone) or festvox-us-slt-hts (HTS).
- ``nanotts`` / ``nanotts:en-US`` / ``nanotts:en-GB``: SVOX Pico from the py-nanotts wheel.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np

from .audio import to_float32, to_mono

# Timeout for one sentence from an external program: a hung synthesizer must not hang an
# evaluation.
_TIMEOUT_S = 60.0

FLITE_VOICES = ("kal", "kal16", "awb", "rms", "slt")
FESTIVAL_VOICES = {"kal": "voice_kal_diphone", "slt": "voice_cmu_us_slt_arctic_hts"}
NANOTTS_VOICES = ("en-US", "en-GB")


class VoiceError(RuntimeError):
    """A voice cannot be used; the message says how to fix it."""


def _read_wav(path: Path, what: str) -> tuple[np.ndarray, int]:
    from .sources import read_audio_file

    if not path.exists() or path.stat().st_size <= 44:
        raise VoiceError(f"{what} wrote no audio to {path}")
    try:
        data, rate = read_audio_file(path)
    except Exception as e:  # noqa: BLE001 - wave/soundfile raise several kinds
        raise VoiceError(f"{what} wrote something that is not a WAV file: {e}") from e
    return to_float32(to_mono(data)), rate


class CommandTTS:
    """A voice that is a shell command writing a WAV file."""

    def __init__(self, template: str, name: str | None = None) -> None:
        template = template.strip()
        if "{wav}" not in template or "{text}" not in template:
            raise ValueError(
                f"a voice command needs both {{text}} and {{wav}}: got {template!r}; "
                "e.g. cmd:'flite -t {text} -o {wav}'"
            )
        self.template = template
        self.name = name or f"cmd:{template}"

    def command_for(self, text: str, wav: Path) -> str:
        # str.replace, not str.format: a command may contain other braces (awk, sox).
        return self.template.replace("{text}", shlex.quote(text)).replace("{wav}", shlex.quote(str(wav)))

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        with tempfile.TemporaryDirectory(prefix="hirobot-voice-") as d:
            wav = Path(d) / "turn.wav"
            cmd = self.command_for(text, wav)
            try:
                proc = subprocess.run(["sh", "-c", cmd], capture_output=True, timeout=_TIMEOUT_S)
            except subprocess.TimeoutExpired as e:
                raise VoiceError(f"the voice command did not finish within {_TIMEOUT_S:.0f} s: {cmd}") from e
            if proc.returncode != 0:
                msg = proc.stderr.decode(errors="replace").strip().splitlines()
                raise VoiceError(f"the voice command failed (exit {proc.returncode}): {cmd}"
                                 + (f": {msg[-1]}" if msg else ""))
            return _read_wav(wav, f"the voice command {cmd!r}")


def _need(exe: str, package: str) -> str:
    path = shutil.which(exe)
    if path is None:
        raise VoiceError(f"{exe} is not installed: apt-get install {package}")
    return path


class FliteTTS(CommandTTS):
    def __init__(self, voice: str = "kal16") -> None:
        if voice not in FLITE_VOICES:
            raise ValueError(f"unknown flite voice {voice!r}; built in: {', '.join(FLITE_VOICES)}")
        exe = _need("flite", "flite")
        super().__init__(f"{shlex.quote(exe)} -voice {voice} -t {{text}} -o {{wav}}", name=f"flite:{voice}")


class FestivalTTS(CommandTTS):
    def __init__(self, voice: str = "kal") -> None:
        if voice not in FESTIVAL_VOICES:
            raise ValueError(f"unknown festival voice {voice!r}; installed here: {', '.join(FESTIVAL_VOICES)}")
        exe = _need("text2wave", "festival festvox-kallpc16k festvox-us-slt-hts")
        pkg = "festvox-kallpc16k" if voice == "kal" else "festvox-us-slt-hts"
        self._package = pkg
        # text2wave reads the text from a file; printf keeps the sentence one argument.
        super().__init__(
            f"printf '%s' {{text}} | {shlex.quote(exe)} -eval '({FESTIVAL_VOICES[voice]})' -o {{wav}}",
            name=f"festival:{voice}",
        )

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        try:
            return super().synthesize(text)
        except VoiceError as e:
            raise VoiceError(f"{e} (is {self._package} installed? apt-get install {self._package})") from e


class NanoTTS:
    """SVOX Pico, in process. The library keeps global state: calls are serialised."""

    _lock = threading.Lock()

    def __init__(self, voice: str = "en-US") -> None:
        if voice not in NANOTTS_VOICES:
            raise ValueError(f"unknown nanotts voice {voice!r}; English ones: {', '.join(NANOTTS_VOICES)}")
        try:
            import py_nanotts
        except ImportError as e:
            raise VoiceError("the SVOX Pico voices need py-nanotts: pip install py-nanotts (or 'hirobot[voice]')") from e
        self._tts = py_nanotts.NanoTTS()
        self.voice = voice
        self.name = f"nanotts:{voice}"

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        with self._lock:
            raw = self._tts.speak(text, voice=self.voice)
        return to_float32(np.frombuffer(raw, dtype="<i2")), 16000


def make_voice(name: str):
    """The voice for a name of the forms listed in the module docstring, or None when the
    name is not one of these (the caller then tries Piper and espeak-ng)."""
    family, _, arg = name.partition(":")
    if family == "cmd":
        return CommandTTS(arg)
    if family == "flite":
        return FliteTTS(arg or "kal16")
    if family == "festival":
        return FestivalTTS(arg or "kal")
    if family == "nanotts":
        return NanoTTS(arg or "en-US")
    return None


# Voices this checkout can name, for error messages and the benchmark.
KNOWN_VOICES = (
    "piper", "piper:steady", "espeak:en-us", "espeak:en-gb",
    *(f"flite:{v}" for v in FLITE_VOICES), *(f"festival:{v}" for v in FESTIVAL_VOICES),
    *(f"nanotts:{v}" for v in NANOTTS_VOICES), "cmd:'COMMAND {text} {wav}'",
)
