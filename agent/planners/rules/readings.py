"""Other readings of a heard turn, each with a cost: the one place where speech-recognition
slips are repaired.

A transcript is the words as heard. When they cannot be carried out (a refusal, a question
where the scene leaves no choice), the planner tries what they may have been said as, cheapest
first, and takes the first reading it can carry out in full. Three sorts of slip make the
candidates:

  - a word that names nothing on the table heard for one that does ("tree" for "tray", "cop"
    for "cup", "then" for "bin"): every such word is replaced by the one naming word of the
    scene that sounds like it, costing the letters changed; two equally near words leave it as
    heard, a word run together with "instead" ("transtead") is split first, and a word that is a
    scene word and a known word run together ("canon") is read as the two;
  - short function words confused with each other ("and the" for "in the"): a table of
    confusable pairs, each a fixed cost; and two short words before a place that together
    sound like one of the parser's one-word relations ("and do the bowl", "and to the bin" for
    "into the ..."), the place deciding between "into" and "onto";
  - punctuation, which is the recognizer's guess at the pauses: a full stop read as a comma,
    a comma as a colon.

Nothing here knows a sentence: the scene's words, the parser's vocabulary and the confusion
table decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from agent.planners.rules import lexicon as lx
from agent.planners.rules.text import edit_distance, sound_skeleton, sounds_alike
from agent.schema import SceneObject

# Heard -> meant, with what the slip costs. "and the" for "in the" only after a comma: typed "the
# cup and the bowl" names two things, while a transcript's comma marks the pause before a place.
_CONFUSIONS: list[tuple[re.Pattern[str], str, float]] = [
    (re.compile(r"\band\s+on\s*to\s+the\b", re.IGNORECASE), "onto the", 1.0),
]
# The parser's one-word relations that take a place ("into", "onto", "inside"): what two short
# words heard before "the <place>" may have been.
_ONE_WORD_RELATIONS = {p: rel for p, rel in lx.RELATION_PHRASES
                       if " " not in p and len(p) >= 4 and rel in ("in", "on")}
_TWO_WORDS_BEFORE_THE = re.compile(r"\b(?P<a>[a-z]{1,4})\s+(?P<b>[a-z]{1,4})\s+(?=the\s)", re.IGNORECASE)
_COMMA_AND_THE = re.compile(r",\s+and the ", re.IGNORECASE)
_IN_THE = re.compile(r" in the ", re.IGNORECASE)
# Where a place must be named: "in the <word>".
_PLACE_SLOT = re.compile(r"\b(?:in|into|inside|on|onto|to)\s+the\s+([a-z]+)\b", re.IGNORECASE)
# A word run together with the "instead" after it: "transtead" is "tray instead".
_INSTEAD_SUFFIX = "stead"


@dataclass(frozen=True, order=True)
class Reading:
    cost: float
    text: str


def naming_words(scene: list[SceneObject]) -> set[str]:
    """Words that name something here: kinds, colours and the words of the scene's names."""
    return set(lx.KIND_WORDS) | set(lx.COLOR_WORDS) | {w for o in scene for w in o.name.lower().split()}


def other_readings(utterance: str, scene: list[SceneObject], known: Callable[[str], bool],
                   only: str = "all") -> list[Reading]:
    """What the words as heard may have been said as, cheapest first (the heard text itself is
    not among them). `only`: "all" when the words as heard cannot be done; "places" where the
    words as heard need a question (the comma-and-the slip, punctuation and words the parser
    does not know respelled; no confusable pairs, which can only change plain words); "impossible" for
    "in the X" where no X named can hold anything (the words as heard may be done in part)."""
    out: list[Reading] = []
    respelled = None
    if only in ("all", "places"):
        out += [Reading(1.0, alt) for alt in _in_for_and(utterance, scene)]
        out += [Reading(1.0, alt) for alt in _relation_heard_as_two_words(utterance, scene)]
        out += _punctuation_misheard(utterance)
        # A word the parser does not know, heard for a scene word: as much a slip in an answer
        # ("The tree is fine." for "The tray is fine.") as in a request.
        respelled = words_respelled(utterance, scene, known)
        out += [respelled] if respelled is not None else []
    if only == "impossible":
        out += [Reading(1.0, alt) for alt in _and_for_in(utterance, scene, only_impossible=True)]
    if only == "all":
        out += [Reading(1.5, alt) for alt in _and_for_in(utterance, scene, only_impossible=False)]
        for pattern, meant, cost in _CONFUSIONS:
            alt = pattern.sub(meant, utterance)
            if alt != utterance:
                out.append(Reading(cost, alt))
        if respelled is not None:
            # Two slips in one turn: a word respelled and a place heard as ", and the".
            out += [Reading(respelled.cost + 1.0, alt) for alt in _in_for_and(respelled.text, scene)]
    seen: set[str] = {utterance}
    unique = []
    for r in sorted(out):
        if r.text not in seen:
            seen.add(r.text)
            unique.append(r)
    return unique


