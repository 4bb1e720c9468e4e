"""The words the rules planner knows: object kinds and their synonyms, category words, colours,
relation phrases, verbs and the small function words that frame a command.

Everything here is a constant table. Multi-word entries are matched before single words, so
"trash can" is a bin while "trash" alone is a piece of trash.
"""

from __future__ import annotations

import re

from sim.kinds import CONTAINERS, FIXED_KINDS, SURFACES
from sim.scenario import COLORS, KINDS

__all__ = [
    "KINDS", "COLORS", "CONTAINERS", "SURFACES", "FIXED_KINDS",
    "KIND_WORDS", "MASS_NOUNS", "CATEGORY_WORDS", "EVERYTHING_WORDS", "COLOR_WORDS", "SIDE_WORDS",
    "RELATION_PHRASES", "ORDINALS", "NUMBER_WORDS", "ARTICLES", "QUANTIFIERS", "PRONOUNS", "PLURAL_PRONOUNS",
    "SAME_AGAIN",
]

# word or phrase -> (kind, plural?)
KIND_WORDS: dict[str, tuple[str, bool]] = {}


def _add_kind(kind: str, singulars: list[str], plurals: list[str]) -> None:
    for w in singulars:
        KIND_WORDS[w] = (kind, False)
    for w in plurals:
        KIND_WORDS[w] = (kind, True)


_add_kind("cup", ["cup", "mug", "glass", "beaker", "teacup", "coffee cup"],
          ["cups", "mugs", "glasses", "beakers", "teacups", "coffee cups"])
_add_kind("bowl", ["bowl", "dish bowl"], ["bowls"])
_add_kind("block", ["block", "cube", "brick", "box", "toy block", "building block"],
          ["blocks", "cubes", "bricks", "boxes", "toy blocks", "building blocks"])
_add_kind("plate", ["plate", "dish", "saucer", "platter"], ["plates", "saucers", "platters"])
_add_kind("fork", ["fork"], ["forks"])
_add_kind("can", ["can", "tin", "tin can", "soda can", "drink can", "soda", "coke can", "beer can"],
          ["cans", "tins", "tin cans", "soda cans", "drink cans", "beer cans"])
_add_kind("trash", ["trash", "garbage", "rubbish", "litter", "paper ball", "ball of paper", "crumpled paper",
                    "paper", "wrapper", "junk", "waste"],
          ["paper balls", "balls of paper", "wrappers", "scraps"])
_add_kind("bin", ["bin", "trash can", "trashcan", "garbage can", "garbage bin", "rubbish bin", "waste bin",
                  "wastebasket", "waste basket", "waste paper basket", "wastepaper basket", "dustbin",
                  "bucket", "trash bin", "recycling bin", "litter bin"],
          ["bins", "trash cans", "buckets"])
_add_kind("basket", ["basket", "hamper", "crate"], ["baskets", "crates"])
_add_kind("tray", ["tray", "serving tray"], ["trays"])

# Kind words that name a substance rather than a countable thing: "the trash" means all of it.
MASS_NOUNS: frozenset[str] = frozenset({"trash", "garbage", "rubbish", "litter", "junk", "waste"})

# Words that stand for several kinds at once (all plural in meaning).
CATEGORY_WORDS: dict[str, frozenset[str]] = {
    "dishes": frozenset({"cup", "plate", "bowl", "fork"}),
    "tableware": frozenset({"cup", "plate", "bowl", "fork"}),
    "crockery": frozenset({"cup", "plate", "bowl"}),
    "cutlery": frozenset({"fork"}),
    "silverware": frozenset({"fork"}),
    "utensils": frozenset({"fork"}),
    "flatware": frozenset({"fork"}),
    "toys": frozenset({"block"}),
    "recycling": frozenset({"can"}),
    "recyclables": frozenset({"can"}),
    "empties": frozenset({"can"}),
    "drinks": frozenset({"can", "cup"}),
    "containers": frozenset(CONTAINERS),
    "container": frozenset(CONTAINERS),
    "receptacle": frozenset(CONTAINERS),
}
# Category words that are grammatically singular (one object of any of the kinds).
SINGULAR_CATEGORIES: frozenset[str] = frozenset({"container", "receptacle"})

