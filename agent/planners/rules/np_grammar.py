"""The words of a noun phrase, read by Lark grammars whose terminals are the lexicon's tables.

Two grammars. `split_coordination` cuts a phrase into the phrases joined by "and", "plus",
"as well as" ("both the red block and the yellow block"). `read_simple` reads one of them:
the determiners that open it (a quantifier, an indefinite, an article, a number, in that order),
then its words, each typed by the table it comes from: a kind (multi-word names such as
"trash can" included, so that it is a bin and not trash and a can), a colour, a category, a
word for anything, a side ("the left one", "the cup on the right"), an ordinal ("the second
cup from the left"), a remaining word ("the leftover cups"), "one", a filler, or a word the
lexicon does not know. What the words mean is phrases.py's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Lark, Token
from lark.exceptions import LarkError

from agent.planners.rules import lexicon as lx

# Letters and digits make a word; a hyphen inside one keeps it whole ("left-hand", "x-ray").
_BEFORE = r"(?<![a-z0-9])(?<![a-z0-9]-)"
_AFTER = r"(?![a-z0-9]|-[a-z0-9])"


def _words(phrases) -> str:
    """A terminal for any of the phrases, whole words, longest first."""
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))
    return f"/{_BEFORE}(?:{body}){_AFTER}/"


_NUMBERS = [w for w in lx.NUMBER_WORDS if w != "one"] + [str(i) for i in range(2, 11)]

# Priorities say which table a word is read from where two hold it: a determiner that opens the
# phrase outranks the same word inside it ("all the cups" is a quantifier, "everything and all"
# is a word for anything), a side phrase outranks its words ("closest to me" over "closest"),
# "left over" is a remaining word, not a side, a kind outranks a category ("recycling bin" is a
# bin), "one" outranks the fillers, and every table outranks WORD. Determiners are terminals of
# the opening slots only, so the contextual lexer reads "the" inside the phrase as a plain WORD.
_SIMPLE = Lark(rf"""
    start: QUANT? INDEF? ART? NUM? _item*
    words: _item*
    _item: REMAINING | ORDINAL | SIDE_PHRASE | KIND | CATEGORY | COLOR | ANY | SIDE | ONE | FILLER | WORD
    QUANT.20: {_words(lx.QUANTIFIERS)}
    INDEF.19: {_words(lx.INDEFINITES)}
    ART.18: {_words(lx.ARTICLES)}
    NUM.17: {_words(_NUMBERS)}
    REMAINING.16: {_words(lx.REMAINING_WORDS)}
    ORDINAL.16: {_words(lx.ORDINALS)}
    SIDE_PHRASE.16: {_words(p for p, _ in lx.SIDE_PHRASES)}
    KIND.15: {_words(lx.KIND_WORDS)}
    CATEGORY.14: {_words(lx.CATEGORY_WORDS)}
    COLOR.13: {_words(lx.COLOR_WORDS)}
    ANY.12: {_words(lx.EVERYTHING_WORDS)}
    SIDE.11: {_words(lx.SIDE_WORDS)}
    ONE.10: {_words(["one", "ones"])}
    FILLER.9: {_words(lx.NP_FILLERS)}
    WORD: /[a-z0-9]+(?:-[a-z0-9]+)*/
    %ignore /[^a-z0-9]+/
""", parser="lalr", lexer="contextual", start=["start", "words"])

_COORDINATION = Lark(rf"""
    start: JOIN* part (JOIN+ part)* JOIN*
    part: WORD+
    JOIN.4: {_words(lx.NP_JOINERS)}
    WORD: /[^\s]+/
    %ignore /\s+/
""", parser="lalr", lexer="contextual")


@dataclass(frozen=True)
class SimpleWords:
    """One noun phrase's words: the determiners that open it, then each word with its table."""

    quantifier: str | None
    indefinite: str | None
    article: str | None
    number: str | None
    items: tuple[tuple[str, str], ...]  # (terminal name, words said), in the order said


def read_simple(text: str) -> SimpleWords:
    """Read one noun phrase with no joined parts. Every word is some terminal, so it always reads."""
    tree = _SIMPLE.parse(text, start="start")
    slots: dict[str, str] = {}
    items: list[tuple[str, str]] = []
    for tok in tree.children:
        said = " ".join(str(tok).split())
        if tok.type in ("QUANT", "INDEF", "ART", "NUM") and not items:
            slots[tok.type] = said
        else:
            items.append((tok.type, said))
    return SimpleWords(quantifier=slots.get("QUANT"), indefinite=slots.get("INDEF"), article=slots.get("ART"),
                       number=slots.get("NUM"), items=tuple(items))


def read_words(text: str) -> tuple[tuple[str, str], ...]:
    """Words read as the inside of a noun phrase: no determiner slots ("one of the" is "one")."""
    return tuple((tok.type, " ".join(str(tok).split())) for tok in word_tokens(text))


def word_tokens(text: str) -> list[Token]:
    """`read_words` with where each word stands in `text` (Lark tokens: type, start_pos, end_pos)."""
    return list(_SIMPLE.parse(text, start="words").children)


def split_coordination(text: str) -> list[str]:
    """The phrases joined in `text`, cut where a joiner stands between two of them (a joiner at
    either end stays a word of its phrase). "Both" or "either" before a list is dropped: the list
    says how many."""
    try:
        children = _COORDINATION.parse(text).children
    except LarkError:
        return [text.strip()] if text.strip() else []
    parts = [i for i, c in enumerate(children) if not isinstance(c, Token)]
    if not parts:
        return [text.strip()] if text.strip() else []
    # Leading joiners open the first phrase, trailing ones close the last.
    groups = [children[: parts[0] + 1]] + [[children[i]] for i in parts[1:-1]]
    if len(parts) > 1:
        groups.append(children[parts[-1]:])
    else:
        groups[0] = children
    said = [" ".join(str(w) for c in g for w in (c.children if not isinstance(c, Token) else [c])) for g in groups]
    opener = said[0].split() if len(said) > 1 else []
    if len(opener) > 1 and opener[0] in lx.LIST_OPENERS:
        # "both the red block and the yellow block": the list itself says how many.
        said[0] = " ".join(opener[2:] if opener[1] == "of" and len(opener) > 2 else opener[1:])
    return said
