"""Exclusions: clauses that keep something out of the job ("leave the plate where it is",
"don't touch the cups", "except the red one", "skip the fork", "the bowl stays").

A grammar read with Lark; its words are the EXCLUDE_* tables of lexicon.py. Each form names one
noun phrase, returned as text for `parse_np`. Tail words ("where it is", "for now") are words
of the grammar only where a tail may stand, so "the cup there" after "except" is a noun phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lark import Lark, Token
from lark.exceptions import LarkError

from agent.planners.rules import lexicon as lx


def _words(phrases) -> str:
    """A terminal for any of the phrases, whole words, longest first."""
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(set(phrases), key=len, reverse=True))
    return f"/(?<![a-z0-9'])(?:{body})(?![a-z0-9'])/"


# Priorities: a longer keyword that starts with a shorter one wins ("leave out" over "leave",
# "never mind" over "never", "do not bother with" over "do not"); every keyword over WORD.
_GRAMMAR = Lark(rf"""
    start: BUT? _exclusion
    _exclusion: handling | leave | keep | except_ | skip | stays
    handling: PLEASE? (NEGATION | NEVER) EVER? HANDLING handling_np HANDLING_TAIL?
    leave: LEAVE leave_np LEAVE_TAIL*
    keep: KEEP keep_np KEEP_TAIL?
    except_: (EXCEPT | NEVER) except_np
    skip: SKIP skip_np SKIP_TAIL?
    stays: stays_np STAY _rest?
    // One noun phrase rule per form (written out, since WORD+ would share one helper rule),
    // so that only that form's tail words end the phrase.
    handling_np: WORD | handling_np WORD
    leave_np: WORD | leave_np WORD
    keep_np: WORD | keep_np WORD
    except_np: WORD | except_np WORD
    skip_np: WORD | skip_np WORD
    stays_np: WORD | stays_np WORD
    _rest: (WORD | STAY)+
    BUT.5: /but(?![a-z0-9'])/
    PLEASE.5: /please(?![a-z0-9'])/
    EVER.5: /ever(?![a-z0-9'])/
    NEVER.5: /never(?![a-z0-9'])/
    NEGATION.5: {_words(lx.EXCLUDE_NEGATIONS)}
    HANDLING.5: {_words(lx.EXCLUDE_HANDLING_VERBS)}
    HANDLING_TAIL.5: {_words(lx.EXCLUDE_HANDLING_TAILS)}
    LEAVE.5: {_words(lx.EXCLUDE_LEAVE_VERBS)}
    LEAVE_TAIL.5: {_words(lx.EXCLUDE_LEAVE_TAILS)}
    KEEP.5: {_words(lx.EXCLUDE_KEEP_VERBS)}
    KEEP_TAIL.5: {_words(lx.EXCLUDE_KEEP_TAILS)}
    EXCEPT.5: {_words(lx.EXCLUDE_EXCEPT_WORDS)}
    SKIP.6: {_words(lx.EXCLUDE_SKIP_VERBS)}
    SKIP_TAIL.5: {_words(lx.EXCLUDE_SKIP_TAILS)}
    STAY.5: {_words(lx.EXCLUDE_STAY_VERBS)}
    WORD: /[a-z0-9'-]+/
    %ignore /\s+/
""", parser="lalr", lexer="contextual")


@dataclass(frozen=True)
class ExclusionForm:
    form: str   # handling | leave | keep | except_ | skip | stays
    np: str     # the noun phrase's words
    tail: bool  # a tail word was said ("leave the cup where it is", not "leave the cup")

    @property
    def starts_clause(self) -> bool:
        """Whether the form can only be a clause of its own: a handling verb after a negation, or
        leave/keep with a tail that says where the thing stays."""
        return self.form == "handling" or self.form in ("leave", "keep") and self.tail


def read_exclusion(text: str) -> ExclusionForm | None:
    """The exclusion the whole text says, or None."""
    try:
        tree = _GRAMMAR.parse(text)
    except LarkError:
        return None
    form = next(c for c in tree.children if not isinstance(c, Token))
    np = next(c for c in form.children if not isinstance(c, Token))
    tail = any(isinstance(c, Token) and c.type.endswith("_TAIL") for c in form.children)
    return ExclusionForm(form=str(form.data), np=" ".join(str(t) for t in np.scan_values(lambda v: True)),
                         tail=tail)