# Words meaning "any object": "everything", "all the things", "stuff".
EVERYTHING_WORDS: frozenset[str] = frozenset({
    "everything", "anything", "things", "thing", "stuff", "objects", "object", "items", "item", "all",
    "rest", "mess", "whatever",
})
SINGULAR_ANY_WORDS: frozenset[str] = frozenset({"thing", "object", "item"})

# Colour words; a few that no scene object can have are kept so that "the pink cup" is
# understood as a colour that is not there rather than as an unknown word.
COLOR_WORDS: dict[str, str] = {c: c for c in COLORS}
COLOR_WORDS.update({
    "grey": "grey", "gray": "grey", "pink": "pink", "brown": "brown", "silver": "silver", "gold": "gold",
    "violet": "purple", "navy": "blue", "scarlet": "red", "crimson": "red", "lime": "green",
    "golden": "gold", "beige": "beige", "cyan": "cyan", "magenta": "magenta",
})

# Where the person stands. The robot works from one edge of the table (the "front" regions are
# on its side, +x runs away from it) and left and right are always its own. The person talking
# to it is taken to stand across the table, facing it (where the front camera looks from): what
# is "closest to me" is at the back, "far from me" is at the front, and "my left" is the robot's
# right. Words that name no one ("the nearest cup") are from the speaker's point of view too.

# Position words inside a noun phrase ("the left cup", "the one on the right").
SIDE_WORDS: dict[str, str] = {
    "left": "left", "leftmost": "left", "left-hand": "left",
    "right": "right", "rightmost": "right", "right-hand": "right",
    "front": "front", "nearest": "back", "closest": "back", "near": "back", "nearer": "back",
    "closer": "back",
    "back": "back", "farthest": "front", "furthest": "front", "far": "front", "further": "front",
    "farther": "front", "rear": "back",
    "middle": "middle", "center": "middle", "centre": "middle", "central": "middle",
}

# Relation phrases between the moved object and the reference object, longest first when
# matched. "to" and "at" are generic: the reference object's kind decides in or on.
RELATION_PHRASES: list[tuple[str, str]] = sorted([
    ("in", "in"), ("into", "in"), ("inside", "in"), ("inside of", "in"), ("within", "in"),
    ("in to", "in"), ("down in", "in"), ("back in", "in"), ("back into", "in"),
    ("on", "on"), ("onto", "on"), ("on to", "on"), ("upon", "on"), ("on top of", "on"), ("atop", "on"),
    ("over", "on"), ("on the top of", "on"), ("back on", "on"), ("back onto", "on"),
    ("to the left of", "left_of"), ("left of", "left_of"), ("on the left of", "left_of"),
    ("to the left side of", "left_of"), ("on the left side of", "left_of"), ("at the left of", "left_of"),
    ("on the left hand side of", "left_of"), ("to the left hand side of", "left_of"),
    ("to the right of", "right_of"), ("right of", "right_of"), ("on the right of", "right_of"),
    ("to the right side of", "right_of"), ("on the right side of", "right_of"), ("at the right of", "right_of"),
    ("on the right hand side of", "right_of"), ("to the right hand side of", "right_of"),
    ("next to", "near"), ("near", "near"), ("near to", "near"), ("nearby", "near"), ("beside", "near"),
    ("by", "near"), ("close to", "near"), ("alongside", "near"), ("by the side of", "near"),
    ("in front of", "near"), ("behind", "near"), ("around", "near"), ("against", "near"),
    ("to", "to"), ("over to", "to"), ("at", "to"), ("towards", "to"), ("toward", "to"), ("back to", "to"),
    ("back into the", "in"),
], key=lambda p: -len(p[0]))

