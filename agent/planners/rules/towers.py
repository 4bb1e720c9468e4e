"""Towers: a whole sentence that names the blocks of a stack in order.

Read before the sentence is cut into clauses, since the "then"s and "and"s of a tower join
items, not commands:
  "build a tower: blue at the bottom, then green, then red on top"
  "stack the red block on the green block on the blue block"        (top first)
  "make a stack of red, green and blue"
  "stack the blocks with the orange one on the bottom, the white one in the middle and the
   black one on top"                                                 (positions say the order)

The list of items is read by a grammar (`_ITEMS`) whose words come from the tables in
lexicon.py (TOWER_SEPARATORS, TOWER_CHAIN, TOWER_ITEM_VERBS, TOWER_ORDER_*): a new way of
joining items is a new table entry, not a new pattern. Each item is a noun phrase read by
`parse_np`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Lark, Token
from lark.exceptions import LarkError

from agent.planners.rules import lexicon as lx
from agent.planners.rules.phrases import NounPhrase, parse_np

_TOWER = re.compile(r"\b(?:build|make|create|form|construct|assemble|stack|do|pile|arrange)\b.*?"
                    r"\b(?:a|an|one|the|into a|into one|as a)\s+(?:\w+\s+)?(?:" + "|".join(lx.STRUCTURE_WORDS) + r")\b")
# "stack the blocks with/so that ...": no tower noun, but the positions that follow make it one.
_STACK_WITH = re.compile(r"\b(?:stack|pile)\s+(?:up\s+)?(?P<head>.+?)\s+(?:with|so that|so|such that|where|"
                         r"like this|as follows|in this order|in the order)\b\s*:?\s*")
# "Fill the tower: blue at the bottom ..." ("build" as heard): a sentence that opens on a tower
# and then says where its items sit is a tower whatever its verb came out as.
_TOWER_OPENING = re.compile(r"^(?:[a-z']+\s+){0,3}?(?:a|an|the|one)\s+(?:\w+\s+)?tower\b")
# Words that open the list; "from" only when it does not start "from the top".
_LEAD_IN = re.compile(r"^(?:with|of|out of|using|from(?!\s+(?:the\s+)?(?:top|bottom)\b)|made of|made from|"
                      r"like this|as follows|so that|where|in this order|in the order)\b\s*")
# Where an item goes when the sentence says so: bottom first, unmarked items in the order said.
_RANK = {"bottom": 0, "middle": 1, None: 1, "top": 2}


def _alternation(phrases) -> str:
    """A regular expression for any of the phrases, whole words, longest first."""
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))
    return f"/(?<![a-z0-9'])(?:{body})(?![a-z0-9'])/"


# Word terminals outrank WORD (priority 3 > 2 > default), so "then" is a separator, never an item word.
_ITEMS = Lark(rf"""
    start: _sep* item (_sep+ item)* _sep*
    item: (WORD | CHAIN)+
    _sep: JOIN | COMMA | ORDER_TOP_FIRST | ";" | ":"
    COMMA: ","
    JOIN.3: {_alternation(lx.TOWER_SEPARATORS)}
    CHAIN.2: {_alternation(lx.TOWER_CHAIN)}
    ORDER_TOP_FIRST.4: {_alternation(lx.TOWER_ORDER_TOP_FIRST)}
    ORDER_BOTTOM_FIRST.4: {_alternation(lx.TOWER_ORDER_BOTTOM_FIRST)}
    ITEM_VERB.3: {_alternation(lx.TOWER_ITEM_VERBS)}
    WORD: /[a-z0-9'-]+/
    %ignore ITEM_VERB
    %ignore ORDER_BOTTOM_FIRST
    %ignore /\s+/
    %ignore /[^a-z0-9'\-,;:\s]+/
""", parser="lalr", lexer="basic")


@dataclass
class _ItemList:
    items: list[str]     # the items' words, in the order said
    chain: list[str]     # the same words cut at "on" alone ("red on green on blue")
    joined: bool         # items were joined by a word or a comma that says "next" (not "and" alone)
    top_first: bool      # "from the top", "top to bottom"


def _read_items(rest: str) -> _ItemList | None:
    try:
        tree = _ITEMS.parse(rest)
    except LarkError:
        return None
    items: list[str] = []
    chain: list[str] = [""]
    joined = top_first = False
    for part in tree.children:
        if isinstance(part, Token):
            # "and" alone may join a chain's items ("red on green and blue" is not a chain).
            joined = joined or part.type == "COMMA" or part.type == "JOIN" and part.split() != ["and"]
            top_first = top_first or part.type == "ORDER_TOP_FIRST"
            continue
        items.append(" ".join(str(t) for t in part.children))
        for t in part.children:
            if t.type == "CHAIN":
                chain.append("")
            else:
                chain[-1] = f"{chain[-1]} {t}".strip()
        chain[-1] += " and"
    chain = [c.removesuffix(" and").strip() for c in chain]
    return _ItemList(items=items, chain=[c for c in chain if c], joined=joined, top_first=top_first)


def parse_tower(sentence: str, connectors: re.Pattern[str]) -> list[NounPhrase] | None:
    """The tower's items, bottom first, or None when the sentence is not a tower."""
    found = _tower_head(sentence)
    if found is None:
        return None
    start, head_text, rest = found
    before = sentence[:start].strip(" ,")
    if before and connectors.search(before):
        return None
    rest = _LEAD_IN.sub("", rest).strip(" :,")
    if not rest:
        return None
    head_np = parse_np(head_text)
    kinds = frozenset(k for k in head_np.kinds if k not in ("block",)) or frozenset()
    items = _items(rest)
    inherit = kinds
    resolved: list[NounPhrase] = []
    for it in items:
        if it.is_empty:
            continue
        if it.kinds:
            inherit = it.kinds
        elif inherit:
            it.kinds = inherit
        resolved.append(it)
    # Items named by colour before any noun ("red, green and blue blocks") take the later noun.
    for it in resolved:
        if not it.kinds:
            later = [r.kinds for r in resolved if r.kinds]
            it.kinds = later[0] if later else frozenset({"block"})
        it.one = False
    return resolved if len(resolved) >= 2 else None


def _has_position(text: str) -> bool:
    return bool(set(re.findall(r"[a-z]+", text)) & set(lx.TOWER_POSITION_WORDS))


def _tower_head(sentence: str) -> tuple[int, str, str] | None:
    """(where the tower starts, its head words, the words that list the items)."""
    m = _TOWER.search(sentence)
    if m:
        return m.start(), sentence[m.start():m.end()], sentence[m.end():].strip(" :,")
    m = _STACK_WITH.search(sentence)
    if m and _has_position(sentence[m.end():]):
        return m.start(), m.group("head"), sentence[m.end():].strip(" :,")
    m = _TOWER_OPENING.search(sentence)
    if m and _has_position(sentence[m.end():]):
        return m.start(), sentence[m.start():m.end()], sentence[m.end():].strip(" :,")
    return None


def _items(rest: str) -> list[NounPhrase]:
    read = _read_items(rest)
    if read is None:
        return []
    chain_items = [parse_np(p) for p in read.chain]
    if len(read.chain) > 1 and not read.joined and all(
            (c.kinds or c.colors) and not c.parts and c.position is None for c in chain_items):
        chain_items.reverse()  # "red on green on blue" names the top first
        return chain_items
    items = [parse_np(p) for p in read.items]
    for it in items:
        if it.side == "middle" and it.position is None:
            it.side, it.position = None, "middle"  # "the white one in the middle" of a tower
    if read.top_first:
        items.reverse()
    elif items and (items[0].position == "top" or items[-1].position == "bottom"):
        items.reverse()
    if any(it.position for it in items):
        items.sort(key=lambda it: _RANK.get(it.position, 1))  # stable: unmarked items keep their order
    return items
