"""Utterances -> clauses -> commands.

The grammar is small and shallow:
  utterance  := sentence (". " sentence)*
  sentence   := [header ":"] clause (connector clause)*       connector: then, after that, ", and", ";" ...
  clause     := exclusion | verb NP [particle] [relation NP] | NP ("goes"|"belongs") relation NP
              | NP (ellipsis: "now the blue cup") | relation NP ("on the tray instead")
Towers ("build a tower: blue at the bottom, then green, then red on top") are read as a whole
sentence before it is cut into clauses (towers.py), since their "then"s join items, not commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from agent.planners.rules import lexicon as lx
from agent.planners.rules.phrases import NounPhrase, parse_np
from agent.planners.rules.text import (find_phrase, has_phrase, normalize, phrase_pattern, strip_fillers, strip_punct,
                                      words)
from agent.planners.rules.exclusions import read_exclusion
from agent.planners.rules.towers import parse_tower
from agent.planners.rules.verbs import (BACK_WHERE, PARTICLE_ACTIONS, PARTICLES, TABLE_NOUNS, TABLE_WORDS, VERB_ACTIONS,
                                        WHERE_IT_BELONGS)

Split = tuple[NounPhrase | None, str, NounPhrase]  # (object, relation, target)


@dataclass
class Command:
    action: str
    obj: NounPhrase | None = None
    relation: str | None = None
    target: NounPhrase | None = None
    splits: list[Split] = field(default_factory=list)  # other readings of object/relation/target
    skill: str | None = None
    text: str = ""
    tower: list[NounPhrase] = field(default_factory=list)
    correction: bool = False  # "instead", "actually": replaces what was being done
    instead_of: NounPhrase | None = None  # "not the plate, the tray": what the correction replaces
    first: NounPhrase | None = None  # "..., starting with the yellow one": which objects go first
    rest: str = ""  # the words after the verb (plugin skills read their own arguments from them)


@dataclass
class Exclusion:
    np: NounPhrase
    text: str


@dataclass
class Parsed:
    commands: list[Command] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    not_understood: list[str] = field(default_factory=list)


def _connector(word: str) -> str:
    """A sequence word as a cut point, unless it starts a relation phrase ("next to")."""
    relations = [p[len(word):].split()[0] for p, _ in lx.RELATION_PHRASES if p.startswith(word + " ")]
    not_relation = "".join(rf"(?!\s+{re.escape(w)}\b)" for w in relations)
    return rf",?\s*\b{re.escape(word)}\b{not_relation},?"


_CONNECTORS = re.compile(r"\s*(?:;|" + "|".join(_connector(w) for w in lx.SEQUENCE_CONNECTORS) + r")\s*")


def _any_of(words: tuple[str, ...]) -> str:
    """A group matching any of the words, tried in the table's order."""
    return "(?:" + "|".join(re.escape(w) for w in words) + ")"


_CORRECTION = re.compile(r"\b" + _any_of(lx.CORRECTION_WORDS) + r"\b")
# A correction said in the middle of a sentence ("put the cup in the bin, no, in the basket"):
# the marker starts a new clause that replaces part of the one before it.
_SELF_CORRECTION = re.compile(r"(?:\s*,\s*|\s+)(?=" + _any_of(lx.CORRECTION_MARKERS) + r"\b\s*,?\s*\S)")
_MARKER_COMMA = re.compile(r"^(" + _any_of(lx.CORRECTION_MARKERS) + r"(?:\s+(?:no|wait|sorry))*)\s*,\s*")
_BARE_CORRECTION = re.compile(r"^" + _any_of(lx.BARE_CORRECTIONS) + r"$")
_GOES_VERB = re.compile(r"\s+" + _any_of(lx.GOES_VERBS) + r"\s+")
_CORRECTION_OPENERS = re.compile(r"^(?:" + _any_of(lx.CORRECTION_OPENERS) + r"\b\s*)+")
_CORRECTION_LEAD = re.compile(r"^" + _any_of(lx.CORRECTION_LEADS) + r"\b\s*")
# Words a subject noun phrase cannot end with: "the trash and the can go ..." is not "the trash
# and the" + "can go ...".
_NP_CANNOT_END = frozenset({"the", "a", "an", "and", "or", "of", "my", "your", "this", "that", "these", "those",
                            "all", "both", "each", "every", "some", "any"})


def parse_utterance(text: str, skill_verbs: dict[str, str] | None = None) -> Parsed:
    """All commands and exclusions of an utterance, in the order they were said."""
    out = Parsed()
    correcting = False
    for sentence in split_sentences(normalize(text)):
        before = len(out.commands)
        _parse_sentence(sentence, out, skill_verbs or {})
        new = out.commands[before:]
        if correcting:
            for c in new:  # "No, wrong one! I said the green block.": the marker stands alone
                c.correction = True
        raw = strip_punct(sentence)
        if not new and (_CORRECTION.search(raw) or re.match(r"^(?:no|nope)\b", raw)):
            correcting = True
    _drop_title(out)
    out.commands = fold_self_corrections(out.commands)
    return out