# Side phrases that would otherwise look like relations ("the cup on the left").
SIDE_PHRASES: list[tuple[str, str]] = [
    ("on the left", "left"), ("on the right", "right"), ("at the left", "left"), ("at the right", "right"),
    ("to the left", "left"), ("to the right", "right"), ("in the front", "front"), ("at the front", "front"),
    ("in front", "front"), ("at the back", "back"), ("in the back", "back"), ("in the middle", "middle"),
    ("in the center", "middle"), ("in the centre", "middle"), ("on the left side", "left"),
    ("on the right side", "right"), ("on the left hand side", "left"), ("on the right hand side", "right"),
    ("on the far left", "left"), ("on the far right", "right"), ("at the far left", "left"),
    ("at the far right", "right"),
    # Counting from a side: "the second cup from the left".
    ("from the left", "left"), ("from the right", "right"), ("from the front", "front"),
    ("from the back", "back"), ("from left", "left"), ("from right", "right"),
    # The person, across the table from the robot (see above).
    ("closest to me", "back"), ("nearest to me", "back"), ("nearest me", "back"), ("closest me", "back"),
    ("near me", "back"), ("by me", "back"), ("in front of me", "back"), ("closest to us", "back"),
    ("nearest to us", "back"), ("on my side", "back"), ("on my end", "back"),
    ("on my side of the table", "back"), ("at my end of the table", "back"), ("on my end of the table", "back"),
    ("on your side of the table", "front"), ("at your end of the table", "front"),
    ("farthest from me", "front"), ("furthest from me", "front"), ("farthest away", "front"),
    ("furthest away", "front"), ("farthest from us", "front"), ("furthest from us", "front"),
    ("on my left", "right"), ("to my left", "right"), ("at my left", "right"),
    ("on my right", "left"), ("to my right", "left"), ("at my right", "left"),
    # "You" is the robot, at the front edge of the table: nearest to it is front.
    ("closest to you", "front"), ("nearest to you", "front"), ("nearest you", "front"), ("closest you", "front"),
    ("near you", "front"), ("by you", "front"), ("on your side", "front"),
    ("farthest from you", "back"), ("furthest from you", "back"),
    ("on your left", "left"), ("to your left", "left"), ("on your right", "right"), ("to your right", "right"),
]

# Ordinals that count objects from a side ("the second cup from the left"); "last" counts from
# the other end.
ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
    "5th": 5, "last": -1, "second last": -2, "second to last": -2, "next to last": -2, "penultimate": -2,
}

NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "a couple of": 2, "a pair of": 2, "pair of": 2, "couple of": 2,
}

ARTICLES: frozenset[str] = frozenset({"the", "my", "your", "our", "this", "that", "these", "those", "its",
                                      "their"})
INDEFINITES: frozenset[str] = frozenset({"a", "an", "any", "some", "one of the", "any of the", "either"})
# Quantifier phrases that make a noun phrase mean "all of them".
QUANTIFIERS: frozenset[str] = frozenset({"all", "all of the", "all the", "every", "each", "each of the",
                                         "every single", "all of", "all of my", "all my", "both", "both of the",
                                         "both the", "each and every", "every one of the"})
DUAL_QUANTIFIERS: frozenset[str] = frozenset({"both", "both of the", "both the"})

PRONOUNS: frozenset[str] = frozenset({"it", "that", "this", "that one", "this one", "the same one", "same one"})
PLURAL_PRONOUNS: frozenset[str] = frozenset({"them", "those", "these", "they", "all of them", "both of them",
                                             "those ones", "these ones", "them all", "all those", "them both",
                                             "the both of them", "those two", "these two", "the two of them",
                                             "all three of them", "the three of them", "those three",
                                             "all of those", "both of those", "each of them", "every one of them"})