# A full stop between two words, as a transcript writes one wherever the speaker paused.
_STOP = re.compile(r"(?<=\w)[.;]\s+(?=[A-Za-z])")


def _punctuation_misheard(utterance: str) -> list[Reading]:
    """A transcript's punctuation is the recognizer's guess at the speaker's pauses. Other
    guesses, costing one per mark changed: a full stop read as a comma ("Stack them with the
    orange one on the bottom. The white one in the middle."), each alone and then all; and
    the first comma read as a colon after a title made of names only ("Two things, the can
    goes in the bin, ...")."""
    out = _pauses_not_stops(utterance)
    if ":" not in utterance and "," in utterance and _names_only(utterance.split(",", 1)[0]):
        out.append(Reading(1.0, utterance.replace(",", ":", 1)))
    return out


# Words a title before a colon is made of: a count or a noun phrase, no verb, no discourse word.
_TITLE_WORDS = (set(lx.NUMBER_WORDS) | set(lx.ARTICLES) | set(lx.INDEFINITES) | set(lx.EVERYTHING_WORDS)
                | set(lx.KIND_WORDS) | set(lx.COLOR_WORDS) | set(lx.CATEGORY_WORDS)
                | {w for q in lx.QUANTIFIERS for w in q.split()})


def _names_only(phrase: str) -> bool:
    """"Two things", "the blocks": a phrase that can only be a title (never "Well", "Put it")."""
    words = re.findall(r"[a-z']+", phrase.lower())
    return bool(words) and all(w in _TITLE_WORDS for w in words)


def _pauses_not_stops(utterance: str) -> list[Reading]:
    """Each full stop read as a comma alone, then all of them, costing one per stop."""
    stops = list(_STOP.finditer(utterance))

    def joined(which: list[re.Match[str]]) -> str:
        out, last = [], 0
        for m in which:
            nxt = utterance[m.end()]
            keep = utterance[m.end():].startswith("I ")  # "I" stays a capital
            out.append(utterance[last:m.start()] + ", " + (nxt if keep else nxt.lower()))
            last = m.end() + 1
        return "".join(out) + utterance[last:]

    out = [Reading(1.0, joined([m])) for m in stops]
    if len(stops) > 1:
        out.append(Reading(float(len(stops)), joined(stops)))
    return out


