"""Whether the rules planner fully understood a turn, judged after it answered.

The rules planner reads a turn by patterns; a sentence worded past them is often read in part
(an exception dropped, one of two objects sent elsewhere) or refused for the wrong reason ("I
can't see a bottom"). When a model planner stands behind it, such a turn must go to the model
instead. This module says why a turn was not fully understood, or None when it was:

  - a word in the reading that no table of the parser knows;
  - a clause the parser could not read (it planned the rest);
  - a refusal or question the parser gives when it did not follow, rather than one the scene
    bears out ("I can't see a banana" stands; "I can't see a bottom" does not);
  - an object named in the turn that the answer neither moves, uses as a place, leaves out
    nor asks about;
  - a place the plan puts things that nobody named (nor a note, nor a verb like "throw away");
  - something named after "except", "apart from", "leave", ... that the plan moves anyway;
  - an answer that changes nothing to a turn that says more than "okay".

Each check reads the scene, the reading the planner used and its answer, never the wording
of a particular scenario.
"""

from __future__ import annotations

import re
from functools import lru_cache

from agent.planners.rules import lexicon as lx
from agent.planners.rules.choices import narrow
from agent.planners.rules.phrases import parse_np
from agent.planners.rules.text import normalize, strip_punct
from agent.planners.rules.verbs import VERB_ACTIONS
from agent.schema import PlannerInput, PlannerTurn, PlanStep, SceneObject

# What the planner appends when it planned around a clause it could not read.
UNREAD_CLAUSE = "I didn't understand"

# Refusals and questions that say the parser did not follow, not that the scene forbids it.
_NOT_FOLLOWED = ("sorry, i don't know how to", "sorry, i didn't understand", "i'm not sure",
                 "where should it go", "i can't see where that went", "sorry, i didn't get that",
                 "sorry, i still can't tell")
_CANT_SEE = re.compile(r"^i can't see (?:an? |any |the )?(?P<np>.+?) on the table\.?$")
# Words that change nothing: a turn of only these may rightly be answered with nothing done.
_ACKNOWLEDGEMENTS = frozenset({"okay", "ok", "thanks", "thank", "you", "good", "great", "nice", "cool", "fine",
                               "alright", "all", "right", "yes", "yeah", "sure", "perfect", "well", "done",
                               "hello", "hi", "hey", "robot", "that", "is", "it", "so", "now", "please"})
# Answers that report nothing: to more than an acknowledgement they mean the turn was not read.
_BARE_ANSWERS = frozenset({"Okay.", "There's nothing to do.", "There's nothing left for me to do."})
# Words after which a thing is named only to place or pick out another ("the can next to the
# basket", "everything on the tray"), or to be corrected away ("in the bin, no, in the basket").
_ASIDE_BEFORE = sorted({p for p, _ in lx.RELATION_PHRASES} | {p for p, _ in lx.SIDE_PHRASES} |
                       {"from", "closest to", "nearest to", "farthest from", "furthest from", "but", "than",
                        "instead of", "rather than"},
                       key=len, reverse=True)
_CORRECTION_MARK = re.compile(r"\b(?:no|nope|i mean|i meant|rather|sorry|make that|instead of|rather than|"
                              r"actually|not)\b")
# Marks after which a noun phrase names what must stay put ("leave the plate", "apart from the
# blue one"), and marks that follow it ("the cup stays").
_KEEP_MARKS = sorted(set(lx.EXCEPT_MARKERS) - {"but", "but the"} | {
    "not", "leave", "keep", "do not touch", "do not move", "never touch", "never move", "skip", "without"},
    key=len, reverse=True)
# Compiled once: there are more of them than the re module caches.
_ASIDE_PATTERNS = [re.compile(r"(?<![a-z])" + re.escape(p) + r" (?:the |a |an |my )?(?P<rest>[a-z]+(?: [a-z]+)?)")
                   for p in _ASIDE_BEFORE]
_KEEP_PATTERNS = [re.compile(r"(?<![a-z])" + re.escape(m) + r"\s+(?=\S)") for m in _KEEP_MARKS]
_STAYS = re.compile(r"(?P<np>(?:the|that|this|my)\s+[a-z ]+?)\s+(?:stays|stay|should stay|remains|is staying)\b")
_CLAUSE_END = re.compile(r"\s*(?:,|;|\band\b|\bgoes\b|\bgo\b|\bshould\b|\bthen\b|\bbut\b|\bplease\b|\bwhere\b|\balone\b|\bout\b|\bhere\b|"
                         r"\bthere\b|\bas it is\b|\bin place\b|$)")