OTHER_PHRASES: frozenset[str] = frozenset({"the other one", "other one", "the other", "the others",
                                           "the other ones"})

# Words that join the noun phrases of a list ("the trash and the can", "the fork plus the cup").
NP_JOINERS: tuple[str, ...] = ("and", "as well as", "plus", "&")
# Words before a list that the list makes redundant ("both the cup and the bowl").
LIST_OPENERS: tuple[str, ...] = ("both", "either")

# Words that say a thing is one of those the job has not moved yet ("the remaining cups").
REMAINING_WORDS: tuple[str, ...] = ("remaining", "leftover", "left over", "left-over")

# Words inside a noun phrase that start what it leaves out ("every cup except the green one").
EXCEPT_MARKERS: tuple[str, ...] = (
    "all except for", "all except", "all but", "except for", "except", "apart from", "other than", "excluding",
    "but not", "save for", "but leave", "but the", "besides", "not including", "with the exception of", "minus",
    "aside from", "excepting", "barring", "not counting", "leaving out", "leaving", "skipping", "save", "but")

# Prepositions that say where the meant thing is ("the cup on the tray"); longest tried first.
LOCATION_PREFIXES: tuple[str, ...] = ("from", "in", "inside", "on", "on top of", "sitting in", "sitting on",
                                      "lying on", "out of")

# Where a tower item goes: "the red one on top", "the blue block at the bottom"; tried in order.
TOP_MARKERS: tuple[str, ...] = ("at the top", "on the top", "on top", "at top", "last", "as the top", "highest",
                                "uppermost")
BOTTOM_MARKERS: tuple[str, ...] = ("at the bottom", "on the bottom", "at bottom", "as the base", "at the base",
                                   "as base", "on the base", "as the foundation", "lowest", "underneath", "below",
                                   "first", "as the bottom", "in the bottom", "for the base", "for the bottom")

# A landmark picks the thing by its distance to another one: "the block next to the bowl" (near),
# "the can furthest from the bin" (far). Links and postures may come before ("that sits by").
LANDMARK_NEAR: tuple[str, ...] = ("right next to", "next to", "closest to", "nearest to", "nearest", "closest",
                                  "closer to", "nearer to", "near to", "near", "by", "beside", "close to")
LANDMARK_FAR: tuple[str, ...] = ("farthest from", "furthest from", "farther from", "further from",
                                 "farthest away from", "furthest away from")
LANDMARK_LINKS: tuple[str, ...] = tuple(f"{who} {verb}" for who in ("that", "which")
                                        for verb in ("is", "are", "sits", "sit", "stands", "stand"))
LANDMARK_POSTURES: tuple[str, ...] = ("sitting", "standing", "lying")
# A landmark is an object named with one of these: "next to the bowl", not "next to me".
LANDMARK_DETERMINERS: tuple[str, ...] = ("the", "a", "an", "that", "this", "my", "your", "one of the")
# Words for people and edges, which are sides ("closest to me"), never landmarks.
PEOPLE: frozenset[str] = frozenset({"me", "you", "us", "the robot", "the edge", "my side", "your side"})

# Words that carry no meaning for grounding inside a noun phrase.
NP_FILLERS: frozenset[str] = frozenset({
    "please", "of", "one", "ones", "little", "big", "small", "large", "tiny", "huge", "over", "there",
    "here", "too", "also", "again", "now", "just", "as", "well", "very", "colored", "coloured", "color",
    "colour", "piece", "bit", "table", "single", "remaining", "other", "empty", "dirty", "used",
    "same", "kind", "sort", "type", "for", "me", "real", "quick", "quickly", "carefully", "gently",
    "then", "and", "or", "lying", "sitting", "standing", "around", "lonely", "poor", "old", "new",
})