def words_respelled(utterance: str, scene: list[SceneObject], known: Callable[[str], bool]) -> Reading | None:
    """Every word that names nothing replaced by the one scene word that sounds like it: a word
    the parser does not know, or any word but a name where a place must be named ("in the
    then"), which only a place of the scene may replace, or where a thing must be named after
    its colour ("the red top"), which only the kind of a thing of that colour may replace."""
    named = naming_words(scene)
    targets = _scene_naming_words(scene)
    places = [o for o in scene if o.kind in lx.CONTAINERS or o.kind in lx.SURFACES]
    # After a colour a thing must be named: the words for the kinds of the things of that colour.
    kinds_in = {c: _kinds_coloured(c, scene) for c in {o.color for o in scene if o.color}}
    slots = {m.start(1) for m in _PLACE_SLOT.finditer(utterance)}
    cost, out, last = 0.0, [], 0
    tokens = list(re.finditer(r"[A-Za-z']+", utterance))
    names = {o.name.lower().replace(" ", ""): o.name for o in scene if " " in o.name}
    skip_to = -1
    for i, m in enumerate(tokens):
        if m.start() < skip_to:
            continue
        word = m.group(0).lower()
        in_slot = m.start() in slots
        # "the red little cup": the kind comes later
        coloured = kinds_in.get(tokens[i - 1].group(0).lower(), {}) if i > 0 and word not in lx.NP_FILLERS else {}
        if word in named or len(word) < 3 or known(word) and not (in_slot or coloured):
            continue
        said, after, end = word, "", m.end()
        if word.endswith(_INSTEAD_SUFFIX) and len(word) > len(_INSTEAD_SUFFIX) + 1 and word != "instead":
            said, after = word[: -len(_INSTEAD_SUFFIX)], " instead"
        if in_slot:
            best = _nearest_place(said, places, bool(after))
        elif coloured and known(word):
            best = _nearest(said, coloured)
        else:
            best = _nearest(said, targets)
        if best is None and not after:
            # Two words heard run together: a word of the scene and a word the parser knows
            # ("canon" for "can on", "cupin" for "cup in").
            best = _run_together(said, targets, known)
        if best is None and i + 1 < len(tokens) and not after:
            # A two-word name heard split elsewhere ("the ric up" for "the red cup"): the word
            # and the next, run together, against the scene's names run together.
            nxt = tokens[i + 1]
            best = _nearest(word + nxt.group(0).lower(), names)
            end = nxt.end() if best is not None else end
        if best is None:
            continue
        meant, d = best
        out.append(utterance[last:m.start()] + meant + after)
        last = skip_to = end
        cost += d
    if not out:
        return None
    return Reading(cost, "".join(out) + utterance[last:])


def _kinds_coloured(colour: str, scene: list[SceneObject]) -> dict[str, str]:
    """The words for the kinds of the scene's things of `colour`: what a word after that
    colour must name."""
    kinds = {o.kind for o in scene if o.color == colour}
    return {w: w for w, (k, _) in lx.KIND_WORDS.items() if k in kinds and " " not in w}


def _scene_naming_words(scene: list[SceneObject]) -> dict[str, str]:
    """Word that may be meant -> the word to write: the kinds on the table (and their synonyms),
    their colours and the words of their names."""
    kinds = {o.kind for o in scene}
    out = {w: w for w, (k, _) in lx.KIND_WORDS.items() if k in kinds and " " not in w}
    out.update({o.color: o.color for o in scene if o.color})
    for o in scene:
        out.update({w: w for w in o.name.lower().split() if len(w) >= 3})
    return out


def _nearest_place(said: str, places: list[SceneObject], run_together: bool) -> tuple[str, float] | None:
    """The one place of the scene `said` sounds like (its kind or the last word of its name),
    written as its name; None when none does or several do: the robot must not pick one."""
    near = {o.name for o in places
            if sounds_alike(said, o.kind) or sounds_alike(said, o.name.lower().split()[-1])
            or run_together and len(said) >= 2 and (o.kind.startswith(said[:3]) or said.startswith(o.kind))}
    if len(near) != 1:
        return None
    name = near.pop()
    return name, float(edit_distance(said, name.lower().split()[-1]))


def _run_together(said: str, targets: dict[str, str], known: Callable[[str], bool]) -> tuple[str, float] | None:
    """`said` as a scene word followed by a known word, written as the two; None when no split
    or more than one fits. Costs one, as a single missing space."""
    splits = {f"{targets[said[:k]]} {said[k:]}" for k in range(3, len(said) - 1)
              if said[:k] in targets and known(said[k:])}
    return (splits.pop(), 1.0) if len(splits) == 1 else None


def _nearest(said: str, targets: dict[str, str]) -> tuple[str, float] | None:
    """The one target word `said` sounds like, and how far it is; None when none or several
    equally near."""
    scored = []
    for word in targets:
        if sounds_alike(said, word):
            scored.append((edit_distance(sound_skeleton(said), sound_skeleton(word)) + 0.1 * edit_distance(said, word),
                           word))
    if not scored:
        return None
    scored.sort()
    best_cost = scored[0][0]
    meanings = {targets[w] for c, w in scored if c == best_cost}
    if len(meanings) > 1 and len({lx.KIND_WORDS.get(w, (w,))[0] for w in meanings}) > 1:
        return None
    return targets[scored[0][1]], best_cost