def reason_not_understood(inp: PlannerInput, reading: str, turn: PlannerTurn,
                          extra_words: frozenset[str] = frozenset()) -> str | None:
    """Why `turn`, the answer to `reading` (the utterance as the planner finally read it), is
    not a full understanding of it; None when it is."""
    if turn.control != "none":
        return None
    text = _words(reading)
    said = (turn.question or turn.say).lower()
    unseen = _CANT_SEE.match(said)
    unknown = [w for w in text if not known_word(w) and w not in extra_words and w not in _scene_words(inp)]
    # "I can't see a spoon": the word it does not know is the very thing it says is not there.
    # Not so when the rest of that phrase fits something here ("a blue blog" by a blue block):
    # the unknown word may be a slip for it.
    grounded_unseen = turn.refused and unseen is not None and set(unknown) <= set(_words(unseen.group("np"))) and \
        not _fits_something(unseen.group("np"), inp.scene)
    if unknown and not grounded_unseen:
        return f"unknown word {unknown[0]!r}"
    if UNREAD_CLAUSE in turn.say:
        return "a clause was not read"
    if turn.refused or turn.question:
        if said.startswith(_NOT_FOLLOWED):
            return f"the parser did not follow: {turn.question or turn.say}"
        if unseen and not _names_a_thing(unseen.group("np")) and not set(unknown) & set(_words(unseen.group("np"))):
            return f"refused for something that names no object: {unseen.group('np')!r}"
    new = _new_steps(inp, turn)
    kept = _kept(reading, inp.scene)
    # Kept steps count too: "not the cup" said while the cup waits its turn must drop it.
    moved = {str(s.args.get("object", "")).lower() for s in turn.steps}
    for o in kept:
        if o.name.lower() in moved:
            return f"{o.name} was to stay, and the plan moves it"
    if not turn.refused and not turn.question:
        accounted = _accounted(inp, turn, kept)
        asides = _kinds_named_aside(reading)
        for kind in _kinds_named(reading) - asides:
            present = [o for o in inp.scene if o.kind == kind]
            if present and not any(o.name.lower() in accounted for o in present) and not _said_kind(said, kind):
                return f"the {kind} named in the turn has no part in the answer"
        context = " ".join([reading] + [t.text for t in inp.dialogue[-4:] if t.role == "user"] +
                           [n.text for n in list(inp.notes) + list(turn.notes)])
        disposing = any(VERB_ACTIONS.get(v) == "dispose" for v in _phrases(normalize(context)))
        for s in new:
            target = next((o for o in inp.scene if o.name.lower() == str(s.args.get("target", "")).lower()), None)
            obj = next((o for o in inp.scene if o.name.lower() == str(s.args.get("object", "")).lower()), None)
            if target is None or _named_in(target, context) or target.kind == "bin" and (
                    disposing or obj is not None and obj.kind == "trash"):
                continue
            return f"the plan puts things on the {target.name}, which nobody named"
    nothing_done = not (turn.steps or turn.question or turn.refused or turn.notes or turn.forget) and \
        turn.say.strip() in _BARE_ANSWERS
    if nothing_done and any(w not in _ACKNOWLEDGEMENTS for w in text):
        return "the answer changes nothing"
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", strip_punct(normalize(text)).replace("'", " "))


def _phrases(text: str) -> set[str]:
    ws = _words(text)
    return {" ".join(ws[i:i + n]) for n in (1, 2, 3, 4) for i in range(len(ws) - n + 1)}


@lru_cache(maxsize=1)
def _known_words() -> frozenset[str]:
    """Every word a table or pattern of the rules parser mentions: the parser's vocabulary."""
    import agent.planners.rules as pkg
    from importlib import import_module
    from pkgutil import iter_modules

    words: set[str] = set()

    def take(value, depth: int = 0) -> None:
        if isinstance(value, str):
            words.update(re.findall(r"[a-z]+", value.lower()))
        elif isinstance(value, re.Pattern):
            words.update(re.findall(r"[a-z]+", re.sub(r"\\[a-zA-Z]|\(\?P<\w+>|\(\?[:=!<]+", " ", value.pattern)))
        elif depth < 2 and isinstance(value, dict):
            for k, v in value.items():
                take(k, depth + 1)
                take(v, depth + 1)
        elif depth < 2 and isinstance(value, (list, tuple, set, frozenset)):
            for v in value:
                take(v, depth + 1)

    modules = [f"{pkg.__name__}.{info.name}" for info in iter_modules(pkg.__path__) if info.name != "handover"]
    # The control words (stop, wait, go on, ...) are read by the rules parser from the one
    # control vocabulary, where the project has it.
    modules.append("agent.control")
    for name in modules:
        try:
            module = import_module(name)
        except ImportError:
            continue
        for attr, value in vars(module).items():
            if not attr.startswith("__"):
                take(value)
    # Regex fragments such as "s" of "cups?" are not words anybody says.
    return frozenset(w for w in words if len(w) > 1 or w in ("a", "i"))


