"""Who was that said to? And was it heard well enough to act on?

A robot's microphone hears everything said in the room. Before a transcript reaches the
planner, `Hearing.route` decides what to do with it:

- ignore: nothing in it is addressed to the robot (talk between people, a radio). It is
  logged as heard, and the robot says nothing;
- act: the sentences addressed to the robot go on, and only those: a command said right
  after a stretch of talk, with no pause between, is still a command;
- confirm: the words would move something but recognition was unsure of them (mean token
  probability below `confirm_below`); the robot asks "Did you say ...?" first.

A sentence is addressed to the robot when it
- starts with a control word (stop, wait, go on: `speech.reflexes`), after fillers or not;
- names something on the table: an object's name or kind, or the table itself ("I'd like
  both cans in the basket", "Now the blue cup"); a colour counts in a bare phrase ("The blue
  one.") or while the robot works, since "the red one was cheaper anyway" is everyday talk;
- has a clause that starts with a command verb, or asks for one ("Could you stack ..."),
  acting on something named or pointed at ("Tidy up.", "Never mind, undo it.") or on what
  the robot builds of them ("Build a tower."), or asks for
  the last request again ("Do the same with the green one.");
- or corrects ("No, wrong one.") or is a control phrase ("Alright, back to it.": the whole
  sentence, fillers aside, in `agent.control`) while the robot is working or paused.
While the robot waits for an answer, whatever is said is the answer. Talk about anything
else - the weekend, the printer, lunch - is not for the robot.

These are rules about addressing, not about phrasings of commands: they never decide what
a command means, only whether the planner should hear it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Literal

from agent.control import REFLEX, control_of

from .reflexes import match_reflex, words_of

COMMAND_VERBS = frozenset(
    "put place stack throw move pick take bring give clean clear tidy sort build set leave drop hand get "
    "lift push slide swap undo arrange fetch remove grab empty fill store toss bin pop match pack "
    "stop wait hold continue resume freeze pause halt".split()
)
FILLERS = frozenset("okay ok now then and so please alright right hey robot um uh oh well also first next just "
                    "yes yeah sure never mind".split())
CONTROL = frozenset(p for p in REFLEX if " " not in p)  # the one-word reflexes of the control vocabulary
CORRECTION = frozenset("no not wrong instead actually nope".split())
ALWAYS_SCENE = frozenset(("table",))
# words of the planner's kind phrases that name nothing on a table by themselves in talk
# ("ball of paper", "coffee cup", "building block", "a glass of wine", "the box office")
STOP_WORDS = frozenset("of the a an one ball can coffee building paper glass box drink drinks beer serving "
                       "crumpled toy toys mess stuff thing things item items object objects rest".split())
POINTING = frozenset("it them that this those these everything all up one ones".split())
COLOURS = frozenset("red green blue yellow white black orange purple pink brown grey gray".split())
DETERMINERS = frozenset("the a an that this each every empty both one".split())
# Words that open the object of a verb: a thing's name just before one is being used as a
# verb ("don't waste your time", "bin the cups"), and names nothing by itself.
_OBJECT_OPENERS = frozenset("the a an your my his her their our its some".split())

_SENTENCE = re.compile(r"(?<=[.!?])\s+")

try:  # the planner's own words: "do the same with ...", and what it builds ("a tower"), so both read them alike
    from agent.planners.rules.lexicon import SAME_AGAIN as _SAME_AGAIN
    from agent.planners.rules.lexicon import STRUCTURE_WORDS as _STRUCTURES
except ImportError:  # the speech package used without the agent's planner
    _SAME_AGAIN = None
    _STRUCTURES = ()


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def _content(words: list[str]) -> list[str]:
    i = 0
    while i < len(words) - 1 and words[i] in FILLERS:
        i += 1
    return words[i:]


def _clauses(sentence: str) -> list[list[str]]:
    return [w for w in (words_of(c) for c in re.split(r"[,;:]|\band\b|\bthen\b", sentence.lower())) if w]


def _names_thing(words: list[str], i: int, scene_words: frozenset[str], busy: bool = False) -> bool:
    w = words[i]
    if w == "can":  # the modal ("can you ...") unless a determiner or colour makes it the object
        return i > 0 and (words[i - 1] in DETERMINERS or words[i - 1] in COLOURS or words[i - 1] in scene_words)
    if w in COLOURS:
        # a colour inside a sentence about something ("the red one was cheaper anyway") is
        # everyday talk; it picks out a thing on the table in a bare phrase ("The blue one.",
        # "Now the red one.") or while the robot works ("no, the blue one")
        return busy or len(_content(words)) <= 4
    if i + 1 < len(words) and words[i + 1] in _OBJECT_OPENERS:
        return False
    return w in scene_words or w.rstrip("s") in scene_words or w in ALWAYS_SCENE


def opens_with_correction(text: str) -> bool:
    """"No, the blue one", "Actually, ...": the first word past the fillers corrects."""
    content = _content(words_of(text))
    return bool(content) and content[0] in CORRECTION


def addressed(sentence: str, scene_words: frozenset[str], busy: bool = False) -> bool:
    """Whether one sentence is said to the robot (see the module docstring)."""
    words = words_of(sentence)
    if not words:
        return False
    content = _content(words)
    if match_reflex(sentence) is not None or match_reflex(" ".join(content)) is not None:
        return True
    if any(_names_thing(words, i, scene_words, busy) for i in range(len(words))):
        return True
    # A command verb opening a clause, acting on something: the verb alone is everyday talk
    # too ("Get away from us."), but with a thing named (above) or pointed at ("undo it",
    # "tidy up", "put that back") it is a request to the robot.
    pointed = any(w in POINTING for w in words)
    for c in _clauses(sentence):
        c = _content(c)
        # ... or at what the robot makes of the things on the table ("Build a tower.")
        if c[0] in COMMAND_VERBS and (pointed or any(w in _STRUCTURES for w in c[1:])):
            return True
        # the last request again: "do the same with the green one", "same for those"
        if pointed and _SAME_AGAIN is not None and _SAME_AGAIN.match(" ".join(c)):
            return True
        # a request: "can you / could you / would you (please) put ..."
        if pointed and len(c) > 2 and c[0] in ("can", "could", "would", "will") and c[1] == "you" and \
                _content(c[2:])[0] in COMMAND_VERBS:
            return True
    # while the robot works (or waits to go on), a control word anywhere is for it
    # ("Okay, you can continue now."), and so is a sentence that is all control phrase
    # ("Alright, back to it."); a lone "okay" is not, since people say it to each other
    return busy and bool(content) and (content[0] in CORRECTION or any(w in CONTROL for w in words)
                                       or control_of(sentence, bare_okay=False) is not None)


Action = Literal["act", "confirm", "ignore"]


@dataclass(frozen=True)
class Routed:
    action: Action
    text: str  # what the planner gets (the addressed sentences); the full text when ignored
    dropped: str = ""  # sentences that were not for the robot


def scene_words(vocabulary: Iterable[str], kinds: Iterable[str] | None = None) -> frozenset[str]:
    """The scene's own words plus every word the planner knows for a kind of thing
    ("garbage", "mug", "brick", "dishes"): a person names things in their own words. With
    `kinds` (the kinds on the table), only the words for those kinds: talk about a tray is
    not about this table when no tray is on it."""
    present = None if kinds is None else set(kinds)
    out: set[str] = set()
    for v in vocabulary:
        for w in words_of(str(v)):
            out.add(w)
    try:
        from agent.planners.rules.lexicon import CATEGORY_WORDS, KIND_WORDS

        phrases = [p for p, (kind, _) in KIND_WORDS.items() if present is None or kind in present]
        phrases += [p for p, group in CATEGORY_WORDS.items() if present is None or group & present]
        for phrase in phrases:
            out.update(w for w in words_of(phrase) if w not in STOP_WORDS)
    except ImportError:  # the speech package used without the agent's planner
        pass
    return frozenset(out - COLOURS)


class Hearing:
    """Routes final transcripts for one session (see the module docstring)."""

    def __init__(self, vocabulary: Iterable[str] = (), confirm_below: float = 0.45,
                 kinds: Iterable[str] | None = None) -> None:
        self.scene_words = scene_words(vocabulary, kinds)
        self.confirm_below = confirm_below

    @classmethod
    def for_objects(cls, objects: Iterable[dict], **kw) -> "Hearing":
        """Routing for a table with these objects (dicts with name, kind, color): what names
        a thing is what names one of them."""
        objects = list(objects)
        kinds = {str(o.get("kind")) for o in objects if o.get("kind")}
        return cls([str(o.get("name", "")) for o in objects] + sorted(kinds), kinds=kinds, **kw)

    def route(self, text: str, confidence: float | None = None, *, asking: bool = False,
              busy: bool = False) -> Routed:
        if asking:
            return Routed("act", text)
        parts = sentences(text)
        kept = [s for s in parts if addressed(s, self.scene_words, busy)]
        if not kept:
            return Routed("ignore", text, dropped=text)
        said = " ".join(kept)
        dropped = " ".join(s for s in parts if s not in kept)
        moves = match_reflex(said) is None  # a halt is never held up by a question
        if moves and confidence is not None and confidence < self.confirm_below:
            return Routed("confirm", said, dropped)
        return Routed("act", said, dropped)


YES = frozenset("yes yeah yep yup correct right exactly sure affirmative".split())


def is_yes(answer: str | None) -> bool:
    """A confirmation's answer: yes if its first words say so ("Yes.", "Yeah, that's right")."""
    words = words_of(answer or "")
    return bool(words) and (words[0] in YES or " ".join(words[:2]) in ("that's right", "i did", "that is"))


def confirmation_reply(heard: str, said: str, voice=None) -> str:
    """What a person answers to "Did you say <heard>?" after saying `said`: "Yes." when the
    words match (at most one word in seven differs), else the request again. With recorded
    turns that hold no "Yes." (`voice` lacks it), the request again."""
    from .wer import word_error_rate

    has_yes = voice is None or not hasattr(voice, "missing") or "Yes." in voice
    if word_error_rate(said, heard) <= 0.15 and has_yes:
        return "Yes."
    return said