def _and_for_in(utterance: str, scene: list[SceneObject], only_impossible: bool) -> list[str]:
    """One " in the " read as " and the ", for each place it occurs ("the trash in the can" for
    "the trash and the can"); with `only_impossible`, only where what follows names scene
    things none of which can hold anything."""
    out = []
    for m in _IN_THE.finditer(utterance):
        if not only_impossible or _holds_nothing(utterance[m.end():].lower(), scene):
            out.append(utterance[:m.start()] + " and the " + utterance[m.end():])
    return out


def _in_for_and(utterance: str, scene: list[SceneObject]) -> list[str]:
    """"put the blue cup, and the bin" for "in the bin": one ", and the " read as " in the ",
    where what follows names a scene thing that holds others."""
    out = []
    for m in _COMMA_AND_THE.finditer(utterance):
        named = _named_after(utterance[m.end():].lower(), scene)
        if named and all(o.kind in lx.CONTAINERS for o in named):
            out.append(utterance[:m.start()] + " in the " + utterance[m.end():])
    return out


def _relation_heard_as_two_words(utterance: str, scene: list[SceneObject]) -> list[str]:
    """"Place the green block, and do the blue bowl": two short words before "the <place>"
    that run together sound like a one-word relation the place takes ("into" for a bowl,
    "onto" for a tray) are read as it, once per place it could be."""
    out = []
    for m in _TWO_WORDS_BEFORE_THE.finditer(utterance):
        heard = (m.group("a") + m.group("b")).lower()
        named = _named_after(utterance[m.end():].lower()[len("the "):], scene)
        if not named:
            continue
        takes = {"in" if o.kind in lx.CONTAINERS else "on" if o.kind in lx.SURFACES else None for o in named}
        meant = {p for p, rel in _ONE_WORD_RELATIONS.items()
                 if rel in takes and (sounds_alike(heard, p) or sound_skeleton(heard) == sound_skeleton(p))}
        if len(meant) == 1 and heard not in _ONE_WORD_RELATIONS:
            out.append(utterance[:m.start()] + meant.pop() + " " + utterance[m.end():])
    return out


def _holds_nothing(after: str, scene: list[SceneObject]) -> bool:
    named = _named_after(after, scene)
    return bool(named) and all(o.kind not in lx.CONTAINERS and o.kind not in lx.SURFACES for o in named)


def _named_after(after: str, scene: list[SceneObject]) -> list[SceneObject]:
    """The scene objects the first words of `after` name ("red cup", "basket", "green bowl")."""
    ws = re.findall(r"[a-z]+", after)[:3]
    color = None
    if ws and ws[0] in lx.COLOR_WORDS:
        color, ws = ws[0], ws[1:]
    named: list[SceneObject] = []
    for n in (2, 1):
        said = " ".join(ws[:n])
        named = [o for o in scene if o.name.lower() == said] if len(ws) >= n else []
        if named:
            break
    if not named and ws and ws[0] in lx.KIND_WORDS:
        kind = lx.KIND_WORDS[ws[0]][0]
        named = [o for o in scene if o.kind == kind and (color is None or o.color == color)]
    return named


# -- phrases the recognizer loses or garbles ---------------------------------------------------------

_BARE_ONE = re.compile(r"^(?:[a-z']+\s+)?ones?$")
# Words that make "X one" pick something out or say something: kept.
_SAYS_WHICH = {"no", "not", "don't", "dont", "never", "nope", "that", "this", "which", "other", "another",
               "same", "next", "last", "first", "second", "third", "left", "right", "front", "back",
               "middle", "big", "bigger", "biggest", "small", "smaller", "smallest", "little", "large",
               "tall", "short", "empty", "full", "each", "every", "any", "either", "neither", "new", "old",
               "near", "far", "closest", "nearest", "only", "just", "wrong", "correct"}