def _scene_words(inp: PlannerInput) -> frozenset[str]:
    out: set[str] = set()
    for o in inp.scene:
        out.update(_words(o.name))
    for s in inp.skills:
        out.update(_words(s.name.replace("_", " ")))
    return frozenset(out)


def known_word(word: str) -> bool:
    """A word of the parser's vocabulary, or a regular inflection of one ("putting", "cups")."""
    known = _known_words()
    if word in known:
        return True
    for suffix, back in (("ing", ""), ("ing", "e"), ("s", ""), ("es", ""), ("ed", ""), ("ed", "e"), ("d", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)] + back
            if stem in known or len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in known:
                return True
    return False


def _kinds_named_aside(reading: str) -> set[str]:
    """Kinds named only as a landmark ("next to the basket"), or before a correction."""
    t = " ".join(_words(reading))
    out: set[str] = set()
    for pattern in _ASIDE_PATTERNS:
        for m in pattern.finditer(t):
            out |= _kinds_named(m.group("rest"))
    last = None
    for last in _CORRECTION_MARK.finditer(t):
        pass
    if last is not None:
        out |= _kinds_named(t[: last.start()])
    return out


def _fits_something(np_text: str, scene: list[SceneObject]) -> bool:
    """Whether the known words of a phrase (a colour, a kind) describe an object here."""
    ws = set(_words(np_text))
    colors = {lx.COLOR_WORDS[w] for w in ws if w in lx.COLOR_WORDS}
    kinds = {lx.KIND_WORDS[w][0] for w in ws if w in lx.KIND_WORDS}
    if not colors and not kinds:
        return False
    return any((not colors or o.color in colors) and (not kinds or o.kind in kinds) for o in scene)


def _names_a_thing(np_text: str) -> bool:
    ph = _phrases(np_text)
    return bool(ph & (set(lx.KIND_WORDS) | set(lx.CATEGORY_WORDS)))


def _kinds_named(reading: str) -> set[str]:
    """Kinds the turn names by a kind word ("mug", "bin")."""
    ph = _phrases(reading)
    return {lx.KIND_WORDS[p][0] for p in ph if p in lx.KIND_WORDS}


def _named_in(o: SceneObject, context: str) -> bool:
    ph = _phrases(context)
    if o.name.lower() in ph:
        return True
    kinds = {lx.KIND_WORDS[p][0] for p in ph if p in lx.KIND_WORDS}
    kinds |= {k for p in ph if p in lx.CATEGORY_WORDS for k in lx.CATEGORY_WORDS[p]}
    return o.kind in kinds


def _said_kind(said: str, kind: str) -> bool:
    return any(lx.KIND_WORDS[p][0] == kind for p in _phrases(said) if p in lx.KIND_WORDS)


def _new_steps(inp: PlannerInput, turn: PlannerTurn) -> list[PlanStep]:
    before = [s.args for s in ([inp.running] if inp.running else []) + list(inp.pending)]
    return [s for s in turn.steps if s.args not in before]


def _accounted(inp: PlannerInput, turn: PlannerTurn, kept: list[SceneObject]) -> set[str]:
    """Names of the objects the answer does something with, or deliberately leaves."""
    out = {o.name.lower() for o in kept}
    for s in list(turn.steps) + ([inp.running] if inp.running else []):
        for key in ("object", "target"):
            if s.args.get(key):
                out.add(str(s.args[key]).lower())
    for n in turn.notes:
        out.update(o.name.lower() for o in inp.scene if _named_in(o, n.text))
    return out


def _kept(reading: str, scene: list[SceneObject]) -> list[SceneObject]:
    """Scene objects the turn says must stay where they are."""
    spans: list[str] = []
    for sentence in re.split(r"[.!?;:]+", normalize(reading)):
        t = " " + strip_punct(sentence) + " "
        for pattern in _KEEP_PATTERNS:
            for m in pattern.finditer(t):
                rest = t[m.end():]
                end = _CLAUSE_END.search(rest)
                spans.append(rest[: end.start()] if end else rest)
        spans += [m.group("np") for m in _STAYS.finditer(t)]
    out: list[SceneObject] = []
    for span in spans:
        span = span.strip()
        if not span or not (set(_words(span)) & (set(lx.KIND_WORDS) | set(lx.COLOR_WORDS) |
                                                 set(lx.CATEGORY_WORDS) | {w for o in scene for w in _words(o.name)})):
            continue
        # "not in the bin" rules out a place, not an object; "not that one, the red one" points
        # at the object in hand to replace it.
        if span.split()[0] in ("in", "into", "on", "onto", "to", "inside", "that", "this", "it", "those", "these",
                               "them"):
            continue
        np = parse_np(span)
        if np.is_empty or np.everything and not np.kinds and not np.colors:
            continue
        for o in narrow(np, scene):
            if o not in out:
                out.append(o)
    return out