# -- towers (read by the grammar in towers.py) ---------------------------------------------------
# What the robot builds out of the things on the table: "build a tower", "make a stack".
STRUCTURE_WORDS: tuple[str, ...] = ("tower", "stack", "pile")
# Words that join the items of a tower, in the order they are stacked.
TOWER_SEPARATORS: tuple[str, ...] = ("and then", "then", "next", "followed by", "and finally", "finally",
                                     "on top of that", "on top of it", "above it", "and")
# "red on green on blue": items chained by "on" name the top first.
TOWER_CHAIN: tuple[str, ...] = ("on top of", "onto", "on")
# Copulas inside an item ("the orange one is at the bottom") add nothing to it.
TOWER_ITEM_VERBS: tuple[str, ...] = ("is", "are", "goes", "go", "sits", "sit", "comes", "come", "should be",
                                     "should go", "must be", "will be", "needs to be", "has to be", "ends up")
# Words that say where an item sits in the tower.
TOWER_POSITION_WORDS: tuple[str, ...] = ("bottom", "top", "middle", "base", "underneath", "highest", "lowest",
                                         "uppermost")
# Phrases that say which end the list starts from.
TOWER_ORDER_TOP_FIRST: tuple[str, ...] = tuple(
    [f"from {the}top" + (f" to {the2}bottom" if to else "") for the in ("", "the ") for the2 in ("", "the ")
     for to in (False, True)] + ["top to bottom", "top down", "from the top down", "from top down"])
TOWER_ORDER_BOTTOM_FIRST: tuple[str, ...] = tuple(
    [f"from {the}bottom" + (f" to {the2}top" if to else "") for the in ("", "the ") for the2 in ("", "the ")
     for to in (False, True)] + ["bottom to top", "bottom up", "from the bottom up", "from bottom up", "in that order",
                                 "in this order"])

# -- exclusions (read by the grammar in exclusions.py) -------------------------------------------
# "Don't touch the plate": a negation, then a verb of handling.
EXCLUDE_NEGATIONS: tuple[str, ...] = ("do not", "dont", "do not you")
EXCLUDE_HANDLING_VERBS: tuple[str, ...] = (
    "touch", "move", "take", "use", "pick up", "grab", "disturb", "bother with", "handle", "put away", "throw away",
    "throw out", "mess with", "lift", "remove", "shift", "go near", "knock over", "include")
EXCLUDE_HANDLING_TAILS: tuple[str, ...] = ("at all", "please", "either")
# "Leave the plate where it is", "keep the cup there".
EXCLUDE_LEAVE_VERBS: tuple[str, ...] = ("leave", "leaving")
EXCLUDE_LEAVE_TAILS: tuple[str, ...] = (
    "where it is", "where they are", "where it was", "alone", "there", "in place", "as it is", "as they are",
    "as is", "be", "untouched", "on the table", "where it stands", "in its place", "where it belongs",
    "right where it is", "out of it", "out", "exactly where it is", "for now", "in peace", "on its own")
EXCLUDE_KEEP_VERBS: tuple[str, ...] = ("keep", "keeping")
EXCLUDE_KEEP_TAILS: tuple[str, ...] = ("where it is", "where they are", "there", "in place", "as it is", "untouched",
                                       "on the table", "out of it", "out")
# "Except the red one", "not the plate".
EXCLUDE_EXCEPT_WORDS: tuple[str, ...] = (
    "not", "except", "except for", "apart from", "other than", "without", "save", "save for", "excluding",
    "barring", "aside from", "besides", "not counting", "minus")
# "Skip the white one", "leave out the forks": drop it from the job.
EXCLUDE_SKIP_VERBS: tuple[str, ...] = (
    "skip", "skipping", "omit", "omitting", "exclude", "leave out", "leaving out", "forget about", "ignore",
    "ignoring", "pass on", "do not bother with", "never mind")
EXCLUDE_SKIP_TAILS: tuple[str, ...] = ("for now", "this time")
# "The plate stays".
EXCLUDE_STAY_VERBS: tuple[str, ...] = (
    "stays", "stay", "should stay", "must stay", "can stay", "remains", "remain", "is staying", "stays put",
    "stay put", "is not to be touched", "should not be touched", "must not be touched", "should not move",
    "must not move", "does not move", "is off limits", "are off limits")