def without_bare_ones(utterance: str, scene: list[SceneObject]) -> list[str]:
    """"Ron one, I said the green block", "Okay, the one": a clause of at most two words
    ending in "one" that names no colour, no side, nothing on the table is a short phrase the
    recognizer lost. "<word> one" is read as "wrong one", the phrase of that shape a person
    coaching a robot says most ("run one", "from one"), then without the clause; "the one"
    ("go on") only without it. "That one", "the other one", "not one" and the rest of the turn
    are kept; a turn that is nothing but such clauses is left as heard."""
    clauses = [c.strip() for c in re.split(r"[,.;!?]+", utterance) if c.strip()]
    named = naming_words(scene)

    def bare(clause: str) -> bool:
        ws = clause.lower().split()
        return bool(_BARE_ONE.match(" ".join(ws))) and not (set(ws) & (named | _SAYS_WHICH))

    if not any(bare(c) for c in clauses) or all(bare(c) for c in clauses):
        return []
    dropped = ". ".join(c for c in clauses if not bare(c)) + "."
    wrong = ", ".join("wrong one" if bare(c) and c.lower().split()[0] not in ("the", "a", "one") else c
                      for c in clauses) + "."
    return ([wrong] if wrong != ", ".join(clauses) + "." else []) + [dropped]


# The one-word sorts of thing that move, with how they sound: category words and plural kinds.
# What goes somewhere is moved, so the fixed kinds (bins, trays) are not among them.
_MOVABLE_SORTS = [(w, sound_skeleton(w)) for w in
                  [w for w, kinds in lx.CATEGORY_WORDS.items() if not kinds & lx.FIXED_KINDS] +
                  [k for k, (kind, plural) in lx.KIND_WORDS.items() if plural and kind not in lx.FIXED_KINDS]
                  if " " not in w]
_GOES_SUBJECT = re.compile(r"(?:^|(?<=[.,;:!?]))\s*(?P<subj>[a-z']+(?:\s+[a-z']+)?)\s+(?=(?:go|goes|going)\b)",
                           re.IGNORECASE)


def rules_misheard(utterance: str, scene: list[SceneObject], known: Callable[[str], bool]) -> list[str]:
    """"Dishes go on the tray" heard as "This is going the tray": in a clause that says where a
    sort of thing goes, words before "go" that name nothing are read as the one sort word that
    sounds like them ("this is" / "dishes", "cuts" / "cups"), and "going the <place>", which
    says nothing, as "go to the <place>"."""
    named = naming_words(scene) | set(lx.CATEGORY_WORDS) | set(lx.EVERYTHING_WORDS)
    pronouns = set(lx.PRONOUNS) | set(lx.PLURAL_PRONOUNS)
    out = utterance
    for m in reversed(list(_GOES_SUBJECT.finditer(utterance))):
        said = m.group("subj").lower().split()
        # "This goes on the tray" names something; "this is go on the tray" does not.
        if set(said) & named or (len(said) == 1 and said[0] in pronouns) or \
                said[0] in ("the", "a", "and", "then", "it", "they", "everything", "all"):
            continue
        heard = sound_skeleton("".join(said))
        near = [w for w, sound in _MOVABLE_SORTS if len(heard) >= 3 and edit_distance(heard, sound) <= 1]
        meanings = {lx.CATEGORY_WORDS.get(w) or frozenset({lx.KIND_WORDS[w][0]}) for w in near}
        if len(meanings) == 1:  # "kens": "cans" or "tins", the same sort either way
            out = out[:m.start("subj")] + near[0] + out[m.end("subj"):]
    # "Going the other way" is English; "going the tray" is "go on the tray" with a word lost. The
    # place may itself be misheard ("going the tree"), so it is read as a place word in turn.
    out = re.sub(r"\b(?:going|goin|gone)\s+the\s+(?!(?:other|same|wrong|right|way|distance|extra)\b)(?=[a-z]+\b)",
                 "go to the ", out, flags=re.IGNORECASE)
    if out == utterance:
        return []
    respelled = words_respelled(out, scene, known)
    return [out] + ([respelled.text] if respelled is not None and respelled.text != out else [])
