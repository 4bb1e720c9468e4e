"""Routines: a phrase taught to stand for a job.

  "when I say set the table, the fork goes to the left of the plate"   (the person's phrase)
  "whenever you tidy up, the cans go in the bin"                        (a job of the robot's own)
  "set the table means the fork goes to the left of the plate"

A grammar read with Lark; its words are the ROUTINE_* tables of lexicon.py. It finds where the
phrase starts (and, for "means", where it ends); where a phrase said without a comma ends is
decided by the caller, which knows what a command is. "When you ..." without a habit word is a
time order ("when you have put the cup away, ..."), not a routine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Lark, Token
from lark.exceptions import LarkError

from agent.planners.rules import lexicon as lx


def _words(phrases) -> str:
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))
    return f"/(?<![a-z0-9'])(?:{body})(?![a-z0-9'])/"


_GRAMMAR = Lark(rf"""
    start: (WHEN | HABIT) ASKED rest      -> said
         | HABIT YOU rest                  -> habit
         | phrase MEANS rest               -> means
    rest: ANY+
    phrase: ANY | phrase ANY
    WHEN.5: {_words(lx.ROUTINE_WHEN)}
    HABIT.5: {_words(lx.ROUTINE_HABIT)}
    ASKED.5: {_words(lx.ROUTINE_ASKED)}
    YOU.5: /you(?![a-z0-9'])/
    MEANS.5: {_words(lx.ROUTINE_MEANS)}
    ANY: /[^\s]+/
    %ignore /\s+/
""", parser="lalr", lexer="contextual")


@dataclass(frozen=True)
class RoutineText:
    form: str                 # said | habit | means
    rest: str                 # for said/habit: the phrase and the job, as written (commas kept)
    phrase: str | None = None  # for means: the phrase before "means"


def read_routine(text: str) -> RoutineText | None:
    """Where a routine's phrase and job are in `text`, or None when it teaches no routine."""
    try:
        tree = _GRAMMAR.parse(text)
    except LarkError:
        return None
    parts = {c.data: c for c in tree.children if not isinstance(c, Token)}
    rest_tokens = list(parts["rest"].scan_values(lambda v: True))
    rest = text[rest_tokens[0].start_pos:].strip()
    phrase = " ".join(parts["phrase"].scan_values(lambda v: True)) if "phrase" in parts else None
    return RoutineText(form=str(tree.data), rest=rest, phrase=phrase)
