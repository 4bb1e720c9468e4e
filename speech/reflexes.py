"""Reflex words: "stop", "wait", "go on" and friends, recognised at the start of a phrase.

A reflex is acted on before the planner hears the sentence, so a false fire costs a
pause and a missed one costs a collision. The words are the reflex tier of the one control
vocabulary (`agent.control`), shared with the typed path and the rules planner; the rule is
simple and a little eager: the phrase's first words (after fillers such as "oh", "no",
"hey robot") must be a reflex phrase. Words that only *contain* a stop word do not fire
("stopwatch", "don't stop", "put it on top of the tray"), nor does a stop word in the
middle of a phrase ("the bus stop") - a person who wants the robot to stop mid-sentence
pauses first, which starts a new phrase.
"""

from __future__ import annotations

from agent.control import Control, ControlMatch, control_at_start, words_of

Command = Control
ReflexMatch = ControlMatch


def match_reflex(text: str, max_fillers: int = 2) -> ReflexMatch | None:
    """The reflex a phrase starts with, if any."""
    return control_at_start(text, max_fillers=max_fillers)


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


__all__ = ["Command", "ReflexMatch", "ReflexDeduper", "match_reflex", "words_of"]