def fold_self_corrections(cmds: list[Command]) -> list[Command]:
    """"Put the cup in the bin, no, in the basket", "put the red block on the tray, sorry, the white
    one": a correction that follows a request in the same utterance replaces the part it names
    (the destination or the object) instead of being a request of its own."""
    out: list[Command] = []
    for c in cmds:
        prev = out[-1] if out else None
        if (prev is None or not c.correction or prev.correction or prev.obj is None
                or prev.action not in ("place", "dispose", "put_away", "hold")):
            out.append(c)
            continue
        if c.action == "redirect" and c.target is not None:
            prev.relation, prev.target, prev.splits = c.relation, c.target, []
            if prev.action in ("put_away", "hold"):
                prev.action = "place"
        elif c.action == "repeat" and c.obj is not None and not c.obj.pronoun:
            if _names_destination(c.obj, c.instead_of, prev):
                prev.relation = "to" if prev.relation in ("in", "on", None) else prev.relation
                prev.target, prev.splits = c.obj, []
                if prev.action in ("put_away", "hold"):
                    prev.action = "place"
            else:
                if not c.obj.kinds and prev.obj.kinds and not c.obj.everything:
                    c.obj.kinds = prev.obj.kinds
                prev.obj, prev.splits = c.obj, []
        elif c.obj is not None and c.obj.pronoun == "it" and c.target is not None and c.action == "place":
            prev.relation, prev.target, prev.splits = c.relation, c.target, []  # "no, put it on the tray"
            prev.action = "place"
        else:
            out.append(c)
    return out


def _names_destination(np: NounPhrase, instead_of: NounPhrase | None, cmd: Command) -> bool:
    """Whether a corrected noun phrase replaces the command's destination rather than its object."""
    def same_sort(a: NounPhrase | None, b: NounPhrase | None) -> bool:
        return a is not None and b is not None and bool(a.kinds & b.kinds or set(a.colors) & set(b.colors)
                                                        and not (a.kinds or b.kinds))
    if instead_of is not None:
        if same_sort(instead_of, cmd.target):
            return True
        if same_sort(instead_of, cmd.obj):
            return False
    if cmd.target is not None and np.kinds & cmd.target.kinds:
        return True
    if cmd.obj is not None and np.kinds & cmd.obj.kinds:
        return False
    if np.kinds and np.kinds <= lx.FIXED_KINDS:
        return True
    # Something that can be moved is a new destination only if it holds things the way the old
    # one did: "in the red bowl, sorry, the green bowl" but "in the basket, sorry, the block".
    holders = lx.CONTAINERS if cmd.relation == "in" else lx.SURFACES if cmd.relation == "on" else frozenset()
    return bool(np.kinds) and np.kinds <= holders


def _drop_title(out: Parsed) -> None:
    """"Clean up the table, the trash goes in the bin, the cups on the tray": an opening
    clear-up with nowhere to put things, followed by placements that say where, is the title
    of what follows (as with a colon, which speech recognition often writes as a comma)."""
    cmds = out.commands
    if (len(cmds) >= 2 and cmds[0].action == "clear" and cmds[0].target is None
            and all(c.action == "place" and c.target is not None for c in cmds[1:])):
        del cmds[0]


# A sentence that opens on "then" goes on with the one before it: speech recognition writes a
# full stop wherever the speaker paused ("Build the tower, blue block at the bottom. Then the
# green one, then the red one on top.").
_GOES_ON = re.compile(r"^(?:and\s+)?then\b", re.I)


def split_sentences(text: str) -> list[str]:
    out: list[str] = []
    for s in re.split(r"(?<=[.!?])\s+|[.!?]+$", text):
        if not s or not s.strip(" .!?"):
            continue
        s = s.strip()
        if out and _GOES_ON.match(s) and out[-1].endswith("."):
            out[-1] = out[-1][:-1] + ", " + s
        else:
            out.append(s)
    return out


# "After you put the cup in the bin, put the block on the tray": the subordinate clause comes
# first in time; "before you ..." comes second.
_AFTER = re.compile(r"^(?:(?:after|once|when|as soon as)\s+you\s+(?:have\s+|are\s+done\s+|have\s+finished\s+|"
                    r"finish\s+|are\s+finished\s+)?(?P<sub>.+)|(?:after|once)\s+(?P<ing>[a-z]+ing\s.+))$")
_BEFORE = re.compile(r"^before\s+(?:you\s+(?P<sub>.+)|(?P<ing>[a-z]+ing\s.+))$")


def _in_time_order(sentence: str, skill_verbs: dict[str, str]) -> str:
    """The sentence with a leading "after/once/before you ..." clause put where it happens."""
    after, before = _AFTER.match(sentence), _BEFORE.match(sentence)
    m = after or before
    if m is None:
        return sentence
    sub = m.group("sub") or m.group("ing")
    commas = [c.start() for c in re.finditer(r"\s*,\s*", sub)]
    spaces = [c.start() for c in re.finditer(r"\s+(?=\S)", sub)][::-1]  # the longest first clause first
    for cut in commas + spaces:
        first, second = sub[:cut].strip(" ,"), re.sub(r"^(?:then\s+)", "", sub[cut:].strip(" ,"))
        if not first or not second:
            continue
        done_first = parse_clause(first, skill_verbs)
        if isinstance(done_first, Command) and done_first.action not in ("repeat", "redirect") and _match_verb(
                strip_fillers(second), skill_verbs)[0] is not None:
            return f"{first}, then {second}" if after else f"{second}, then {first}"
    return sentence


