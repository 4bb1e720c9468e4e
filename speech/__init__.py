"""Talking to the robot: audio sources, voice activity, end of turn, speech recognition,
reflex words, speech synthesis with barge-in, wake word.

The entry points for the rest of the system:

- `SpeechPipeline(source, on_utterance=..., on_reflex=..., vocabulary=...)`: audio in,
  `agent.events.Utterance` / `agent.events.Reflex` out.
- `VoiceIO.microphone(...)` / `VoiceIO.scripted(...)`: a pipeline plus the robot's voice
  (player, echo gate, barge-in) for one session.
- `TurnSynth().synth(text, voice)`: speech for tests and evaluation.

Heavy dependencies (faster-whisper, onnxruntime, piper, sounddevice) are imported by the
modules that need them, so `import speech` itself is cheap.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "AudioChunk": "audio",
    "AudioSource": "sources",
    "ArraySource": "sources",
    "MicrophoneSource": "sources",
    "MicrophoneError": "sources",
    "ScriptedSource": "sources",
    "Turn": "sources",
    "WavFileSource": "sources",
    "list_input_devices": "sources",
    "SileroVAD": "vad",
    "Endpointer": "endpoint",
    "EndpointConfig": "endpoint",
    "ASRConfig": "asr",
    "WhisperASR": "asr",
    "build_prompt": "asr",
    "scene_vocabulary": "asr",
    "match_reflex": "reflexes",
    "PipelineConfig": "pipeline",
    "SpeechPipeline": "pipeline",
    "PiperTTS": "tts",
    "EspeakTTS": "tts",
    "make_tts": "tts",
    "TurnSynth": "synth_turns",
    "first_word_end_s": "synth_turns",
    "Player": "playback",
    "Speaker": "playback",
    "EchoGate": "playback",
    "LoopbackSink": "playback",
    "WavFileSink": "playback",
    "SoundDeviceSink": "playback",
    "WakeWordGate": "wakeword",
    "PushToTalkGate": "wakeword",
    "VoiceIO": "voice",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'speech' has no attribute {name!r}")
