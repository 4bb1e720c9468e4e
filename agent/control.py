"""The control words: what a person says to stop, pause or resume the robot, in one place.

Read by the speech reflexes, the typed path and the rules planner, so a word means the same
thing however it arrives. Two tiers, because they fire under different evidence:

- `REFLEX` phrases are acted on when a phrase *starts* with them ("Stop, and then ..."), before
  the rest is even transcribed. A false fire costs a pause, a missed one a collision, so this
  tier holds only words that are never the start of an instruction ("go" and "leave it" are not
  here: "Go put the cup away", "Leave it on the tray").
- `WHOLE` phrases are control only when they are the whole utterance, fillers aside
  ("Off you go then.", "That will do."). Every reflex phrase is also a whole phrase, with the
  same meaning.

"Freeze" is a pause: it means hold still where you are, and the plan is kept for "go on".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Control = Literal["stop", "pause", "resume"]

# Phrase-start tier, ordered longest first so "okay keep going" wins over "okay".
REFLEX: dict[str, Control] = {
    "okay keep going": "resume", "ok keep going": "resume", "keep going": "resume", "carry on": "resume",
    "go on": "resume", "go ahead": "resume", "continue": "resume", "resume": "resume",
    "hold on": "pause", "hold it": "pause", "hang on": "pause", "wait": "pause", "pause": "pause",
    "freeze": "pause",
    "stop": "stop", "halt": "stop",
}
# Whole-utterance tier (the reflex tier is added below).
_PAUSE = ["one moment", "one second", "one sec", "just a sec", "just a second", "just a moment",
          "wait a second", "wait a moment", "wait a minute", "hold on a second", "hold on a moment",
          "give me a second", "give me a moment", "not yet", "hold still", "halt for a moment",
          "pause for a moment", "wait up", "hold up", "stay there", "stay still", "stand by", "hold that thought",
          "wait wait", "hold", "hold it there", "a moment", "a second", "a sec", "one minute", "a minute",
          "hold your horses", "easy", "steady", "slow down", "wait for me", "wait there"]
_RESUME = ["proceed", "you can continue", "you can go on", "you may continue", "unpause", "go", "continue please",
           "keep at it", "move on", "okay continue", "all good", "you can go", "go again", "start again",
           "keep on going", "on you go", "back to work", "get going", "as you were", "finish it", "finish up",
           "carry on then", "back to it", "off you go", "keep it up", "you may proceed", "go for it", "let us go",
           "on with it", "get on with it", "keep on", "continue on", "you can keep going", "you can go ahead",
           "you can proceed", "good to go", "finish", "go right ahead", "carry on with it", "keep going with it",
           "you may go on", "you may carry on", "i am done", "i am ready", "ready", "all clear", "to go"]
_STOP = ["stop it", "stop now", "abort", "never mind", "nevermind", "cancel", "cancel that", "forget it", "abandon",
         "abandon it", "quit", "enough", "that is enough", "stop everything", "stop right there", "stop stop",
         "emergency stop", "do not do that", "do not", "do not do it", "no stop", "stop that", "cancel everything",
         "cancel it", "forget about it", "leave it", "drop it", "skip it", "stop moving", "stop what you are doing",
         "that will do", "never mind that", "scratch that"]
WHOLE: dict[str, Control] = {**REFLEX, **{p: "pause" for p in _PAUSE}, **{p: "resume" for p in _RESUME},
                             **{p: "stop" for p in _STOP}}

# Words a speech recognizer's prompt primes it for (the commonest control words).
PROMPT_WORDS = ("stop", "wait", "hold on", "go on", "continue")
# What a control means, said plainly: the planner hears this when the words that fired a
# spoken reflex were lost in the transcript.
PLAIN: dict[Control, str] = {"stop": "Stop.", "pause": "Wait.", "resume": "Go on."}

# Whisper hears a breathy or clipped "stop" at the very start of a clip as "top"; no
# command begins with "top", so treating it as "stop" there costs nothing.
_MISHEARD_FIRST: dict[str, Control] = {"top": "stop", "stopp": "stop", "weight": "pause"}
_LEAD_FILLERS = {"oh", "no", "hey", "robot", "um", "uh", "please", "hmm", "whoa", "woah", "jarvis", "okay", "ok",
                 "now", "so"}
_FILLERS = re.compile(r"\b(?:okay|ok|alright|all right|please|robot|now|right|then|you can|yes|yeah|"
                      r"sure|good|great|thanks|thank you|fine|again|hey|oh|so|just|and|no|sorry|hmm|um|"
                      r"whoa|woah|wow|uh|er|yikes|oops|careful|quick|nope|you are|you may|it is|that is|"
                      r"with it|go ahead and|well)\b")
_CONTRACTIONS = [(r"\bdon't\b", "do not"), (r"\blet's\b", "let us"), (r"\bi'm\b", "i am"), (r"\byou're\b", "you are"),
                 (r"\bthat's\b", "that is"), (r"\bit's\b", "it is")]
# How long a pause is meant to last ("wait a second", "for a moment"): it adds nothing to
# which control was said.
_DURATION_TAIL = re.compile(r"\s+(?:for\s+)?(?:a|one|just a)\s+(?:second|sec|moment|minute|bit|tick)$")


def _without_fillers(t: str) -> str:
    return re.sub(r"\s+", " ", _FILLERS.sub(" ", t)).strip()


def _core(t: str) -> str:
    """Control words as compared: fillers and a duration tail gone. Utterances and the table's
    own phrases both pass through it, so no phrase of the table is out of reach ("stop right
    there" lost its "right" as a filler and matched nothing)."""
    return _DURATION_TAIL.sub("", _without_fillers(t))


def _reachable(table: dict[str, Control]) -> dict[str, Control]:
    """The table plus each phrase as `_core` leaves it. A phrase cut to one word is left out
    ("all good" -> "all", "on with it" -> "on"): a lone "all" answers "which one?"."""
    out = dict(table)
    for phrase, control in table.items():
        core = _core(phrase)
        if len(core.split()) >= 2:
            out.setdefault(core, control)
    return out


_WHOLE_SORTED = sorted(_reachable(WHOLE).items(), key=lambda pc: -len(pc[0].split()))
_REFLEX_SORTED = sorted(((tuple(p.split()), c) for p, c in REFLEX.items()), key=lambda pc: -len(pc[0]))


@dataclass(frozen=True)
class ControlMatch:
    command: Control
    word: str  # the words that matched, as heard


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]+", " ", text.lower().replace("-", " ")).split()