def _parse_sentence(sentence: str, out: Parsed, skill_verbs: dict[str, str]) -> None:
    sentence = _in_time_order(sentence.strip(" .!?"), skill_verbs)
    tower = parse_tower(sentence, _CONNECTORS)
    if tower is not None:
        out.commands.append(Command("tower", tower=tower, text=sentence))
        return
    header, body = None, sentence
    if ":" in sentence:
        header, body = (p.strip() for p in sentence.split(":", 1))
    body_parsed = Parsed()
    for clause in split_clauses(body, skill_verbs):
        _add_clause(clause, body_parsed, skill_verbs)
    if header is not None:
        head = Parsed()
        _add_clause(header, head, skill_verbs)
        # "Sort the blocks: each block goes into the bowl of the same colour": the body says it all;
        # a header alone ("Clean up:") is only a title for the body.
        if not body_parsed.commands:
            out.commands.extend(head.commands)
        elif head.commands and head.commands[0].action == "sort" and head.commands[0].obj is not None:
            for c in body_parsed.commands:
                if c.obj is not None and c.obj.plural and c.target is not None and not c.target.kinds:
                    c.target.same_color = True
        out.exclusions.extend(head.exclusions)
    out.commands.extend(body_parsed.commands)
    out.exclusions.extend(body_parsed.exclusions)
    out.not_understood.extend(body_parsed.not_understood)


# A spoken verb misheard ("Pro the trash away", "Cut the fork to the left of the plate") leaves
# an unknown first word before a noun phrase that still says where things go. Placing is by far
# the commonest request, so such a clause is read as one, but only when it names a destination.
_UNHEARD_VERB = re.compile(r"^[a-z']+\s+(?=(?:the|a|an|all|every|each|both|my|that|this|those|these)\b)")
_DESTINATION = re.compile(r"\b(?:in|into|inside|on|onto|to the|next to|beside|near|by|away|back)\b")


def _with_unheard_verb(clause: str) -> str | None:
    t = strip_punct(clause)
    if not _UNHEARD_VERB.match(t) or not _DESTINATION.search(t):
        return None
    return _UNHEARD_VERB.sub("put ", t, count=1)


def _add_clause(clause: str, out: Parsed, skill_verbs: dict[str, str]) -> None:
    parsed = parse_clause(clause, skill_verbs)
    if parsed is None:
        guess = _with_unheard_verb(clause)
        if guess is not None:
            parsed = parse_clause(guess, skill_verbs)
    if isinstance(parsed, Command):
        out.commands.append(parsed)
    elif isinstance(parsed, Exclusion):
        out.exclusions.append(parsed)
    elif parsed == "context":
        pass
    else:
        out.not_understood.append(clause)


def split_clauses(sentence: str, skill_verbs: dict[str, str]) -> list[str]:
    """Cut a sentence into clauses at connectors, at commas that start a new clause, and at "and"
    when both sides are whole clauses ("stack X on Y and Z on X")."""
    pieces = [p for p in _CONNECTORS.split(sentence) if p and p.strip(" ,")]
    clauses: list[str] = []
    for piece in pieces:
        for part in _split_self_corrections(piece):
            for sub in _split_commas(part, skill_verbs):
                clauses.extend(_split_and(sub, skill_verbs))
    return [c.strip(" ,") for c in clauses if c.strip(" ,")]


def _split_self_corrections(piece: str) -> list[str]:
    """"put the cup in the bin, no, in the basket" -> ["put the cup in the bin", "no, in the basket"]:
    cut before a correction marker that follows a request, keeping the marker with what it says."""
    cuts = [m.start() for m in _SELF_CORRECTION.finditer(piece) if m.start() > 0]
    if not cuts:
        return [piece]
    parts, last = [], 0
    for c in cuts:
        parts.append(piece[last:c])
        last = c
    parts.append(piece[last:])
    out: list[str] = []
    for p in (p.strip(" ,") for p in parts):
        if not p:
            continue
        p = _MARKER_COMMA.sub(r"\1 ", p)  # "no, put it on the tray" stays one clause
        if out and _BARE_CORRECTION.match(strip_punct(out[-1])):
            out[-1] = f"{out[-1]} {p}"  # "no, no, the basket": the markers go with what follows
        else:
            out.append(p)
    # A first part that is no request ("oh no, not the plate"): nothing to correct, keep it whole.
    if len(out) > 1 and _match_verb(strip_fillers(out[0]), {})[0] is None and not _goes_split(strip_fillers(out[0])):
        return [piece]
    return out


def _starts_clause(text: str, skill_verbs: dict[str, str]) -> bool:
    if _is_also_clause(text):
        return True
    t = strip_fillers(text)
    if not t:
        return False
    if _match_verb(t, skill_verbs)[0] is not None:
        return True
    exclusion = read_exclusion(t)
    if exclusion is not None and exclusion.starts_clause or _EXCEPTION_START.match(t):
        return True
    return _goes_rest_has_relation(t)


# "not the red one", "save the green one" start a clause; "not in the bin" only rules a place out.
_EXCEPTION_START = re.compile(r"^(?:not|never|except|save|skip|omit|barring|excluding|leaving)\b"
                              r"(?!\s+(?:in|into|on|onto)\b)")
_ALSO = re.compile(r"^(?:and\s+|but\s+|plus\s+)?(?:also\s+)?(?P<np>.+?)\s+(?:too|as well|also)$")


