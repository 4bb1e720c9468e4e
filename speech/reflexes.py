"""Reflex words: "stop", "wait", "go on" and friends, recognised at the start of a phrase.

A reflex is acted on before the planner hears the sentence, so a false fire costs a
pause and a missed one costs a collision. The rule is therefore simple and a little
eager: the phrase's first words (after fillers such as "oh", "no", "hey robot") must be
one of the patterns below. Words that only *contain* a stop word do not fire
("stopwatch", "don't stop", "put it on top of the tray"), nor does a stop word in the
middle of a phrase ("the bus stop") - a person who wants the robot to stop mid-sentence
pauses first, which starts a new phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Command = Literal["stop", "pause", "resume"]

# Ordered longest first so "okay keep going" wins over "okay".
_PATTERNS: list[tuple[tuple[str, ...], Command]] = [
    (("okay", "keep", "going"), "resume"),
    (("ok", "keep", "going"), "resume"),
    (("keep", "going"), "resume"),
    (("carry", "on"), "resume"),
    (("go", "on"), "resume"),
    (("go", "ahead"), "resume"),
    (("continue",), "resume"),
    (("resume",), "resume"),
    (("hold", "on"), "pause"),
    (("hold", "it"), "pause"),
    (("hang", "on"), "pause"),
    (("wait",), "pause"),
    (("pause",), "pause"),
    (("stop",), "stop"),
    (("freeze",), "stop"),
    (("halt",), "stop"),
]
# Whisper hears a breathy or clipped "stop" at the very start of a clip as "top"; no
# command begins with "top", so treating it as "stop" there costs nothing.
_MISHEARD_FIRST = {"top": "stop", "stopp": "stop", "weight": "wait"}
_FILLERS = {"oh", "no", "hey", "robot", "um", "uh", "please", "hmm", "whoa", "woah", "jarvis", "okay", "ok", "now", "so"}


@dataclass(frozen=True)
class ReflexMatch:
    command: Command
    word: str  # the words that matched, as heard


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def match_reflex(text: str, max_fillers: int = 2) -> ReflexMatch | None:
    """The reflex a phrase starts with, if any."""
    words = words_of(text)
    if not words:
        return None
    for skip in range(0, max_fillers + 1):
        if skip > 0 and words[skip - 1] not in _FILLERS:
            break
        rest = words[skip:]
        if not rest:
            break
        for pattern, command in _PATTERNS:
            if tuple(rest[: len(pattern)]) == pattern:
                return ReflexMatch(command, " ".join(pattern))
        if skip == 0 and rest[0] in _MISHEARD_FIRST:
            return ReflexMatch(_MISHEARD_FIRST[rest[0]], rest[0])  # type: ignore[arg-type]
    return None


class ReflexDeduper:
    """Remembers which (turn, command) pairs fired, so the spotter and the final
    transcript of the same turn fire a reflex once. Bounded: only recent turns are kept."""

    def __init__(self, keep: int = 64) -> None:
        self._fired: dict[tuple[int, int], Command] = {}
        self._keep = keep

    def should_fire(self, turn_id: int, phrase: int, command: Command) -> bool:
        key = (turn_id, phrase)
        if self._fired.get(key) == command:
            return False
        self._fired[key] = command
        if len(self._fired) > self._keep:
            for k in sorted(self._fired)[: len(self._fired) - self._keep]:
                del self._fired[k]
        return True

    def fired_in_turn(self, turn_id: int, command: Command) -> bool:
        return any(t == turn_id and c == command for (t, _), c in self._fired.items())