def control_at_start(text: str, max_fillers: int = 2) -> ControlMatch | None:
    """The reflex a phrase starts with, if any: its first words (after up to `max_fillers`
    fillers such as "oh", "no", "hey robot") are a reflex phrase. Words that only contain one
    ("stopwatch", "don't stop") or have it mid-phrase ("the bus stop") do not fire."""
    words = words_of(text)
    for skip in range(0, max_fillers + 1):
        if skip > 0 and words[skip - 1] not in _LEAD_FILLERS:
            break
        rest = words[skip:]
        if not rest:
            break
        for pattern, command in _REFLEX_SORTED:
            if tuple(rest[: len(pattern)]) == pattern:
                return ControlMatch(command, " ".join(pattern))
        if skip == 0 and rest[0] in _MISHEARD_FIRST:
            return ControlMatch(_MISHEARD_FIRST[rest[0]], rest[0])
    return None


def _normal(text: str) -> str:
    t = text.lower().replace("’", "'")
    for pat, rep in _CONTRACTIONS:
        t = re.sub(pat, rep, t)
    return re.sub(r"[^a-z ]+", " ", t.replace("-", " "))


def control_of(utterance: str, bare_okay: bool = True) -> Control | None:
    """The control an utterance is, when the whole of it (fillers aside) is control words.
    `bare_okay`: a lone "okay" (or "alright", "fine") counts as "resume"; off, control words
    must have been said."""
    return control_of_normalized(re.sub(r"\s+", " ", _normal(utterance)).strip(), bare_okay)


def control_of_normalized(t: str, bare_okay: bool = True) -> Control | None:
    """`control_of` for text already lower-cased, contractions expanded, punctuation gone."""
    bare = _without_fillers(t)
    core = _DURATION_TAIL.sub("", bare)
    ws = t.split()
    while ws and ws[0] in _LEAD_FILLERS:  # "okay, all good": the phrase as said, opener aside
        ws = ws[1:]
    said = _control_words(t.split()) or _control_words(ws) or _control_words(core.split())
    if said and core != bare:
        said = ["pause" if c == "stop" else c for c in said]  # "stop for a moment" is a pause
    if said:
        # "wait, stop" is a stop; "hang on, hang on" a pause.
        return next(c for c in ("stop", "pause", "resume") if c in said)  # type: ignore[return-value]
    if bare_okay and not core and re.search(r"\b(?:okay|ok|alright|all right|yes|yeah|sure|fine)\b", t):
        return "resume"  # a bare "okay" while something waits means carry on
    return None


def _control_words(ws: list[str]) -> list[Control] | None:
    """The controls the words say, when every word belongs to a control phrase, else None."""
    if not ws:
        return None
    for phrase, control in _WHOLE_SORTED:
        n = len(phrase.split())
        if ws[:n] == phrase.split():
            rest = ws[n:]
            if not rest:
                return [control]
            more = _control_words(rest)
            if more is not None:
                return [control] + more
    return None
