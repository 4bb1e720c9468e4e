"""Coaching memory: turning "from now on ..." into notes, and notes back into rules.

Notes are plain text so that every backend (and a person reading the session) can understand
them. The rules planner re-reads them on every turn with the same grammar it uses for commands:
  destination rules   "cups go on the tray", "cans belong in the basket", "put forks left of plates"
  exclusions          "leave the plate where it is", "never touch the red cup"
  phrase meanings     "when I say set the table, the fork goes to the left of the plate"
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from agent.planners.rules.parse import Command, _goes_split, parse_clause, parse_utterance, split_sentences
from agent.planners.rules.phrases import NounPhrase, parse_np
from agent.planners.rules import lexicon as lx
from agent.planners.rules.routines import RoutineText, read_routine
from agent.planners.rules.text import normalize, sounds_alike, strip_fillers, strip_punct
from agent.schema import Note

# Openers that make a sentence a lasting preference (user scope) or one for this session.
_USER_MARKERS = [
    "from now on", "from here on", "from here on out", "in future", "in the future", "going forward",
    "remember that", "please remember that", "please remember", "remember", "note that", "keep in mind that",
    "keep in mind", "always", "by default", "as a rule", "for future reference", "next time", "in general",
    "generally", "from today", "whenever", "every time", "each time", "never", "in general",
    # A liking is a standing rule too: "I prefer cans in the basket", "I like my forks left of plates".
    "i prefer", "i would prefer", "i like", "i would rather", "i would rather have", "i prefer it when",
    "i prefer it if", "i like it when", "i like it if", "i would like it if", "my preference is",
    "i always want", "i always like",
]
_SESSION_MARKERS = ["for now", "for the rest of the session", "for this session", "today", "for the moment",
                    "for the time being", "for the rest of today", "this time"]
# ", not in the bin": the alternative a preference rules out; it adds nothing to the rule.
_NEGATIVE_ALTERNATIVE = re.compile(r"(?:,\s*|\s+)(?:and\s+|but\s+)?(?:not|never)\s+(?:in|into|on|onto|inside|"
                                   r"to|next to|near)\s+(?:the\s+)?[a-z]+(?:\s+[a-z]+)?\s*$")


@dataclass
class Preference:
    text: str  # the note to remember
    scope: str  # "user" or "session"


@dataclass
class DestinationRule:
    subject: NounPhrase
    relation: str
    target: NounPhrase
    text: str


@dataclass
class Macro:
    trigger: str
    body: str
    text: str


@dataclass
class Rules:
    destinations: list[DestinationRule] = field(default_factory=list)  # newest first
    exclusions: list[tuple[NounPhrase, str]] = field(default_factory=list)  # (phrase, note text)
    macros: list[Macro] = field(default_factory=list)


def preference_in(sentence: str) -> Preference | None:
    """The note a sentence asks to remember, or None when it is not a preference."""
    # Keep the commas: the note is read back later, by this planner and by people.
    t = re.sub(r"^(?:(?:please|okay|ok|so|and|also|oh|hey|robot|never mind|nevermind)\b[\s,]*)+", "", normalize(sentence).strip(" .!?"))
    flat = strip_fillers(strip_punct(t))
    routine = read_routine(flat)
    if routine is not None and (routine.form != "means" or _macro_from(flat)):
        return Preference(text=_tidy(t), scope="user")
    for markers, scope in ((_USER_MARKERS, "user"), (_SESSION_MARKERS, "session")):
        for m in sorted(markers, key=len, reverse=True):
            lead = re.match(re.escape(m) + r"\b[\s,:;]*", t)
            trail = re.search(r"[\s,]+" + re.escape(m) + r"$", t)
            if lead or trail:
                body = t[lead.end():] if lead else t[: trail.start()]
                body = re.sub(r"^(?:that|to)\s+", "", body.strip(" ,")).strip()
                if m == "never":
                    body = "never " + body
                if m == "whenever":
                    body = "whenever " + body
                taught = read_routine(strip_punct(body))
                if taught is not None and taught.form != "means":
                    return Preference(text=_tidy(body), scope="user")
                if _rules_from_text(body).destinations or _rules_from_text(body).exclusions:
                    return Preference(text=_tidy(body), scope=scope)
    # "cans belong in the basket" said on its own is a standing rule too; "that mug belongs in the
    # basket" is about one object, here and now: a request, not a rule.
    if re.search(r"\b(?:belong|belongs|always go|always goes|live|lives)\b", t) and _rules_from_text(t).destinations \
            and not _about_one_object(flat):
        return Preference(text=_tidy(t), scope="user")
    return None


def _about_one_object(t: str) -> bool:
    """Whether the subject of "X belongs in Y" is a particular object ("that mug", "the red cup",
    "this one") rather than a sort of thing ("mugs", "the cans", "anything red")."""
    split = _goes_split(t)
    if split is None:
        return False
    subject = split[0]
    np = parse_np(subject)
    return bool(re.match(r"^(?:that|this|those|these)\b", subject)) or (
        bool(re.match(r"^(?:the|my|your)\b", subject)) and not np.plural and not np.everything)


def _tidy(text: str) -> str:
    return re.sub(r"\bi\b", "I", text.strip(" ,.;:"))


def preferences_in(utterance: str) -> tuple[list[Preference], list[str]]:
    """(preferences, the remaining sentences that are not preferences). A routine's phrase
    and its job said as two sentences ("When I say, set the table. The fork goes ...": a
    recognizer puts a full stop where the speaker paused) are one routine."""
    prefs: list[Preference] = []
    rest: list[str] = []
    sentences = split_sentences(normalize(utterance))
    i = 0
    while i < len(sentences):
        p = preference_in(sentences[i])
        if p is not None and without_job(p.text) and i + 1 < len(sentences):
            joined = preference_in(sentences[i].rstrip(" .!?") + ", " + sentences[i + 1])
            if joined is not None and not without_job(joined.text):
                prefs.append(joined)
                i += 2
                continue
        if p is not None:
            prefs.append(p)
        else:
            rest.append(sentences[i])
        i += 1
    return prefs, rest


def _jobless(note: str) -> tuple[RoutineText, str] | None:
    """A routine taught with no job after it ("when I say set the table") and its phrase."""
    routine = read_routine(strip_fillers(strip_punct(normalize(note))))
    if routine is None or routine.form not in ("said", "habit") or _rules_from_text(note).macros:
        return None
    phrase = routine.rest.strip(" ,'\"")
    return (routine, phrase) if phrase else None


def without_job(note: str) -> str | None:
    """The phrase of a routine taught with no job after it ("when I say set the table"), or None."""
    found = _jobless(note)
    return found[1] if found else None


def job_question(note: str) -> str | None:
    """What to ask about a routine taught with no job, or None when it has one."""
    found = _jobless(note)
    if found is None:
        return None
    routine, phrase = found
    if routine.form == "habit":  # "whenever you tidy up": a job of the robot's own
        return f"What should I do whenever I {phrase}?"
    return f'What should I do when you say "{phrase}"?'


def read_notes(notes: list[Note]) -> Rules:
    rules = Rules()
    for note in reversed(notes):  # newest first, so later coaching wins
        got = _rules_from_text(note.text)
        rules.destinations.extend(got.destinations)
        rules.exclusions.extend(got.exclusions)
        rules.macros.extend(got.macros)
    return rules


def _rules_from_text(text: str) -> Rules:
    rules = Rules()
    t = strip_punct(normalize(text))
    # The comma in "when I say set the table, the fork goes ..." is where the phrase ends.
    marked = normalize(text).rstrip(" .!?;:")
    macro = _macro_from(marked) if "," in marked else None
    if macro is not None and not parse_utterance(macro.body).commands:
        macro = None
    macro = macro or _macro_from(t)
    if macro is not None:
        rules.macros.append(macro)
        return rules
    t = _NEGATIVE_ALTERNATIVE.sub("", t)
    never = t.startswith("never ")
    parsed = parse_utterance(t)
    for cmd in parsed.commands:
        if cmd.action in ("place", "dispose") and cmd.obj is not None and cmd.target is not None and not never:
            rules.destinations.append(DestinationRule(cmd.obj, cmd.relation or "to", cmd.target, text))
    for ex in parsed.exclusions:
        rules.exclusions.append((ex.np, text))
    if never and not parsed.exclusions:
        clause = parse_clause(t[len("never "):])
        if isinstance(clause, Command) and clause.obj is not None and clause.target is None:
            rules.exclusions.append((clause.obj, text))
    return rules


def _macro_from(t: str) -> Macro | None:
    routine = read_routine(t)
    if routine is None:
        return None
    if routine.form in ("said", "habit"):
        rest = routine.rest.lstrip(" ,")  # "when I say, set the table, ...": the comma after "say" ends nothing
        if "," in rest:
            trigger, body = (strip_punct(p) for p in rest.split(",", 1))
        else:
            trigger, body = _split_trigger(rest)
        body = re.sub(r"^(?:that means|it means|i mean|i want|then|you should|do this|do)\s*:?\s*", "", body)
        trigger = re.sub(r"^(?:to\s+)", "", trigger.strip(" '\""))
        if trigger and body:
            return Macro(trigger=strip_fillers(trigger), body=body, text=strip_punct(t))
        return None
    body = routine.rest
    if parse_utterance(body).commands:
        trigger = re.sub(r"^(?:when i say|saying)\s+", "", routine.phrase or "").strip(" '\"")
        return Macro(trigger=strip_fillers(trigger), body=body, text=t)
    return None


def _split_trigger(rest: str) -> tuple[str, str]:
    """Without a comma, the trigger is the shortest opening after which the rest is a command.
    A bare noun phrase ("the places" of "lay the places") reads as "the same with these", which
    says nothing to do: it is no job."""
    ws = rest.split()
    for i in range(1, len(ws)):
        body = " ".join(ws[i:])
        if any(c.action != "repeat" for c in parse_utterance(body).commands):
            return " ".join(ws[:i]), body
    return rest, ""


def macro_for(utterance: str, rules: Rules) -> Macro | None:
    said = strip_fillers(strip_punct(normalize(utterance)))
    for macro in rules.macros:
        trig = macro.trigger
        if said == trig or re.search(r"(?<![a-z])" + re.escape(trig) + r"(?![a-z])", said):
            return macro
    # Speech recognition may write one word of the phrase as a sound-alike ("sit the table" for
    # "set the table"), when it was taught or when it is said: the phrase with one such word
    # changed is the same phrase. Words that name different things (kinds, colours) stay apart.
    heard = said.split()
    for macro in rules.macros:
        trig = macro.trigger.split()
        if len(trig) < 2:
            continue
        for i in range(len(heard) - len(trig) + 1):
            window = heard[i:i + len(trig)]
            diff = [(a, b) for a, b in zip(window, trig) if a != b]
            if len(diff) == 1 and sounds_alike(*diff[0]) and not _distinct_names(*diff[0]):
                return replace(macro, trigger=" ".join(window))
    return None


def _distinct_names(a: str, b: str) -> bool:
    """Two words that both name a kind, or both a colour: different things, not a mishearing."""
    return (a in lx.KIND_WORDS and b in lx.KIND_WORDS) or (a in lx.COLOR_WORDS and b in lx.COLOR_WORDS)