def _is_also_clause(text: str) -> bool:
    """"and the cups too": a noun phrase that repeats the action before it for other objects."""
    m = _ALSO.match(strip_punct(text).strip())
    if not m or _relation_splits(m.group("np"), allow_empty_object=False):
        return False
    return _starts_like_np(m.group("np")) and not parse_np(m.group("np")).is_empty


def _goes_split(t: str) -> tuple[str, str] | None:
    """(subject, rest) of "SUBJECT goes|belongs|should be REST", at the first verb that leaves a
    whole noun phrase before it."""
    for m in re.finditer(r"(?=" + _GOES_VERB.pattern + ")", t):
        verb = _GOES_VERB.match(t, m.start())
        subject, rest = t[: m.start()].strip(), t[verb.end():].strip() if verb else ""
        if subject and rest and subject.split()[-1] not in _NP_CANNOT_END:
            return subject, rest
    return None


def _goes_rest_has_relation(t: str) -> bool:
    m = _goes_split(t)
    return bool(m and _relation_splits(m[1], allow_empty_object=True))


# Words that name things (kinds, categories, "trash"), and those plus colours.
_THING_WORDS = frozenset(lx.KIND_WORDS) | frozenset(lx.CATEGORY_WORDS) | lx.MASS_NOUNS
_NAME_WORDS = _THING_WORDS | frozenset(lx.COLOR_WORDS)


def _bare_noun_phrase(text: str) -> bool:
    """A few words that only name things ("trash", "the red cups", "plates"): a list item."""
    words = strip_punct(text).split()
    return 0 < len(words) <= 4 and any(w in _NAME_WORDS for w in words) and all(
        w in _NAME_WORDS or w in lx.ARTICLES or w in ("all", "every", "both", "and", "or") for w in words)


def _names_last(text: str) -> bool:
    words = strip_punct(text).split()
    return bool(words) and words[-1] in _THING_WORDS


def _join_lists(piece: str) -> str:
    """"Cups, plates, and forks go on the tray" (a written list, or commas a transcript adds):
    names separated by commas before a closing "and X" are one list, not clauses."""
    parts = piece.split(",")
    i = len(parts) - 1
    while i > 0:
        # the list's last part: "and forks go ..." or, without the last comma, "cans and forks go ..."
        first = strip_punct(parts[i]).split()[:1]
        closing = re.match(r"^\s*(?:and|or)\s+\S", parts[i]) or (
            first and first[0] in _NAME_WORDS and re.search(r"\b(?:and|or)\b", parts[i]))
        if closing:
            j = i
            while j > 0 and _bare_noun_phrase(parts[j - 1]):
                j -= 1
            # "put the red cup, the blue cup, and the fork in the bin": the list's first item
            # comes with the verb, and nothing before the list says where things go.
            if j < i and j > 0 and not _DESTINATION.search(strip_punct(parts[j - 1])) and \
                    _names_last(parts[j - 1]):
                j -= 1
            if j < i:
                items = [p.strip() for p in parts[j:i]] + [parts[i].strip()]
                joined = (" and ".join(items[:-1]) + " " + items[-1]) if re.match(r"(?:and|or)\b", items[-1]) \
                    else " and ".join(items)
                parts = parts[:j] + [(" " if j else "") + joined] + parts[i + 1:]
                i = j
        i -= 1
    return ",".join(parts)


def _split_commas(piece: str, skill_verbs: dict[str, str]) -> list[str]:
    piece = _join_lists(piece)
    parts = [p.strip() for p in piece.split(",") if p.strip()]
    out: list[str] = []
    for p in parts:
        if out and not _starts_clause(p, skill_verbs):
            elided = _elided_clause(out[-1], p, skill_verbs)
            if elided is not None:
                out.append(elided)
            else:
                out[-1] = out[-1] + ", " + p
        else:
            out.append(p)
    return out


# Any relation word at all: a cheap test before the full reading of "OBJECT RELATION TARGET".
_ANY_RELATION = re.compile(r"\b(?:" + "|".join(sorted({re.escape(p.split()[0]) for p, _ in lx.RELATION_PHRASES},
                                                       key=len, reverse=True)) + r")\b")


def _elided_clause(previous: str, text: str, skill_verbs: dict[str, str]) -> str | None:
    """"put A in B, C on D": the second part reuses the first one's verb."""
    body = strip_fillers(text)
    if not _starts_like_np(body) or not _ANY_RELATION.search(body):
        return None
    prev = parse_clause(previous, skill_verbs)
    if not (isinstance(prev, Command) and prev.action == "place" and prev.target is not None):
        return None
    splits = _relation_splits(body)
    if splits and splits[0][0] is not None and not splits[0][0].is_empty:
        return f"{_leading_verb(strip_fillers(previous), skill_verbs)} {body}"
    return None


def _split_and(text: str, skill_verbs: dict[str, str]) -> list[str]:
    """The text cut at every "and" (or "but", "and then", "while") with a whole clause on both
    sides, left to right. A loop, not recursion: a long chain of clauses costs one pass."""
    out: list[str] = []
    rest = text
    while True:
        cut = _first_and_cut(rest, skill_verbs)
        if cut is None:
            out.append(rest)
            return out
        left, right, last = cut
        out.append(left)
        if last:
            out.append(right)
            return out
        rest = right


