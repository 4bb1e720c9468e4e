"""Noun phrases: "the red cup", "all the blocks except the green one", "the cup that is on the
tray", "it", "the left one", "the trash and the can". Parsing only; grounding.py matches them
to the scene.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from agent.planners.rules import lexicon as lx
from agent.planners.rules.np_grammar import read_simple, read_words, split_coordination, word_tokens
from agent.planners.rules.text import find_phrase, has_phrase, strip_punct

_RELATIVE = re.compile(r"\b(?:that is|which is|that are|which are|who is|thats|that)\s+")
_SAME_COLOR = re.compile(r"\b(?:(?:of|with|in|that has|having)?\s*(?:the\s+)?(?:same|matching)\s+color"
                         r"(?:\s+as\s+(?:it|them|the \w+|itself))?|matching|that matches(?: it| them)?"
                         r"|(?:of|with)\s+(?:its|their)\s+(?:own\s+)?color|same\s*-?\s*colored)\b")
_REST = re.compile(r"^(?:all\s+)?(?:of\s+)?(?:the\s+)?(?:rest|remainder)(?:\s+of\s+(?:the\s+|my\s+)?(?P<what>.+))?$"
                   r"|^(?:everything|anything|all|all the things|the things|whatever|what)\s+(?:else|is left|"
                   r"remains|is remaining|is still here|is still there)$")
# "whatever is red", "anything that is on the tray": a description of any objects at all.
_ANY_THAT_IS = re.compile(r"^(?:whatever|what|anything|everything|all|stuff|things|all the things|the things)\s+"
                          r"(?:that\s+|which\s+)?(?:is|are)(?:\s+|$)")


@dataclass
class NounPhrase:
    """What a noun phrase says about the objects it means."""

    text: str
    kinds: frozenset[str] = frozenset()  # empty = any kind
    colors: tuple[str, ...] = ()
    plural: bool = False  # means every match, not exactly one
    count: int | None = None  # "the two cups", "both"
    indefinite: bool = False  # "a cup": any one will do
    pronoun: str | None = None  # "it" / "them" / "other"
    side: str | None = None  # left/right/front/back/middle
    unknown: tuple[str, ...] = ()  # content words we don't know ("banana")
    everything: bool = False  # "everything", "all the things"
    one: bool = False  # "the green one": head noun left out
    same_color: bool = False  # "the bowl of the same color"
    location: "NounPhrase | None" = None  # "the cup on the tray"
    exceptions: list["NounPhrase"] = field(default_factory=list)
    parts: list["NounPhrase"] = field(default_factory=list)  # coordinated phrases: "the trash and the can"
    position: str | None = None  # tower position: "top" / "bottom"
    name_words: tuple[str, ...] = ()  # the content words, to match object names directly
    remaining: bool = False  # "the rest", "the remaining blocks": not those this plan already moves
    ordinal: int | None = None  # counted from `side`: 2 in "the second cup from the left", -1 for "last"
    landmark: "NounPhrase | None" = None  # "the block next to the bowl": chosen by its distance to this
    far_from_landmark: bool = False  # "the block furthest from the bin"

    @property
    def is_empty(self) -> bool:
        return not (self.kinds or self.colors or self.pronoun or self.side or self.unknown or self.everything
                    or self.parts or self.name_words or self.one or self.remaining or self.landmark)

    def describe(self) -> str:
        """How to say this phrase back ("a banana", "a green cup", "any cups")."""
        if self.parts:
            return " and ".join(p.describe() for p in self.parts)
        head = " ".join(self.unknown) if self.unknown else (
            "thing" if not self.kinds or len(self.kinds) > 1 else next(iter(self.kinds)))
        if self.unknown and not self.colors and self.name_words:
            head = " ".join(w for w in self.name_words if w not in lx.COLOR_WORDS)
        adj = " ".join(self.colors)
        phrase = f"{adj} {head}".strip()
        if self.plural:
            return f"any {_plural(phrase)}"
        return f"{'an' if phrase[:1] in 'aeiou' else 'a'} {phrase}"


def _plural(phrase: str) -> str:
    if phrase.endswith(("s", "sh", "ch", "x")):
        return phrase + "es"
    return phrase + "s"


def plural_word(kind: str) -> str:
    return _plural(kind)


def parse_np(text: str, inherit_kind: frozenset[str] = frozenset()) -> NounPhrase:
    """Parse one noun phrase (possibly coordinated, with exceptions)."""
    raw = strip_punct(text.strip())
    # "the cup that is not red", "everything that is not a block": an exception in other words.
    raw = re.sub(r"\s+(?:that|which)\s+(?:is|are)\s+not\s+(?=\S)", " except ", raw)
    t = " " + raw + " "
    np_exceptions: list[NounPhrase] = []
    # Exceptions: "every cup except the green one" (the excepted part inherits the head kind).
    for marker in lx.EXCEPT_MARKERS:
        i = find_phrase(t, marker)
        if i > 0:
            main, rest = t[:i].strip(), t[i + len(marker):].strip()
            if marker == "but" and not rest:
                continue
            head = parse_np(main, inherit_kind)
            if head.is_empty and marker in ("but", "but the"):
                continue
            rest = "the " + rest if marker == "but the" else rest
            for part in split_coordination(rest):
                np_exceptions.append(parse_np(part, head.kinds or inherit_kind))
            head.exceptions.extend(np_exceptions)
            return head
    parts = split_coordination(raw)
    if len(parts) > 1:
        parsed = [_parse_simple(p, frozenset()) for p in parts]
        if all(not p.is_empty for p in parsed):
            # "the red and the blue cups": parts without a noun take the nearest noun's kind.
            for i, p in enumerate(parsed):
                if not p.kinds and not p.everything and not p.pronoun and not p.unknown:
                    later = [q.kinds for q in parsed[i + 1:] if q.kinds]
                    earlier = [q.kinds for q in parsed[:i] if q.kinds]
                    k = (later[0] if later else earlier[-1] if earlier else inherit_kind)
                    parsed[i] = replace(p, kinds=k, one=False)
            return NounPhrase(text=raw, parts=parsed, plural=True)
    return _parse_simple(raw, inherit_kind)


def _parse_simple(text: str, inherit_kind: frozenset[str]) -> NounPhrase:
    t = strip_punct(text).strip()
    np = NounPhrase(text=t)
    t = _take_ordinal(t, np)
    # Tower positions belong to the item, not to the grounding.
    for m in lx.TOP_MARKERS:
        if has_phrase(t, m) and not has_phrase(t, m + " of"):
            np.position = "top"
            t = _remove(t, m)
            break
    for m in lx.BOTTOM_MARKERS:
        if has_phrase(t, m):
            np.position = "bottom"
            t = _remove(t, m)
            break
    if _SAME_COLOR.search(t):
        np.same_color = True
        t = _SAME_COLOR.sub(" ", t)
        t = re.sub(r"\s+", " ", t).strip()
    rest_of = _REST.match(t)
    if rest_of:
        # "the rest", "everything else": whatever is left once the rest of the sentence is done.
        np.remaining = np.plural = True
        t = rest_of.group("what") or ""
        if not t or t in ("them", "it", "things", "stuff"):
            np.everything = True
            return np
    t = _ANY_THAT_IS.sub("everything ", t)
    remaining = [tok for tok in word_tokens(t) if tok.type == "REMAINING"]
    if remaining:
        np.remaining = True
        t = _cut(t, remaining)
    if t in lx.OTHER_PHRASES or t.startswith("the other ") or t.startswith("other "):
        np.pronoun = "other"
        t = re.sub(r"^(the )?other ", "", t)
        if t in ("one", "ones", "", "s"):
            np.plural = t == "ones"
            return np
    if t in lx.PRONOUNS or t in ("it too", "it as well", "that too", "the same"):
        np.pronoun = "it"
        return np
    if t in lx.PLURAL_PRONOUNS:
        np.pronoun = "them"
        np.plural = True
        return np
    # Relative clauses: "the cup that is red", "the block which is on the tray".
    t = _RELATIVE.sub("", t).strip()
    t = _take_landmark(t, np)
    # Location modifiers: "the cup on the tray", "the block from the basket".
    for prefix in sorted(lx.LOCATION_PREFIXES, key=len, reverse=True):
        i = find_phrase(t, prefix)
        if i > 0:
            loc_text = t[i + len(prefix):].strip()
            # "on the left" is a side, not a location.
            side_only = any(loc_text.startswith(s.split(" ", 1)[1]) for s, _ in lx.SIDE_PHRASES
                            if s.startswith(prefix + " ")) and not loc_text.endswith(" of")
            loc = _parse_simple(loc_text, frozenset())
            if loc_text and not side_only and (loc.kinds or loc.name_words) and not loc.unknown:
                np.location = loc
                t = t[:i].strip()
                break
    said = read_simple(t)
    # A side phrase is read before the side words: "the right cup on the left" is on the left.
    side_phrase = next((i for i, (terminal, _) in enumerate(said.items) if terminal == "SIDE_PHRASE"), None)
    if side_phrase is not None:
        np.side = dict(lx.SIDE_PHRASES)[said.items[side_phrase][1]]
    others = [item for i, item in enumerate(said.items) if i != side_phrase]
    if said.quantifier:
        np.plural = True
        if said.quantifier in lx.DUAL_QUANTIFIERS:
            np.count = 2
    # A determiner counts only with something after it ("the", "some", "two" alone are no
    # phrase); one that does not is read as words ("one of the" is then "one").
    number = said.number if others else None
    article = said.article if said.number or others else None
    indefinite = said.indefinite if said.article or said.number or others else None
    unread = " ".join(w for w, used in ((said.indefinite, indefinite), (said.article, article),
                                        (said.number, number)) if w and not used)
    if unread:
        others = list(read_words(unread)) + others
    np.indefinite = bool(indefinite)
    if article in ("these", "those"):
        np.plural = True
    if number:
        np.count = lx.NUMBER_WORDS.get(number) or int(number)
        np.plural = True
    content: list[str] = []
    kinds: set[str] = set()
    for terminal, w in others:
        if terminal == "COLOR":
            np.colors += (lx.COLOR_WORDS[w],)
            content.append(w)
        elif terminal == "KIND":
            kind, plural = lx.KIND_WORDS[w]
            kinds.add(kind)
            np.plural = np.plural or plural or w in lx.MASS_NOUNS
            content.extend(w.split())
        elif terminal == "CATEGORY":
            kinds |= lx.CATEGORY_WORDS[w]
            np.plural = np.plural or w not in lx.SINGULAR_CATEGORIES
            content.append(w)
        elif terminal == "ANY":
            np.everything = True
            if w not in lx.SINGULAR_ANY_WORDS or said.quantifier:
                np.plural = True
        elif terminal == "SIDE" and np.side is None:
            np.side = lx.SIDE_WORDS[w]
        elif terminal == "ONE":
            np.one = True
            np.plural = np.plural or w == "ones"
        elif terminal == "FILLER" or w in lx.ARTICLES or w in lx.INDEFINITES or w in ("everyone", "each"):
            continue
        elif w.endswith("s") and w[:-1] in lx.COLOR_WORDS:
            continue
        else:
            np.unknown += tuple(w.split())
            content.extend(w.split())
    if kinds:
        np.kinds = frozenset(kinds)
        np.everything = False
    elif (np.one or (np.colors and not np.everything) or np.side) and inherit_kind and not np.unknown:
        np.kinds = inherit_kind
    np.name_words = tuple(content)
    return np


def _alternation(phrases) -> str:
    return "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True))


_LANDMARK = re.compile(rf"\s+(?:(?:{_alternation(lx.LANDMARK_LINKS)})\s+)?(?:(?:{_alternation(lx.LANDMARK_POSTURES)})\s+)?"
                       rf"(?P<how>{_alternation(lx.LANDMARK_NEAR + lx.LANDMARK_FAR)})\s+"
                       rf"(?P<what>(?:{_alternation(lx.LANDMARK_DETERMINERS)})\s+.+)$")
_PERSON = re.compile(r"^(?:me|you|us)\b")


def _take_landmark(t: str, np: NounPhrase) -> str:
    """"the block next to the bowl", "the can closest to the bin": the object nearest to (or
    farthest from) another one. Words for the person or the robot are sides, read elsewhere."""
    m = _LANDMARK.search(t)
    if not m or not t[: m.start()].strip():
        return t
    what = m.group("what").strip()
    if what in lx.PEOPLE or _PERSON.match(what):
        return t
    mark = parse_np(what)
    if mark.is_empty or mark.unknown or mark.pronoun or not (mark.kinds or mark.colors or mark.name_words):
        return t
    np.landmark = mark
    np.far_from_landmark = " ".join(m.group("how").split()) in lx.LANDMARK_FAR
    return t[: m.start()].strip()


def _take_ordinal(t: str, np: NounPhrase) -> str:
    """"the second cup from the left": an ordinal counts only with a side to count from; "the
    last cup on the right" is the one furthest right, "the last one from the left" too."""
    tokens = word_tokens(t)
    at = next((i for i, tok in enumerate(tokens) if tok.type == "ORDINAL"), None)
    if at is None:
        return t
    after = [str(tok) for tok in tokens[at + 1:] if tok.type == "SIDE_PHRASE"]
    side_word = any(w in lx.SIDE_WORDS for i, tok in enumerate(tokens) if i != at for w in str(tok).split())
    if not after and not side_word:
        return t
    n = lx.ORDINALS[" ".join(str(tokens[at]).split())]
    counted_from = any(sp.startswith("from ") for sp in after)
    np.ordinal = n if n > 0 or counted_from else 1
    return _cut(t, [tokens[at]])


def _cut(text: str, tokens) -> str:
    """`text` without the words of `tokens` (read from it by the noun-phrase grammar)."""
    kept, at = [], 0
    for tok in tokens:
        kept.append(text[at: tok.start_pos])
        at = tok.end_pos
    return " ".join(" ".join(kept + [text[at:]]).split())


def _remove(text: str, phrase: str) -> str:
    i = find_phrase(text, phrase)
    if i < 0:
        return text
    return re.sub(r"\s+", " ", (text[:i] + " " + text[i + len(phrase):])).strip()
