"""Towers: a whole sentence that names the blocks of a stack in order.

Read before the sentence is cut into clauses, since the "then"s and "and"s of a tower join
items, not commands:
  "build a tower: blue at the bottom, then green, then red on top"
  "stack the red block on the green block on the blue block"        (top first)
  "make a stack of red, green and blue"
  "stack the blocks with the orange one on the bottom, the white one in the middle and the
   black one on top"                                                 (positions say the order)
"""

from __future__ import annotations

import re

from agent.planners.rules.phrases import NounPhrase, parse_np

_TOWER = re.compile(r"\b(?:build|make|create|form|construct|assemble|stack|do|pile|arrange)\b.*?"
                    r"\b(?:a|an|one|the|into a|into one|as a)\s+(?:\w+\s+)?(?:tower|stack|pile)\b")
# "stack the blocks with/so that ...": no tower noun, but the positions that follow make it one.
_STACK_WITH = re.compile(r"\b(?:stack|pile)\s+(?:up\s+)?(?P<head>.+?)\s+(?:with|so that|so|such that|where|"
                         r"like this|as follows|in this order|in the order)\b\s*:?\s*")
# "Fill the tower: blue at the bottom ..." ("build" as heard): a sentence that opens on a tower
# and then says where its items sit is a tower whatever its verb came out as.
_TOWER_OPENING = re.compile(r"^(?:[a-z']+\s+){0,3}?(?:a|an|the|one)\s+(?:\w+\s+)?tower\b")
_POSITION_WORDS = re.compile(r"\b(?:bottom|top|middle|base|underneath|highest|lowest|uppermost)\b")
_TOWER_ITEM_SPLIT = re.compile(r"\s*(?:,?\s*\band then\b|,?\s*\bthen\b|,?\s*\bnext\b|,?\s*\bfollowed by\b|"
                               r",?\s*\band finally\b|,?\s*\bfinally\b|,?\s*\bon top of that\b|,?\s*\bon top of it\b|"
                               r",?\s*\babove it\b|,?\s*\band\b|,|;)\s*")
_CHAIN = re.compile(r"\s+(?:on top of|onto|on)\s+")
# Copulas inside items ("the orange one is at the bottom") add nothing to the item.
_ITEM_VERBS = re.compile(r"\b(?:is|are|goes|go|sits|sit|comes|come|should be|should go|must be|will be|"
                         r"needs to be|has to be|ends up)\b")
_ORDER_PHRASES = re.compile(r"\b(?:from (?:the )?(?:top|bottom)(?: to (?:the )?(?:top|bottom))?|top to bottom|"
                            r"bottom to top|bottom up|top down|in that order|in this order)\b")
# Where an item goes when the sentence says so: bottom first, unmarked items in the order said.
_RANK = {"bottom": 0, "middle": 1, None: 1, "top": 2}


def parse_tower(sentence: str, connectors: re.Pattern[str]) -> list[NounPhrase] | None:
    """The tower's items, bottom first, or None when the sentence is not a tower."""
    found = _tower_head(sentence)
    if found is None:
        return None
    start, head_text, rest = found
    before = sentence[:start].strip(" ,")
    if before and connectors.search(before):
        return None
    rest = re.sub(r"^(?:with|of|out of|using|from|made of|made from|like this|as follows|so that|where|"
                  r"in this order|in the order)\b\s*", "", rest).strip(" :,")
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


def _tower_head(sentence: str) -> tuple[int, str, str] | None:
    """(where the tower starts, its head words, the words that list the items)."""
    m = _TOWER.search(sentence)
    if m:
        return m.start(), sentence[m.start():m.end()], sentence[m.end():].strip(" :,")
    m = _STACK_WITH.search(sentence)
    if m and _POSITION_WORDS.search(sentence[m.end():]):
        return m.start(), m.group("head"), sentence[m.end():].strip(" :,")
    m = _TOWER_OPENING.search(sentence)
    if m and _POSITION_WORDS.search(sentence[m.end():]):
        return m.start(), sentence[m.start():m.end()], sentence[m.end():].strip(" :,")
    return None


def _items(rest: str) -> list[NounPhrase]:
    top_first = bool(re.search(r"\bfrom (?:the )?top\b|\btop to bottom\b|\btop down\b", rest))
    rest = _ORDER_PHRASES.sub(" ", rest).strip(" ,")
    rest = re.sub(r"\s+", " ", _ITEM_VERBS.sub(" ", rest)).strip()
    chain = [p for p in _CHAIN.split(rest) if p.strip()]
    chain_items = [parse_np(p) for p in chain]
    if len(chain) > 1 and not re.search(r"\b(?:then|next|followed by)\b|,", rest) and all(
            (c.kinds or c.colors) and not c.parts and c.position is None for c in chain_items):
        chain_items.reverse()  # "red on green on blue" names the top first
        return chain_items
    items = [parse_np(p) for p in _TOWER_ITEM_SPLIT.split(rest) if p and p.strip(" ,")]
    for it in items:
        if it.side == "middle" and it.position is None:
            it.side, it.position = None, "middle"  # "the white one in the middle" of a tower
    if top_first:
        items.reverse()
    elif items and (items[0].position == "top" or items[-1].position == "bottom"):
        items.reverse()
    if any(it.position for it in items):
        items.sort(key=lambda it: _RANK.get(it.position, 1))  # stable: unmarked items keep their order
    return items