def _first_and_cut(t: str, skill_verbs: dict[str, str]) -> tuple[str, str, bool] | None:
    """(left clause, the rest, whether the rest is one clause that must not be cut further) at
    the first "and" that joins two clauses, or None."""
    for m in re.finditer(r"\s+(?:and|but|and then|while)\s+", t):
        left, right = t[: m.start()], t[m.end():]
        if not left.strip() or not right.strip():
            continue
        # The right side is looked at first: reading the left side again at every "and" of a
        # list ("the cup and the bowl and ...") would cost the square of its length.
        also, starts = _is_also_clause(right), _starts_clause(right, skill_verbs)
        lc = parse_clause(left, skill_verbs) if also or starts else None
        if also and isinstance(lc, Command):
            return left, right, True
        if starts and isinstance(lc, (Command, Exclusion)):
            if isinstance(lc, Exclusion) or lc.action not in ("repeat", "redirect"):
                return left, right, False
        # Ellipsis: "stack the red block on the blue one and the green block on the red one".
        elided = _elided_clause(left, right, skill_verbs)
        if elided is not None:
            return left, elided, False
    return None


def _leading_verb(text: str, skill_verbs: dict[str, str]) -> str:
    verb, _, _ = _match_verb(text, skill_verbs)
    return verb or "put"


def _match_verb(text: str, skill_verbs: dict[str, str]) -> tuple[str | None, str, str | None]:
    """(verb phrase, rest, plugin skill) for the verb the clause starts with."""
    for phrase in sorted(skill_verbs, key=len, reverse=True):
        if text == phrase or text.startswith(phrase + " "):
            return phrase, text[len(phrase):].strip(), skill_verbs[phrase]
    for phrase in sorted(VERB_ACTIONS, key=len, reverse=True):
        if text == phrase or text.startswith(phrase + " "):
            return phrase, text[len(phrase):].strip(), None
    # Inflected forms: "puts", "placing", "stacked" are rare in commands but cheap to accept.
    first = text.split(" ", 1)[0]
    for suffix in ("s", "es", "ing", "ed"):
        if not first.endswith(suffix):
            continue
        stem = first[: -len(suffix)]
        # "putting" -> put, "moving" -> move, "chucked" -> chuck
        for base in (stem, stem + "e", stem[:-1] if len(stem) > 2 and stem[-1] == stem[-2] else None):
            if base and base in VERB_ACTIONS:
                rest = text[len(first):].strip()
                particle = next((p for p in PARTICLES if rest == p or rest.startswith(p + " ")), None)
                if particle and f"{base} {particle}" in VERB_ACTIONS:  # "throwing away the can"
                    return f"{base} {particle}", rest[len(particle):].strip(), None
                return base, rest, None
    return None, text, None


_STARTING_WITH = re.compile(r"[\s,]+(?:starting|beginning|start|begin)\s+with\s+(?P<np>\S.*)$")


def parse_clause(clause: str, skill_verbs: dict[str, str] | None = None) -> Command | Exclusion | str | None:
    """One clause -> a Command, an Exclusion, "context" (a statement with no request), or None.
    "..., starting with the yellow one" says which of the objects goes first."""
    first = _STARTING_WITH.search(clause)
    if first is None:
        return _parse_clause(clause, skill_verbs)
    parsed = _parse_clause(clause[: first.start()], skill_verbs)
    if isinstance(parsed, Command):
        parsed.first = parse_np(strip_fillers(first.group("np")))
    return parsed


def _parse_clause(clause: str, skill_verbs: dict[str, str] | None = None) -> Command | Exclusion | str | None:
    skill_verbs = skill_verbs or {}
    raw = strip_punct(clause)
    correction = bool(_CORRECTION.search(raw)) or raw.startswith("no ")
    t = strip_fillers(_CORRECTION_OPENERS.sub("", raw))
    t = _without_alternative(t)
    same = lx.SAME_AGAIN.match(t)
    if same:
        np = parse_np(same.group("np"))
        if not np.is_empty:
            return Command("repeat", obj=np, text=t, correction=correction)
    t = _CORRECTION_LEAD.sub("", t)
    t = strip_fillers(re.sub(r"\b(?:instead|rather|actually)\b", " ", t))
    if not t:
        return "context"  # "no", "actually", "okay": discourse markers with no request of their own
    contrast = _contrast(t)
    if contrast is not None:
        return contrast
    exclusion = read_exclusion(t)
    if exclusion is not None:
        np = parse_np(exclusion.np)
        if not np.is_empty and not _relation_splits(exclusion.np, allow_empty_object=False):
            return Exclusion(np=np, text=t)
    wish = _WISH.match(t)
    if wish and _relation_splits(wish.group("rest"), allow_empty_object=False):
        t = wish.group("rest")  # "I'd like the cans in the basket": a placement said as a wish
    goes = _goes_command(t)
    verb, rest, skill = _match_verb(t, skill_verbs)
    # A verb recognised only through its ending ("recycling goes into the basket") is a noun here.
    inflected = verb is not None and t.split(" ", 1)[0] != verb.split(" ", 1)[0]
    if goes is not None and (verb is None or inflected or verb in _NOUN_VERBS or VERB_ACTIONS.get(verb) == "home"):
        goes.correction = correction
        return goes
    if verb is not None:
        cmd = _verb_command(verb, rest, skill)
        if cmd is not None:
            cmd.correction = correction
            cmd.text = t
            return cmd
    if goes is not None:
        goes.correction = correction
        return goes
    if _is_context(t):
        return "context"
    # A destination alone: "on the tray instead", "in the basket".
    splits = _relation_splits(t, allow_empty_object=True)
    if splits and splits[0][0] is None:
        _, rel, tgt = splits[0]
        return Command("redirect", relation=rel, target=tgt, text=t, correction=correction)
    # The verb left out after "then": "put A on B, then C on A".
    if splits and verb is None and _starts_like_np(t):
        obj, rel, tgt = splits[0]
        return Command("place", obj=obj, relation=rel, target=tgt, splits=splits[1:], text=t,
                       correction=correction)
    # A noun phrase alone: "now the blue cup", "the green one".
    np = parse_np(t)
    if not np.is_empty and not _looks_like_sentence(t) and verb is None and _starts_like_np(t):
        if np.kinds and np.kinds <= lx.FIXED_KINDS and not np.parts and not np.plural:
            # "actually, the basket", "the basket please": a thing that never moves can only be
            # the new destination.
            return Command("redirect", relation="to", target=np, text=t, correction=correction)
        return Command("repeat", obj=np, text=t, correction=correction)
    return None


