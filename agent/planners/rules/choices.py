"""Open choices and the answers that close them.

When grounding finds more than one fitting object or destination, it asks a `Chooser`. The
chooser holds the person's answers to earlier questions (oldest first); an answer that narrows
the options to one closes the choice and is used up, otherwise the chooser raises the question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from agent.planners.rules import lexicon as lx
from agent.planners.rules.outcomes import NeedQuestion
from agent.planners.rules.phrases import NounPhrase, parse_np
from agent.planners.rules.text import normalize, strip_fillers, words
from agent.planners.rules.world import concrete_relation, holds_inside, holds_on_top
from agent.schema import SceneObject

# Openers of an answer that do not help to choose ("I mean", "put it", "use").
_ANSWER_OPENERS = re.compile(
    r"^(?:(?:i|i\s+would|i\s+will)\s+(?:mean|meant|said|want|say|like|prefer|pick|choose|go with)\s+|"
    r"(?:put|place|move|drop|take|set|throw|toss|stack|use|pick|choose|take|try|do|go with|make it|"
    r"the answer is|how about|what about|let us do|lets do)\s+(?:(?:it|them|that|this|those|these)\s+)?)+")

Destination = tuple[str, SceneObject]  # (relation, target)

# The option an answer rules out ("the bowl, not the basket", "the red one rather than the blue"):
# it adds nothing to the choice, and its words would only muddle it.
_CONTRAST_TAIL = re.compile(r"(?:\s*,\s*|\s+)(?:and\s+|but\s+)?(?:not|rather than|instead of|as opposed to)\s+"
                            r"(?!(?:the\s+)?(?:one|ones)\b$).+$")
_CONTRAST_HEAD = re.compile(r"^(?:not|no)\s+(?:the\s+)?[a-z ]+?\s*,\s*(?:but\s+)?(?=\S)")
# "the one closest to the bin": the option nearest to (or farthest from) another object.
_BY_LANDMARK = re.compile(r"^(?:the\s+)?(?:one\s+|ones\s+)?(?:that\s+is\s+|which\s+is\s+)?"
                          r"(?P<how>closest|closer|nearest|nearer|next|right next|near|by|beside|"
                          r"farthest|furthest|farther|further)\s+(?:to|from)?\s*(?P<what>.+)$")


@dataclass
class Chooser:
    answers: list[str] = field(default_factory=list)
    scene: list[SceneObject] = field(default_factory=list)  # for answers that name a landmark

    def _try(self, pick: Callable[[str], object | None]):
        for i, answer in enumerate(self.answers):
            got = pick(answer)
            if got is not None:
                del self.answers[: i + 1]
                return got
        return None

    def object(self, options: list[SceneObject], question: str) -> SceneObject:
        got = self._try(lambda a: pick_by_landmark(a, options, self.scene) or pick_object(a, options))
        if got is None:
            raise NeedQuestion(question)
        return got  # type: ignore[return-value]

    def one_or_all(self, options: list[SceneObject], question: str) -> list[SceneObject]:
        """Which one, where "both" or "all of them" is an answer too."""
        got = self._try(lambda a: options if means_all(a) else
                        (lambda o: [o] if o is not None else None)(pick_by_landmark(a, options, self.scene)
                                                                    or pick_object(a, options)))
        if got is None:
            raise NeedQuestion(question)
        return got  # type: ignore[return-value]

    def objects(self, options: list[SceneObject], count: int, question: str) -> list[SceneObject]:
        got = self._try(lambda a: pick_objects(a, options, count))
        if got is None:
            raise NeedQuestion(question)
        return got  # type: ignore[return-value]

    def destination(self, options: list[Destination], scene: list[SceneObject], question: str) -> Destination:
        got = self._try(lambda a: pick_destination(a, options, scene))
        if got is None:
            raise NeedQuestion(question)
        return got  # type: ignore[return-value]

    def value(self, options: list[str], synonyms: dict[str, list[str]], question: str) -> str:
        got = self._try(lambda a: pick_value(a, options, synonyms))
        if got is None:
            raise NeedQuestion(question)
        return got  # type: ignore[return-value]


_ALL_OF_THEM = re.compile(r"^(?:both|all|both of them|all of them|them both|them all|the both of them|each of them|"
                          r"every one of them|both of those|all of those|both please|all please|both ones|all three|"
                          r"all three of them|the two of them|both are|all are|both of the \w+|all the \w+|"
                          r"all of the \w+)$")


def means_all(answer: str) -> bool:
    """"Both", "all of them": the answer takes every option offered."""
    return bool(_ALL_OF_THEM.match(answer_phrase(answer)))


def answer_phrase(answer: str) -> str:
    text = normalize(answer).strip(" .!?")
    text = _CONTRAST_HEAD.sub("", text)
    text = _CONTRAST_TAIL.sub("", text) or text
    text = strip_fillers(text)
    text = _ANSWER_OPENERS.sub("", text).strip()
    return strip_fillers(text)


def from_side(side: str, options: list[SceneObject]) -> list[SceneObject]:
    """The options in order from the given side of the table (the robot's left and right; front is
    its own edge), nearest to that side first."""
    if side == "left":
        return sorted(options, key=lambda o: -o.pos[1])
    if side == "right":
        return sorted(options, key=lambda o: o.pos[1])
    if side == "front":
        return sorted(options, key=lambda o: o.pos[0])
    if side == "back":
        return sorted(options, key=lambda o: -o.pos[0])
    return sorted(options, key=lambda o: o.pos[1])


def _by_side(side: str, options: list[SceneObject], ordinal: int | None = None) -> SceneObject | None:
    """The option at that side, or the `ordinal`-th counted from it (None when there are fewer)."""
    ranked = from_side(side, options)
    if side == "middle":
        return ranked[len(ranked) // 2]
    n = ordinal or 1
    if abs(n) > len(ranked) or n == 0:
        return None
    return ranked[n - 1] if n > 0 else ranked[n]


def _matches(np: NounPhrase, obj: SceneObject) -> bool:
    if np.name_words and " ".join(np.name_words) == obj.name.lower():
        return True
    if np.kinds and obj.kind not in np.kinds:
        return False
    if np.colors and (obj.color or "") not in np.colors:
        return False
    if np.unknown and not np.kinds and not all(w in obj.name.lower().split() for w in np.unknown):
        return False
    return bool(np.kinds or np.colors or np.unknown or np.name_words)


def narrow(np: NounPhrase, options: list[SceneObject]) -> list[SceneObject]:
    """The options this phrase picks out (all of them when it says nothing that separates them)."""
    if np.parts:
        out: list[SceneObject] = []
        for p in np.parts:
            for o in narrow(p, options):
                if o not in out:
                    out.append(o)
        return out
    chosen = [o for o in options if _matches(np, o)] if (np.kinds or np.colors or np.unknown) else list(options)
    if np.side and (len(chosen) > 1 or np.ordinal):
        picked = _by_side(np.side, chosen, np.ordinal)
        chosen = [picked] if picked is not None else []
    return chosen


def _without_relation(text: str) -> str:
    """"in the black one" -> "the black one": the relation adds nothing when choosing an object."""
    for phrase, _rel in lx.RELATION_PHRASES:
        m = re.match(re.escape(phrase) + r"\s+", text)
        if m:
            return text[m.end():]
    return text


def pick_object(answer: str, options: list[SceneObject]) -> SceneObject | None:
    text = _without_relation(answer_phrase(answer))
    if not text:
        return None
    np = parse_np(text, frozenset(o.kind for o in options))
    if np.pronoun or np.everything:
        return None
    chosen = narrow(np, options)
    return chosen[0] if len(chosen) == 1 and len(chosen) < len(options) + 1 and _says_something(np) else None


def pick_by_landmark(answer: str, options: list[SceneObject], scene: list[SceneObject]) -> SceneObject | None:
    """"The one closest to the bin": of the options, the one nearest to (or farthest from) the
    object the answer names, when that object is a single other thing on the table."""
    m = _BY_LANDMARK.match(answer_phrase(answer))
    if not m or len(options) < 2:
        return None
    what = m.group("what").strip()
    if re.fullmatch(r"(?:me|you|us|the robot|the edge|the front|the back)", what):
        return None  # relative to the person or the robot: a side word, handled elsewhere
    np = parse_np(what, frozenset(o.kind for o in scene))
    if np.pronoun or np.everything or not (np.kinds or np.colors or np.unknown or np.name_words):
        return None
    marks = [o for o in narrow(np, scene) if o not in options]
    if len(marks) != 1:
        return None
    mark = marks[0]

    def dist(o: SceneObject) -> float:
        return (o.pos[0] - mark.pos[0]) ** 2 + (o.pos[1] - mark.pos[1]) ** 2

    far = m.group("how") in ("farthest", "furthest", "farther", "further")
    ranked = sorted(options, key=dist, reverse=far)
    if abs(dist(ranked[0]) - dist(ranked[1])) < 1e-4:
        return None  # as near as each other: the answer does not decide
    return ranked[0]


def pick_objects(answer: str, options: list[SceneObject], count: int) -> list[SceneObject] | None:
    np = parse_np(_without_relation(answer_phrase(answer)), frozenset(o.kind for o in options))
    chosen = narrow(np, options)
    return chosen if len(chosen) == count and _says_something(np) else None


def _says_something(np: NounPhrase) -> bool:
    return bool(np.colors or np.side or np.unknown or np.parts or np.name_words)


def pick_destination(answer: str, options: list[Destination], scene: list[SceneObject]) -> Destination | None:
    text = answer_phrase(answer)
    relation = None
    for phrase, rel in lx.RELATION_PHRASES:
        m = re.match(re.escape(phrase) + r"\b\s*", text)
        if m:
            relation, text = rel, text[m.end():]
            break
    np = parse_np(text)
    if not _says_something(np) and not np.kinds:
        return None
    targets = [t for _, t in options]
    chosen = narrow(np, targets)
    if len(chosen) == 1:
        for rel, tgt in options:
            if tgt is chosen[0]:
                return rel, tgt
    # A destination that was not offered but fits is a fine answer too.
    others = [o for o in narrow(np, scene) if holds_inside(o) or holds_on_top(o)]
    if len(others) == 1:
        return concrete_relation(relation or "to", others[0]), others[0]
    return None


def pick_value(answer: str, options: list[str], synonyms: dict[str, list[str]]) -> str | None:
    said = " " + " ".join(words(answer.lower())) + " "
    found = [v for v in options if any(f" {s} " in said for s in [v.lower(), *synonyms.get(v, [])])]
    return found[0] if len(found) == 1 else None