# -- routines (read by the grammar in routines.py) -----------------------------------------------
# "When I say set the table, ...": a phrase of the person's own that stands for a job.
ROUTINE_WHEN: tuple[str, ...] = ("when", "if")
# Words that make it a habit: "whenever you tidy up, ..." names a job of the robot's own.
ROUTINE_HABIT: tuple[str, ...] = ("whenever", "each time", "every time")
ROUTINE_ASKED: tuple[str, ...] = ("i say", "i tell you to", "i tell you", "i ask you to", "i ask for", "i ask you",
                                  "i ask")
ROUTINE_MEANS: tuple[str, ...] = ("means", "should mean", "is when")

# -- corrections -----------------------------------------------------------------------------------
# Words that, said in the middle of a request, start a clause replacing part of what came before
# ("put the cup in the bin, no, in the basket").
CORRECTION_MARKERS: tuple[str, ...] = ("no", "nope", "sorry", "oops", "i mean", "i meant", "or rather", "make that",
                                       "wait no", "no wait", "correction")
# Said alone, a correction marker that waits for what it corrects ("no, no, the basket").
BARE_CORRECTIONS: tuple[str, ...] = CORRECTION_MARKERS + ("rather", "no no", "oh no", "sorry no", "no sorry")
# Words anywhere in a clause that make it a correction of what is under way.
CORRECTION_WORDS: tuple[str, ...] = ("instead", "actually", "rather", "no no", "i meant", "i mean", "wrong", "oops",
                                     "sorry", "not that", "make that", "make it", "i said", "i wanted", "i asked for",
                                     "i told you")
# Of the goes-verbs: "the cups go on the tray", "cans belong in the basket".
GOES_VERBS: tuple[str, ...] = (
    "goes", "go", "should go", "must go", "need to go", "needs to go", "has to go", "have to go", "will go", "belong",
    "belongs", "should be", "must be", "are to go", "is to go", "gets", "get", "should end up", "go back",
    "goes back", "ends up", "end up", "should be put", "must be put", "are put", "is put", "can go",
    "should be placed", "must be placed", "is placed", "are placed", "live", "lives")
# Words that join the steps of a sequence ("put the cup away, then the block"), tried in order.
SEQUENCE_CONNECTORS: tuple[str, ...] = (
    "and then", "then", "after that", "afterwards", "after which", "and after that", "next", "and finally", "finally",
    "lastly", "once that is done", "when you are done", "and also", "and last", "after this", "followed by")
# Discourse openers of a correction, dropped before the corrected request is read ("no, wait, ...").
CORRECTION_OPENERS: tuple[str, ...] = ("no", "nope", "not that one", "wrong one", "wrong", "oops", "sorry", "actually",
                                       "instead", "wait", "hold on", "stop", "hang on", "sorry")
# What a correction may start with once its openers are gone ("I meant the blue one").
CORRECTION_LEADS: tuple[str, ...] = ("no", "not that one", "wrong one", "wrong", "i said", "i meant", "i mean",
                                     "i wanted", "i asked for", "rather", "or rather", "make that", "make it",
                                     "correction")

# "Do the same with the green one", "same for the cups", "what about the bowl": the last
# request again, for what follows (group "np"). Read by the parser, and by speech.addressee to
# know such a turn is said to the robot.
SAME_AGAIN = re.compile(r"^(?:(?:now\s+)?(?:do|repeat)\s+(?:the same|that|it|this|the same thing)(?:\s+again)?\s+"
                        r"(?:with|for|to|on)\s+|(?:the\s+)?same\s+(?:with|for)\s+|(?:what|how)\s+about\s+)"
                        r"(?P<np>.+?)(?:\s+(?:too|as well|also))?$")