_CONTRAST = re.compile(r"^not\s+(?P<old>.+?)\s+(?:but\s+|rather\s+|instead\s+)?(?P<new>(?:the|a|an|in|into|on|onto|"
                       r"to|next to|beside|that|this)\b.+)$")


# "... in the basket instead of the bin", "... on the tray, not in the bin": the place ruled out.
_ALTERNATIVE_TAIL = re.compile(r"\s+(?:instead of|rather than|and not|but not|not)\s+(?:(?:in|into|on|onto|to)\s+)?"
                               r"(?P<np>(?:the|a|an|that|this|my)\s+[a-z ]+?)$")


def _without_alternative(t: str) -> str:
    """The clause without a destination it rules out, when a destination is said before it."""
    m = _ALTERNATIVE_TAIL.search(t)
    if not m:
        return t
    ruled_out = parse_np(m.group("np"))
    head = t[: m.start()].strip()
    if ruled_out.kinds and ruled_out.kinds <= (lx.CONTAINERS | lx.SURFACES | lx.FIXED_KINDS) and \
            _relation_splits(head, allow_empty_object=True):
        return head
    return t


def _contrast(t: str) -> Command | None:
    """"not the plate, the tray", "not in the bin but in the basket", "not the red one, the blue
    one": a correction that names what it replaces. The new part is a destination when it says
    a relation; otherwise the caller decides from what the old part named."""
    m = _CONTRAST.match(t)
    if not m:
        return None
    old, new = parse_np(_without_relation_word(m.group("old"))), m.group("new")
    if old.is_empty or old.parts:
        return None
    splits = _relation_splits(new, allow_empty_object=True)
    if splits and splits[0][0] is None:
        _, rel, tgt = splits[0]
        return Command("redirect", relation=rel, target=tgt, text=t, correction=True, instead_of=old)
    np = parse_np(new)
    if np.is_empty or splits:
        return None
    if not np.kinds and old.kinds:
        np.kinds = old.kinds
    if np.kinds and np.kinds <= lx.FIXED_KINDS:
        return Command("redirect", relation="to", target=np, text=t, correction=True, instead_of=old)
    return Command("repeat", obj=np, text=t, correction=True, instead_of=old)


def _without_relation_word(text: str) -> str:
    for phrase, _rel in lx.RELATION_PHRASES:
        if text.startswith(phrase + " "):
            return text[len(phrase):].strip()
    return text


# "do the same with the blue cup", "same for the other one", "what about the green block?"

_SORT_MANNER = re.compile(r"\b(?:by|according to|based on|using|on)\s+(?:their\s+|its\s+|the\s+)?"
                          r"(?:colors?|shades?)\b")
_WISH = re.compile(r"^(?:i|we)\s+(?:would like|would love|would prefer|want|need|wanna)\s+(?!to\b|you\b)"
                   r"(?P<rest>.+)$")

_SUBJECTS = frozenset({"i", "we", "my", "our", "they", "he", "she", "there", "it", "this", "that", "today",
                       "tonight", "guests", "people", "you", "your", "everyone", "somebody", "someone"})

# Verbs that are also nouns: "trash and cans go in the bin" starts with a noun, not a verb.
_NOUN_VERBS = frozenset({"trash", "bin", "junk", "scrap", "group", "order", "pair", "match", "stack", "pile",
                         "rest", "park", "home", "store", "pack", "tidy", "clear", "empty", "set"})


def _goes_command(t: str) -> Command | None:
    m = _goes_split(t)
    if not m:
        return None
    np = parse_np(m[0])
    splits = _relation_splits(m[1], allow_empty_object=True)
    if np.is_empty or not splits or splits[0][0] is not None:
        return None
    _, rel, tgt = splits[0]
    return Command("place", obj=np, relation=rel, target=tgt, text=t)


def _starts_like_np(t: str) -> bool:
    """Noun phrases open with a determiner, a number, a colour, a side, a kind or a pronoun."""
    first = t.split(" ", 1)[0]
    two = " ".join(t.split(" ", 2)[:2])
    return (first in lx.ARTICLES or first in lx.INDEFINITES or first in lx.COLOR_WORDS or first in lx.SIDE_WORDS
            or first in lx.KIND_WORDS or two in lx.KIND_WORDS or first in lx.CATEGORY_WORDS
            or first in lx.EVERYTHING_WORDS or first in lx.NUMBER_WORDS or first.isdigit()
            or first in ("all", "every", "each", "both", "it", "them", "those", "these", "other", "one", "same"))


def _is_context(t: str) -> bool:
    ws = t.split()
    if ws and ws[0] in _SUBJECTS and len(ws) >= 3 and not any(w in lx.KIND_WORDS or w in lx.COLOR_WORDS
                                                               for w in ws):
        return True
    # "the party is over", "dinner was lovely": a remark about something that is not on the table.
    if re.match(r"^(?:the|a|an|this|that|our|my)?\s*[a-z]+(?:\s+[a-z]+)?\s+(?:is|are|was|were|has been|have been)\b", t) \
            and not any(w in lx.KIND_WORDS or w in lx.COLOR_WORDS or w in lx.EVERYTHING_WORDS
                        or w in lx.CATEGORY_WORDS for w in ws):
        return True
    return bool(re.match(r"^(?:i|we|it|there|this|that|my|our|they|he|she|you|today|tonight|guests|people)\b"
                         r"(?:\s+\w+)?\s+(?:am|are|is|was|were|have|has|had|will|would|got|be|feel|think|"
                         r"need|want|like|love|hate|guess|know|having|going)\b", t)) or t in (
        "hi", "hello", "hey", "good morning", "good evening", "thanks", "thank you", "great", "good job")


def _looks_like_sentence(t: str) -> bool:
    return len(words(t)) > 8


# Handing things to people or throwing things at them: the robot only moves things on the table.
_TO_A_PERSON = re.compile(r"(?<![a-z])(?<!closest )(?<!nearest )(?<!close )(?<!next )(?<!closer )(?<!nearer )"
                          r"(?:at|to|towards|toward|into the hands of)\s+(?:me|us|him|her|you|someone|somebody|"
                          r"anyone|anybody|everyone|people|the person|my face|my head|my hand)(?:\s|$)"
                          r"|^(?:me|us|him|her)\s+(?=\S)")
# "put the can there", "in there", "in the same place": the destination last used.
_THERE = re.compile(r"^(?P<obj>.+?)\s+(?:(?P<rel>in|into|inside|on|onto|on top of)\s+)?(?:over\s+|right\s+|in\s+)?"
                    r"(?:there|the same place|the same spot|that same place|the same one)$")
_DISPOSE_INTO = re.compile(r"\b(?:into|onto|in to|on to|down)\b")


def _verb_command(verb: str, rest: str, skill: str | None) -> Command | None:
    if skill is not None:
        return Command("skill", skill=skill, rest=rest)
    action = VERB_ACTIONS.get(verb, "place")
    head = verb.split(" ", 1)[0]
    if action in ("place", "dispose", "hold") and _TO_A_PERSON.search(rest):
        return Command("refuse", text=f"{verb} {rest}")
    back = re.search(BACK_WHERE, rest)
    if back:
        rest = (rest[: back.start()] + " " + rest[back.end():]).strip()
        if action in ("place", "put_back", "hold"):
            action = "put_back"
    somewhere = re.search(r"\s+(?:somewhere|anywhere|some place|someplace)(?:\s+else)?$", rest)
    if somewhere and action in ("place", "hold"):
        rest, action = rest[: somewhere.start()].strip(), "put_away"  # "put the cups somewhere": where is open
    belongs = re.search(WHERE_IT_BELONGS, rest)
    if belongs and action in ("place", "hold", "put_away"):
        # "put the paper where it belongs": wherever that kind of thing is put away.
        rest = (rest[: belongs.start()] + " " + rest[belongs.end():]).strip()
        action = "put_away"
    # A particle after the object changes the verb: "throw the can away", "put it back".
    particle_said = False
    if skill is None:
        for particle in PARTICLES:
            i = find_phrase(rest, particle)
            if i >= 0 and rest[:i].endswith(("the ", "far ")):
                continue  # "the block at the back": a side of the table, not "put ... back"
            if i >= 0 and not has_phrase(rest, particle + " of") and not has_phrase(rest, particle + " to") \
                    and not has_phrase(rest, particle + " into") and not has_phrase(rest, particle + " in"):
                changed = PARTICLE_ACTIONS.get((head, particle))
                if changed:
                    action, particle_said = changed, True
                    rest = re.sub(r"\s+", " ", rest[:i] + rest[i + len(particle):]).strip()
                    break
            if i >= 0 and particle == "back" and head in ("put", "place", "move", "set", "bring", "take"):
                rest = re.sub(r"\s+", " ", rest[:i] + rest[i + len(particle):]).strip()
    if action == "hold" and particle_said:
        rest = re.sub(r"(?:^|\s+)(?:back|again)$", "", rest).strip()  # "take it back out", "lift it out again"
    if action == "sort":
        # "by colour" says how to sort (the handler always matches colours), it is not a place.
        rest = re.sub(r"\s+", " ", _SORT_MANNER.sub(" ", rest)).strip()
    cmd = Command(action, skill=skill)
    if action in ("home", "undo"):
        return cmd
    there = _THERE.match(rest)
    if there and action in ("place", "dispose", "put_away", "hold"):
        obj = parse_np(there.group("obj"))
        if not obj.is_empty and not _relation_splits(there.group("obj"), allow_empty_object=False):
            cmd.action = "place"
            cmd.obj, cmd.relation = obj, lx_relation(there.group("rel"))
            cmd.target = NounPhrase(text="there", pronoun="there")
            return cmd
    splits = _relation_splits(rest, allow_empty_object=True)
    if splits and action == "dispose" and _is_location(verb, rest, splits[0], particle_said):
        # "throw away everything on the tray": with the verb complete, "on the tray" says which
        # things, not where they go (that is the bin, as always).
        obj, rel, tgt = splits[0]
        obj.location = tgt
        cmd.obj = obj
        return cmd
    if splits:
        cmd.obj, cmd.relation, cmd.target = splits[0]
        cmd.splits = splits[1:]
        if action == "put_back":
            cmd.action = "place"
        if action in ("clear", "put_away") and (cmd.obj is None or cmd.obj.text in TABLE_WORDS):
            cmd.action, cmd.obj = "clear", None
            return cmd
        if action in ("put_away", "hold") and cmd.obj is not None:
            cmd.action = "place"
        return cmd
    if (not rest or rest in TABLE_WORDS) and action in ("put_away", "clear"):
        cmd.action = "clear"
        return cmd
    if rest:
        cmd.obj = parse_np(rest)
        if cmd.obj.is_empty:
            cmd.obj = None
    if action == "sort":
        return cmd
    if cmd.obj is None and action in ("place", "dispose", "put_away", "put_back", "hold", "clear") and skill is None:
        return None
    return cmd


def lx_relation(word: str | None) -> str:
    """The relation a bare preposition before "there" names ("to" when none was said)."""
    return next((rel for phrase, rel in lx.RELATION_PHRASES if phrase == word), "to") if word else "to"


def _is_location(verb: str, rest: str, split: Split, particle_said: bool) -> bool:
    """"get rid of the cups on the tray": a dispose verb that needs no destination ("throw away",
    "get rid of", "bin"), then "in"/"on" a place that is not for rubbish, reads as where the
    things are now."""
    obj, rel, tgt = split
    complete = verb not in ("throw", "toss", "chuck", "dump") or particle_said
    return (complete and rel in ("in", "on") and not _DISPOSE_INTO.search(rest) and obj is not None
            and obj.location is None and not (tgt.kinds & {"bin"}) and not tgt.pronoun)


def _relation_splits(text: str, allow_empty_object: bool = True) -> list[Split]:
    """Every way to read "OBJECT RELATION TARGET" in the text, most likely first."""
    text = strip_punct(text)
    padded = " " + text + " "
    found: list[Split] = []
    # "the block nearest to you", "the block at the back in the bowl": relation words inside a
    # side phrase belong to it, unless the side phrase starts a longer relation ("to the left of").
    taken: list[tuple[int, int]] = [
        (m.start(), m.end()) for sp, _ in lx.SIDE_PHRASES
        for m in phrase_pattern(sp).finditer(padded)
        if not any(len(rp) > len(sp) and padded.startswith(rp + " ", m.start()) for rp, _ in lx.RELATION_PHRASES)]
    for phrase, rel in lx.RELATION_PHRASES:
        for m in phrase_pattern(phrase).finditer(padded):
            s, e = m.start(), m.end()
            if any(s < te and e > ts for ts, te in taken):
                continue
            after = padded[e:].strip()
            # "on the left" without "of" names a side of the table, not a relation.
            if any((phrase + " " + after).startswith(sp) and not (phrase + " " + after)[len(sp):].lstrip()
                   .startswith("of") for sp, _ in lx.SIDE_PHRASES if sp.startswith(phrase + " ")
                   and (phrase + " " + after)[len(sp):len(sp) + 1] in ("", " ")):
                taken.append((s, e))
                continue
            taken.append((s, e))
            obj_text = padded[:s].strip()
            tgt_text = after
            if not tgt_text:
                continue
            # "... on the tray apart from the blue one": the exception belongs to the moved objects.
            for marker in (*lx.EXCEPT_MARKERS, "not"):
                if marker in ("but", "but the"):
                    continue
                i = find_phrase(tgt_text, marker)
                if i > 0 and obj_text:
                    # "in the bin not the red one" said without a pause: "not" there is "except".
                    said = "except" + tgt_text[i + len(marker):] if marker == "not" else tgt_text[i:]
                    obj_text = f"{obj_text} {said}"
                    tgt_text = tgt_text[:i].strip()
                    break
            obj = parse_np(obj_text) if obj_text and obj_text not in TABLE_NOUNS else None
            tgt = parse_np(tgt_text)
            if tgt.is_empty or tgt.everything and not tgt.kinds and not tgt.colors:
                continue
            if obj is None and not allow_empty_object:
                continue
            if obj is not None and obj.is_empty:
                continue
            # "into"/"onto" only ever say where something goes: "everything in the basket into the
            # bin" is read at "into" first, whatever comes before it.
            found.append((0 if phrase in _DESTINATION_ONLY else 1, s, obj, rel, tgt))
    found.sort(key=lambda f: f[:2])
    return [(o, r, t) for _, _, o, r, t in found]


_DESTINATION_ONLY = frozenset({"into", "onto", "in to", "on to", "back into", "back onto"})
